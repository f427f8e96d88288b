"""GANSpace directions, the time-lapse across saved generators, and fine-tuning from a checkpoint."""

from __future__ import annotations

import pytest
import torch

from conftest import tiny_2d, tiny_image, wait_until
from ganapp.gan.checkpoints import load_checkpoint, save_checkpoint
from ganapp.gan.directions import edit, load_directions, principal_directions, save_directions
from ganapp.gan.latent import follow_z, seed_to_z
from ganapp.gan.trainer import Trainer, build_models
from ganapp.run.publisher import MAX_G_SNAPSHOTS, snapshot_milestones
from ganapp.run.run import Run


@pytest.fixture(scope="module")
def shipped():
    from ganapp.gan.checkpoints import CHECKPOINT_DIR

    return load_checkpoint(CHECKPOINT_DIR / "mnist_10k_dcgan.safetensors")


def test_head_then_tail_is_forward():
    for config in (tiny_image(), tiny_image(conditional=True), tiny_2d()):
        G = build_models(config)[0].eval()
        z = torch.randn(5, config.z_dim)
        y = torch.arange(5) if config.conditional else None
        assert torch.allclose(G.tail(G.head(z, y)), G(z, y))
        assert G.head(z, y).shape == (5, G.head_features)


def test_pca_directions_are_orthonormal_and_ordered(shipped):
    d = principal_directions(shipped.G, shipped.config.z_dim, k=6, n_samples=600)
    gram = d.components @ d.components.T
    assert torch.allclose(gram, torch.eye(6), atol=1e-4)
    assert (d.stds[:-1] >= d.stds[1:]).all() and (d.explained > 0).all() and d.explained.sum() <= 1
    again = principal_directions(shipped.G, shipped.config.z_dim, k=6, n_samples=600)
    assert torch.allclose(again.components, d.components, atol=1e-5)  # same G and seed: the same sliders


def test_moving_along_a_direction_changes_the_image_and_zero_does_not(shipped):
    d = principal_directions(shipped.G, shipped.config.z_dim, k=4, n_samples=400)
    z = seed_to_z(3, shipped.config.z_dim)
    base = edit(shipped.G, z, d.offset([0.0] * 4))
    assert torch.allclose(base, shipped.G(z), atol=1e-5)
    moved = [edit(shipped.G, z, d.offset([0, a, 0, 0])) for a in (1.0, 3.0)]
    change = [float((m - base).abs().mean()) for m in moved]
    assert 0.005 < change[0] < change[1]  # further along the axis, a larger change


def test_named_directions_apply_save_and_load(shipped, tmp_path):
    d = principal_directions(shipped.G, shipped.config.z_dim, k=3, n_samples=300)
    v = d.name("thick strokes", [1.0, -0.5, 0.0])
    assert torch.allclose(d.offset([], {"thick strokes": 2.0}), 2 * v)
    with pytest.raises(ValueError, match="at 0"):
        d.name("nothing", [0, 0, 0])
    with pytest.raises(ValueError, match="not saved"):
        d.offset([], {"slant": 1.0})
    back = load_directions(save_directions(tmp_path / "dirs.safetensors", d, source="mnist_10k_dcgan"))
    assert torch.allclose(back.components, d.components) and torch.allclose(back.named["thick strokes"], v)
    with pytest.raises(ValueError, match="directions file"):
        load_directions(tmp_path / "missing.safetensors")


def test_directions_reject_bad_arguments(shipped):
    with pytest.raises(ValueError, match="k=0"):
        principal_directions(shipped.G, shipped.config.z_dim, k=0)
    with pytest.raises(ValueError, match="n_samples"):
        principal_directions(shipped.G, shipped.config.z_dim, k=8, n_samples=10)


def test_follow_z_orders_by_step_and_uses_the_same_z(tmp_path):
    config = tiny_image()
    trainer = Trainer(config)
    saved = []
    for step in (0, 3, 6):
        while trainer.step_count < step:
            trainer.train_step()
        saved.append(load_checkpoint(save_checkpoint(tmp_path / f"s{step}.safetensors", trainer.G, config,
                                                     trainer.step_count)))
    z = seed_to_z(1, config.z_dim)
    steps, x = follow_z([(c.step, c.G) for c in reversed(saved)], z)
    assert steps == [0, 3, 6] and x.shape == (3, 1, 28, 28)
    assert torch.allclose(x[2], saved[2].G(z)[0])
    with pytest.raises(ValueError, match="empty"):
        follow_z([], z)


def test_session_keeps_generators_at_milestones_for_the_time_lapse():
    assert snapshot_milestones(1000) == [0, 25, 50, 100, 150, 200, 300, 500, 750, 1000]
    s = Run(tiny_2d(), publish_every_s=0.0)
    try:
        s.step(120)
        assert wait_until(lambda: s.snapshot(None).step == 120 and s.state == "paused", 30)
        steps = [step for step, _ in s.g_snapshots()]
        assert steps[0] == 0 and steps == sorted(steps) and len(steps) >= 4 and steps[-1] >= 100
        first, last = s.g_snapshots()[0][1], s.g_snapshots()[-1][1]
        z = torch.randn(4, 2)
        assert not torch.allclose(first(z), last(z))  # frozen copies, not the live G
    finally:
        s.stop()
    assert MAX_G_SNAPSHOTS >= 16


def test_session_fine_tunes_from_a_checkpoint(tmp_path):
    config = tiny_image()
    trainer = Trainer(config)
    for _ in range(3):
        trainer.train_step()
    ckpt = load_checkpoint(save_checkpoint(tmp_path / "c.safetensors", trainer.G, config, trainer.step_count,
                                           D=trainer.D, fixed_z=trainer.fixed_z))
    s = Run(config.replace(lr_g=1e-4), init=ckpt)
    try:
        assert s.snapshot(None).step == 3
        z = torch.randn(2, config.z_dim)
        assert torch.allclose(s.generate(z), ckpt.G(z), atol=1e-6)
        assert all(torch.equal(v, ckpt.d_state[k]) for k, v in s.trainer.D.state_dict().items())
        s.step(2)
        assert wait_until(lambda: s.snapshot(None).step == 5, 30)
        with pytest.raises(ValueError, match="do not fit"):
            Run(config.replace(g_width=8), init=ckpt)
    finally:
        s.stop()
