"""Stacked training: K same-shape sessions in one vectorised step, each getting its own lone update."""

import math

import pytest
import torch

from ganapp.engine import Engine
from ganapp.session import PAUSED, RUNNING, TrainingSession
from ganapp.stack import StackedTrainer, stack_key
from ganapp.trainer import Trainer

from conftest import tiny_2d, tiny_image, wait_until


def _state(t: Trainer) -> list[torch.Tensor]:
    """Every weight and Adam moment of a trainer, in a fixed order."""
    out = [p.detach() for p in list(t.G.parameters()) + list(t.D.parameters())]
    for opt in (t.opt_g, t.opt_d):
        for p in opt.param_groups[0]["params"]:
            state = opt.state.get(p, {})
            out += [state["exp_avg"], state["exp_avg_sq"], torch.as_tensor(float(state["step"]))] if state else []
    return out


@pytest.mark.parametrize("changes", [
    {},  # ring8's defaults: non-saturating loss, lazy R1 every 8th D step
    {"loss": "wgan_gp", "n_critic": 3, "r1_gamma": 0.0},  # the gradient penalty, ε from each member's generator
    {"loss": "minimax", "r1_gamma": 0.0},
    {"loss": "hinge", "r1_gamma": 1.0, "r1_every": 1},
])
def test_a_stacked_step_gives_each_member_its_lone_update(changes):
    # members differ in seed, learning rates, betas, γ and r1_every's phase: all may differ within a stack
    configs = [tiny_2d(seed=0, **changes), tiny_2d(seed=1, lr_g=2e-3, beta1=0.0, beta2=0.9, **changes),
               tiny_2d(seed=2, lr_d=3e-4, **changes)]
    if changes.get("r1_gamma", 0.03) > 0:
        configs[2] = configs[2].replace(r1_gamma=0.5)
    lone, stacked = [Trainer(c) for c in configs], [Trainer(c) for c in configs]
    lone[1].train_step()  # member 1 starts two steps ahead: its Adam step count and R1 phase differ
    lone[1].train_step()
    stacked[1].train_step()
    stacked[1].train_step()
    stack = StackedTrainer(stacked)
    for _ in range(12):
        rows_lone = torch.stack([t.train_step() for t in lone])  # (3, 4)
        rows_stacked = stack.train_step()
        torch.testing.assert_close(rows_stacked, rows_lone, rtol=1e-4, atol=1e-5)
    stack.write_back_all()
    for a, b in zip(lone, stacked):
        assert a.step_count == b.step_count and a.d_updates == b.d_updates
        for x, y in zip(_state(a), _state(b), strict=True):
            torch.testing.assert_close(y, x, rtol=1e-4, atol=1e-6)
    for t in stacked:  # after the write-back each trainer trains on alone, from its Adam state
        t.train_step()


def test_stack_keys_group_by_shape_and_keep_unstackable_models_alone():
    assert stack_key(Trainer(tiny_2d(seed=0))) == stack_key(Trainer(tiny_2d(seed=5, lr_g=1e-2, beta1=0.0)))
    assert stack_key(Trainer(tiny_2d())) != stack_key(Trainer(tiny_2d(g_width=12)))
    assert stack_key(Trainer(tiny_2d())) != stack_key(Trainer(tiny_2d(batch_size=32)))
    assert stack_key(Trainer(tiny_2d())) != stack_key(Trainer(tiny_2d(loss="hinge")))
    assert stack_key(Trainer(tiny_image())) is None  # a DCGAN's BatchNorm statistics: alone
    assert stack_key(Trainer(tiny_2d(g_ema=0.99))) is None
    with pytest.raises(ValueError, match="cannot share a stacked step"):
        StackedTrainer([Trainer(tiny_2d()), Trainer(tiny_2d(g_width=12))])


def test_a_nan_in_one_stacked_session_rolls_back_only_that_one():
    engine = Engine(quantum_s=0.05)
    # same shape, so the three share one stack; only the middle one has a learning rate that blows up
    configs = [tiny_2d(seed=0, r1_gamma=0.0), tiny_2d(seed=1, r1_gamma=0.0, lr_g=1e6, lr_d=1e6, beta1=0.0, beta2=0.0,
                                                    g_width=8), tiny_2d(seed=2, r1_gamma=0.0)]
    runs = [TrainingSession(c, engine=engine, publish_every_s=0.05) for c in configs]
    try:
        assert len({stack_key(s.trainer) for s in runs}) == 1
        for s in runs:
            s.start()
        assert wait_until(lambda: runs[1].state == PAUSED, 20)
        snap = runs[1].snapshot()
        assert "non-finite" in snap.message and "rolled back" in snap.message
        engine.release(runs[1].trainer)
        assert runs[1].trainer.weights_finite() and runs[1].trainer.step_count == snap.step
        steps = [s.snapshot(None).step for s in runs]
        assert wait_until(lambda: all(runs[i].snapshot(None).step > steps[i] + 20 for i in (0, 2)), 20)
        assert runs[0].state == runs[2].state == RUNNING and runs[0].snapshot(None).message == ""
        for s in (runs[0], runs[2]):
            with engine.lock:
                engine.sync(s.trainer)
                assert s.trainer.weights_finite()
            assert all(math.isfinite(v) for col in s.snapshot().metrics.values() for v in col)
    finally:
        for s in runs:
            s.stop()
        engine.close()


def test_an_exception_in_one_member_fails_only_that_session():
    engine = Engine(quantum_s=0.05)
    runs = [TrainingSession(tiny_2d(seed=i), engine=engine, publish_every_s=0.05) for i in range(3)]
    try:
        def boom(batch_size):
            raise RuntimeError("disk on fire")

        runs[1].trainer.data.next_labelled = boom  # breaks the stacked step, then its own lone step
        for s in runs:
            s.start()
        assert wait_until(lambda: runs[1].state == "error", 10)
        assert "disk on fire" in runs[1].snapshot(None).message
        steps = [s.snapshot(None).step for s in runs]
        assert wait_until(lambda: all(runs[i].snapshot(None).step > steps[i] + 10 for i in (0, 2)), 10)
    finally:
        for s in runs:
            s.stop()
        engine.close()


def test_the_engine_thread_ends_when_nothing_trains_and_comes_back_on_start():
    engine = Engine(idle_exit_s=0.2)
    s = TrainingSession(tiny_2d(), engine=engine)
    try:
        s.step(5)
        assert wait_until(lambda: s.state == PAUSED and s.snapshot(None).step == 5, 10)
        assert wait_until(lambda: engine._thread is None, 5)  # idle: no thread left behind
        s.start()
        assert wait_until(lambda: s.state == RUNNING and s.snapshot(None).step > 10, 10)
        s.stop()
        assert not engine.holds(s) and wait_until(lambda: engine._thread is None, 5)
    finally:
        s.stop()
        engine.close()
