import math

import pytest
import torch

from ganapp.gan.trainer import METRIC_NAMES, Trainer, lr_factor, resolve_device

from conftest import tiny_2d, tiny_image


def test_step_returns_plain_floats_with_probabilities():
    t = Trainer(tiny_image())
    m = t.step()
    assert list(m) == list(METRIC_NAMES)
    assert all(type(v) is float and math.isfinite(v) for v in m.values())
    assert 0 <= m["d_x"] <= 1 and 0 <= m["d_g_z"] <= 1
    assert t.step_count == 1


def test_train_step_stays_on_device_without_sync():
    t = Trainer(tiny_2d())
    out = t.train_step()
    assert isinstance(out, torch.Tensor) and out.shape == (4,) and not out.requires_grad


def test_same_seed_gives_the_same_losses_on_cpu():
    a, b = Trainer(tiny_image(seed=7)), Trainer(tiny_image(seed=7))
    runs = [[t.step() for _ in range(5)] for t in (a, b)]
    assert runs[0] == runs[1]
    c = Trainer(tiny_image(seed=8))
    assert [c.step() for _ in range(5)] != runs[0]


def test_n_critic_updates_d_that_many_times_per_g_update():
    t = Trainer(tiny_2d(n_critic=3))
    t.step()
    assert t.opt_d.state[next(iter(t.D.parameters()))]["step"].item() == 3
    assert t.opt_g.state[next(iter(t.G.parameters()))]["step"].item() == 1


def test_step_changes_both_networks():
    t = Trainer(tiny_2d())
    before = t.weights()
    t.step()
    after = t.weights()
    for net in ("G", "D"):
        assert any(not torch.equal(before[net][k], after[net][k]) for k in before[net])


def test_update_applies_live_fields_and_reports_shape_fields():
    t = Trainer(tiny_2d())
    applied, needs_reset = t.update(lr_g=1e-4, n_critic=2, loss="minimax", z_dim=5)
    assert sorted(applied) == ["loss", "lr_g", "n_critic"] and needs_reset == ["z_dim"]
    assert t.opt_g.param_groups[0]["lr"] == 1e-4 and t.config.n_critic == 2 and t.config.z_dim == 2
    t.step()
    with pytest.raises(ValueError, match="lr_d"):
        t.update(lr_d=float("nan"))
    assert t.config.lr_d == tiny_2d().lr_d


def test_sample_uses_eval_mode_and_returns_cpu_images():
    t = Trainer(tiny_image())
    x = t.sample(t.fixed_z[:3])
    assert x.shape == (3, 1, 28, 28) and x.device.type == "cpu" and t.G.training


def test_fixed_z_depends_only_on_seed():
    assert torch.equal(Trainer(tiny_2d(seed=1)).fixed_z, Trainer(tiny_2d(seed=1)).fixed_z)


def test_unavailable_device_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ValueError, match="device='cuda' is not available"):
        resolve_device("cuda")
    assert resolve_device("auto").type in ("cpu", "mps")


def test_g_ema_averages_g_and_is_what_readers_get():
    t = Trainer(tiny_2d(g_ema=0.9))
    before = {k: v.clone() for k, v in t.G_ema.state_dict().items()}
    t.step()
    for k, v in t.G_ema.state_dict().items():  # ema = 0.9·old + 0.1·G
        torch.testing.assert_close(v, 0.9 * before[k] + 0.1 * t.G.state_dict()[k])
    assert t.G_shown is t.G_ema and not t.G_ema.training
    z = torch.randn(3, 2)
    with torch.no_grad():
        torch.testing.assert_close(t.sample(z), t.G_ema(z))
    assert Trainer(tiny_2d()).G_ema is None


def test_lr_factor_is_constant_then_falls_linearly_to_zero():
    assert [lr_factor(p, 0.3) for p in (0, 0.5, 0.7)] == [1, 1, 1]
    assert lr_factor(0.85, 0.3) == pytest.approx(0.5) and lr_factor(1.0, 0.3) == 0 and lr_factor(1.5, 0.3) == 0
    assert lr_factor(0.5, 1.0) == pytest.approx(0.5) and lr_factor(0.99, 0.0) == 1  # 0: no decay
    with pytest.raises(ValueError, match=r"lr_decay=1.5 is out of range"):
        lr_factor(0.5, 1.5)


