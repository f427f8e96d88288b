"""An engine of a Ray cluster: :class:`RayEngine`, the training worker's :class:`~ganapp.service.worker.RunServer`
run as a Ray actor (:class:`ganapp.service.ray_service.RayService` starts one per node, or per GPU or fraction of
one), which also autosaves its runs to the cluster's :class:`~ganapp.service.ray_store.RunStore`, so that another
engine can bring them back when this one dies."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from safetensors.torch import save as save_tensors

from .ray_store import RunStore
from .worker import RunServer

__all__ = ["RayEngine"]

log = logging.getLogger("ganapp")


class RayEngine(RunServer):
    """A :class:`RunServer` (one Engine, its stacks, every run by id) in a Ray actor, whose runs each have a cluster-
    wide id (the service's) and are autosaved under it.

    Args:
        name: the engine's name (the placement rule breaks ties by it).
        store_url: the :class:`RunStore` every engine reads (None: no autosaves, and a dead engine's runs are lost).
        autosave_every_s: how often each run whose state changed since its last autosave is written, in seconds
            (> 0): what a dead engine's runs lose at most.
        max_bytes: the store's size cap.
    """

    def __init__(self, name: str, store_url: str | None, autosave_every_s: float = 5.0,
                 max_bytes: int = 2 * 1024**3):
        if not autosave_every_s > 0:
            raise ValueError(f"autosave_every_s={autosave_every_s!r} is out of range: it must be > 0")
        super().__init__()
        self.name, self.autosave_every_s = name, autosave_every_s
        self.store = RunStore(store_url, max_bytes) if store_url else None
        self._run_ids: dict[int, str] = {}  # run id here → the run's cluster-wide id
        self._saved: dict[int, Any] = {}  # run id here → its save key when last written
        if self.store is not None:
            threading.Thread(target=self._autosave_loop, name="ganapp-ray-autosave", daemon=True).start()

    def create_run(self, run_id: str, config: dict | None, init: tuple | None, saved: tuple | None,
                   kwargs: dict[str, Any]) -> tuple[int, dict]:
        """:meth:`RunServer.create` of a run whose cluster-wide id is ``run_id``: (its id here, its config)."""
        sid, built = self.create(config, init, saved, kwargs)
        with self._lock:
            self._run_ids[sid] = run_id
        return sid, built

    def restore(self, run_id: str, config: dict, kwargs: dict[str, Any]) -> tuple[int, dict, str | None, int]:
        """Run ``run_id`` again here, from its last autosave in the store, paused; from ``config`` when it has none
        (it died before its first autosave). Returns (its id here, its config, the state it was autosaved in or
        None without an autosave, its step)."""
        saved = self.store.read(run_id) if self.store is not None else None
        packed = (save_tensors(saved[0]), saved[1]) if saved else None  # create's wire form
        sid, built = self.create_run(run_id, None if saved else config, None, packed, kwargs)
        run = self.runs_by_id[sid]
        state = saved[1].get("session", {}).get("state") if saved else None
        return sid, built, state, run.step_count

    def drop(self, sid: int) -> None:
        """Free the run, and delete its autosave: it is gone for good."""
        super().drop(sid)
        with self._lock:
            run_id = self._run_ids.pop(sid, None)
            self._saved.pop(sid, None)
        if run_id is not None and self.store is not None:
            self.store.discard(run_id)

    def autosave(self) -> int:
        """Write every run whose save key changed since its last autosave; returns how many were written."""
        with self._lock:
            held = [(sid, self.runs_by_id.get(sid), run_id) for sid, run_id in self._run_ids.items()]
        written = 0
        for sid, run, run_id in held:
            if run is None or run.save_key() == self._saved.get(sid):
                continue
            try:
                key, tensors, meta = run.autosave_copy()
                self.store.write(run_id, tensors, meta)
            except Exception:  # noqa: BLE001 (one run's failed write must not stop the others')
                log.exception("an engine's autosave failed")
                continue
            with self._lock:
                if sid in self._run_ids:
                    self._saved[sid] = key
            written += 1
        return written

    def _autosave_loop(self) -> None:
        while True:
            time.sleep(self.autosave_every_s)
            self.autosave()

    def load(self) -> tuple[str, int, list]:
        """(the engine's name, how many runs it holds, the size of each stack it trains now)."""
        with self.engine.lock:  # guards the stacks (see ganapp.engine.engine)
            stacks = [len(stack.members) for stack in self.engine._stacks.values()]
        return self.name, self.runs(), stacks

    def ping(self) -> str:
        """The engine's name: an answer means that it is up."""
        return self.name

