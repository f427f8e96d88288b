"""What readers see of a training run: its snapshot, its rows and history, its G and time-lapse.

:class:`SessionReads` is the readers' part of :class:`ganapp.run.session.TrainingSession`: every method is safe from any
thread and never waits for a training step (the :class:`~ganapp.run.publisher.Publisher` holds copies for readers).
"""

from __future__ import annotations

import time

import numpy as np
import torch

from ..gan.config import GANConfig
from ..gan.trainer import Trainer
from .job import RUNNING
from .lessons import Lesson
from .publisher import Snapshot


class SessionReads:
    """Readers of a run (a base class of :class:`ganapp.run.session.TrainingSession`, whose fields it reads)."""

    # ----- readers (any thread) -----

    @property
    def state(self) -> str:
        return self._state

    @property
    def lesson(self) -> Lesson | None:
        """The lesson the run follows (see :meth:`set_lesson`), or None."""
        return self.lesson_run.lesson

    @property
    def config(self) -> GANConfig:
        return self.trainer.config

    @property
    def step_count(self) -> int:
        """G updates done (ahead of the published ``snapshot().step`` while it trains)."""
        return self.trainer.step_count

    def snapshot(self, since: int | None = 0) -> Snapshot:
        """The session as it is now, with the metric rows whose step is greater than ``since`` (none when ``since``
        is None: status readers need not copy any history)."""
        now = time.perf_counter()
        with self._lock:
            state, message, elapsed = self._state, self._message, self._elapsed(now)
            window, run_over_s, at_limit, rollback = self._window, self._run_over_s, self._at_limit, self._rollback
            lesson_event = self.lesson_run.event
            it_s = 0.0
            if state == RUNNING and len(self._speed) >= 2:
                recent = [(t, s) for t, s in self._speed if now - t <= 5.0] or list(self._speed)[-2:]
                (t0, s0), (t1, s1) = recent[0], self._speed[-1]
                it_s = (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0
            trainer, pub = self.trainer, self.publisher  # swapped together by a reset, under this lock
        with pub.lock:
            return Snapshot(
                state=state, step=pub.step, epoch=self._epoch(trainer, pub.step), it_s=it_s, elapsed_s=elapsed,
                device=str(trainer.device), message=message, sharing=self.engine.training,
                metrics=pub.history.since(since if since is not None else pub.step),
                grid=pub.grid, grid_version=pub.grid_version, points=pub.points, config=trainer.config,
                scores=list(pub.scores), view=pub.view, view_metrics=list(pub.view_metrics), phase=pub.phase,
                lr_scale=trainer.lr_scale, run_over_s=run_over_s, step_limit=self.max_steps if at_limit else None,
                rollback=rollback, lesson=self.lesson.name if self.lesson else None, lesson_event=lesson_event,
                run_left_s=None if window is None else max(0.0, sum(window) - elapsed),
            )

    @staticmethod
    def _epoch(trainer: Trainer, step: int) -> float | None:
        size = trainer.data.size
        if size is None:
            return None
        cfg = trainer.config
        return step * cfg.batch_size * cfg.n_critic / size

    def rows_since(self, step: int) -> dict[str, list[float]]:
        """The metric rows published after ``step``, at full resolution: ``{"step", "d_loss", "g_loss", "d_x",
        "d_g_z": list}`` (a poll's new points)."""
        return self.publisher.rows_since(step)

    def history(self, max_points: int = 1000) -> dict[str, np.ndarray]:
        """The whole metric history, downsampled to at most ``max_points`` rows (see MetricHistory.downsampled)."""
        return self.publisher.downsampled_history(max_points)

    def frames(self) -> list[np.ndarray]:
        """The run's time-lapse, oldest first; see :meth:`Publisher.timelapse`."""
        return self.publisher.timelapse(self.trainer.fixed_z)

    def g_snapshots(self) -> list[tuple[int, torch.nn.Module]]:
        """The frozen copies of G kept along the run, as (step, G) oldest first: at the steps of
        :func:`snapshot_milestones` (as near as publishing allows), at most ``MAX_G_SNAPSHOTS`` (thinned evenly)."""
        pub = self.publisher
        with pub.lock:
            return list(pub.g_snapshots)

    def generator(self) -> torch.nn.Module:
        """A frozen copy of the current G (eval mode, no grad) that is never trained further; safe to keep."""
        pub = self.publisher
        with pub.lock:
            return pub.reader_g

    def generate(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """G(z[, y]) with the current published G, on the CPU; see :meth:`Publisher.generate` (z: (N, z_dim))."""
        return self.publisher.generate(z, self.trainer.config.z_dim, y)
