"""Stacked training: K same-shape sessions in one vectorised step, each getting its own lone update."""

import math
import time

import pytest
import torch

from ganapp.engine.engine import Engine
from ganapp.engine.stack import StackedTrainer, stack_key
from ganapp.gan.trainer import Trainer
from ganapp.run.run import PAUSED, RUNNING, Run

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


@pytest.fixture
def on_one_engine():
    """Makes sessions from configs on one shared engine (started unless ``start`` is False); stops them and the
    engine afterwards."""
    made = []

    def make(configs, start=True, publish_every_s=0.05):
        engine = Engine(quantum_s=0.05)
        runs = [Run(c, engine=engine, publish_every_s=publish_every_s) for c in configs]
        made.append((engine, runs))
        for s in runs if start else ():
            s.start()
        return engine, runs

    yield make
    for engine, runs in made:
        for s in runs:
            s.stop()
        engine.close()


def _others_go_on(runs, faulty: int, by: int) -> bool:
    """Whether every session but ``faulty`` advances ``by`` more steps."""
    steps = [s.snapshot(None).step for s in runs]
    return wait_until(lambda: all(s.snapshot(None).step > n + by for i, (s, n) in enumerate(zip(runs, steps))
                                  if i != faulty), 20)


def test_a_nan_in_one_stacked_session_rolls_back_only_that_one(on_one_engine):
    # same shape, so the three share one stack; only the middle one has a learning rate that blows up
    engine, runs = on_one_engine([tiny_2d(seed=0, r1_gamma=0.0), tiny_2d(seed=1, r1_gamma=0.0, lr_g=1e6, lr_d=1e6,
                                                                         beta1=0.0, beta2=0.0),
                                  tiny_2d(seed=2, r1_gamma=0.0)])
    assert len({stack_key(s.trainer) for s in runs}) == 1
    assert wait_until(lambda: runs[1].state == PAUSED, 20)
    snap = runs[1].snapshot()
    assert "non-finite" in snap.message and "rolled back" in snap.message
    engine.release(runs[1].trainer)
    assert runs[1].trainer.weights_finite() and runs[1].trainer.step_count == snap.step
    assert _others_go_on(runs, faulty=1, by=20)
    assert runs[0].state == runs[2].state == RUNNING and runs[0].snapshot(None).message == ""
    for s in (runs[0], runs[2]):
        with engine.lock:
            engine.sync(s.trainer)
            assert s.trainer.weights_finite()
        assert all(math.isfinite(v) for col in s.snapshot().metrics.values() for v in col)


def test_an_exception_in_one_member_fails_only_that_session(on_one_engine):
    def boom(batch_size):
        raise RuntimeError("disk on fire")

    _, runs = on_one_engine([tiny_2d(seed=i) for i in range(3)], start=False)
    runs[1].trainer.data.next_labelled = boom  # breaks the stacked step, then its own lone step
    for s in runs:
        s.start()
    assert wait_until(lambda: runs[1].state == "error", 10)
    assert "disk on fire" in runs[1].snapshot(None).message
    assert _others_go_on(runs, faulty=1, by=10)


def test_the_engine_thread_ends_when_nothing_trains_and_comes_back_on_start():
    engine = Engine(idle_exit_s=0.2)
    s = Run(tiny_2d(), engine=engine)
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


class _TimedJob:
    """A stand-in engine job whose every step takes ``step_s`` seconds (sleeping, so machine load does not matter),
    with the peer key ``peer`` (None: it shares by time)."""

    def __init__(self, step_s: float, peer=None):
        self.trainer = object()
        self.step_s, self.peer, self.busy_s, self.steps = step_s, peer, 0.0, 0

    def wants_work(self, now):
        return True

    def stack_key(self):
        return None

    def peer_key(self):
        return self.peer

    def begin_step(self, now):
        return True

    def lone_step(self):
        import time

        time.sleep(self.step_s)
        self.busy_s += self.step_s
        self.steps += 1
        return torch.zeros(4)

    def end_step(self, row, now):
        return False

    def settle_due(self):
        return False

    def fail(self, error):  # pragma: no cover - a stand-in never fails
        raise error


def test_sessions_of_different_shapes_get_fair_time_even_when_one_step_outlasts_the_quantum():
    engine = Engine(quantum_s=0.01, background=False)
    slow, fast = _TimedJob(0.04), _TimedJob(0.005)  # a DCGAN-like step of 4 quanta beside a small MLP's
    engine.submit(slow)
    engine.submit(fast)
    engine.run_for(1.5)
    share = slow.busy_s / (slow.busy_s + fast.busy_s)
    assert 0.3 < share < 0.7, (slow.steps, fast.steps)  # without the deficit: 40 ms a round against 10 ms, 80%
    assert fast.steps > 3 * slow.steps


def test_a_checkpoint_saved_while_stacked_holds_the_stacks_current_weights(on_one_engine, tmp_path):
    from ganapp.gan.checkpoints import load_checkpoint

    # publishing writes weights back too; a long publish interval leaves the trainer's own modules stale meanwhile
    engine, runs = on_one_engine([tiny_2d(seed=0), tiny_2d(seed=1)], publish_every_s=60.0)
    assert wait_until(lambda: all(s.trainer.step_count > 30 for s in runs), 20)
    with engine.lock:  # between two stacked steps: the stack's slice is the run's current G
        path = runs[0].save_checkpoint(tmp_path / "a.safetensors")
        stack = engine._stacks[engine._stack_of[id(runs[0].trainer)]]
        k = stack.members.index(runs[0].trainer)
        current = [p[k].detach().clone() for p in stack.g_params]
        step = runs[0].trainer.step_count
    ckpt = load_checkpoint(path)
    assert ckpt.step == step > 30 and runs[0].state == RUNNING
    for saved, live in zip(ckpt.G.parameters(), current, strict=True):
        torch.testing.assert_close(saved.detach(), live)


def test_settings_changed_live_while_stacked_regroup_the_runs_and_never_stop_the_engine(on_one_engine):
    # a loss changed on one member between two stacked steps of its group (the teacher's lesson, or a student's
    # control) made the engine build a stack of members whose keys differ, and its thread died
    _, (a, b, c) = on_one_engine([tiny_2d(r1_gamma=0.0), tiny_2d(seed=1, r1_gamma=0.0), tiny_2d(seed=2, r1_gamma=0.0)])
    for s in (a, b, c):
        s.start()
    assert wait_until(lambda: all(s.snapshot(None).step > 5 for s in (a, b, c)), 10)
    for i in range(60):
        (a, b, c)[i % 3].update(loss="minimax" if i % 2 else "non_saturating")
        time.sleep(0.005)
    steps = [s.trainer.step_count for s in (a, b, c)]
    assert wait_until(lambda: all(s.trainer.step_count > n + 20 for s, n in zip((a, b, c), steps)), 10)
    assert all(s.state == RUNNING for s in (a, b, c))
