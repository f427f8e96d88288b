"""The run protocol: :class:`RunHandle`, what the web process may ask of one training run, wherever it trains.

Two implementations:

- :class:`ganapp.run.run.Run`, a run in this process (the ``GANAPP_WORKER=0`` server, the CLI, unit tests);
- :class:`ganapp.service.remote.WorkerRun`, a handle on a run in the training worker process, where each member is
  one explicit call to the worker's server (:class:`ganapp.service.worker.RunServer`), or in a Ray actor on a
  cluster (:class:`ganapp.service.ray_service.RayService`, the same handle over another transport).

The registry, the classroom and the pages use runs only through these members, and
``tests/service/test_run_contract.py`` runs one contract suite against both implementations. A new implementation (a
run on another machine) implements this protocol and passes that suite.

The one rule after loss. A run is lost once it cannot be reached: the worker that held it died or was stopped. Its
``lost`` then turns True, for good, and from then on no member calls anything:

- the reads in :data:`LAST_SEEN` answer from what this handle saw last: ``state`` is ``"error"``; ``status``,
  ``frame`` and ``snapshot`` are the last ones seen, in the ``error`` state with :data:`RUN_LOST` as their message
  and no speed; ``rows_since`` has no new rows; ``config``, ``step_count``, ``lesson`` and ``history`` are their
  last values. A read that this handle never made before the loss raises :class:`RunLostError`;
- the commands in :data:`DONE_WHEN_LOST` (``pause`` and ``stop``) return as if done (``stop`` returns True): a lost
  run trains no more;
- every other member raises :class:`RunLostError`.

A run in this process is never lost (``lost`` is always False). A call in flight when the run is lost behaves as if
it had been made after.

Before loss, recovery, where a service can (a Ray cluster, :mod:`ganapp.service.ray_service`): the engines autosave
their runs to storage that every engine reads. When the engine that held a run is gone (its actor died, or its
node), the first call that finds it so rebuilds the run on another engine (the placement rule) from its last
autosave, paused or training as it was then, and makes the call there: at most one autosave interval of training is
lost, and the handle is not lost. Its snapshots then say :data:`RUN_MOVED` as their message until its next command.
Only when no autosave and no engine is left does the one rule above apply.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch

from ..gan.checkpoints import Checkpoint
from ..gan.config import GANConfig
from ..run.lessons import Lesson
from ..run.publisher import Snapshot

RUN_LOST = "the training worker stopped; reset the run to train again"
RUN_MOVED = "the engine that trained this run stopped: it came back on another one from its last autosave"

# The reads that a lost run answers from what its handle saw last, and the commands it answers as if done (see the
# module's docstring); every other member of RunHandle raises RunLostError once the run is lost.
LAST_SEEN = frozenset({"state", "config", "step_count", "lesson", "status", "frame", "snapshot", "rows_since",
                       "history"})
DONE_WHEN_LOST = frozenset({"pause", "stop"})


class RunLostError(RuntimeError):
    """The run cannot be reached any more: the training worker process that held it stopped (it crashed, or was
    killed), and the run is gone from memory. Its autosave, if any, is still on disk. A lost run's snapshot says
    :data:`RUN_LOST` as its message."""

    def __init__(self, message: str = RUN_LOST):
        super().__init__(message)


@runtime_checkable
class RunHandle(Protocol):
    """One training run, wherever it trains. Every member is thread-safe and returns without waiting for a training
    step (``stop`` waits up to ``timeout_s`` for the step in progress). Errors: what the run raises (``ValueError``
    and ``ConfigError`` for a bad value, naming the field; :class:`~ganapp.run.run.RunRefusedError` for a command its
    state refuses, with its ``reason``), each with its code intact across processes; after a loss, the module's one
    rule and :class:`RunLostError`.
    """

    @property
    def lost(self) -> bool:
        """Whether the run can no longer be reached (never True for a run in this process). Makes no call."""

    @property
    def state(self) -> str:
        """``idle``, ``waiting``, ``running``, ``paused``, ``stopped`` or ``error``."""

    @property
    def config(self) -> GANConfig:
        """The run's config now (a live change through :meth:`update` shows here at once). Makes no call: a handle
        keeps the config it last heard (from building the run, :meth:`update`, :meth:`reset` or a snapshot)."""

    @property
    def step_count(self) -> int:
        """G updates so far (≥ 0)."""

    @property
    def lesson(self) -> Lesson | None:
        """The lesson the run follows (see :meth:`set_lesson`), or None."""

    # ----- commands -----

    def start(self, run_s: float | None = None) -> None:
        """Train until paused or stopped; for ``run_s`` seconds of training when given (a timed run)."""

    def resume(self) -> None:
        """Train again after a pause, within what is left of a timed run."""

    def pause(self) -> None:
        """Stop stepping after the step in progress; the run keeps everything."""

    def step(self, n: int = 1) -> None:
        """Make ``n`` (1..MAX_STEP_REQUEST) steps, then pause. Refused while the run trains."""

    def phase_step(self, phase: str) -> None:
        """One D update (``"d"``), one G update (``"g"``) or both (``"both"``), held on screen in slow motion."""

    def stop(self, timeout_s: float = 1.0) -> bool:
        """Stop for good; True when no step is in progress any more."""

    def reset(self, config: GANConfig | None = None, init: Checkpoint | None = None) -> None:
        """Build the run again from scratch (from ``config`` when given, fine-tuning ``init``); idle after."""

    def update(self, **changes: Any) -> tuple[list[str], list[str]]:
        """Apply config changes: returns (fields applied live, fields that need a reset to apply)."""

    def set_slow_motion(self, seconds: float) -> None:
        """Hold each D and G update on screen for ``seconds`` (0 = off)."""

    def set_lesson(self, lesson: Lesson | None) -> None:
        """Follow ``lesson``'s pace, step budget and key moment (None: none)."""

    def save_checkpoint(self, path: str | Path) -> Path:
        """Write the run's G and D, fixed_z and config to a safetensors checkpoint at ``path``; returns the path."""

    def autosave_copy(self) -> tuple[Any, dict[str, torch.Tensor], dict[str, Any]]:
        """(save key, tensors, meta) of the run at one moment between two steps, for an autosave."""

    # ----- reads -----

    def save_key(self) -> tuple:
        """A value that changes whenever an autosave of the run would differ."""

    def status(self) -> Snapshot:
        """What the run shows now, without arrays (a status line's and a tick's read): a snapshot with no metric rows,
        grid, points or 2D view, and only the last score and 2D metrics row (their counts in ``n_scores`` and
        ``n_view_rows``); at most 2 KB pickled."""

    def frame(self, since_version: int | None = None) -> Snapshot:
        """What a redraw needs (a poll's read): the run's state, scores and 2D metrics rows, and its grid, points and
        2D view only when they are newer than ``since_version``, the ``grid_version`` the caller drew last (None:
        it has none), so that unchanged arrays are not sent again. No metric rows: see :meth:`rows_since`."""

    def snapshot(self, since: int | None = 0) -> Snapshot:
        """What the run shows now: its state, message, speed, scores, grid or points, and the metric rows after step
        ``since`` (None: no rows)."""

    def rows_since(self, step: int) -> dict[str, list[float]]:
        """The metric rows after step ``step``, by column."""

    def history(self, max_points: int = 1000) -> dict[str, np.ndarray]:
        """The whole metric history, downsampled to at most ``max_points`` rows."""

    def frames(self) -> list[np.ndarray]:
        """The time-lapse of fixed_z's samples, oldest first: (H, W, 3) uint8 images."""

    def generator(self) -> torch.nn.Module:
        """A frozen copy of the current G (eval mode, no grad), never the training module."""

    def generate(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """G(z[, y]) with the current G: z (N, z_dim) float32; returns (N, 2) points or (N, C, H, W) in [−1, 1]."""

    def g_snapshots(self) -> list[tuple[int, torch.nn.Module]]:
        """The frozen copies of G kept along the run, as (step, G) oldest first."""


@runtime_checkable
class RunService(Protocol):
    """Where runs train: what builds them, and reads many at once. The registry holds one and never asks which it is.

    Three implementations: :class:`ganapp.service.local.LocalService` (an engine in this process),
    :class:`ganapp.service.worker.WorkerService` (the training worker process) and
    :class:`ganapp.service.ray_service.RayService` (engines as actors on a Ray cluster).
    """

    def new_run(self, config: GANConfig | None, init: Checkpoint | None = None,
                saved: tuple[dict[str, torch.Tensor], dict[str, Any]] | None = None, **run_kwargs: Any) -> RunHandle:
        """A new run: fresh from ``config`` (fine-tuning ``init`` if given), or the run an autosave ``saved`` =
        (tensors, meta) holds. ``run_kwargs`` go to :class:`~ganapp.run.run.Run`.

        Raises:
            what Run raises (``ConfigError``, ``DatasetUnavailableError``, ...); :class:`RunLostError` when the
            service could not be reached.
        """

    def statuses(self, runs: list[RunHandle]) -> list[Snapshot]:
        """Each run's :meth:`RunHandle.status`, in one round trip where the service can (a page's tick reads run A's
        and run B's), each by the one rule after loss."""

    def warm(self) -> None:
        """Get ready for the first run (start a worker process), so that the first Start need not wait.

        Raises:
            RunLostError: the service could not be started.
        """

    def close(self) -> None:
        """Stop whatever the service started (its runs are gone with it)."""


def members(protocol: type = RunHandle) -> dict[str, Any]:
    """The protocol's members by name: a property, or a function (its signature is the contract)."""
    return {name: value for name, value in vars(protocol).items()
            if not name.startswith("_") and (isinstance(value, property) or callable(value))}


__all__ = ["DONE_WHEN_LOST", "LAST_SEEN", "RUN_LOST", "RUN_MOVED", "RunHandle", "RunLostError", "RunService", "members"]
