"""A run's state machine: :class:`RunStateMachine`, owned by :class:`ganapp.run.run.Run`.

States and moves (:data:`TRANSITIONS`)::

    idle ──start/step──▶ waiting ──first step──▶ running ──pause, steps done, a limit──▶ paused ──start──▶ waiting
    idle, stopped ──a phase step (idle: an autosave restored)──▶ paused
    idle, waiting, running, paused ──stop──▶ stopped ──start/step──▶ waiting
    any state ──a step raised──▶ error   (left only by a reset, which builds a new machine)

- ``idle``: built (or reset), no step yet;
- ``waiting``: Start or Step pressed, the engine has not stepped it yet;
- ``running``: the engine steps it; the run's clock runs exactly in this state;
- ``paused``: it wants no steps (paused, a step(n) done, a timed run over, a limit, a rollback, a lesson's key
  moment); an autosaved run comes back paused;
- ``stopped``: stopped for good until a start;
- ``error``: a step raised; a reset builds the run again.

The machine holds what the transitions read and write: the state and its message, what the run wants (train on, or
``pending`` more steps), the clock, the timed run's window and the speed samples. It is not thread-safe on its own:
the run calls it with its ``_lock`` held.
"""

from __future__ import annotations

import math
from collections import deque

IDLE, WAITING, RUNNING, PAUSED, STOPPED, ERROR = "idle", "waiting", "running", "paused", "stopped", "error"
STATES = (IDLE, WAITING, RUNNING, PAUSED, STOPPED, ERROR)

# The moves the machine allows, from each state. Staying in a state is allowed (a pause's message may change it).
# error is left only by a reset, which builds a new machine; running is entered only from waiting (the engine's first
# step after a start or a step request).
TRANSITIONS: dict[str, frozenset[str]] = {
    IDLE: frozenset({IDLE, WAITING, PAUSED, STOPPED, ERROR}),
    WAITING: frozenset({WAITING, RUNNING, PAUSED, STOPPED, ERROR}),
    RUNNING: frozenset({RUNNING, PAUSED, STOPPED, ERROR}),
    PAUSED: frozenset({PAUSED, WAITING, STOPPED, ERROR}),
    STOPPED: frozenset({STOPPED, WAITING, PAUSED, ERROR}),
    ERROR: frozenset({ERROR}),
}
SPEED_WINDOW_S = 5.0  # it/s is measured over the last this many seconds of speed samples


class IllegalTransition(RuntimeError):
    """A move that :data:`TRANSITIONS` does not allow: a bug in the run, never a user's mistake."""


class RunStateMachine:
    """The state, its message, what the run wants, and the run's clock (see the module's docstring).

    Attributes:
        state: one of :data:`STATES`.
        message: why the run is in its state (a pause's reason, an error), or "".
        want_run: train until paused (Start).
        pending: steps still to make for a step(n) request (≥ 0).
        window: a timed run: (elapsed_s at its start, its length in seconds), or None.
        speed: (time in seconds of ``time.perf_counter``, step count) samples, the latest 64.
    """

    def __init__(self, elapsed_s: float = 0.0, window: tuple[float, float] | None = None):
        if not (math.isfinite(elapsed_s) and elapsed_s >= 0):
            raise ValueError(f"elapsed_s={elapsed_s!r} is out of range: it must be a number of seconds ≥ 0")
        self.state, self.message = IDLE, ""
        self.want_run, self.pending = False, 0
        self.window = window
        self.speed: deque[tuple[float, int]] = deque(maxlen=64)
        self._elapsed_s, self._run_started = elapsed_s, None

    def move(self, state: str, now: float, step: int, message: str | None = None) -> None:
        """The one transition function: to ``state`` at time ``now`` (``time.perf_counter()`` seconds) and G update
        ``step``, with ``message`` (None keeps the message). The clock runs exactly while the state is running.

        Raises:
            IllegalTransition: :data:`TRANSITIONS` does not allow the move; nothing changes.
        """
        if state not in TRANSITIONS[self.state]:
            raise IllegalTransition(f"a run cannot go from {self.state} to {state}")
        if state == RUNNING and self._run_started is None:
            self._run_started = now
            self.speed.append((now, step))
        elif state != RUNNING and self._run_started is not None:
            self._elapsed_s += now - self._run_started
            self._run_started = None
        self.state = state
        if message is not None:
            self.message = message

    def wants(self) -> bool:
        """Whether the run wants steps: a start, or a step(n) with steps left, and not failed."""
        return (self.want_run or self.pending > 0) and self.state != ERROR

    def want_nothing(self) -> None:
        """Forget any start or step request (a pause, a stop, a limit, a failure)."""
        self.want_run, self.pending = False, 0

    def elapsed(self, now: float) -> float:
        """Seconds of training so far (the clock of :meth:`move`), at time ``now``."""
        return self._elapsed_s + (now - self._run_started if self._run_started is not None else 0.0)

    def it_s(self, now: float) -> float:
        """G updates per second over the last :data:`SPEED_WINDOW_S` of speed samples (the last two when older);
        0 when not running or with fewer than two samples."""
        if self.state != RUNNING or len(self.speed) < 2:
            return 0.0
        recent = [(t, s) for t, s in self.speed if now - t <= SPEED_WINDOW_S] or list(self.speed)[-2:]
        (t0, s0), (t1, s1) = recent[0], self.speed[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0
