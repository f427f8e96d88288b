"""The shared cap on how many trainers run at once, with a first-come, first-served waiting line."""

from __future__ import annotations

import threading
from collections.abc import Callable


class TrainerSlots:
    """A first-come, first-served cap on how many trainers run at once.

    A session that finds every slot taken waits in a queue and can say its place in it. ``max_running`` can be changed
    at any time; waiting sessions are woken when it grows.

    Raises:
        ValueError: ``max_running`` < 1.
    """

    def __init__(self, max_running: int = 4):
        self._cond = threading.Condition()
        self._running: set[int] = set()
        self._queue: list[int] = []
        self.max_running = max_running

    @property
    def max_running(self) -> int:
        return self._max_running

    @max_running.setter
    def max_running(self, value: int) -> None:
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"max_running={value!r} is out of range: it must be an integer ≥ 1")
        with self._cond:
            self._max_running = value
            self._cond.notify_all()

    def acquire(self, token: int, cancelled: Callable[[], bool], poll_s: float = 0.05) -> bool:
        """Take a slot for ``token``, waiting in line while all are taken. Returns False if ``cancelled()`` became
        true while waiting (the place in line is given up)."""
        with self._cond:
            if token in self._running:
                return True
            self._queue.append(token)
            try:
                while not (self._queue[0] == token and len(self._running) < self._max_running):
                    if cancelled():
                        return False
                    self._cond.wait(poll_s)
                self._running.add(token)
                return True
            finally:
                self._queue.remove(token)
                self._cond.notify_all()

    def release(self, token: int) -> None:
        """Give ``token``'s slot back (a no-op when it holds none)."""
        with self._cond:
            self._running.discard(token)
            self._cond.notify_all()

    def position(self, token: int) -> int | None:
        """1-based place of ``token`` in the waiting line, or None when it is not waiting."""
        with self._cond:
            return self._queue.index(token) + 1 if token in self._queue else None

    @property
    def running(self) -> int:
        """Number of slots in use."""
        with self._cond:
            return len(self._running)
