"""A run in the training worker process, seen from the web process: :class:`RemoteSession`.

It has :class:`~ganapp.run.run.Run`'s commands and reads, and forwards them to the session in the worker
(:mod:`ganapp.service.worker`), where the run's Trainer stays. Errors come back whole; tensors cross as safetensors
bytes (see :func:`weights_blob`). When the worker is gone, the run reports the ``error`` state with :data:`WORKER_LOST` as its
message, and its commands raise :class:`WorkerLostError`.
"""

from __future__ import annotations

import logging
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from .worker import WorkerEngine

log = logging.getLogger("ganapp")

# What a RemoteSession reads as an attribute of the session in the worker (everything else is a method call).
READABLE = frozenset({"state", "config", "step_count", "build_id"})
# The session's methods a RemoteSession forwards as they are: their arguments and results are plain values.
FORWARDED = frozenset({"start", "resume", "pause", "step", "stop", "update", "set_slow_motion", "phase_step",
                       "save_checkpoint", "snapshot", "rows_since", "history", "frames", "save_key"})
# Connection faults, which mean that the worker is gone when its process has ended. (Any other error of a call is
# the run's own, raised in the worker and sent back: it may be an OSError too, as DatasetUnavailableError is.)
TRANSPORT = (EOFError, ConnectionError)


WORKER_LOST = "the training worker stopped; reset the run to train again"


class WorkerLostError(RuntimeError):
    """The training worker process stopped (it crashed, or was killed); its runs are gone from memory. Their
    autosaves, if any, are still on disk. A lost run's snapshot says :data:`WORKER_LOST` as its message."""

    def __init__(self, message: str = WORKER_LOST):
        super().__init__(message)


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


def _drop(engine: WorkerEngine, generation: int, host: Any, sid: int) -> None:
    """Free run ``sid`` in worker number ``generation``, unless that worker is gone (and the run with it)."""
    if not engine.alive(generation):
        return
    try:
        host.drop(sid)
    except Exception:  # noqa: BLE001 (a finalizer must not raise)
        if engine.alive(generation):
            log.exception("dropping a run in the worker failed")


class RemoteSession:
    """A run in the worker process, with :class:`~ganapp.run.run.Run`'s commands and reads. Dropping
    the last reference frees the run in the worker.

    Raises (every method): what the session in the worker raises, and :class:`WorkerLostError` when the worker is
    gone.
    """

    def __init__(self, engine: WorkerEngine, host: Any, generation: int, sid: int):
        self.engine, self._host, self._generation, self._sid = engine, host, generation, sid
        self._lost = False
        self._last: Snapshot | None = None  # what a lost run still shows: its last snapshot and history
        self._history: dict[str, np.ndarray] | None = None
        self._g: tuple[int, GANConfig, torch.nn.Module] | None = None  # the published G's id, config, local copy
        self._snapshots: dict[int, torch.nn.Module] = {}  # G snapshots by their id in the worker
        weakref.finalize(self, _drop, engine, generation, host, sid)

    @property
    def lost(self) -> bool:
        """Whether the worker that held this run is gone, and the run with it (no call to the worker)."""
        return self._lost or not self.engine.alive(self._generation)

    def _remote(self, name: str, *args: Any) -> Any:
        if self._lost:
            raise WorkerLostError()
        try:
            return getattr(self._host, name)(self._sid, *args)
        except Exception as e:
            if not self.engine.gone(self._generation, e):
                raise  # the run's own error
            self._lost = True
            raise WorkerLostError() from None

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return self._remote("call", name, args, kwargs)

    def stop(self, timeout_s: float = 1.0) -> bool:
        """As Run's; True at once when the worker is gone (nothing trains)."""
        try:
            return self._call("stop", timeout_s)
        except WorkerLostError:
            return True

    def rows_since(self, step: int) -> dict[str, list[float]]:
        """As Run's; no rows once the worker is gone."""
        try:
            return self._call("rows_since", step)
        except WorkerLostError:
            return {k: [] for k in COLUMNS}

    def history(self, max_points: int = 1000) -> dict[str, np.ndarray]:
        """As Run's; once the worker is gone, the last history read (the page keeps its curves)."""
        try:
            self._history = self._call("history", max_points)
        except WorkerLostError:
            if self._history is None:
                raise
        return self._history

    def pause(self) -> None:
        """As Run's; nothing to do when the worker is gone."""
        try:
            self._call("pause")
        except WorkerLostError:
            pass

    def __getattr__(self, name: str) -> Any:
        if name in FORWARDED:
            return lambda *args, **kwargs: self._call(name, *args, **kwargs)
        raise AttributeError(name)

    @property
    def state(self) -> str:
        try:
            return self._remote("get", "state")
        except WorkerLostError:
            return "error"

    @property
    def config(self) -> GANConfig:
        return self._remote("get", "config")

    @property
    def step_count(self) -> int:
        return self._remote("get", "step_count")

    @property
    def build_id(self) -> int:
        return self._remote("get", "build_id")

    @property
    def lesson(self) -> Lesson | None:
        name = self._remote("lesson")
        return LESSONS[name] if name is not None else None

    def set_lesson(self, lesson: Lesson | None) -> None:
        self._remote("set_lesson", lesson.name if lesson is not None else None)

    def reset(self, config: GANConfig | None = None, init: Checkpoint | None = None) -> None:
        self._remote("reset", config.to_dict() if config is not None else None, pack_checkpoint(init))

    def snapshot(self, since: int | None = 0) -> Snapshot:
        """As Run's; once the worker is gone, the last one seen in the ``error`` state."""
        try:
            self._last = self._call("snapshot", since)
            return self._last
        except WorkerLostError as e:
            if self._last is None:
                raise
            last = self._last
            return Snapshot(**{**last.__dict__, "state": "error", "message": str(e), "metrics": {
                k: [] for k in last.metrics}, "it_s": 0.0, "sharing": 0})

    def autosave_copy(self) -> tuple[Any, dict[str, torch.Tensor], dict[str, Any]]:
        """(save key, tensors, meta) taken at one moment between two steps (see Run.autosave_state)."""
        key, blob, meta = self._remote("autosave_copy")
        return key, load_tensors(blob), meta

    def generator(self) -> torch.nn.Module:
        """A frozen copy of the current G in this process (fetched again only after a newer one was published)."""
        have = self._g[0] if self._g is not None else 0
        g_id, config, blob = self._remote("g_blob", have)
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
        config, rows = self._remote("g_snapshot_blobs", list(self._snapshots))
        config = GANConfig.from_dict(config)
        out, kept = [], {}
        for step, g_id, blob in rows:
            kept[g_id] = self._snapshots[g_id] if blob is None else generator_from(config, blob)
            out.append((step, kept[g_id]))
        self._snapshots = kept
        return out

    def save_checkpoint(self, path: str | Path) -> Path:
        return Path(self._call("save_checkpoint", str(path)))