def test_set_progress_scales_both_learning_rates_and_survives_live_changes():
    t = Trainer(tiny_2d(lr_g=1e-3, lr_d=2e-3, lr_decay=0.5))
    lrs = lambda: (t.opt_g.param_groups[0]["lr"], t.opt_d.param_groups[0]["lr"])  # noqa: E731
    assert t.set_progress(0.75) == pytest.approx(0.5) and lrs() == pytest.approx((5e-4, 1e-3))
    t.update(lr_g=4e-3)  # a live change keeps the schedule's multiplier
    assert lrs() == pytest.approx((2e-3, 1e-3))
    before = [p.detach().clone() for p in t.G.parameters()]
    t.set_progress(1.0)  # the end of the run: lr 0, so G no longer moves
    t.train_step()
    assert all(torch.equal(a, b) for a, b in zip(before, t.G.parameters()))
    assert t.set_progress(None) == 1 and lrs() == pytest.approx((4e-3, 2e-3))  # open-ended: the configured rates


@pytest.mark.parametrize("make", [lambda: tiny_2d(bf16=True, r1_gamma=0.1),
                                  lambda: tiny_image(bf16=True, loss="wgan_gp", n_critic=2)])
def test_bf16_autocast_runs_the_forward_passes_in_bfloat16_and_trains(make):
    t = Trainer(make())
    seen = []
    t.G.register_forward_hook(lambda m, i, out: seen.append(out.dtype))
    before = [p.detach().clone() for p in t.G.parameters()]
    for _ in range(3):
        metrics = t.step()
    assert seen and set(seen) == {torch.bfloat16}
    assert all(math.isfinite(v) for v in metrics.values())
    assert all(p.dtype == torch.float32 for p in t.G.parameters())  # the weights stay float32
    assert not all(torch.equal(a, b) for a, b in zip(before, t.G.parameters()))
    assert t.sample(t.fixed_z).dtype == torch.float32
    with pytest.raises(ValueError, match="bf16='yes' is not allowed"):
        t.config.replace(bf16="yes")


def test_lazy_r1_is_computed_every_r1_every_d_updates_with_that_weight(monkeypatch):
    """StyleGAN2's lazy regularisation: R1 on D updates 0, k, 2k, ... only, weighted by k, so that one such update
    is exactly an update with γ·k; the reported d_loss carries R1 at its average weight γ/2."""
    import ganapp.gan.trainer as trainer_module

    calls = []
    real_r1 = trainer_module.r1_penalty
    monkeypatch.setattr(trainer_module, "r1_penalty", lambda D, x: calls.append(1) or real_r1(D, x))
    lazy = Trainer(tiny_2d(r1_gamma=0.5, r1_every=4, n_critic=3))
    for _ in range(3):
        lazy.train_step()
    assert lazy.d_updates == 9 and len(calls) == 3  # updates 0, 4 and 8

    lazy, eager, plain = (Trainer(tiny_2d(r1_gamma=g, r1_every=k)) for g, k in ((0.5, 4), (2.0, 1), (0.0, 1)))
    m_lazy, m_plain = lazy.step(), (eager.step(), plain.step())[1]
    for a, b in zip(lazy.D.parameters(), eager.D.parameters()):
        torch.testing.assert_close(a, b)  # same first update as γ·k every time
    assert lazy.last_r1.item() > 0
    assert m_lazy["d_loss"] == pytest.approx(m_plain["d_loss"] + 0.5 * 0.5 * lazy.last_r1.item(), rel=1e-5)
    before, n_calls = lazy.last_r1.clone(), len(calls)
    lazy.step()  # update 1: no R1, and the report reuses the last value
    assert torch.equal(lazy.last_r1, before) and len(calls) == n_calls and not lazy.last_r1.requires_grad


def test_r1_every_is_a_live_field():
    t = Trainer(tiny_2d(r1_gamma=0.1))
    assert t.update(r1_every=16) == (["r1_every"], []) and t.config.r1_every == 16
    with pytest.raises(ValueError, match=r"r1_every=0 is out of range: it must be an integer in 1\.\.64"):
        t.update(r1_every=0)


def test_loading_weights_forgets_the_last_lazy_r1_value():
    t = Trainer(tiny_2d(r1_gamma=1.0, r1_every=4))
    t.train_step()  # d_update 0 computes R1
    assert t.last_r1.item() > 0
    t.load_weights(t.weights())  # a rollback: the stored R1 belonged to the weights that came before
    assert t.last_r1.item() == 0
