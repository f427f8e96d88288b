"""Runs in this process: the :class:`~ganapp.service.protocol.RunService` of ``GANAPP_WORKER=0``, the command line
and unit tests, over one :class:`~ganapp.engine.engine.Engine` that trains them all."""

from __future__ import annotations

from typing import Any

import torch

from ..engine.engine import Engine
from ..gan.checkpoints import Checkpoint
from ..gan.config import GANConfig
from ..run.publisher import Snapshot
from ..run.run import Run

__all__ = ["LocalService"]


class LocalService:
    """Builds each :class:`~ganapp.run.run.Run` on ``engine`` (a new :class:`Engine` when None), in this process: the
    handle is the run itself, and nothing is ever lost."""

    def __init__(self, engine: Engine | None = None):
        self.engine = engine if engine is not None else Engine()

    def new_run(self, config: GANConfig | None, init: Checkpoint | None = None,
                saved: tuple[dict[str, torch.Tensor], dict[str, Any]] | None = None, **run_kwargs: Any) -> Run:
        """As :meth:`ganapp.service.protocol.RunService.new_run` (see :meth:`Run.new`)."""
        return Run.new(config, init, saved, engine=self.engine, **run_kwargs)

    def statuses(self, runs: list[Run]) -> list[Snapshot]:
        """Each run's status: in this process, a read each costs no round trip."""
        return [run.status() for run in runs]

    def warm(self) -> None:
        """Nothing to start: the engine's thread starts with the first run that trains."""

    def close(self) -> None:
        """Nothing to stop: the engine's thread ends once no run wants work."""
