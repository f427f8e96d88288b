"""Per-visitor runs for a multi-user server: a dict keyed by the visitor's id, the pages each visitor has open,
an idle reaper that pauses, autosaves and frees runs, and the one engine that trains every run. Knows nothing of
the web framework; the UI passes ids in.

A visitor's id is a page's own key (Gradio's session_hash, see :func:`ganapp.host.visitors.own_key`), unless the page
:meth:`Registry.attach`-es with a token that the browser keeps (see :mod:`ganapp.host.autosave`): only the signed
token names a visitor, and no page's own key is ever a visitor id. Such a visitor outlives the page: a reload or a
second tab attaches to the same runs, and their runs are autosaved so that they come back after a restart.

Lifetimes (host-settable):

- a visitor unseen for ``idle_timeout_s`` has their runs paused and autosaved; a returning visitor's runs are then
  freed from memory (they come back from disk, paused), the others' are freed at once;
- an autosave unseen for ``grace_s`` is deleted; so are the oldest idle ones when the folder is over its size cap.

Locks: ``_lock`` guards the visitor dict, the slots held for runs being built and the installing of a run, and is
never held while a run is built, saved or stopped; ``_restore_lock`` serialises restores from disk;
``_attach_lock`` makes a page's adopting of what it did before it attached one step with
:meth:`Registry.update_state` (a name typed as the page opens). ``_attach_lock`` comes first, then
``_restore_lock``, then ``_lock``, all before any lock of :mod:`ganapp.engine.engine`; the pages
(:class:`ganapp.host.visitors.Pages`) have a lock of their own, taken alone. Autosaving and the reaper work on the
visitor dict under ``_lock`` and never hold it while a run is saved, paused or stopped.

When autosaves cannot be written (a full disk, a state folder made read-only), each run keeps its previous autosave
(files are replaced atomically), the server's log says so once, when it starts, and once when it ends, and
``autosave_problem`` tells the host's views (the teacher's page) that runs are not being saved.
"""

from __future__ import annotations

import errno
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from ..engine.engine import Engine
from ..gan.checkpoints import Checkpoint
from ..gan.config import GANConfig
from ..gan.data import DatasetUnavailableError
from ..run.publisher import Snapshot
from ..run.run import RUNNING, WAITING, Run
from ..service.local import LocalService
from ..service.protocol import RunHandle, RunLostError, RunService
from .autosave import AutosaveError, StateStore
from .limits import Limits, ServerFullError
from .visitors import Pages, PageView, Visitor, own_key

log = logging.getLogger("ganapp")

# What a page found when it attached (Registry.attach).
NEW, REATTACHED, RESTORED, RESTORE_FAILED = "new", "reattached", "restored", "restore_failed"


