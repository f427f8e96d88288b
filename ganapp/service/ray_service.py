"""Training on a Ray cluster: :class:`RayService`, the :class:`~ganapp.service.protocol.RunService` whose engines are
Ray actors (:class:`~ganapp.service.ray_engine.RayEngine`), one per node (or per GPU, or per fraction of one).

The web process holds :class:`~ganapp.service.remote.WorkerRun` handles, the same client class as the training
worker's; only their ``call`` differs (:func:`call_actor`: one actor method call per member). Ray is imported only
here, and only once a RayService connects: ``app.py`` builds one only when ``GANAPP_RAY_ADDRESS`` is set.

Placement: each new run, and each run that comes back after its engine died, goes where
:func:`ganapp.service.placement.place` says: to an engine where its shape already trains (it joins that stack), else
to the least-loaded engine (fewest runs, ties by name).

Recovery (the protocol's rule before loss, see :mod:`ganapp.service.protocol`): every engine autosaves its runs every
``autosave_every_s`` to the :class:`~ganapp.service.ray_store.RunStore` at ``store_url``, which every engine reads.
When a call finds a run's engine gone (its actor died, or its node), :meth:`RayService.recover` marks that engine
dead, places the run on a live engine, which rebuilds it from its last autosave (from its config when it died before
its first one), and resumes it when it was training then; the call is then made there. At most ``autosave_every_s``
of training is lost, and the history up to the autosave comes back with it. Without a store, or with no engine left,
the run is lost by the protocol's one rule.
"""

from __future__ import annotations

import functools
import logging
import secrets
import threading
import weakref
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import torch
from safetensors.torch import save as save_tensors

from ..gan.checkpoints import Checkpoint
from ..gan.config import GANConfig
from ..run.publisher import Snapshot
from .placement import place, shape_key
from .protocol import RunLostError
from .remote import WorkerRun, pack_checkpoint

__all__ = ["RayService", "call_actor"]

log = logging.getLogger("ganapp")

TRAINING = ("running", "waiting")  # the states a run that comes back resumes from


def _init_in_lasting_thread(ray: Any, options: dict[str, Any]) -> None:
    """``ray.init(**options)`` in a daemon thread that then waits for good (see :meth:`RayService._connect`).

    Raises:
        what ray.init raises.
    """
    done, failed = threading.Event(), []

    def init() -> None:
        try:
            ray.init(**options)
        except BaseException as e:  # noqa: BLE001 (raised again in the caller)
            failed.append(e)
        done.set()
        if not failed:
            threading.Event().wait()  # the local cluster's processes live as long as this thread

    threading.Thread(target=init, name="ganapp-ray-local", daemon=True).start()
    done.wait()
    if failed:
        raise failed[0]


def call_actor(actor: Any, name: str, *args: Any) -> Any:
    """``RunServer.<name>(*args)`` in a Ray actor, waited for. The run's own error comes back whole (Ray wraps it
    in a RayTaskError: its cause is raised); Ray's own errors (the actor or its node died) pass as they are."""
    import ray

    try:
        return ray.get(getattr(actor, name).remote(*args))
    except ray.exceptions.RayTaskError as e:
        raise e.cause from None


