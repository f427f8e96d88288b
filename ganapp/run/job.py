"""A training run's state machine and the engine's side of it (:class:`ganapp.engine.engine.Job`).

:class:`SessionJob` is the part of :class:`ganapp.run.session.TrainingSession` that the engine calls: whether the run
wants a step, its stack key, each step's bookkeeping, publishing and settling. It also holds the state machine that
the session's commands drive. It is a base class, not a session of its own: the fields it reads are set by
``TrainingSession._build`` and documented there.

Locks: the engine calls these methods with ``Engine.lock`` held; ``_lock`` is the session's control lock, taken after
it (see :mod:`ganapp.engine.engine` for the order).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Hashable
from typing import Any

import torch

from ..engine.engine import Engine
from ..engine.stack import stack_key
from ..gan.presets import peer_class
from ..gan.trainer import Trainer
from .lessons import LessonRun
from .publisher import Publisher
from .slow_motion import SlowMotion

IDLE, WAITING, RUNNING, PAUSED, STOPPED, ERROR = "idle", "waiting", "running", "paused", "stopped", "error"
# Runs per grid_every_s of sample-grid and 2D-view refresh: beyond this many runs training at once, each run redraws
# less often. Profiled with 30 ring8 students (benchmarks/classroom.py), the engine spent most of its time drawing the
# 30 views (decision map, manifold, arrows, 2,500-sample metrics) once a second each, not training.
VIEW_SHARE = 10


class SessionJob:
    """States: idle → waiting (Start pressed, no step yet) → running ⇄ paused; stopped; error. Every change of state
    goes through :meth:`_set_state`, and the run's clock runs exactly while the state is running."""

    engine: Engine
    trainer: Trainer
    publisher: Publisher
    slow: SlowMotion
    lesson_run: LessonRun
    max_steps: int | None
    publish_every_s: float
    grid_every_s: float
    _state: str
    _message: str
    _want_run: bool
    _pending: int
    _unsettled: bool
    _not_before: float
    _next_publish: float
    _next_grid: float
    _speed: deque[tuple[float, int]]
    _elapsed_s: float
    _run_started: float | None
    _window: tuple[float, float] | None
    _run_over_s: float | None
    _at_limit: bool
    _rollback: Any
    _stack_key: tuple | None

    # ----- the state machine (callers hold _lock) -----

    def _set_state(self, state: str, message: str | None = None) -> None:
        """The one transition function: the clock runs exactly while the state is running."""
        now = time.perf_counter()
        if state == RUNNING and self._run_started is None:
            self._run_started = now
            self._speed.append((now, self.trainer.step_count))
        elif state != RUNNING and self._run_started is not None:
            self._elapsed_s += now - self._run_started
            self._run_started = None
        self._state = state
        if message is not None:
            self._message = message

    def _elapsed(self, now: float) -> float:
        return self._elapsed_s + (now - self._run_started if self._run_started is not None else 0.0)

    def _wants(self) -> bool:
        return (self._want_run or self._pending > 0) and self._state != ERROR

    # ----- the engine's side (see ganapp.engine.engine.Job; called with the engine lock held) -----

    def wants_work(self, now: float) -> bool:
        return self._wants() and now >= self._not_before

    def stack_key(self) -> Hashable | None:
        if self.slow.busy or self.lesson_run.paced_s > 0:
            return None  # paced by a lesson or held in slow motion: it trains alone, at its own pace
        trainer, config = self.trainer, self.trainer.config
        cached = self._stack_key
        if cached is None or cached[0] is not trainer or cached[1] is not config:  # a reset or a live change
            cached = self._stack_key = (trainer, config, stack_key(trainer))  # ~30 µs: asked every step
        return cached[2]

    def peer_key(self) -> Hashable | None:
        """2D runs at their dataset's default sizes, full or classroom (:func:`ganapp.gan.presets.peer_class`), share
        the machine by steps; paced, slow-motion and every other run by time (see :mod:`ganapp.engine.engine`)."""
        if self.slow.busy or self.lesson_run.paced_s > 0:
            return None
        return peer_class(self.trainer.config)

    def begin_step(self, now: float) -> bool:
        """Mark running; in a timed run, set the lr decay for its progress, or end the run when its time is up; at
        the host's ``max_steps``, pause."""
        with self._lock:
            if not self._wants():
                return False
            if self.max_steps is not None and self.trainer.step_count >= self.max_steps:
                self._at_limit = True
                self._end_run(f"this server's limit of {self.max_steps:,} steps per run is reached")
                return False
            budget = self.lesson_run.budget_spent(self.trainer.step_count)
            if budget is not None:
                self._end_run(f"the lesson's budget of {budget:,} steps is spent")
                return False
            if self._state != RUNNING:
                self._set_state(RUNNING)
            window, elapsed = self._window, self._elapsed(now)
            progress = None if window is None else (elapsed - window[0]) / window[1]
            if progress is not None and progress >= 1.0:
                self._window, self._run_over_s = None, window[1]
                self._end_run(f"the timed run is over: {window[1] / 60:g} min of training")
                return False
        self.trainer.set_progress(progress)
        return True

    def _end_run(self, message: str) -> None:
        """The run wants no more steps (a limit, a lesson's budget, the end of a timed run), and says why. It shows
        as paused once its last steps are published, by the settle that follows (:meth:`publish` pauses a run that
        wants nothing), so that no reader sees it paused at an older step; at once when there is nothing to
        publish. Callers hold ``_lock``."""
        self._want_run, self._pending = False, 0
        if self._unsettled:
            self._message = message
        else:
            self._set_state(PAUSED, message)

    def lone_step(self) -> torch.Tensor | None:
        """One step alone, or in slow motion one D or G update held on screen (the full step's row comes once its
        last update has been shown for the slow-motion time)."""
        self._unsettled = True
        if not self.slow.busy:
            return self.trainer.train_step()
        row, hold_s = self.slow.advance(self.trainer, self.publisher)
        if hold_s > 0:
            self._not_before = time.perf_counter() + hold_s
        return row

    def end_step(self, row: torch.Tensor, now: float) -> bool:
        """Buffer the step's row and count it against a step(n) request. Returns True when a publish is due."""
        self.publisher.buffer.append(row)
        self._unsettled = True
        paced_s = self.lesson_run.paced_s
        with self._lock:
            if paced_s > 0:
                self._not_before = max(self._not_before, now + paced_s)
            if not self._want_run and self._pending > 0:
                self._pending -= 1
            idle = not self._want_run and self._pending == 0
        return idle or now >= self._next_publish

    def publish(self, now: float) -> bool:
        """Publish the rows, G and (when due) the grid or 2D view. Returns False when it rolled the run back."""
        self._next_publish = now + self.publish_every_s
        self.publisher.crowding = max(1.0, self.engine.training / VIEW_SHARE)  # scores, as views, share the CPU
        reason = self.publisher.flush(self.trainer)
        with self._lock:
            self._speed.append((now, self.trainer.step_count))
            idle = not self._wants()
            if reason is not None:
                self._want_run, self._pending = False, 0
                self._set_state(PAUSED, str(reason))
                self._rollback = reason
        if reason is not None or idle or now >= self._next_grid:
            self._next_grid = now + self.grid_every_s * max(1.0, self.engine.training / VIEW_SHARE)
            self.publisher.publish_grid(self.trainer)
        with self._lock:  # asked again: a command may have given it steps since (it then stays waiting)
            if not self._wants() and self._state in (RUNNING, WAITING):
                self._set_state(PAUSED)
        self._key_moment()
        self._unsettled = reason is None and not idle
        return reason is None

    def _clear_phase(self) -> None:
        """Training goes on: a lone D or G update named on screen is no longer the one shown (slow motion names
        its own phases as it goes)."""
        if not self.slow.mid_step:
            with self.publisher.lock:
                self.publisher.phase = ""

    def _key_moment(self) -> None:
        """Pause once at the lesson's key moment (see :meth:`LessonRun.key_moment`)."""
        if self.lesson_run.lesson is None or self.lesson_run.fired:
            return
        with self.publisher.lock:
            row = dict(self.publisher.view_metrics[-1]) if self.publisher.view_metrics else None
        with self._lock:
            if self.lesson_run.key_moment(row):
                self._want_run, self._pending = False, 0
                if self._state in (RUNNING, WAITING):
                    self._set_state(PAUSED)

    def settle_due(self) -> bool:
        """True when steps were done since the last publish and the session no longer trains."""
        return self._unsettled and not self._wants()

    def settle(self, now: float) -> None:
        """The final publish after the session stopped wanting steps (paused, stopped, timed run over)."""
        self.publish(now)
        self._unsettled = False

    def fail(self, error: BaseException) -> None:
        with self._lock:
            self._want_run, self._pending = False, 0
            self._set_state(ERROR, f"{type(error).__name__}: {error}")
