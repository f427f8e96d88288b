"""A class's churn costs only the run that churns: live changes keep the stack, members join and leave it in place,
and runs at the class's default sizes share the machine by steps."""

import pytest
import torch

from ganapp.engine.engine import Engine
from ganapp.engine.stack import StackedTrainer, stack_key
from ganapp.gan.config import GANConfig
from ganapp.gan.presets import CLASSROOM_2D, classroom_config, peer_class, young_at_full_size
from ganapp.gan.trainer import Trainer
from ganapp.run.run import PAUSED, RUNNING, Run

from conftest import tiny_2d, wait_until
from test_stack import _state, _TimedJob


def test_members_leave_and_join_a_stack_and_every_member_still_gets_its_lone_update():
    configs = [tiny_2d(seed=i, lr_g=1e-3 * (i + 1)) for i in range(4)]
    lone, stacked = [Trainer(c) for c in configs], [Trainer(c) for c in configs]
    stack = StackedTrainer(stacked[:3])
    rows = stack.train_step()
    torch.testing.assert_close(rows, torch.stack([t.train_step() for t in lone[:3]]), rtol=1e-4, atol=1e-5)
    stack.remove(stacked[1])  # member 1 pauses: it leaves with its state, the others keep their rows
    assert stack.members == [stacked[0], stacked[2]]
    for _ in range(3):
        rows = stack.train_step()
        torch.testing.assert_close(rows, torch.stack([lone[0].train_step(), lone[2].train_step()]), rtol=1e-4,
                                   atol=1e-5)
    stacked[3].train_step()  # a run that trained alone first, and member 1 coming back: both join at the end
    lone[3].train_step()
    stack.add([stacked[3], stacked[1]])
    order = [0, 2, 3, 1]
    assert stack.members == [stacked[i] for i in order]
    for _ in range(3):
        rows = stack.train_step()
        torch.testing.assert_close(rows, torch.stack([lone[i].train_step() for i in order]), rtol=1e-4, atol=1e-5)
    stack.write_back_all()
    for a, b in zip(lone, stacked):
        assert a.step_count == b.step_count and a.d_updates == b.d_updates
        for x, y in zip(_state(a), _state(b), strict=True):
            torch.testing.assert_close(y, x, rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="stack keys differ"):
        stack.add([Trainer(tiny_2d(g_width=12))])
    with pytest.raises(ValueError, match="twice"):
        stack.add([stacked[0]])


@pytest.fixture
def three_stacked():
    """Three running ring8 sessions on one engine, stacked; yields (engine, sessions, key)."""
    engine = Engine(quantum_s=0.05)
    runs = [Run(tiny_2d(seed=i), engine=engine, publish_every_s=0.05) for i in range(3)]
    for s in runs:
        s.start()
    key = stack_key(runs[0].trainer)
    assert wait_until(lambda: all(s.snapshot(None).step > 3 for s in runs)
                      and len(engine._stacks.get(key, ())) == 3, 20)
    yield engine, runs, key
    for s in runs:
        s.stop()
    engine.close()


def _stack(engine, key):
    with engine.lock:
        return engine._stacks.get(key)


def test_a_live_change_that_keeps_the_stack_key_leaves_the_stack_as_it_is(three_stacked):
    engine, (a, b, c), key = three_stacked
    stack = _stack(engine, key)
    applied, needs_reset = b.update(lr_g=5e-4, beta1=0.0, r1_gamma=0.2)
    assert applied == ["lr_g", "beta1", "r1_gamma"] and needs_reset == []
    with engine.lock:  # neither written back nor taken apart: b is still a member
        assert engine._stacks[key] is stack and engine._stack_of[id(b.trainer)] == key
    step = b.snapshot(None).step
    assert wait_until(lambda: b.snapshot(None).step > step + 10, 20)
    assert _stack(engine, key) is stack and len(stack) == 3  # and no round built it again
    k = stack.members.index(b.trainer)
    assert stack.members[k].config.lr_g == 5e-4  # the stacked step reads the member's own rates at each step
    assert all(s.state == RUNNING for s in (a, b, c))


def test_a_change_of_stack_key_takes_only_that_run_out_of_the_stack(three_stacked):
    engine, (a, b, c), key = three_stacked
    stack = _stack(engine, key)
    b.update(batch_size=32)  # another shape: b trains alone from now on
    steps = [s.snapshot(None).step for s in (a, b, c)]
    assert wait_until(lambda: all(s.snapshot(None).step > n + 10 for s, n in zip((a, b, c), steps)), 20)
    assert _stack(engine, key) is stack and stack.members == [a.trainer, c.trainer]


def test_a_member_that_pauses_leaves_and_rejoins_the_same_stack(three_stacked):
    engine, (a, b, c), key = three_stacked
    stack = _stack(engine, key)
    b.pause()
    assert wait_until(lambda: b.state == PAUSED and len(stack) == 2, 10)
    step = a.snapshot(None).step
    assert wait_until(lambda: a.snapshot(None).step > step + 10, 20)
    assert _stack(engine, key) is stack and b.trainer not in stack.members
    b.start()
    assert wait_until(lambda: len(stack) == 3, 10)
    assert _stack(engine, key) is stack and stack.members[-1] is b.trainer
    b.reset()  # a Reset: the old trainer leaves; the new one joins the same stack once started
    b.start()
    assert wait_until(lambda: len(stack) == 3 and stack.members[-1] is b.trainer, 10)
    assert _stack(engine, key) is stack


def test_the_peer_class_is_a_2d_run_at_its_datasets_default_or_classroom_sizes():
    ring8 = GANConfig.default_for("ring8")
    assert peer_class(ring8) == peer_class(classroom_config(ring8)) == "2d"
    assert peer_class(ring8.replace(lr_g=5e-4, loss="hinge")) == "2d"  # rates and losses cost the same
    assert peer_class(GANConfig.default_for("grid25", **CLASSROOM_2D)) == "2d"
    assert peer_class(ring8.replace(g_width=96)) is None  # sizes a visitor chose
    assert peer_class(ring8.replace(n_critic=3)) is None
    assert peer_class(GANConfig.default_for("mnist_10k")) is None
    assert young_at_full_size(ring8, 10.0) and not young_at_full_size(ring8, 600.0)
    assert not young_at_full_size(classroom_config(ring8), 10.0)  # in the class's sizes already
    assert not young_at_full_size(ring8.replace(g_width=96), 10.0)


def _run(share: str, jobs: list[_TimedJob], seconds: float = 2.0) -> None:
    engine = Engine(quantum_s=0.01, background=False, share=share)
    for j in jobs:
        engine.submit(j)
    engine.run_for(seconds)


def test_peers_share_by_steps_and_everyone_else_by_time():
    # a full-size run built before the class came costs 4 times a classroom-size run's step
    full, small, chosen = _TimedJob(0.008, "2d"), _TimedJob(0.002, "2d"), _TimedJob(0.008, None)
    _run("steps", [full, small, chosen])
    assert full.steps >= 0.7 * small.steps, (full.steps, small.steps)
    assert chosen.steps < 0.5 * full.steps, (chosen.steps, full.steps)  # sizes a visitor chose: their time share
    full, small = _TimedJob(0.008, "2d"), _TimedJob(0.002, "2d")
    _run("time", [full, small])  # the engine as it was: equal time, a quarter of the steps
    assert full.steps < 0.5 * small.steps, (full.steps, small.steps)
    with pytest.raises(ValueError, match="share"):
        Engine(share="fair")
