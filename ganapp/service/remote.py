"""A run in the training worker process, seen from the web process: :class:`WorkerRun`.

It implements :class:`~ganapp.service.protocol.RunHandle`, as :class:`~ganapp.run.run.Run` does, by one explicit call
per member to the run in the worker (:class:`ganapp.service.worker.RunServer`), where the run's Trainer stays. Errors
come back whole; tensors cross as safetensors bytes (see :func:`weights_blob`). When the worker is gone, the run
follows the protocol's one rule after loss (see :mod:`ganapp.service.protocol`).

The same class is the client of a RunServer in a Ray actor (:mod:`ganapp.service.ray_service`): what differs is only
the ``call`` its service gives it (a function ``call(name, *args)`` that calls ``RunServer.<name>(*args)`` over the
manager's proxy, or over a Ray actor handle) and what its service answers to :meth:`Backend.gone` and
:meth:`Backend.recover` (the worker's runs are lost with it; a Ray service moves them to another engine).
"""

from __future__ import annotations

import dataclasses
import logging
import weakref
from pathlib import Path
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, Protocol

import numpy as np
import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from ..gan.checkpoints import Checkpoint, checkpoint_from_parts, checkpoint_parts
from ..gan.config import GANConfig
from ..gan.models import build_generator
from ..run.history import COLUMNS
from ..run.lessons import LESSONS, Lesson
from ..run.publisher import Snapshot, generate_checked
from ..run.run import ERROR
from .protocol import RUN_MOVED, RunLostError

log = logging.getLogger("ganapp")

# Connection faults, which mean that the worker is gone when its process has ended. (Any other error of a call is
# the run's own, raised in the worker and sent back: it may be an OSError too, as DatasetUnavailableError is.)
TRANSPORT = (EOFError, ConnectionError)


# The members that change what a run does: after one of them, a run that moved to another engine no longer says so.
COMMANDS = frozenset({"start", "resume", "pause", "step", "phase_step", "stop", "reset", "update"})

Call = Callable[..., Any]  # call(name, *args): RunServer.<name>(*args) wherever the server lives


class Backend(Protocol):
    """What a :class:`WorkerRun` asks of the service that made it (:class:`~ganapp.service.worker.WorkerService`
    or :class:`~ganapp.service.ray_service.RayService`); ``generation`` names the server process a run is on."""

    def alive(self, generation: int) -> bool:
        """Whether server number ``generation`` still runs (no call to it)."""

    def gone(self, generation: int, error: BaseException) -> bool:
        """Whether ``error``, raised by a call to server ``generation``, means that it is gone (else it is the
        call's own)."""

    def count(self, name: str) -> None:
        """Count one round trip to ``RunServer.<name>``."""

    def recover(self, run: "WorkerRun") -> bool:
        """Bring ``run`` back on a live server after its own was gone (see :meth:`WorkerRun._move`); False when
        the service cannot (the run is then lost)."""


def call_proxy(proxy: Any, name: str, *args: Any) -> Any:
    """``RunServer.<name>(*args)`` through a :mod:`multiprocessing.managers` proxy (the training worker's)."""
    return getattr(proxy, name)(*args)


def weights_blob(module: torch.nn.Module) -> bytes:
    """A module's state dict as safetensors bytes (CPU, contiguous)."""
    return save_tensors({k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()})


def generator_from(config: GANConfig, blob: bytes) -> torch.nn.Module:
    """A frozen G (eval, no grad, CPU) for ``config`` holding the weights of :func:`weights_blob`'s ``blob``.
    Built on the meta device, so it draws nothing from torch's global RNG."""
    with torch.device("meta"):
        g = build_generator(config)
    g.load_state_dict(load_tensors(blob), assign=True)
    return g.eval().requires_grad_(False)


def pack_checkpoint(ck: Checkpoint | None) -> tuple[bytes, dict[str, str]] | None:
    """A checkpoint to fine-tune, for the worker: its tensors as safetensors bytes and its metadata, as a checkpoint
    file holds them (:func:`ganapp.gan.checkpoints.checkpoint_parts`); None stays None."""
    if ck is None:
        return None
    tensors, metadata = checkpoint_parts(ck.G.state_dict(), ck.config, ck.step, ck.d_state, ck.fixed_z, ck.dataset)
    return save_tensors(tensors), metadata


def unpack_checkpoint(packed: tuple[bytes, dict[str, str]] | None) -> Checkpoint | None:
    """The :class:`~ganapp.gan.checkpoints.Checkpoint` that :func:`pack_checkpoint` packed (G frozen, on the CPU)."""
    if packed is None:
        return None
    return checkpoint_from_parts(load_tensors(packed[0]), packed[1], "the checkpoint sent to the training worker")