class RayService:
    """Runs on the engines of a Ray cluster.

    Args:
        address: ``auto`` (the cluster this node belongs to, as ``ray start`` made it), ``ray://host:10001`` (a
            cluster elsewhere, through Ray Client), or ``local`` (a fresh cluster in this process, for one
            machine). Ignored when Ray is already initialised in this process.
        num_gpus: None: one engine per node, on its CPUs; else the GPUs each engine gets (a float > 0: 0.25 puts four
            engines on each GPU), and one engine per such share of each node's GPUs.
        store_url: where engines autosave their runs, a folder every node sees or an fsspec URL (see
            :class:`~ganapp.service.ray_store.RunStore`); None: no autosaves, and a dead engine's runs are lost.
        autosave_every_s: how often each engine autosaves its runs, in seconds (> 0).
        max_bytes: the store's size cap.
        actor_concurrency: calls an engine serves at once (threads of its actor).
    Raises:
        ValueError: ``num_gpus`` or ``autosave_every_s`` is not > 0.
    """

    def __init__(self, address: str = "auto", num_gpus: float | None = None, store_url: str | Path | None = None,
                 autosave_every_s: float = 5.0, max_bytes: int = 2 * 1024**3, actor_concurrency: int = 32):
        if num_gpus is not None and not num_gpus > 0:
            raise ValueError(f"num_gpus={num_gpus!r} is out of range: it must be > 0 (or unset: CPUs only)")
        if not autosave_every_s > 0:
            raise ValueError(f"autosave_every_s={autosave_every_s!r} is out of range: it must be > 0")
        self.address, self.num_gpus, self.autosave_every_s = address, num_gpus, autosave_every_s
        self.store_url = str(store_url) if store_url is not None else None
        self.max_bytes, self.actor_concurrency = max_bytes, actor_concurrency
        self.prefix = secrets.token_hex(6)  # run ids of this service: rooms that share a store never collide
        self._lock = threading.RLock()  # guards the fields below; re-entrant (a finalizer may ask alive())
        self._recover_lock = threading.Lock()  # one recovery at a time: they place runs by the same loads
        self._engines: dict[str, SimpleNamespace] = {}  # name → actor, call, generation, node
        self._dead: set[int] = set()  # generations of engines found gone
        self._runs: weakref.WeakKeyDictionary[WorkerRun, tuple[str, dict]] = weakref.WeakKeyDictionary()
        self._next = 0
        self._owns_ray = False
        self.calls: Counter[str] = Counter()  # calls to the engines, by RunServer method (see count)
        self._calls_lock = threading.Lock()

    # ----- the cluster -----

    def _connect(self) -> Any:
        """Ray, initialised. A ``local`` cluster is started from a thread that lives as long as this process: Ray
        starts its processes (GCS, raylet) to die with the thread that started them (Linux's PR_SET_PDEATHSIG is a
        thread's), and the first call may come from a short-lived one (the server's warm-up)."""
        import ray

        if not ray.is_initialized():
            options = dict(address=None if self.address == "local" else self.address, log_to_driver=False,
                           include_dashboard=False if self.address == "local" else None, ignore_reinit_error=True)
            if self.address == "local" and threading.current_thread() is not threading.main_thread():
                _init_in_lasting_thread(ray, options)
            else:
                ray.init(**options)
            self._owns_ray = True
        return ray

    def _start_engines(self) -> None:
        """An engine on every live node (or GPU share) that has none of this service's; callers hold ``_lock``."""
        ray = self._connect()
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        from .ray_engine import RayEngine

        have = {(e.node, e.slot) for e in self._engines.values() if e.generation not in self._dead}
        started = []
        for node in ray.nodes():
            if not node.get("Alive"):
                continue
            resources = node.get("Resources", {})
            if self.num_gpus is not None:
                slots = int(resources.get("GPU", 0) // self.num_gpus + 1e-9)
                options = {"num_gpus": self.num_gpus, "num_cpus": 0}
            else:
                slots = 1 if resources.get("CPU", 0) >= 1 else 0
                options = {"num_cpus": 1}
            for slot in range(slots):
                if (node["NodeID"], slot) in have:
                    continue
                self._next += 1
                name = f"{node['NodeManagerAddress']}-{node['NodeID'][:8]}-{slot}"
                actor = ray.remote(RayEngine).options(
                    max_concurrency=self.actor_concurrency, max_restarts=0,
                    scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False), **options
                ).remote(name, self.store_url, self.autosave_every_s, self.max_bytes)
                started.append(name)
                self._engines[name] = SimpleNamespace(actor=actor, call=functools.partial(call_actor, actor),
                                                      generation=self._next, node=node["NodeID"], slot=slot)
        for name in started:  # wait until each is up, so that a first run need not
            engine = self._engines[name]
            try:
                ray.get(engine.actor.ping.remote())
            except Exception as e:  # noqa: BLE001 (an engine that did not start is no engine)
                log.error("a Ray engine did not start: %s", e)
                self._dead.add(engine.generation)
                del self._engines[name]

    def _live(self) -> dict[str, SimpleNamespace]:
        """The live engines by name, started where missing; callers hold ``_lock``.

        Raises:
            RunLostError: the cluster has no node that can hold an engine.
        """
        live = {n: e for n, e in self._engines.items() if e.generation not in self._dead}
        if not live:
            self._start_engines()
            live = {n: e for n, e in self._engines.items() if e.generation not in self._dead}
        if not live:
            raise RunLostError("the Ray cluster has no node that can train (no CPU, or too few GPUs)")
        return live

    def engines(self) -> dict[str, Any]:
        """The live engines' actor handles by name (started where missing)."""
        with self._lock:
            return {name: e.actor for name, e in self._live().items()}

    def refresh(self) -> None:
        """Start an engine on each node that joined the cluster since (or whose engine died)."""
        with self._lock:
            self._start_engines()

    def _choose(self, config: GANConfig, leaving: WorkerRun | None = None) -> SimpleNamespace:
        """The engine a run of ``config`` goes to, by the placement rule (``leaving``: a run that moves, not
        counted where it was)."""
        with self._lock:
            live = self._live()
            by_generation = {e.generation: name for name, e in live.items()}
            loads: dict[str, tuple[int, set]] = {name: (0, set()) for name in live}
            for run in list(self._runs):
                name = by_generation.get(run._at()[0])
                if name is None or run is leaving:
                    continue
                count, keys = loads[name]
                keys.add(shape_key(run.config))
                loads[name] = (count + 1, keys)
            return live[place(loads, shape_key(config))]

    # ----- what WorkerRun asks (see ganapp.service.remote.Backend) -----

    def alive(self, generation: int) -> bool:
        """Whether engine ``generation`` was not found gone (no call)."""
        with self._lock:
            return generation not in self._dead

    def gone(self, generation: int, error: BaseException) -> bool:
        """Whether ``error`` means that engine ``generation`` is gone (its actor or its node died): then it is
        marked dead."""
        import ray

        if not isinstance(error, (ray.exceptions.RayActorError, ray.exceptions.NodeDiedError)):
            return not self.alive(generation)
        with self._lock:
            if generation not in self._dead:
                log.error("a Ray engine is gone (%s); its runs come back on the others", type(error).__name__)
                self._dead.add(generation)
        return True

    def count(self, name: str) -> None:
        """Count one call to an engine's ``RunServer.<name>``."""
        with self._calls_lock:
            self.calls[name] += 1

    def recover(self, run: WorkerRun) -> bool:
        """Bring ``run``, whose engine is gone, back on a live engine from its last autosave, resumed when it was
        training then (see the module). True when it is back (or was already); False when it cannot be (no store,
        no engine left, or its autosave does not load: the run is then lost)."""
        with self._recover_lock:
            if self.alive(run._at()[0]):
                return True  # another call brought it back meanwhile
            if self.store_url is None or run not in self._runs:
                return False
            run_id, kwargs = self._runs[run]
            for _ in range(3):  # an engine found dead meanwhile: the next one
                try:
                    engine = self._choose(run.config, leaving=run)
                except RunLostError:
                    return False
                try:
                    sid, built, state, step = call_actor(engine.actor, "restore", run_id, run.config.to_dict(),
                                                         kwargs)
                    if state in TRAINING:
                        call_actor(engine.actor, "resume", sid)
                except Exception as e:  # noqa: BLE001 (sorted below: a dead engine, or an autosave that fails)
                    if self.gone(engine.generation, e):
                        continue
                    log.error("a run could not come back from its autosave: %s", e)
                    return False
                run._move(engine.call, engine.generation, sid, GANConfig.from_dict(built))
                log.warning("a run came back on engine %s from its autosave at step %d", engine.actor, step)
                return True
            return False

    # ----- the RunService protocol -----

    def new_run(self, config: GANConfig | None, init: Checkpoint | None = None,
                saved: tuple[dict[str, torch.Tensor], dict[str, Any]] | None = None, **kwargs: Any) -> WorkerRun:
        """A new run on the engine the placement rule picks: fresh from ``config`` (fine-tuning ``init``), or the
        run an autosave ``saved`` holds. ``kwargs`` go to Run (picklable).

        Raises:
            what Run raises; RunLostError: no engine could be reached.
        """
        config_for_placement = config if config is not None else GANConfig.from_dict(saved[1]["config"])
        packed = None if saved is None else (save_tensors(saved[0]), saved[1])
        with self._lock:
            self._next += 1
            run_id = f"{self.prefix}-{self._next}"
        args = (config.to_dict() if config is not None else None, pack_checkpoint(init), packed, kwargs)
        for _ in range(3):
            engine = self._choose(config_for_placement)
            try:
                sid, built = call_actor(engine.actor, "create_run", run_id, *args)
            except Exception as e:
                if self.gone(engine.generation, e):
                    continue
                raise
            run = WorkerRun(self, engine.call, engine.generation, sid, GANConfig.from_dict(built))
            with self._lock:
                self._runs[run] = (run_id, kwargs)
            return run
        raise RunLostError()

    def statuses(self, runs: list[WorkerRun]) -> list[Snapshot]:
        """Each run's status: one call per engine for the runs on a live engine, at once; any other run (and any
        run of an engine found gone) by its own ``status``, which brings it back or follows the one rule."""
        import ray

        by_engine: dict[int, list[int]] = {}
        with self._lock:
            actors = {e.generation: e.actor for e in self._engines.values() if e.generation not in self._dead}
        for i, run in enumerate(runs):
            generation = run._at()[0]
            if not run._lost and generation in actors:
                by_engine.setdefault(generation, []).append(i)
        out: list[Snapshot | None] = [None] * len(runs)
        pending = {g: actors[g].statuses.remote([runs[i]._at()[1] for i in idx]) for g, idx in by_engine.items()}
        for generation, ref in pending.items():
            self.count("statuses")
            try:
                snaps = ray.get(ref)
            except Exception as e:  # noqa: BLE001 (each run then answers by itself)
                self.gone(generation, e)
                continue
            for i, snap in zip(by_engine[generation], snaps):
                out[i] = runs[i]._heard("status", snap)
        return [snap if snap is not None else run.status() for run, snap in zip(runs, out)]

    def warm(self) -> None:
        """Connect to the cluster and start its engines, so that the first run need not wait.

        Raises:
            RunLostError: the cluster has no node that can train.
        """
        with self._lock:
            self._live()

    def close(self) -> None:
        """Stop this service's engines (their runs are gone: autosave them first); disconnect from a cluster this
        service connected to."""
        import ray

        with self._lock:
            engines, self._engines = list(self._engines.values()), {}
            self._dead.update(e.generation for e in engines)
        if not ray.is_initialized():
            return
        for e in engines:
            try:
                ray.kill(e.actor)
            except Exception:  # noqa: BLE001 (already gone)
                pass
        if self._owns_ray:
            ray.shutdown()
