"""Slow motion: one training step shown as its updates, each D update and then G's held on screen, named, for a
while, so that a class can follow the alternating game (Goodfellow et al. 2014, Algorithm 1: k D steps, then one G
step). The run that owns a :class:`SlowMotion` calls it from the engine's thread, between two of its steps."""

from __future__ import annotations

import torch

from ..gan.trainer import Trainer
from .publisher import Publisher, full_step_row

MAX_SLOW_MOTION_S = 5.0


class SlowMotion:
    """A step in slow motion: its n_critic D updates and its G update, one per call of :meth:`advance`.

    Attributes:
        seconds: how long each update stays on screen, 0..MAX_SLOW_MOTION_S (0: off; a step under way finishes).
    """

    def __init__(self) -> None:
        self.seconds = 0.0
        self._rows: list[torch.Tensor] = []  # the rows of the updates done in this step
        self._held: torch.Tensor | None = None  # a full step whose last update is on screen, to count next

    @property
    def busy(self) -> bool:
        """True while slow motion is on, or a step shown in it is not finished yet."""
        return self.seconds > 0 or bool(self._rows) or self._held is not None

    @property
    def mid_step(self) -> bool:
        """True while a step shown in slow motion is under way (its updates name themselves on screen)."""
        return bool(self._rows) or self._held is not None

    def advance(self, trainer: Trainer, publisher: Publisher) -> tuple[torch.Tensor | None, float]:
        """The next update of the step: one D or G update, published with G, the grid and its phase, then held
        on screen; or, once the last one has been shown, the full step's row.

        Returns:
            (the full step's history row (4,) float32, or None while the step is under way; seconds to hold the
            update on screen before the next call).
        """
        if self._held is not None:  # the last update of the step has been shown long enough
            row, self._held = self._held, None
            with publisher.lock:
                publisher.phase = ""
            return row, 0.0
        phases = ["d"] * trainer.config.n_critic + ["g"]
        phase = phases[len(self._rows)]
        self._rows.append(trainer.d_step() if phase == "d" else trainer.g_step())
        publisher.note_update(self._rows[-1])  # the diagram's numbers move with each update shown
        with publisher.lock:
            publisher.phase = phase
        publisher.publish_g(trainer)
        publisher.publish_grid(trainer)
        if len(self._rows) == len(phases):
            self._held = full_step_row(self._rows[-2], self._rows[-1])
            self._rows = []
        return None, self.seconds

    def clear(self) -> None:
        """Forget a step under way (a new run)."""
        self._rows, self._held = [], None
