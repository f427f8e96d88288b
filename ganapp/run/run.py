"""One visitor's training run: :class:`Run`, a state machine with commands over a trainer.

A run owns no thread: a shared :class:`~ganapp.engine.engine.Engine` drives its steps (stacked with other runs of the
same shape, or alone), and a :class:`~ganapp.run.publisher.Publisher` owns what readers see. Nothing here knows about
widgets. The class has three faces, in this order:

- its commands (any thread): building, start, pause, resume, step, stop, update, lessons and slow motion, autosaves and
  checkpoints;
- the engine's side (:class:`ganapp.engine.engine.Job`, called with the engine's lock held); both drive the run's
  :class:`~ganapp.run.state_machine.RunStateMachine` (idle → waiting → running ⇄ paused; stopped; error);
- its readers (any thread, never waiting for a step): snapshots, rows, history, G and the time-lapse.

Locks: see :mod:`ganapp.engine.engine` for their order (engine lock, then this run's ``_lock``, then the publisher's).
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..engine.engine import Engine
from ..engine.stack import stack_key
from ..gan.checkpoints import (MAX_STEP, Checkpoint, check_finite, check_shapes, save_checkpoint,
                               tensor_shapes)
from ..gan.config import GANConfig
from ..gan.presets import peer_class
from ..gan.trainer import Trainer
from .lessons import LESSONS, Lesson, LessonRun
from .publisher import Publisher, Scorer, Snapshot, full_step_row
from .slow_motion import MAX_SLOW_MOTION_S, SlowMotion
from .state_machine import ERROR, IDLE, PAUSED, RUNNING, STATES, STOPPED, WAITING, RunStateMachine

# Runs per grid_every_s of sample-grid and 2D-view refresh: beyond this many runs training at once, each run redraws
# less often. Profiled with 30 ring8 students (benchmarks/classroom.py), the engine spent most of its time drawing the
# 30 views (decision map, manifold, arrows, 2,500-sample metrics) once a second each, not training.
VIEW_SHARE = 10
MAX_STEP_REQUEST = 10_000
_BUILDS = itertools.count(1)  # Run.build_id


class RunRefusedError(RuntimeError):
    """A command that the run cannot take in its state now (another tab's command may have changed it), with a code
    for the page to say why in the reader's language.

    Attributes:
        reason: ``running`` (it trains: pause it before stepping), ``failed`` (reset it; ``detail`` is why it
            failed) or ``step_limit`` (it has done the host's ``max_steps`` G updates; ``detail`` is that limit).
        detail: as ``reason`` says, or None.
    """

    def __init__(self, reason: str, message: str, detail: Any = None):
        super().__init__(message)
        self.reason, self.detail = reason, detail

    def __reduce__(self):  # pickled whole across the training worker's boundary (see ganapp.service.worker)
        return type(self), (self.reason, self.args[0], self.detail)


class Run:
    """One run of a :class:`~ganapp.gan.trainer.Trainer`, driven by an :class:`~ganapp.engine.engine.Engine`.

    States: idle → waiting (Start pressed, no step yet) → running ⇄ paused; stopped; error. The run owns a
    :class:`~ganapp.run.state_machine.RunStateMachine` (its state, what it wants, its clock), and every change of
    state is one of that machine's moves (:meth:`_move`).

    All methods are thread-safe and return at once (``stop`` waits up to ``timeout_s`` for the step in progress).

    Args:
        config: the run's config.
        engine: the engine that trains it, shared by every run of a server; a private one (with its own
            thread, started on demand) when None.
        publish_every_s: how often metrics are published and G is copied for readers, in seconds (the page polls
            at 2 Hz, so publishing faster would only cost training time).
        grid_every_s: how often the fixed_z grid (or the 2D view) is redrawn, in seconds; with more than
            ``VIEW_SHARE`` runs training on the engine, proportionally less often.
        max_frames: time-lapse frames kept (older ones are thinned to every other).
        download: whether a downloadable dataset may be fetched.
        init: a :class:`~ganapp.gan.checkpoints.Checkpoint` to fine-tune: its G and D weights (D fresh when it has
            none), fixed_z and step count replace the fresh ones. Its config must build the same networks as
            ``config``.
        scorer_for: called with each new config; returns a function that scores a frozen G (for example
            :meth:`ganapp.gan.metrics.MNISTJudge.score_generator`), or None for no live scores.
        score_every_steps: G updates between two live scores (more while the server is crowded, see
            :class:`~ganapp.run.publisher.Publisher`'s ``crowding``).
        view_2d: for 2D datasets, compute the 2D view and its metrics at each grid refresh (off: points only).
        saved: an autosave, (tensors, meta) from :meth:`autosave_state`, to go on from (paused); see
            :meth:`from_autosave`.
        max_steps: a host's limit: the run pauses for good at this many G updates (it may be reset); None: none.

    Attributes:
        build_id: a number that changes with every build of the run (construction, reset), never reused: a reader
            that caches what it drew from the run knows when to draw it again.

    Raises:
        ValueError, ganapp.gan.data.DatasetUnavailableError: as :class:`~ganapp.gan.trainer.Trainer`; ValueError
            also when ``init`` or ``saved`` does not fit ``config``'s networks.
    """

    lost = False  # a run in this process is never lost with a worker (see ganapp.service.remote.WorkerRun.lost)

    def __init__(self, config: GANConfig, engine: Engine | None = None, publish_every_s: float = 0.5,
                 grid_every_s: float = 1.0, max_frames: int = 120, download: bool = True,
                 init: Checkpoint | None = None,
                 scorer_for: Callable[[GANConfig], Scorer | None] | None = None, score_every_steps: int = 500,
                 view_2d: bool = True, saved: tuple[dict[str, torch.Tensor], dict[str, Any]] | None = None,
                 max_steps: int | None = None):
        if score_every_steps < 1:
            raise ValueError(f"score_every_steps={score_every_steps} is out of range: it must be ≥ 1")
        if max_steps is not None and max_steps < 1:
            raise ValueError(f"max_steps={max_steps} is out of range: it must be ≥ 1")
        self.max_steps = max_steps
        self.engine = engine if engine is not None else Engine()
        self.publish_every_s = publish_every_s
        self.grid_every_s = grid_every_s
        self.max_frames = max_frames
        self.download = download
        self.scorer_for = scorer_for
        self.score_every_steps = score_every_steps
        self.view_2d = view_2d
        self._lock = threading.Lock()  # guards the control flags, the state and the run clock
        self.slow = SlowMotion()  # each D and G update held on screen (see set_slow_motion)
        self.lesson_run = LessonRun()  # its pace, step budget and key moment apply (see set_lesson)
        self._stack_key: tuple | None = None  # (trainer, config, its stack key), see stack_key()
        self.publisher: Publisher | None = None
        self._build(config, init, saved)

    @classmethod
    def new(cls, config: GANConfig | None, init: Checkpoint | None = None,
            saved: tuple[dict[str, torch.Tensor], dict[str, Any]] | None = None, **kwargs: Any) -> "Run":
        """A fresh run of ``config`` (fine-tuning ``init``), or, given ``saved`` = (tensors, meta), the run that
        autosave holds (see :meth:`from_autosave`; ``config`` is then unused). ``kwargs`` go to the constructor.

        Raises:
            as the constructor and :meth:`from_autosave`.
        """
        if saved is not None:
            return cls.from_autosave(*saved, **kwargs)
        return cls(config, init=init, **kwargs)

    @classmethod
    def from_autosave(cls, tensors: dict[str, torch.Tensor], meta: dict[str, Any], **kwargs: Any
                      ) -> "Run":
        """The run an autosave holds (see :meth:`autosave_state`), paused where it was saved: its G, D, optimisers,
        RNG, step, clock, history, time-lapse snapshots and scores. ``kwargs`` go to the constructor.

        An autosave is checked as strictly as a visitor's input before anything is built (see
        :func:`check_autosave`): a file on disk may have been damaged or edited.

        Raises:
            ValueError: the autosave holds an invalid config, a field of the wrong type or out of its range, tensors
                that do not fit its networks, or weights that are not finite.
            ganapp.gan.data.DatasetUnavailableError: its dataset cannot be read any more (an upload that is gone).
        """
        config = check_autosave(tensors, meta)
        try:
            return cls(config, saved=(tensors, meta), **kwargs)
        except (TypeError, AttributeError, KeyError, IndexError) as e:  # a part no check above reads, damaged
            raise ValueError(f"the autosave is damaged ({type(e).__name__}: {str(e)[:200]})") from None

    def autosave_state(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """Copies of everything the run needs to go on later, taken between two steps: (tensors, meta) for
        :meth:`ganapp.host.autosave.StateStore.write`. Holds training up only for the copies (no disk I/O). The history
        ends at the last published step, so a restored run may lack the rows of its last half second.

        Returns:
            tensors: the Trainer's (see :meth:`Trainer.state`) and the Publisher's (see :meth:`Publisher.state`),
            all on the CPU; meta: ``config`` (dict), ``trainer``, ``publisher`` and ``run`` (state, elapsed_s,
            timed-run window, slow motion) as JSON-ready values.
        """
        with self.engine.lock:
            self.engine.sync(self.trainer)
            trainer = self.trainer
            tensors, trainer_meta = trainer.state()
            pub_tensors, pub_meta = self.publisher.state()
            with self._lock:
                run = {"state": self._sm.state, "elapsed_s": self._sm.elapsed(time.perf_counter()),
                       "window": self._sm.window, "slow_motion_s": self.slow.seconds,
                       "lesson": self.lesson.name if self.lesson else None, "lesson_fired": self.lesson_run.fired}
        # "session": the key autosaves have always had for the run's own state, kept so that every autosave on disk
        # still loads
        return tensors | pub_tensors, {"config": trainer.config.to_dict(), "trainer": trainer_meta,
                                       "publisher": pub_meta, "session": run}

    def autosave_copy(self) -> tuple[tuple, dict[str, torch.Tensor], dict[str, Any]]:
        """(:meth:`save_key`, then :meth:`autosave_state`'s tensors and meta), all from the same moment."""
        with self.engine.lock:
            return self.save_key(), *self.autosave_state()

    def save_key(self) -> tuple:
        """Changes whenever the run has something an autosave does not hold yet (step, settings or state)."""
        return self.trainer.step_count, self.trainer.config, self._sm.state

    def _build(self, config: GANConfig, init: Checkpoint | None = None, saved: tuple | None = None) -> None:
        trainer = Trainer(config, download=self.download)
        if init is not None:
            try:
                trainer.start_from(init)
            except ValueError as e:
                raise ValueError(f"the checkpoint's networks do not fit the chosen settings ({e}): use its model, "
                                 f"z_dim and widths") from None
        if saved is not None:
            trainer.load_state(saved[0], saved[1]["trainer"])
        scorer = self.scorer_for(config) if self.scorer_for is not None else None
        publisher = Publisher(trainer, scorer, self.score_every_steps, self.max_frames, self.view_2d,
                              crowding=self.engine.training / VIEW_SHARE)
        if saved is not None:
            publisher.restore(trainer, saved[0], saved[1]["publisher"])
        publisher.publish_grid(trainer)
        with self.engine.lock, self._lock:
            if self.publisher is not None:
                self.publisher.close()
            self.trainer, self.publisher, self.build_id = trainer, publisher, next(_BUILDS)
            saved_run = saved[1]["session"] if saved is not None else None
            window = saved_run.get("window") if saved_run is not None else None
            # an autosaved run comes back with its clock and timed run where they were (paused, below)
            self._sm = RunStateMachine(float(saved_run["elapsed_s"]) if saved_run is not None else 0.0,
                                       tuple(window) if window else None)
            self._unsettled = False  # steps done that a final publish has not shown yet
            self._not_before = 0.0  # slow motion or a lesson's pace: no step before this time
            self.slow.clear()
            self._next_publish = self._next_grid = 0.0
            self._run_over_s: float | None = None
            self._at_limit = False  # paused at the host's max_steps
            self._rollback: Any = None  # the publisher's Rollback that paused the run, if one did
            self.lesson_run.fired, self.lesson_run.event = False, None
            if saved_run is not None:  # an autosaved run comes back paused
                self.slow.seconds = float(saved_run.get("slow_motion_s", 0.0))
                self.lesson_run = LessonRun(LESSONS.get(saved_run.get("lesson") or ""),
                                            bool(saved_run.get("lesson_fired", False)))
                if trainer.step_count > 0:
                    self._move(PAUSED)

    # ----- commands (any thread) -----

    def start(self, run_s: float | None = None) -> None:
        """Train continuously: from idle, or on after a pause or a stop.

        Args:
            run_s: a timed run: pause by itself after this many seconds of training from now (pauses excluded),
                with the learning rates falling to 0 over the config's ``lr_decay`` share of it at the end (see
                :func:`ganapp.gan.trainer.lr_factor`). 0 trains until paused at the configured rates; None keeps the
                timed run under way, if any (as ``resume()`` does).
        At the host's ``max_steps`` it goes no further: the engine pauses it at once, and its snapshot says why.

        Raises:
            ValueError: ``run_s`` is negative or not finite.
            RunRefusedError: the run failed (reset it first).
        """
        if run_s is not None and not (isinstance(run_s, (int, float)) and math.isfinite(run_s) and run_s >= 0):
            raise ValueError(f"run_s={run_s!r} is out of range: it must be a number of seconds ≥ 0")
        with self._lock:
            self._refuse_if_failed()
            self._sm.want_run, self._sm.pending = True, 0
            self._sm.message, self._run_over_s, self._at_limit, self._rollback = "", None, False, None
            self.lesson_run.event = None
            self._clear_phase()
            if run_s is not None:
                elapsed = self._sm.elapsed(time.perf_counter())
                self._sm.window = (elapsed, float(run_s)) if run_s > 0 else None
            if self._sm.state in (IDLE, PAUSED, STOPPED):
                self._move(WAITING)
        self.engine.submit(self)

    def resume(self) -> None:
        """Go on after a pause, within the timed run under way if any (``start()`` without a new run length)."""
        self.start()

    def pause(self) -> None:
        """Stop after the step in progress; ``resume()`` or ``step(n)`` go on from there. The clock stops now."""
        with self._lock:
            self._sm.want_nothing()
            if self._sm.state in (RUNNING, WAITING):
                self._move(PAUSED)

    def step(self, n: int = 1) -> None:
        """Run exactly ``n`` more steps, then pause (fewer when the host's ``max_steps`` comes first). Only while not
        running continuously.

        Raises:
            ValueError: ``n`` outside 1..10000.
            RunRefusedError: the run is running (pause first), failed (reset first), or has done the host's
                ``max_steps``.
        """
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_STEP_REQUEST:
            raise ValueError(f"n={n!r} is out of range: it must be an integer in 1..{MAX_STEP_REQUEST}")
        with self._lock:
            self._refuse_if_failed()
            if self._sm.want_run:
                raise RunRefusedError("running", "the run is training: pause it before stepping")
            self._refuse_at_limit()
            self._sm.pending += n
            self._sm.message, self._run_over_s, self._at_limit, self._rollback = "", None, False, None
            self.lesson_run.event = None
            self._clear_phase()
            if self._sm.state != RUNNING:
                self._move(WAITING)
        self.engine.submit(self)

    def stop(self, timeout_s: float = 1.0) -> bool:
        """Stop training after the step in progress, waiting up to ``timeout_s`` for it. The model is kept:
        ``start()`` trains on from here, ``reset()`` starts over. Returns True when no step of it is in progress."""
        with self._lock:
            self._sm.want_nothing()
        self.engine.withdraw(self)
        idle = self.engine.lock.acquire(timeout=timeout_s)  # False: a step of it is still in progress
        if idle:
            try:
                self.engine.release(self.trainer)
                if self._unsettled:
                    self.settle(time.perf_counter())
            finally:
                self.engine.lock.release()
        with self._lock:
            # unless a start came meanwhile (it applies after this)
            if self._sm.state != ERROR and not self._sm.wants():
                self._move(STOPPED)
        return idle

    def reset(self, config: GANConfig | None = None, init: Checkpoint | None = None) -> None:
        """Stop, then start over from fresh weights (or ``init``'s, see the class) with ``config`` (or the current
        config). State becomes idle.

        Raises:
            ValueError, ganapp.gan.data.DatasetUnavailableError: the new config cannot be built; the old run is
                left as it was, stopped.
        """
        self.stop()
        self._build(config if config is not None else self.trainer.config, init)

    def update(self, **changes: Any) -> tuple[list[str], list[str]]:
        """Change hyperparameters; live ones apply at the next step (see :meth:`Trainer.update`). A change that keeps
        the run's stack key (learning rates, betas, γ, λ, r1_every, the lr decay) applies where the run is: a stacked
        step reads every member's own values at each step. One that changes it (the loss, n_critic, the batch size,
        R1 or the penalty on or off) takes the run out of its stack, and the next round regroups it; the stack's
        other members train on in place.

        Returns:
            (applied, needs_reset) field names.
        Raises:
            ValueError: a value is invalid; nothing changes.
        """
        with self.engine.lock:
            before = stack_key(self.trainer)
            result = self.trainer.update(**changes)
            if stack_key(self.trainer) != before:
                self.engine.release(self.trainer)
            return result

    def set_slow_motion(self, seconds: float) -> None:
        """Show each D and G update for ``seconds`` (0 turns slow motion off); applies from the next step.

        Raises:
            ValueError: seconds outside 0..5.
        """
        if not isinstance(seconds, (int, float)) or not 0 <= seconds <= MAX_SLOW_MOTION_S:
            raise ValueError(f"slow_motion_s={seconds!r} is out of range: it must be in 0..{MAX_SLOW_MOTION_S}")
        self.slow.seconds = float(seconds)
        with self._lock:
            self._not_before = min(self._not_before, time.perf_counter() + self.slow.seconds)

    def set_lesson(self, lesson: Lesson | None) -> None:
        """Run as lesson ``lesson`` (None: as a free run): its pace (the run then trains alone, not stacked), its
        step budget and its key moment apply from the next step; a lesson's slow motion is set here too."""
        with self.engine.lock:
            self.engine.release(self.trainer)  # a paced run leaves any stack
            with self._lock:
                self.lesson_run = LessonRun(lesson)
        if lesson is not None and lesson.slow_motion_s > 0:
            self.set_slow_motion(lesson.slow_motion_s)

    def phase_step(self, phase: str) -> None:
        """A teacher's single update, done now in the caller's thread: ``"d"`` one D update, ``"g"`` one G update,
        ``"both"`` one of each (a full step, added to the history). Then G, the grid and the 2D view are redrawn. In
        slow motion, ``"both"`` is one step of the engine instead, which holds each update on screen, named, for
        the slow-motion time.

        Raises:
            ValueError: an unknown phase.
            RunRefusedError: the run is running or waiting (pause first), failed (reset first), or has done the
                host's ``max_steps`` (a lone D update too: it would train on past the limit).
        """
        if phase not in ("d", "g", "both"):
            raise ValueError(f"phase={phase!r} must be one of d, g, both")
        with self._lock:
            self._refuse_if_failed()
            if self._sm.wants() or self._sm.state in (RUNNING, WAITING):
                raise RunRefusedError("running", "the run is training: pause it before stepping")
            self._refuse_at_limit()
        if phase == "both" and self.slow.seconds > 0:  # in slow motion: the engine shows D's update, then G's
            self.step(1)
            return
        with self.engine.lock:
            self.engine.release(self.trainer)
            t, pub = self.trainer, self.publisher
            if phase == "both":
                pub.buffer.append(full_step_row(t.d_step(), t.g_step()))
                reason = pub.flush(t)  # publishes G and the step count (or rolls back and says why)
                if reason is not None:
                    with self._lock:
                        self._move(PAUSED, str(reason))
                        self._rollback = reason
            else:  # a lone phase adds no history row, but later rows number on from here
                pub.note_update(t.d_step() if phase == "d" else t.g_step())  # the diagram's numbers move with it
                pub.mark_phase(t)
            with pub.lock:
                pub.phase = "" if phase == "both" else phase  # the status names the update on screen
            pub.publish_grid(t)
            with self._lock:
                if self._sm.state == IDLE:
                    self._move(PAUSED)

    def _refuse_if_failed(self) -> None:
        """Raise :class:`RunRefusedError` ("failed") when the run failed; callers hold ``_lock``."""
        if self._sm.state == ERROR:
            raise RunRefusedError("failed", f"the run failed ({self._sm.message}); reset it to train again",
                                  self._sm.message)

    def _refuse_at_limit(self) -> None:
        """Raise :class:`RunRefusedError` ("step_limit") when the run has done the host's ``max_steps`` G updates
        (the engine enforces it on its steps, :meth:`begin_step`; this, on the commands that step without it);
        callers hold ``_lock``."""
        if self.max_steps is not None and self.trainer.step_count >= self.max_steps:
            self._at_limit = True
            raise RunRefusedError("step_limit", f"this server's limit of {self.max_steps:,} steps per run is "
                                  "reached; reset the run to train again", self.max_steps)

    def save_checkpoint(self, path: str | Path) -> Path:
        """Write the current G, D and fixed_z to ``path`` atomically (see ganapp.gan.checkpoints), between two steps so
        that G and D come from the same step. Blocks training for at most the time the write takes.

        Raises:
            OSError: the file cannot be written (any previous file at ``path`` is left intact).
        """
        with self.engine.lock:
            self.engine.sync(self.trainer)
            t = self.trainer
            return save_checkpoint(path, t.G_shown, t.config, t.step_count, D=t.D, fixed_z=t.fixed_z)

    # ----- the state machine (callers hold _lock) -----

    def _move(self, state: str, message: str | None = None) -> None:
        """Move the run's state machine to ``state`` now, at the current step (see :meth:`RunStateMachine.move`)."""
        self._sm.move(state, time.perf_counter(), self.trainer.step_count, message)

    # ----- the engine's side (see ganapp.engine.engine.Job; called with the engine lock held) -----

    def wants_work(self, now: float) -> bool:
        return self._sm.wants() and now >= self._not_before

    def stack_key(self) -> Hashable | None:
        if self.slow.busy or self.lesson_run.paced_s > 0:
            return None  # paced by a lesson or held in slow motion: it trains alone, at its own pace
        trainer, config = self.trainer, self.trainer.config
        cached = self._stack_key
        if cached is None or cached[0] is not trainer or cached[1] is not config:  # a reset or a live change
            cached = self._stack_key = (trainer, config, stack_key(trainer))  # asked every step: computed once
        return cached[2]

    def peer_key(self) -> Hashable | None:
        """2D runs at their dataset's default sizes, full or classroom (:func:`ganapp.gan.presets.peer_class`), share
        the machine by steps; paced, slow-motion and every other run by time (see :mod:`ganapp.engine.engine`)."""
        if self.slow.busy or self.lesson_run.paced_s > 0:
            return None
        return peer_class(self.trainer.config)

    def chunk_steps(self) -> int | None:
        """The most steps one ZeroGPU chunk may take now (see :mod:`ganapp.engine.zerogpu`), the commands and limits
        that :meth:`begin_step` checks at each step being checked here once a chunk: what a step(n) asked for, else
        up to the host's ``max_steps`` and the lesson's budget; None while the run must step alone (slow motion, a
        lesson's pace)."""
        if self.slow.busy or self.lesson_run.paced_s > 0:
            return None
        with self._lock:
            limit = MAX_STEP_REQUEST if self._sm.want_run else self._sm.pending
        lesson = self.lesson_run.lesson
        for cap in (self.max_steps, lesson.step_budget if lesson is not None else None):
            if cap is not None:
                limit = min(limit, cap - self.trainer.step_count)
        return max(1, limit)

    def begin_step(self, now: float) -> bool:
        """Mark running; in a timed run, set the lr decay for its progress, or end the run when its time is up; at
        the host's ``max_steps``, pause."""
        with self._lock:
            if not self._sm.wants():
                return False
            if self.max_steps is not None and self.trainer.step_count >= self.max_steps:
                self._at_limit = True
                self._end_run(f"this server's limit of {self.max_steps:,} steps per run is reached")
                return False
            budget = self.lesson_run.budget_spent(self.trainer.step_count)
            if budget is not None:
                self._end_run(f"the lesson's budget of {budget:,} steps is spent")
                return False
            if self._sm.state != RUNNING:
                self._move(RUNNING)
            window, elapsed = self._sm.window, self._sm.elapsed(now)
            progress = None if window is None else (elapsed - window[0]) / window[1]
            if progress is not None and progress >= 1.0:
                self._sm.window, self._run_over_s = None, window[1]
                self._end_run(f"the timed run is over: {window[1] / 60:g} min of training")
                return False
        self.trainer.set_progress(progress)
        return True

    def _end_run(self, message: str) -> None:
        """The run wants no more steps (a limit, a lesson's budget, the end of a timed run), and says why. It shows
        as paused once its last steps are published, by the settle that follows (:meth:`publish` pauses a run that
        wants nothing), so that no reader sees it paused at an older step; at once when there is nothing to
        publish. Callers hold ``_lock``."""
        self._sm.want_nothing()
        if self._unsettled:
            self._sm.message = message
        else:
            self._move(PAUSED, message)

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
            if not self._sm.want_run and self._sm.pending > 0:
                self._sm.pending -= 1
            idle = not self._sm.want_run and self._sm.pending == 0
        return idle or now >= self._next_publish

    def publish(self, now: float) -> bool:
        """Publish the rows, G and (when due) the grid or 2D view. Returns False when it rolled the run back."""
        self._next_publish = now + self.publish_every_s
        self.publisher.crowding = max(1.0, self.engine.training / VIEW_SHARE)  # scores, as views, share the CPU
        reason = self.publisher.flush(self.trainer)
        with self._lock:
            self._sm.speed.append((now, self.trainer.step_count))
            idle = not self._sm.wants()
            if reason is not None:
                self._sm.want_nothing()
                if self._sm.state != ERROR:  # a step that failed meanwhile keeps its error
                    self._move(PAUSED, str(reason))
                self._rollback = reason
        if reason is not None or idle or now >= self._next_grid:
            self._next_grid = now + self.grid_every_s * max(1.0, self.engine.training / VIEW_SHARE)
            self.publisher.publish_grid(self.trainer)
        with self._lock:  # asked again: a command may have given it steps since (it then stays waiting)
            if not self._sm.wants() and self._sm.state in (RUNNING, WAITING):
                self._move(PAUSED)
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
                self._sm.want_nothing()
                if self._sm.state in (RUNNING, WAITING):
                    self._move(PAUSED)

    def settle_due(self) -> bool:
        """True when steps were done since the last publish and the run no longer trains."""
        return self._unsettled and not self._sm.wants()

    def settle(self, now: float) -> None:
        """The final publish after the run stopped wanting steps (paused, stopped, timed run over)."""
        self.publish(now)
        self._unsettled = False

    def fail(self, error: BaseException) -> None:
        with self._lock:
            self._sm.want_nothing()
            self._move(ERROR, f"{type(error).__name__}: {error}")

    # ----- readers (any thread) -----

    @property
    def state(self) -> str:
        return self._sm.state

    @property
    def lesson(self) -> Lesson | None:
        """The lesson the run follows (see :meth:`set_lesson`), or None."""
        return self.lesson_run.lesson

    @property
    def config(self) -> GANConfig:
        return self.trainer.config

    @property
    def step_count(self) -> int:
        """G updates done (ahead of the published ``snapshot().step`` while it trains)."""
        return self.trainer.step_count

    def status(self) -> Snapshot:
        """The run as it is now, without arrays: :meth:`snapshot` ``(None)``'s
        :meth:`~ganapp.run.publisher.Snapshot.status_only`."""
        return self.snapshot(None).status_only()

    def frame(self, since_version: int | None = None) -> Snapshot:
        """What a redraw needs: :meth:`snapshot` ``(None)`` (all scores and 2D metrics rows, no metric rows: the
        curves read :meth:`rows_since` and :meth:`history`), with the grid, points and 2D view only when they are
        newer than ``since_version``, the ``grid_version`` the caller drew last (None: the caller has none)."""
        return self.snapshot(None).newer_than(since_version)

    def snapshot(self, since: int | None = 0) -> Snapshot:
        """The run as it is now, with the metric rows whose step is greater than ``since`` (none when ``since``
        is None: status readers need not copy any history)."""
        now = time.perf_counter()
        with self._lock:
            state, message, elapsed = self._sm.state, self._sm.message, self._sm.elapsed(now)
            window, run_over_s, at_limit, rollback = self._sm.window, self._run_over_s, self._at_limit, self._rollback
            lesson_event = self.lesson_run.event
            it_s = self._sm.it_s(now)
            trainer, pub = self.trainer, self.publisher  # swapped together by a reset, under this lock
        with pub.lock:
            return Snapshot(
                state=state, step=pub.step, epoch=self._epoch(trainer, pub.step), it_s=it_s, elapsed_s=elapsed,
                device=str(trainer.device), message=message, sharing=self.engine.training,
                metrics=pub.history.since(since if since is not None else pub.step),
                grid=pub.grid, grid_version=pub.grid_version, points=pub.points, config=trainer.config,
                scores=list(pub.scores), view=pub.view, view_metrics=list(pub.view_metrics), phase=pub.phase,
                lr_scale=trainer.lr_scale, slow_motion_s=self.slow.seconds, run_over_s=run_over_s,
                step_limit=self.max_steps if at_limit else None,
                rollback=rollback, lesson=self.lesson.name if self.lesson else None, lesson_event=lesson_event,
                latest=dict(pub.latest),
                run_left_s=None if window is None else max(0.0, sum(window) - elapsed),
            )

    @staticmethod
    def _epoch(trainer: Trainer, step: int) -> float | None:
        size = trainer.data.size
        if size is None:
            return None
        cfg = trainer.config
        return step * cfg.batch_size * cfg.n_critic / size

    def rows_since(self, step: int) -> dict[str, list[float]]:
        """The metric rows published after ``step``, at full resolution: ``{"step", "d_loss", "g_loss", "d_x",
        "d_g_z": list}`` (a poll's new points)."""
        return self.publisher.rows_since(step)

    def history(self, max_points: int = 1000) -> dict[str, np.ndarray]:
        """The whole metric history, downsampled to at most ``max_points`` rows (see MetricHistory.downsampled)."""
        return self.publisher.downsampled_history(max_points)

    def frames(self) -> list[np.ndarray]:
        """The run's time-lapse, oldest first; see :meth:`Publisher.timelapse`."""
        return self.publisher.timelapse(self.trainer.fixed_z)

    def g_snapshots(self) -> list[tuple[int, torch.nn.Module]]:
        """The frozen copies of G kept along the run, as (step, G) oldest first: at the steps of
        :func:`~ganapp.run.publisher.snapshot_milestones` (as near as publishing allows), at most ``MAX_G_SNAPSHOTS``
        (thinned evenly)."""
        pub = self.publisher
        with pub.lock:
            return list(pub.g_snapshots)

    def generator(self) -> torch.nn.Module:
        """A frozen copy of the current G (eval mode, no grad) that is never trained further; safe to keep."""
        pub = self.publisher
        with pub.lock:
            return pub.reader_g

    def generate(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """G(z[, y]) with the current published G, on the CPU; see :meth:`Publisher.generate` (z: (N, z_dim))."""
        return self.publisher.generate(z, self.trainer.config.z_dim, y)

MAX_ELAPSED_S = 100 * 365 * 86400.0  # the longest clock a run may show, in seconds

def _field(values: Any, key: str, low: float, high: float, integer: bool = False, default: Any = None) -> Any:
    """``values[key]``, checked to be a number (an integer when ``integer``) in ``low..high``; ``default`` when
    absent and a default is given.

    Raises:
        ValueError: naming the field and its range.
    """
    if key not in values and default is not None:
        return default
    value = values.get(key)
    kind = int if integer else (int, float)
    if not isinstance(value, kind) or isinstance(value, bool) or not low <= value <= high:  # NaN fails it too
        raise ValueError(f"the autosave's {key}={str(value)[:40]!r} is out of range: it must be "
                         f"{'an integer' if integer else 'a number'} in {low:g}..{high:g}")
    return value


def check_autosave(tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> GANConfig:
    """Check an autosave (:meth:`Run.autosave_state`'s output, read back from disk) before anything is
    built from it: its config; the trainer's step, D updates and learning-rate scale; the run's state, clock,
    timed-run window, slow motion and lesson; and G's, D's and G_ema's tensors against the networks the config
    builds (on the meta device: a config that lies costs nothing), then their values finite. Returns its config.

    Raises:
        ValueError: naming the first field, or tensor, that is wrong.
    """
    if not isinstance(meta, dict) or not isinstance(meta.get("config"), dict):
        raise ValueError("the autosave holds no valid config")
    try:
        config = GANConfig.from_dict(meta["config"])
    except TypeError as e:
        raise ValueError(f"the autosave holds no valid config ({e})") from None
    if not isinstance(config.data_path, str):
        raise ValueError("the autosave's data_path is not text")
    trainer, run = meta.get("trainer"), meta.get("session")
    if not isinstance(trainer, dict) or not isinstance(run, dict) or not isinstance(meta.get("publisher"), dict):
        raise ValueError("the autosave lacks the trainer's, the run's or the publisher's state")
    _field(trainer, "step_count", 0, MAX_STEP, integer=True)
    _field(trainer, "d_updates", 0, MAX_STEP * 20, integer=True)  # n_critic ≤ 20 D updates per step
    _field(trainer, "lr_scale", 0.0, 1.0, default=1.0)
    if run.get("state") not in STATES:
        raise ValueError(f"the autosave's state={str(run.get('state'))[:40]!r} is not one of {', '.join(STATES)}")
    _field(run, "elapsed_s", 0.0, MAX_ELAPSED_S)
    window = run.get("window")
    if window is not None:
        if not isinstance(window, (list, tuple)) or len(window) != 2:
            raise ValueError("the autosave's window is not (elapsed_s at its start, its length)")
        _field({"window_start_s": window[0]}, "window_start_s", 0.0, MAX_ELAPSED_S)
        _field({"window_s": window[1]}, "window_s", 0.0, MAX_ELAPSED_S)
    _field(run, "slow_motion_s", 0.0, MAX_SLOW_MOTION_S, default=0.0)
    lesson = run.get("lesson")
    if lesson is not None and lesson not in LESSONS:
        raise ValueError(f"the autosave's lesson={str(lesson)[:40]!r} is not one of {', '.join(LESSONS)}")
    if not isinstance(run.get("lesson_fired", False), bool):
        raise ValueError("the autosave's lesson_fired is not True or False")
    nets = {k: v for k, v in tensors.items() if k.startswith(("G.", "D."))}
    check_shapes(config, tensor_shapes(nets), "the autosave")  # a CheckpointError is a ValueError
    if not any(k.startswith("D.") for k in nets):
        raise ValueError("the autosave holds no D")
    ema = {"G." + k[len("G_ema."):]: v for k, v in tensors.items() if k.startswith("G_ema.")}
    if ema:
        check_shapes(config, tensor_shapes(ema), "the autosave's G_ema")
    check_finite({**nets, **ema}, "the autosave")
    return config