def _drop(engine: Backend, where: SimpleNamespace) -> None:
    """Free the run where it is now (``where``: its server's ``call``, ``generation`` and the run's ``sid``), unless
    that server is gone (and the run with it)."""
    if not engine.alive(where.generation):
        return
    try:
        where.call("drop", where.sid)
    except Exception:  # noqa: BLE001 (a finalizer must not raise)
        if engine.alive(where.generation):
            log.exception("dropping a run in the worker failed")


class WorkerRun:
    """A run in the worker process: a :class:`~ganapp.service.protocol.RunHandle` whose every member is one explicit
    call to the worker's :class:`~ganapp.service.worker.RunServer` (``generate`` uses the local copy of G). Dropping
    the last reference frees the run in the worker.

    After the worker is gone, the protocol's one rule: the reads in :data:`~ganapp.service.protocol.LAST_SEEN` answer
    from what this handle saw last, ``pause`` and ``stop`` return as if done, and every other member raises
    :class:`~ganapp.service.protocol.RunLostError` (see :mod:`ganapp.service.protocol`).

    Raises (every member): what the run in the worker raises, with its code intact.
    """

    def __init__(self, engine: Backend, call: Call, generation: int, sid: int, config: GANConfig):
        self.engine = engine
        # where the run is: its server's call, the server's generation and the run's id there (_move changes it;
        # the finalizer reads it, so that it frees the run where it is then)
        self._where = SimpleNamespace(call=call, generation=generation, sid=sid)
        self._lost = False
        self._moved = False  # the run came back on another server from its autosave (see _move), until a command
        # the run's config, kept here: it changes only through this handle (update, reset), whose answers bring the
        # new one, and every snapshot carries it too; so reading it is no call
        self._config = config
        self._seen: dict[str, Any] = {}  # the last value of each LAST_SEEN read, for a lost run to answer with
        self._g: tuple[int, GANConfig, torch.nn.Module] | None = None  # the published G's id, config, local copy
        self._snapshots: dict[int, torch.nn.Module] = {}  # G snapshots by their id in the worker
        weakref.finalize(self, _drop, engine, self._where)

    @property
    def lost(self) -> bool:
        """Whether the worker that held this run is gone, and the run with it (no call to the worker). A run that
        its service can bring back elsewhere (:meth:`Backend.recover`) is not lost until that failed."""
        return self._lost or (not self.engine.alive(self._where.generation) and not self._recover())

    @property
    def _sid(self) -> int:
        """The run's id in the server it is on now."""
        return self._where.sid

    def _at(self) -> tuple[int, int]:
        """(the generation of the server the run is on, its id there)."""
        return self._where.generation, self._where.sid

    def _move(self, call: Call, generation: int, sid: int, config: GANConfig) -> None:
        """The run is now run ``sid`` of server ``generation`` (its service rebuilt it there from its last autosave,
        see :meth:`Backend.recover`): calls go there, and its snapshots say :data:`RUN_MOVED` until the next
        command."""
        self._where.call, self._where.generation, self._where.sid = call, generation, sid
        self._config, self._g, self._snapshots, self._moved = config, None, {}, True

    def _recover(self) -> bool:
        recovered = self.engine.recover(self)
        if not recovered:
            self._lost = True
        return recovered

    def _remote(self, name: str, *args: Any) -> Any:
        """``RunServer.<name>(sid, *args)`` in the worker: the one place where this handle calls it. When the
        server is gone, the service may bring the run back on another one (:meth:`Backend.recover`): the call is
        then made there."""
        for _ in range(2):
            if self._lost:
                raise RunLostError()
            where = self._where
            if name in COMMANDS:
                self._moved = False
            self.engine.count(name)
            try:
                return where.call(name, where.sid, *args)
            except Exception as e:
                if not self.engine.gone(where.generation, e):
                    raise  # the run's own error
                if not self._recover():
                    raise RunLostError() from None
        raise RunLostError()  # its new server was gone too

    def _read(self, name: str, *args: Any) -> Any:
        """A LAST_SEEN read: the worker's answer, kept; once the run is lost, the answer kept (RunLostError when
        there is none)."""
        try:
            self._seen[name] = self._remote(name, *args)
        except RunLostError:
            if name not in self._seen:
                raise
        return self._seen[name]

    # ----- reads answered from what was seen last once the run is lost -----

    @property
    def state(self) -> str:
        try:
            return self._remote("state")
        except RunLostError:
            return ERROR

    @property
    def config(self) -> GANConfig:
        """The run's config now, as this handle last heard it (no call: see ``__init__``)."""
        return self._config

    @property
    def step_count(self) -> int:
        return self._read("step_count")

    @property
    def lesson(self) -> Lesson | None:
        name = self._read("lesson")
        return LESSONS[name] if name is not None else None

    def status(self) -> Snapshot:
        """As Run's; once the worker is gone, the last one seen, in the ``error`` state with no speed."""
        return self._snap("status")

    def snapshot(self, since: int | None = 0) -> Snapshot:
        """As Run's; once the worker is gone, the last one seen, in the ``error`` state with no speed."""
        return self._snap("snapshot", since)

    def frame(self, since_version: int | None = None) -> Snapshot:
        """As Run's: the arrays cross between the processes only when they are new. Once the worker is gone, the
        last frame seen, in the ``error`` state with no speed."""
        return self._snap("frame", since_version)

    def _snap(self, name: str, *args: Any) -> Snapshot:
        try:
            return self._heard(name, self._remote(name, *args))
        except RunLostError as e:
            last = self._seen.get(name)
            if last is None:
                raise
            return dataclasses.replace(last, state=ERROR, message=str(e), metrics={k: [] for k in last.metrics},
                                       it_s=0.0, sharing=0)

    def _heard(self, name: str, snap: Snapshot) -> Snapshot:
        """Keep a status or snapshot that came from the worker (a lost run answers with it), and its config; a run
        that moved says so (:data:`RUN_MOVED`) until the next command."""
        if self._moved and not snap.message:
            snap = dataclasses.replace(snap, message=RUN_MOVED)
        self._seen[name] = snap
        self._config = snap.config
        return snap

    def rows_since(self, step: int) -> dict[str, list[float]]:
        """As Run's; no new rows once the worker is gone."""
        try:
            return self._remote("rows_since", step)
        except RunLostError:
            return {k: [] for k in COLUMNS}

    def history(self, max_points: int = 1000) -> dict[str, np.ndarray]:
        """As Run's; once the worker is gone, the last history read (the page keeps its curves)."""
        return self._read("history", max_points)

    # ----- commands answered as if done once the run is lost -----

    def pause(self) -> None:
        try:
            self._remote("pause")
        except RunLostError:
            pass

    def stop(self, timeout_s: float = 1.0) -> bool:
        try:
            return self._remote("stop", timeout_s)
        except RunLostError:
            return True

    # ----- every other member: RunLostError once the run is lost -----

    def start(self, run_s: float | None = None) -> None:
        self._remote("start", run_s)

    def resume(self) -> None:
        self._remote("resume")

    def step(self, n: int = 1) -> None:
        self._remote("step", n)

    def phase_step(self, phase: str) -> None:
        self._remote("phase_step", phase)

    def reset(self, config: GANConfig | None = None, init: Checkpoint | None = None) -> None:
        built = self._remote("reset", config.to_dict() if config is not None else None, pack_checkpoint(init))
        self._config = GANConfig.from_dict(built)

    def update(self, **changes: Any) -> tuple[list[str], list[str]]:
        applied, needs_reset, config = self._remote("update", changes)
        self._config = GANConfig.from_dict(config)
        return applied, needs_reset

    def set_slow_motion(self, seconds: float) -> None:
        self._remote("set_slow_motion", seconds)

    def set_lesson(self, lesson: Lesson | None) -> None:
        self._remote("set_lesson", lesson.name if lesson is not None else None)

    def save_checkpoint(self, path: str | Path) -> Path:
        return Path(self._remote("save_checkpoint", str(path)))

    def autosave_copy(self) -> tuple[Any, dict[str, torch.Tensor], dict[str, Any]]:
        """(save key, tensors, meta) taken at one moment between two steps (see Run.autosave_state)."""
        key, blob, meta = self._remote("autosave_copy")
        return key, load_tensors(blob), meta

    def save_key(self) -> tuple:
        return self._remote("save_key")

    def frames(self) -> list[np.ndarray]:
        return self._remote("frames")

    def generator(self) -> torch.nn.Module:
        """A frozen copy of the current G in this process (fetched again only after a newer one was published)."""
        have = self._g[0] if self._g is not None else 0
        g_id, config, blob = self._remote("generator", have)
        if blob is not None:
            config = GANConfig.from_dict(config)
            self._g = (g_id, config, generator_from(config, blob))
        return self._g[2]

    def generate(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """G(z[, y]) with the current published G, on the CPU; see :meth:`ganapp.run.publisher.Publisher.generate`."""
        g = self.generator()
        return generate_checked(g, z, self._g[1].z_dim, y)

    def g_snapshots(self) -> list[tuple[int, torch.nn.Module]]:
        """The run's G snapshots, (step, G) oldest first, copied here (each fetched once)."""
        config, rows = self._remote("g_snapshots", list(self._snapshots))
        config = GANConfig.from_dict(config)
        out, kept = [], {}
        for step, g_id, blob in rows:
            kept[g_id] = self._snapshots[g_id] if blob is None else generator_from(config, blob)
            out.append((step, kept[g_id]))
        self._snapshots = kept
        return out
