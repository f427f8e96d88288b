"""Per-visitor sessions for a multi-user server: a dict keyed by the visitor's session id, an idle reaper, and the
one engine that trains every session. Knows nothing of the web framework; the UI passes ids in.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .config import GANConfig
from .engine import Engine
from .session import TrainingSession


@dataclass
class Visitor:
    """What the server holds for one visitor.

    Attributes:
        session: their TrainingSession, once they have built one.
        twin: a second session trained side by side with ``session`` (one setting changed), or None.
        checkpoint: a generator they loaded for exploring (a ganapp.checkpoints.Checkpoint), or None.
        last_seen_s: ``time.monotonic()`` of their last request.
        extras: small per-visitor values the UI keeps (e.g. the last history step it drew).
    """

    session: TrainingSession | None = None
    twin: TrainingSession | None = None
    checkpoint: Any = None
    last_seen_s: float = field(default_factory=time.monotonic)
    extras: dict[str, Any] = field(default_factory=dict)


class SessionRegistry:
    """Visitors by id, each with at most one TrainingSession (and a side-by-side twin); one
    :class:`~ganapp.engine.Engine` trains them all, each with a fair share of the machine.

    Args:
        idle_timeout_s: a visitor unseen this long is reaped: their training is stopped and freed. API clients never
            fire a page's unload event, so this is what frees them.
        engine: the engine every session trains on (a new one when None).
        classroom: the classroom mode, in which new 2D runs at default sizes get the smaller nets of
            :data:`ganapp.presets.CLASSROOM_2D` so that a whole class can train at once: True (always), False (never)
            or None (automatic: on while ``classroom_from`` or more visitors are on the server).
        classroom_from: visitors (open pages, and API clients) from which the automatic classroom mode is on, ≥ 1.
        session_kwargs: passed to every new TrainingSession.

    Raises:
        ValueError: ``idle_timeout_s`` is not > 0, or ``classroom_from`` < 1.
    """

    def __init__(self, idle_timeout_s: float = 900.0, engine: Engine | None = None, classroom: bool | None = None,
                 classroom_from: int = 4, **session_kwargs: Any):
        if idle_timeout_s <= 0:
            raise ValueError(f"idle_timeout_s={idle_timeout_s} is out of range: it must be > 0")
        if not isinstance(classroom_from, int) or classroom_from < 1:
            raise ValueError(f"classroom_from={classroom_from!r} is out of range: it must be an integer ≥ 1")
        self.classroom, self.classroom_from = classroom, classroom_from
        self.engine = engine if engine is not None else Engine()
        self.idle_timeout_s = idle_timeout_s
        self.session_kwargs = session_kwargs
        self._visitors: dict[str, Visitor] = {}
        self._lock = threading.Lock()
        self._reaper: threading.Thread | None = None
        self._reaper_stop = threading.Event()

    def __len__(self) -> int:
        with self._lock:
            return len(self._visitors)

    def __contains__(self, visitor_id: str) -> bool:
        with self._lock:
            return visitor_id in self._visitors

    def classroom_mode(self) -> bool:
        """Whether new 2D runs at default sizes get the classroom sizes now (see the class)."""
        return self.classroom if self.classroom is not None else len(self) >= self.classroom_from

    def visitor(self, visitor_id: str) -> Visitor:
        """The visitor's record, created on first use; marks them as seen now."""
        with self._lock:
            v = self._visitors.get(visitor_id)
            if v is None:
                v = self._visitors[visitor_id] = Visitor()
            v.last_seen_s = time.monotonic()
            return v

    def new_session(self, visitor_id: str, config: GANConfig, init: Any = None) -> TrainingSession:
        """Build a fresh TrainingSession for the visitor (stopping any old one) and return it; ``init`` is a
        checkpoint to fine-tune (see TrainingSession).

        Raises:
            ValueError, ganapp.data.DatasetUnavailableError: the config cannot be built; the old session is kept.
        """
        session = TrainingSession(config, engine=self.engine, init=init, **self.session_kwargs)
        v = self.visitor(visitor_id)
        old, v.session = v.session, session
        if old is not None:
            old.stop()
        return session

    def new_twin(self, visitor_id: str, config: GANConfig) -> TrainingSession:
        """Build the visitor's side-by-side session (stopping any old one); it trains on the shared engine like every
        other session.

        Raises:
            ValueError, ganapp.data.DatasetUnavailableError: the config cannot be built; the old twin is kept.
        """
        twin = TrainingSession(config, engine=self.engine, **self.session_kwargs)
        v = self.visitor(visitor_id)
        old, v.twin = v.twin, twin
        if old is not None:
            old.stop()
        return twin

    def drop_twin(self, visitor_id: str) -> bool:
        """Stop and forget the visitor's side-by-side session. Returns True when there was one."""
        v = self.visitor(visitor_id)
        twin, v.twin = v.twin, None
        if twin is not None:
            twin.stop()
        return twin is not None

    def remove(self, visitor_id: str) -> bool:
        """Stop and forget the visitor's sessions. Returns True when there was a visitor to remove."""
        with self._lock:
            v = self._visitors.pop(visitor_id, None)
        for session in (v.session, v.twin) if v is not None else ():
            if session is not None:
                session.stop()
        return v is not None

    def reap(self, now_s: float | None = None) -> list[str]:
        """Remove every visitor unseen for longer than ``idle_timeout_s``. Returns their ids."""
        now_s = time.monotonic() if now_s is None else now_s
        with self._lock:
            idle = [k for k, v in self._visitors.items() if now_s - v.last_seen_s > self.idle_timeout_s]
        for k in idle:
            self.remove(k)
        return idle

    def start_reaper(self, every_s: float = 30.0) -> None:
        """Run :meth:`reap` every ``every_s`` seconds in a daemon thread (idempotent)."""
        if self._reaper is not None and self._reaper.is_alive():
            return
        self._reaper_stop.clear()

        def loop() -> None:
            while not self._reaper_stop.wait(every_s):
                self.reap()

        self._reaper = threading.Thread(target=loop, name="ganapp-reaper", daemon=True)
        self._reaper.start()

    def close(self) -> None:
        """Stop the reaper and every session."""
        self._reaper_stop.set()
        with self._lock:
            ids = list(self._visitors)
        for k in ids:
            self.remove(k)
