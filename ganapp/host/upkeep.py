"""The registry's upkeep: autosaving visitors' runs, and the idle reaper that pauses, autosaves and frees them.

:class:`RegistryUpkeep` is a part of :class:`ganapp.host.registry.SessionRegistry` (its base class), kept in a file of
its own. It works on the registry's visitor dict under the registry's ``_lock`` (see the lock order there), and never
holds that lock while a session is saved, paused or stopped.

When autosaves cannot be written (a full disk, a state folder made read-only), each run keeps its previous autosave
(files are replaced atomically), the server's log says so once, when it starts, and once when it ends, and
``autosave_problem`` tells the host's views (the teacher's page) that runs are not being saved.
"""

from __future__ import annotations

import errno
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from ..run.run import RUNNING, WAITING
from ..service.worker import WorkerLostError

if TYPE_CHECKING:
    from .autosave import StateStore
    from .pages import Pages
    from .visitor import Visitor

log = logging.getLogger("ganapp")


class RegistryUpkeep:
    """Autosaves and the reaper of a :class:`~ganapp.host.registry.SessionRegistry`, which sets the attributes below and
    provides ``remove(visitor_id)``."""

    _visitors: dict[str, Visitor]
    _lock: threading.Lock
    store: StateStore | None
    pages: Pages
    idle_timeout_s: float
    grace_s: float
    autosave_every_s: float
    _next_sweep_s: float
    _reaper: threading.Thread | None
    _reaper_stop: threading.Event
    # Why autosaves fail now, or None while they work: {"reason": "disk_full", "read_only" or "io", "error": the
    # errno's name (e.g. "ENOSPC"), "since_s": time.monotonic() of the first failure, "failures": writes failed}.
    autosave_problem: dict[str, Any] | None = None
    _problem_lock = threading.Lock()  # guards autosave_problem's changes, so each is logged once

    # ----- autosaves -----

    def autosave(self, visitor_id: str, force: bool = False) -> list[str]:
        """Autosave the visitor's runs that changed since their last autosave: when ``force``, or when the run no
        longer trains, or ``autosave_every_s`` after the last. Only visitors with a token are saved. Copies are
        taken between two steps; the files are written in the caller's thread.

        Returns:
            the slots written.
        Raises:
            OSError: a file cannot be written (the previous autosave is kept; see ``autosave_problem``).
        """
        with self._lock:
            v = self._visitors.get(visitor_id)
        if v is None or not v.persistent or self.store is None:
            return []
        written = []
        now = time.monotonic()
        for slot, session in v.runs().items():
            try:
                key = session.save_key()
                last_key, last_s = v.saved.setdefault(slot, (None, now))
                if key == last_key or (session.step_count == 0 and not force):
                    continue
                training = session.state in (RUNNING, WAITING)
                if not (force or not training or now - last_s >= self.autosave_every_s):
                    continue
                key, tensors, meta = session.autosave_copy()  # the key and the copies come from the same moment
            except WorkerLostError:  # its worker died: its last autosave on disk is all that is left of it
                continue
            if slot == "a":
                meta["visitor"] = v.state.saved()
            try:
                self.store.write(visitor_id, slot, tensors, meta)
            except OSError as e:  # the previous autosave is left whole (see ganapp.gan.checkpoints.write_atomic)
                self._autosave_failed(e)
                raise
            self._autosave_worked()
            v.saved[slot] = (key, now)
            written.append(slot)
        return written

    def _autosave_failed(self, e: OSError) -> None:
        """Record a failed autosave write: the first of a spell is logged (why, and that runs are not being saved),
        the others only counted."""
        reason = {errno.ENOSPC: "disk_full", errno.EDQUOT: "disk_full", errno.EROFS: "read_only",
                  errno.EACCES: "read_only", errno.EPERM: "read_only"}.get(e.errno, "io")
        error = errno.errorcode.get(e.errno, type(e).__name__) if e.errno is not None else type(e).__name__
        with self._problem_lock:
            problem = self.autosave_problem
            if problem is not None and problem["reason"] == reason:
                problem["failures"] += 1
                return
            self.autosave_problem = {"reason": reason, "error": error, "since_s": time.monotonic(), "failures": 1}
        log.error("autosaves fail (%s: %s): runs are not being saved; each keeps its last autosave. Saving is tried "
                  "again on every round, and this is logged again once it works", error, e)

    def _autosave_worked(self) -> None:
        """Record a written autosave: it ends a spell of failures, which is logged once."""
        if self.autosave_problem is None:
            return
        with self._problem_lock:
            problem, self.autosave_problem = self.autosave_problem, None
        if problem is not None:
            log.warning("autosaves work again, after %d failed writes (%s)", problem["failures"], problem["error"])

    def save_all(self) -> int:
        """Pause and autosave every run of every visitor with a token (at a shutdown). Returns the files written."""
        with self._lock:
            ids = [k for k, v in self._visitors.items() if v.persistent]
        n = failed = 0
        for vid in ids:
            with self._lock:
                v = self._visitors.get(vid)
            for session in v.runs().values() if v is not None else ():
                session.pause()
            try:
                n += len(self.autosave(vid, force=True))
            except OSError:  # logged once by autosave(); each run keeps its previous autosave
                failed += 1
        if failed:
            log.error("%d of %d visitors' runs could not be saved at shutdown; they come back from their previous "
                      "autosaves", failed, len(ids))
        return n

    # ----- the reaper -----

    def reap(self, now_s: float | None = None) -> list[str]:
        """One round of upkeep: autosave what is due; pause and free every visitor unseen for longer than
        ``idle_timeout_s`` (autosaving a returning visitor's runs first); delete autosaves older than ``grace_s``
        and keep the folder under its size cap. Returns the ids freed."""
        now_s = time.monotonic() if now_s is None else now_s
        with self._lock:
            idle = [k for k, v in self._visitors.items() if now_s - v.last_seen_s > self.idle_timeout_s]
            persistent = [k for k, v in self._visitors.items() if v.persistent and k not in idle]
        for k in persistent:
            try:
                self.autosave(k)
            except OSError:  # logged once per spell of failures (see autosave_problem); tried again next round
                pass
        for k in idle:
            self._free(k, now_s)
        self.pages.forget(now_s, self.idle_timeout_s, self.grace_s)  # pages that went without an unload
        if self.store is not None and now_s >= self._next_sweep_s:
            self._next_sweep_s = now_s + 60.0
            with self._lock:
                here = set(self._visitors)
            self.store.sweep(self.grace_s, keep=here)
            self.store.enforce_cap(keep=here)
        return idle

    def _free(self, visitor_id: str, now_s: float) -> None:
        """Free an idle visitor: a returning one's runs are paused and autosaved first, and their files kept."""
        with self._lock:
            v = self._visitors.get(visitor_id)
            if v is None or now_s - v.last_seen_s <= self.idle_timeout_s:
                return  # they came back meanwhile
        if not v.persistent:
            self.remove(visitor_id)
            return
        for session in v.runs().values():
            session.pause()
        try:
            self.autosave(visitor_id, force=True)
        except OSError:  # logged once (see autosave_problem): the runs stay in memory until a save works
            return
        with self._lock:
            if now_s - v.last_seen_s <= self.idle_timeout_s or self._visitors.get(visitor_id) is not v:
                return
            del self._visitors[visitor_id]
        for session in v.runs().values():
            session.stop()

    def start_reaper(self, every_s: float = 5.0) -> None:
        """Run :meth:`reap` every ``every_s`` seconds in a daemon thread (idempotent)."""
        if self._reaper is not None and self._reaper.is_alive():
            return
        self._reaper_stop.clear()

        def loop() -> None:
            while not self._reaper_stop.wait(every_s):
                try:
                    self.reap()
                except Exception:  # noqa: BLE001 (the reaper must outlive one bad round)
                    log.exception("a reaper round failed")

        self._reaper = threading.Thread(target=loop, name="ganapp-reaper", daemon=True)
        self._reaper.start()
