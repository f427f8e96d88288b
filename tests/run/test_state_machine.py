"""The run's state machine (ganapp/run/state_machine.py): its moves, its clock, and a Run that moves only by it."""

from __future__ import annotations

import pytest

from conftest import tiny_2d, wait_until
from ganapp.run.state_machine import (ERROR, IDLE, PAUSED, RUNNING, STATES, STOPPED, TRANSITIONS, WAITING,
                                      IllegalTransition, RunStateMachine)


def test_every_state_has_its_moves_and_error_is_left_only_by_a_new_machine():
    assert set(TRANSITIONS) == set(STATES)
    for state, targets in TRANSITIONS.items():
        assert state in targets and ERROR in targets and targets <= set(STATES)
    assert TRANSITIONS[ERROR] == {ERROR}
    assert {s for s, targets in TRANSITIONS.items() if RUNNING in targets} == {WAITING, RUNNING}


def test_a_move_the_table_does_not_allow_is_refused_and_changes_nothing():
    sm = RunStateMachine()
    with pytest.raises(IllegalTransition, match="from idle to running"):
        sm.move(RUNNING, now=1.0, step=0)
    assert sm.state == IDLE and sm.elapsed(5.0) == 0.0 and not sm.speed
    sm.move(ERROR, now=1.0, step=0, message="boom")
    for state in (IDLE, WAITING, PAUSED, STOPPED):
        with pytest.raises(IllegalTransition):
            sm.move(state, now=2.0, step=0)
    assert (sm.state, sm.message) == (ERROR, "boom")


def test_the_clock_runs_exactly_while_running_and_it_s_reads_the_speed_samples():
    sm = RunStateMachine(elapsed_s=10.0, window=(4.0, 60.0))
    assert sm.elapsed(100.0) == 10.0 and sm.window == (4.0, 60.0)
    sm.move(WAITING, now=100.0, step=0)
    assert sm.elapsed(150.0) == 10.0  # waiting: the clock stands
    sm.move(RUNNING, now=200.0, step=0)
    assert sm.elapsed(203.0) == 13.0
    sm.speed.append((202.0, 40))
    assert sm.it_s(203.0) == pytest.approx(20.0)  # 40 steps in 2 s
    sm.move(PAUSED, now=204.0, step=40, message="paused")
    assert sm.elapsed(999.0) == 14.0 and sm.it_s(999.0) == 0.0 and sm.message == "paused"
    with pytest.raises(ValueError, match="elapsed_s"):
        RunStateMachine(elapsed_s=float("nan"))


def test_wants_follows_the_requests_and_a_failure():
    sm = RunStateMachine()
    assert not sm.wants()
    sm.pending = 3
    assert sm.wants()
    sm.want_nothing()
    sm.want_run = True
    assert sm.wants()
    sm.move(ERROR, now=0.0, step=0)
    assert not sm.wants()


def test_a_run_changes_state_only_through_its_machine(monkeypatch):
    """Every state a run goes through in start, pause, step, stop and reset is a move of its machine."""
    from ganapp.run.run import Run

    seen: list[tuple[str, str]] = []
    move = RunStateMachine.move

    def recording(self, state, now, step, message=None):
        seen.append((self.state, state))
        move(self, state, now, step, message)

    monkeypatch.setattr(RunStateMachine, "move", recording)
    run = Run(tiny_2d())
    try:
        run.start()
        assert wait_until(lambda: run.step_count >= 3 and run.state == RUNNING, 60)
        run.pause()
        assert run.state == PAUSED
        run.step(2)
        assert wait_until(lambda: run.state == PAUSED and run.snapshot(None).step >= 5, 60)
        run.stop()
        assert run.state == STOPPED
        run.reset()
        assert run.state == IDLE
    finally:
        run.stop()
    assert (IDLE, WAITING) in seen and (WAITING, RUNNING) in seen and (RUNNING, PAUSED) in seen
    assert (PAUSED, WAITING) in seen and (PAUSED, STOPPED) in seen
    assert all(target in TRANSITIONS[source] for source, target in seen)