class Registry:
    """Visitors by id, each with at most one run (and a run B); one
    :class:`~ganapp.engine.engine.Engine` trains them all, each with a fair share of the machine.

    Args:
        idle_timeout_s: a visitor unseen this long has their runs paused (and autosaved when they have a token);
            then they are freed from memory. API clients never fire a page's unload event, so this is what frees
            them.
        engine: where every run trains: a :class:`~ganapp.service.protocol.RunService` (the training worker's
            :class:`~ganapp.service.worker.WorkerService`), or an :class:`~ganapp.engine.engine.Engine` in this
            process (served by a :class:`~ganapp.service.local.LocalService`); a new Engine when None. The registry
            uses it only through :attr:`service`.
        owns_engine: whether :meth:`close` also closes the service (False where registries share one worker, as
            each test's registry shares the test session's).
        classroom: the classroom mode, in which new 2D runs at default sizes get the smaller nets of
            :data:`ganapp.gan.presets.CLASSROOM_2D` so that a whole class can train at once: True (always), False
            (never) or None (automatic: on while ``classroom_from`` or more visitors have a page open now, see
            :meth:`classroom_mode`).
        classroom_from: visitors with a page open now (browser pages, and API clients) from which the automatic
            classroom mode is on, ≥ 1.
        store: the state folder for tokens and autosaves; None: no visitor outlives their page.
        grace_s: an autosave whose visitor has been away this long is deleted, > idle_timeout_s.
        autosave_every_s: a training run is autosaved at most this often; a paused or stopped one once, soon after
            it stopped changing.
        limits: the host's :class:`~ganapp.host.limits.Limits` (its defaults when None).
        session_kwargs: passed to every new Run (``max_steps`` comes from ``limits``).

    Raises:
        ValueError: ``idle_timeout_s`` or ``autosave_every_s`` is not > 0, ``grace_s`` is not > ``idle_timeout_s``,
            or ``classroom_from`` < 1.
    """

    def __init__(self, idle_timeout_s: float = 900.0, engine: Engine | RunService | None = None,
                 classroom: bool | None = None, classroom_from: int = 4, store: StateStore | None = None,
                 grace_s: float = 7 * 86400.0, autosave_every_s: float = 60.0, limits: Limits | None = None,
                 owns_engine: bool = True, **run_kwargs: Any):
        if not idle_timeout_s > 0:
            raise ValueError(f"idle_timeout_s={idle_timeout_s} is out of range: it must be > 0")
        if not grace_s > idle_timeout_s:
            raise ValueError(f"grace_s={grace_s} is out of range: it must be > idle_timeout_s ({idle_timeout_s})")
        if not autosave_every_s > 0:
            raise ValueError(f"autosave_every_s={autosave_every_s} is out of range: it must be > 0")
        if not isinstance(classroom_from, int) or classroom_from < 1:
            raise ValueError(f"classroom_from={classroom_from!r} is out of range: it must be an integer ≥ 1")
        self.classroom, self.classroom_from = classroom, classroom_from
        # the one seam to where runs train; ``engine`` stays what was given (or the new Engine), for its own reads
        self.service: RunService = engine if isinstance(engine, RunService) else LocalService(engine)
        self.engine = engine if engine is not None else self.service.engine
        self.owns_engine = owns_engine
        self.idle_timeout_s, self.grace_s, self.autosave_every_s = idle_timeout_s, grace_s, autosave_every_s
        self.store = store
        self.limits = limits if limits is not None else Limits()
        self.run_kwargs = {"max_steps": self.limits.max_steps, **run_kwargs}
        self._visitors: dict[str, Visitor] = {}
        self._building: Counter[tuple[str, str]] = Counter()  # (visitor id, slot) of runs being built, admitted
        self.pages = Pages()  # which visitor each open page acts for, and what it shows
        self._lock = threading.Lock()
        self._restore_lock = threading.Lock()
        self._attach_lock = threading.Lock()
        self._reaper: threading.Thread | None = None
        self._reaper_stop = threading.Event()
        self._next_sweep_s = 0.0
        # what the layers above keep per page or per visitor is freed through these (see ganapp.ui.handlers.GanApp)
        self.on_remove: list[Callable[[str], None]] = []  # called with a visitor's id once :meth:`remove` forgot them
        self.on_reap: list[Callable[[float], None]] = []  # called after each :meth:`reap` with its time.monotonic()

    def __len__(self) -> int:
        with self._lock:
            return len(self._visitors)

    def __contains__(self, visitor_id: str) -> bool:
        with self._lock:
            return visitor_id in self._visitors

    def peek(self, visitor_id: str) -> Visitor | None:
        """The visitor's record if they are in memory, without marking them as seen (a teacher looking at a run
        does not keep it alive)."""
        with self._lock:
            return self._visitors.get(visitor_id)

    def visitor_ids(self) -> list[str]:
        """The ids of the visitors in memory now."""
        with self._lock:
            return list(self._visitors)

    def visitors(self) -> list[tuple[str, Visitor]]:
        """(id, record) of every visitor in memory now, without marking them as seen."""
        with self._lock:
            return list(self._visitors.items())

    def classroom_mode(self) -> bool:
        """Whether new 2D runs at default sizes get the classroom sizes now (see the class). Automatic: while
        ``classroom_from`` or more visitors have a page that made a request in the last
        :data:`ganapp.host.visitors.ALIVE_S` seconds (:meth:`ganapp.host.visitors.Pages.alive`). Visitors held in
        memory do not count: a closed page's visitor stays until the idle timeout, and passers-by on a public Space
        would shrink everyone's networks. When the class has gone, runs built afterwards get the full sizes again."""
        if self.classroom is not None:
            return self.classroom
        return self.pages.alive(time.monotonic()) >= self.classroom_from

    # ----- pages and visitors -----

    def attach(self, page_id: str, token: Any = None) -> tuple[str | None, str]:
        """A page opened: bind it to the visitor its browser's token names, restoring their runs from disk when
        they are not in memory; a missing, malformed or forged token gets a new visitor and a new token.

        Returns:
            (the token the browser should keep, or None without a state folder; what the page found: NEW,
            REATTACHED, RESTORED or RESTORE_FAILED).
        """
        if self.store is None:
            return None, NEW
        vid = self.store.verify(token)
        if vid is None:
            token = self.store.new_token()
            vid = self.store.verify(token)
        self.pages.bind(page_id, vid)
        with self._lock:
            known = vid in self._visitors
        v = self.visitor(vid)
        with self._attach_lock:  # one step with update_state: a value the page set meanwhile reaches v
            with self._lock:
                orphan = self._visitors.pop(own_key(page_id), None)  # what it did before it attached (a tick, a name)
            if orphan is not None:
                self._adopt(v, orphan)
        if v.restored is not None and not known:
            return token, v.restored[0]
        return token, REATTACHED if known and v.runs() else NEW

    @staticmethod
    def _adopt(v: Visitor, orphan: Visitor) -> None:
        """Give a visitor what their page did before it attached: its runs, when they have none of their own (else
        those are stopped), its values that they do not have, and a name typed on the page at once (newer than
        one kept from an earlier visit)."""
        name = orphan.state.name or v.state.name
        if orphan.runs() and not v.runs():
            v.run, v.run_b, v.checkpoint = orphan.run, orphan.run_b, orphan.checkpoint or v.checkpoint
            v.state = orphan.state  # it describes the runs taken over
        else:
            for run in orphan.runs().values():
                run.stop()
            v.state.fill_from(orphan.state)
        v.state.name = name

    def update_state(self, page_id: str, **values: Any) -> Visitor:
        """Set fields of the :class:`~ganapp.host.visitors.VisitorState` of the visitor a page acts for (a name typed on
        it), as one step with the page attaching (:meth:`attach`): whether the page attached before, after or
        while this runs, the values reach the visitor it attaches to. Returns that visitor's record.

        Raises:
            AttributeError: a field VisitorState does not have.
        """
        with self._attach_lock:
            key, own = self.key(page_id), own_key(page_id)
            v = self.visitor(key)
            targets = [v]
            if key != own:  # attached: what the page did before may not be adopted yet
                with self._lock:
                    orphan = self._visitors.get(own)
                targets += [orphan] if orphan is not None else []
            for target in targets:
                for name, value in values.items():
                    if not hasattr(target.state, name):
                        raise AttributeError(f"VisitorState has no field {name!r}")
                    setattr(target.state, name, value)
            return v

    def detach(self, page_id: str) -> None:
        """A page closed (or reloaded). A visitor without a token goes with it; one with a token keeps training
        until the idle timeout, since the page may come back."""
        if self.pages.drop(page_id) is None:
            self.remove(own_key(page_id))

    def key(self, page_id: str) -> str:
        """The visitor id a page acts for: the one it attached to, else the page's own key (never a visitor id, see
        :func:`ganapp.host.visitors.own_key`). Marks the page as seen."""
        return self.pages.key(page_id)

    def page(self, page_id: str) -> PageView:
        """What the page shows (what it has drawn, which outputs are visible), created on first use. Two tabs of
        one visitor share runs but not these."""
        return self.pages.view(page_id)

    def visitor(self, visitor_id: str) -> Visitor:
        """The visitor's record, created on first use (restored from their autosave when they have one and are
        not in memory, or when their runs were lost with the training worker); marks them as seen now."""
        with self._lock:
            v = self._visitors.get(visitor_id)
            if v is not None and self._lost_but_saved(visitor_id, v):
                log.warning("a visitor's runs were lost with the training worker; restoring their autosave")
                del self._visitors[visitor_id]  # their autosave brings them back below, paused
                v = None
            if v is not None:
                v.last_seen_s = time.monotonic()
                return v
        if self.store is None or not self.pages.bound(visitor_id):  # no token: nothing on disk to come back from
            with self._lock:
                return self._visitors.setdefault(visitor_id, Visitor())
        with self._restore_lock:
            with self._lock:
                v = self._visitors.get(visitor_id)
            if v is None:
                v = self._restore(visitor_id)
                with self._lock:
                    self._visitors[visitor_id] = v
            v.last_seen_s = time.monotonic()
            return v

    def _lost_but_saved(self, visitor_id: str, v: Visitor) -> bool:
        """Whether the visitor's runs died with the training worker (see :mod:`ganapp.service.worker`) and an autosave
        of theirs can bring them back. Cheap while nothing is lost: no file is looked at."""
        return v.persistent and self.store is not None and \
            any(s.lost for s in v.runs().values()) and self.store.has(visitor_id, "a")

    def _restore(self, visitor_id: str) -> Visitor:
        """A persistent visitor's record from their autosaves (runs paused); empty when they have none."""
        v = Visitor(persistent=True)
        if not self.store.has(visitor_id, "a"):
            return v
        try:
            for slot in ("a", "b") if self.store.has(visitor_id, "b") else ("a",):
                tensors, meta = self.store.read(visitor_id, slot)
                run = self._build(None, saved=(tensors, meta))
                if slot == "a":
                    v.run = run
                    v.state.restore(meta.get("visitor", {}))
                else:
                    v.run_b = run
                v.saved[slot] = (run.save_key(), time.monotonic())
        except (AutosaveError, ValueError, DatasetUnavailableError, KeyError) as e:
            log.warning("an autosave could not be restored: %s", e)
            for s in v.runs().values():
                s.stop()
            return Visitor(persistent=True, restored=(RESTORE_FAILED, 0))
        v.restored = (RESTORED, v.run.step_count)
        return v

    def statuses(self, runs: list[RunHandle]) -> list[Snapshot]:
        """Each run's status (:meth:`~ganapp.service.protocol.RunHandle.status`), in one call to the training worker
        when they train there (see :meth:`~ganapp.service.protocol.RunService.statuses`)."""
        return self.service.statuses(runs)

    def live_runs(self) -> int:
        """Runs held in memory now (run A and run B of every visitor)."""
        with self._lock:
            return sum(len(v.runs()) for v in self._visitors.values())

    def _admit(self, visitor_id: str, config: GANConfig, slot: str) -> tuple[str, str]:
        """Check a new run against the host's limits (its settings, and a free slot unless it replaces one) and hold
        its slot until :meth:`_new_run` installs it or gives it up. The check and the hold are one step under
        ``_lock``: concurrent Starts cannot all pass a check that only some of them fit.

        Returns:
            the slot held, (visitor id, slot).
        Raises:
            ganapp.host.limits.LimitError, ganapp.host.limits.ServerFullError: beyond the host's limits.
        """
        self.limits.check(config)
        held = (visitor_id, slot)
        with self._lock:
            used = {(k, s) for k, v in self._visitors.items() for s in v.runs()} | set(self._building)
            if held not in used and len(used) >= self.limits.max_runs:
                raise ServerFullError(self.limits.max_runs)
            self._building[held] += 1
        return held

    def _build(self, config: GANConfig | None, init: Checkpoint | None = None,
               saved: tuple | None = None) -> RunHandle:
        """A run from the service: from ``config`` (fine-tuning ``init``), or from an autosave ``saved`` =
        (tensors, meta)."""
        return self.service.new_run(config, init=init, saved=saved, **self.run_kwargs)

    def new_run(self, visitor_id: str, config: GANConfig, init: Checkpoint | None = None) -> Run:
        """Build a fresh Run for the visitor (stopping any old one) and return it; ``init`` is a
        checkpoint to fine-tune (see Run).

        Raises:
            ganapp.host.limits.LimitError, ganapp.host.limits.ServerFullError: beyond the host's limits.
            ValueError, ganapp.gan.data.DatasetUnavailableError: the config cannot be built; the old run is kept.
        """
        return self._new_run(visitor_id, config, "a", lambda: self._build(config, init=init))

    def new_run_b(self, visitor_id: str, config: GANConfig) -> Run:
        """Build the visitor's side-by-side run (stopping any old one); it trains on the shared engine like every
        other run.

        Raises:
            ganapp.host.limits.LimitError, ganapp.host.limits.ServerFullError: beyond the host's limits.
            ValueError, ganapp.gan.data.DatasetUnavailableError: the config cannot be built; the old run B is kept.
        """
        return self._new_run(visitor_id, config, "b", lambda: self._build(config))

    def _new_run(self, visitor_id: str, config: GANConfig, slot: str, build: Callable[[], Run]
                 ) -> Run:
        """Admit, ``build()`` and install the visitor's run in ``slot`` ("a": run A, "b": run B), stopping the one it
        replaces. The slot stays held from the admission to the install, which happen under ``_lock``."""
        v = self.visitor(visitor_id)  # (a returning visitor's autosaved runs come back first, and count)
        held = self._admit(visitor_id, config, slot)
        run = old = None
        try:
            run = build()
        finally:
            with self._lock:
                self._building[held] -= 1
                if not self._building[held]:
                    del self._building[held]
                if run is not None:
                    if slot == "a":
                        old, v.run, v.restored = v.run, run, None
                    else:
                        old, v.run_b = v.run_b, run
                    v.saved.pop(slot, None)
        if old is not None:
            old.stop()
        return run

    def drop_run_b(self, visitor_id: str) -> bool:
        """Stop and forget the visitor's side-by-side run (and its autosave). Returns True when there was one."""
        v = self.visitor(visitor_id)
        run_b, v.run_b = v.run_b, None
        v.saved.pop("b", None)
        if run_b is not None:
            run_b.stop()
        if v.persistent and self.store is not None:
            self.store.discard(visitor_id, "b")
        return run_b is not None

    def remove(self, visitor_id: str) -> bool:
        """Stop and forget the visitor's runs, and delete their autosaves. Returns True when there was a
        visitor to remove."""
        with self._lock:
            v = self._visitors.pop(visitor_id, None)
        for run in v.runs().values() if v is not None else ():
            run.stop()
        if self.store is not None and v is not None and v.persistent:
            self.store.discard(visitor_id)
        for forget in self.on_remove:
            forget(visitor_id)
        return v is not None

    def reap(self, now_s: float | None = None) -> list[str]:
        """One round of upkeep (see :meth:`_upkeep`), then the ``on_reap`` callbacks. Returns the ids freed."""
        now_s = time.monotonic() if now_s is None else now_s
        freed = self._upkeep(now_s)
        for upkeep in self.on_reap:
            upkeep(now_s)
        return freed

    def close(self, save: bool = True) -> None:
        """Stop the reaper, autosave the runs of visitors with a token (when ``save``), stop every run, and
        close the worker this registry owns. Autosaves stay on disk for the next start."""
        self._reaper_stop.set()
        if save:
            self.save_all()
        with self._lock:
            visitors = list(self._visitors.values())
            self._visitors.clear()
        for v in visitors:
            for run in v.runs().values():
                run.stop()
        if self.owns_engine:
            self.service.close()

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
        for slot, run in v.runs().items():
            try:
                key = run.save_key()
                last_key, last_s = v.saved.setdefault(slot, (None, now))
                if key == last_key or (run.step_count == 0 and not force):
                    continue
                training = run.state in (RUNNING, WAITING)
                if not (force or not training or now - last_s >= self.autosave_every_s):
                    continue
                key, tensors, meta = run.autosave_copy()  # the key and the copies come from the same moment
            except RunLostError:  # its worker died: its last autosave on disk is all that is left of it
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
            for run in v.runs().values() if v is not None else ():
                run.pause()
            try:
                n += len(self.autosave(vid, force=True))
            except OSError:  # logged once by autosave(); each run keeps its previous autosave
                failed += 1
        if failed:
            log.error("%d of %d visitors' runs could not be saved at shutdown; they come back from their previous "
                      "autosaves", failed, len(ids))
        return n

    # ----- the reaper -----

    def _upkeep(self, now_s: float) -> list[str]:
        """One round of upkeep: autosave what is due; pause and free every visitor unseen for longer than
        ``idle_timeout_s`` (autosaving a returning visitor's runs first); delete autosaves older than ``grace_s``
        and keep the folder under its size cap. Returns the ids freed."""
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
        for run in v.runs().values():
            run.pause()
        try:
            self.autosave(visitor_id, force=True)
        except OSError:  # logged once (see autosave_problem): the runs stay in memory until a save works
            return
        with self._lock:
            if now_s - v.last_seen_s <= self.idle_timeout_s or self._visitors.get(visitor_id) is not v:
                return
            del self._visitors[visitor_id]
        for run in v.runs().values():
            run.stop()

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
