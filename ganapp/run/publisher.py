"""What readers see of one training run: cheap snapshots that the trainer's driver publishes under a short lock.

The driver (the engine, between two steps) buffers each step's metrics row, then now and then publishes: the new
history rows, a frozen copy of G for readers, the fixed_z sample grid (or the 2D points and view), the time-lapse
frames and G snapshots, and live quality scores. Readers (the UI, a slider, an API client) never touch live training
tensors, so they never tear a step or hold training up. Nothing here knows about threads' scheduling or widgets.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..gan import view2d
from ..gan.config import GANConfig
from ..gan.latent import draw_z
from ..gan.media import points_image, to_grid
from ..gan.metrics import mode_metrics
from ..gan.models import build_generator, eval_mode, generate
from ..gan.points2d import BOUNDS_2D, MIXTURES
from ..gan.trainer import METRIC_NAMES, Trainer
from .history import MetricHistory

# Steps at which a run keeps a frozen copy of G for the time-lapse across training (1-2-3-5-7.5 per decade: a run's
# early steps, where most of the change happens, get most of the frames).
SNAPSHOT_MANTISSAS = (1.0, 1.5, 2.0, 3.0, 5.0, 7.5)
MAX_G_SNAPSHOTS = 24
METRIC_SAMPLES = 2500  # generated points per live 2D metrics row (PacGAN scores 2,500)
MAX_VIEW_ROWS = 1000  # live 2D metrics rows kept (older ones are thinned evenly)
TIMELAPSE_2D_PX = 320  # a 2D run's time-lapse frame: its points drawn on a square this wide

# Quality scores run here, one at a time for the whole server, so a score never stalls training for long and many
# runs scoring at once queue up instead of crowding the CPU.
_SCORE_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ganapp-score")

Scorer = Callable[[torch.nn.Module], dict[str, Any]]


def snapshot_milestones(limit: int = 10**9) -> list[int]:
    """Steps 0, 25, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, ... (≤ limit) at which G is kept."""
    steps = [0, 25, 50]
    decade = 10
    while decade * 10 <= limit:
        steps += [int(m * decade * 10) for m in SNAPSHOT_MANTISSAS if m * decade * 10 > steps[-1]]
        decade *= 10
    return [s for s in steps if s <= limit]


def _thin(items: list) -> list:
    """Every other item, keeping the first and the last: a long record halved evenly."""
    return items[:-1:2] + items[-1:]


def full_step_row(d_row: torch.Tensor, g_row: torch.Tensor) -> torch.Tensor:
    """One history row for a D update then a G update done separately (Trainer.d_step, Trainer.g_step): d_loss, D(x)
    and D(G(z)) from the D update, g_loss from the G update, as Trainer.train_step reports them."""
    return torch.stack([d_row[0], g_row[1], d_row[2], d_row[3]])


@dataclass(frozen=True)
class Rollback:
    """A publish that found non-finite values and rolled the run back instead.

    Attributes:
        step: the first step whose metrics (or, at the last step, weights) were not finite.
        values: that step's metrics by name (d_loss, g_loss, d_x, d_g_z).
        to_step: the step whose weights the run went back to.
    """

    step: int
    values: dict[str, float]
    to_step: int

    def __str__(self) -> str:
        shown = ", ".join(f"{n}={v:.4g}" for n, v in self.values.items())
        return (f"non-finite values at step {self.step} ({shown}): G and D were rolled back to step {self.to_step}; "
                f"try lower learning rates")


@dataclass
class Snapshot:
    """What a reader sees of a run at one moment. Plain Python and NumPy only; safe to keep.

    Attributes:
        state: idle, waiting, running, paused, stopped or error.
        step: G updates done.
        epoch: epochs of real data seen (fractional), or None for 2D data.
        it_s: recent training speed in steps per second (0 when not running).
        elapsed_s: seconds spent running (pauses excluded).
        device: the training device, e.g. ``cpu`` or ``cuda``.
        message: why the run paused or failed, or "".
        sharing: runs training on this server now (this one included when it trains).
        metrics: rows newer than the ``since`` asked for (empty for ``since=None``):
            ``{"step", "d_loss", "g_loss", "d_x", "d_g_z": list}``.
        grid: fixed_z sample grid, (H, W, 3) uint8, for image datasets; None for 2D or before the first one.
        grid_version: increases each time a new grid or point set is published.
        points: for 2D datasets, ``{"real": (N, 2), "fake": (N, 2)}`` float32 arrays; else None.
        config: the run's current config.
        scores: the live quality scores so far, oldest first: dicts with ``"step"`` and what the run's scorer
            returns (see :class:`ganapp.gan.metrics.MNISTJudge`); empty without a scorer.
        view: for 2D datasets, the latest :class:`ganapp.gan.view2d.View2D` (decision map, G's gradient arrows,
            manifold); else None.
        view_metrics: for 2D datasets, one row per view frame, oldest first: ``{"step", "kl", "js"}`` (grid
            estimates), ``"d_x"`` and ``"d_g_z"`` (D's mean score on 2,500 real and fake points, as the loss curves
            report them), ``"g_grad"`` (mean ‖∇ₓ g_loss‖ at G's samples, :attr:`ganapp.gan.view2d.View2D.g_grad`) and
            ``"g_grad_far"`` (the same at those samples far from the data, :func:`ganapp.gan.view2d.g_grad_far`; NaN
            when none is), plus, for ring8 and grid25, ``"modes", "n_modes", "high_quality", "reverse_kl"`` (PacGAN).
        phase: in slow motion, the update being shown: ``"d"`` or ``"g"``; else "".
        run_left_s: seconds of training left in a timed run (``start(run_s=...)``), else None.
        run_over_s: the length in seconds of the timed run that has just ended (the run paused by itself),
            else None.
        lr_scale: the multiplier on lr_g and lr_d now in effect: below 1 while a timed run's lr decay is under way.
        slow_motion_s: how long each D and G update is held on screen in slow motion, in seconds (0: off).
        step_limit: the host's steps-per-run limit when the run has paused at it, else None.
        rollback: why the run paused when non-finite values rolled it back (see :class:`Rollback`), else None.
        lesson: the name of the lesson the run follows (:mod:`ganapp.run.lessons`), else None.
        lesson_event: why the lesson paused the run, if it did: ``("pause", row)`` at its key moment (the live 2D
            row that met it) or ``("budget", {"steps": n})`` when its step budget was spent; else None.
        latest: the newest value of each metric, ``{"d_loss", "g_loss", "d_x", "d_g_z": float}``, from the newest
            update, a lone D or G one (Step D, Step G, slow motion) included, which adds no history row: what the
            model diagram shows (:mod:`ganapp.ui.diagram`). A metric not measured yet is missing; a status keeps it
            (four floats), so the tick needs no metric row to show it.
    """

    state: str
    step: int
    epoch: float | None
    it_s: float
    elapsed_s: float
    device: str
    message: str
    sharing: int
    metrics: dict[str, list[float]]
    grid: np.ndarray | None
    grid_version: int
    points: dict[str, np.ndarray] | None
    config: GANConfig = field(repr=False)
    scores: list[dict[str, Any]] = field(default_factory=list)
    view: Any = None
    view_metrics: list[dict[str, Any]] = field(default_factory=list)
    phase: str = ""
    run_left_s: float | None = None
    run_over_s: float | None = None
    lr_scale: float = 1.0
    slow_motion_s: float = 0.0
    step_limit: int | None = None
    rollback: Rollback | None = None
    lesson: str | None = None
    lesson_event: tuple[str, dict[str, Any]] | None = None
    n_scores: int | None = None  # how many scores the run has (``scores`` holds only the last in a status_only)
    n_view_rows: int | None = None  # how many 2D metrics rows it has (likewise ``view_metrics``)
    latest: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.n_scores is None:
            self.n_scores = len(self.scores)
        if self.n_view_rows is None:
            self.n_view_rows = len(self.view_metrics)

    def status_only(self) -> Snapshot:
        """This snapshot without what only a redraw needs: no metric rows, grid, points or 2D view, and only the last
        score and the last 2D metrics row (their counts stay in ``n_scores`` and ``n_view_rows``). What a status line
        and a tick read; small enough to cross between processes twice a second per page (the protocol's contract
        suite holds it to 2 KB pickled)."""
        return dataclasses.replace(self, metrics={k: [] for k in self.metrics}, grid=None, points=None, view=None,
                                   scores=self.scores[-1:], view_metrics=self.view_metrics[-1:])

    def newer_than(self, grid_version: int | None) -> Snapshot:
        """This snapshot without its grid, points and 2D view when they are those of ``grid_version`` (the caller
        has them already), else itself. What a redraw reads (see :meth:`ganapp.run.run.Run.frame`)."""
        if grid_version is None or grid_version != self.grid_version:
            return self
        return dataclasses.replace(self, grid=None, points=None, view=None)


class Publisher:
    """Owns what readers see of one Trainer's run. Methods that take a Trainer run in the driver's thread, between
    steps; the readers' properties may be read from any thread.

    Args:
        trainer: the run's Trainer (its config, data and fixed_z are read here).
        scorer: a function that scores a frozen G (see :meth:`ganapp.gan.metrics.MNISTJudge.score_generator`), or None.
        score_every_steps: G updates between two live scores.
        max_frames: time-lapse frames kept (older ones are thinned to every other).
        view_2d: for 2D datasets, compute the 2D view and its metrics at each grid refresh (off: points only).
        crowding: runs training on the server ÷ :data:`ganapp.run.run.VIEW_SHARE` (values below 1 count as 1). Scores
            come ``crowding`` times less often, and above 1 a new run gets no score at its first step: in a class
            that arrives together, every run's first score at once took a core for most of the first minute and
            slowed every run (benchmarks/classroom.py).

    Attributes:
        lock: guards every field a reader sees (taken last in the lock order of :mod:`ganapp.engine.engine`).
    """

    def __init__(self, trainer: Trainer, scorer: Scorer | None = None, score_every_steps: int = 500,
                 max_frames: int = 120, view_2d: bool = True, crowding: float = 1.0):
        cfg = trainer.config
        self.lock = threading.Lock()
        self.scorer = scorer
        self.score_every_steps = score_every_steps
        # ≥ 1: how crowded the server is (runs training ÷ ganapp.run.run.VIEW_SHARE); the run keeps it current.
        # Scores come this many times less often, and a run built on a crowded server has no score at its start.
        self.crowding = max(1.0, crowding)
        self.max_frames = max_frames
        self.view_2d = view_2d
        self.history = MetricHistory()
        self.buffer: list[torch.Tensor] = []  # rows not yet published (driver only)
        self.buffer_first_step = trainer.step_count + 1
        self.last_good = trainer.weights()
        self.step = trainer.step_count  # the step readers see
        self.grid: np.ndarray | None = None
        self.points: dict[str, np.ndarray] | None = None
        self.grid_version = 0
        self.frames: list[np.ndarray] = []
        self._frame_stride, self._grid_count = 1, 0
        self._real_points = trainer.data.sample(1000).cpu().numpy() if cfg.is_2d else None
        self._bounds = BOUNDS_2D[cfg.dataset] if cfg.is_2d else None
        self.scores: list[dict[str, Any]] = []
        self._score_future: Future | None = None
        self._next_score_step = trainer.step_count + (self.score_every_steps if self.crowding > 1 else 0)
        self._closed = False
        self.g_snapshots: list[tuple[int, torch.nn.Module]] = []
        self._milestones = deque(m for m in snapshot_milestones() if m >= trainer.step_count)
        self.view = None
        self.view_metrics: list[dict[str, Any]] = []
        self.phase = ""
        self.latest: dict[str, float] = {}  # the newest finite value of each metric (Snapshot.latest)
        self.reader_g: torch.nn.Module
        if cfg.is_2d:  # a fixed z and real set for the live 2D metrics, so their noise does not move
            self._eval_z = draw_z(cfg.noise, METRIC_SAMPLES, cfg.z_dim, torch.Generator().manual_seed(  # G's prior
                cfg.seed + 2)).to(trainer.device)
            self._eval_real = trainer.data.sample(METRIC_SAMPLES, seed=cfg.seed + 3).cpu().numpy()
            self._eval_real_t = torch.as_tensor(self._eval_real).to(trainer.device)
        self.publish_g(trainer)  # G at the start: the reader copy, the time-lapse's first snapshot, a first score

    def note_update(self, row: torch.Tensor | np.ndarray) -> None:
        """Keep the finite values of one update's (4,) metric row (METRIC_NAMES order) as the newest ones readers see
        (:attr:`Snapshot.latest`); a NaN (a metric that update does not measure: D's on a G update) keeps the
        older value. Driver only; a tensor costs one host sync, so it is called for lone and slow-motion updates and
        once per flush, never per fast step."""
        values = row.detach().float().cpu().tolist() if isinstance(row, torch.Tensor) else list(row)
        with self.lock:
            self.latest.update({n: float(v) for n, v in zip(METRIC_NAMES, values) if np.isfinite(v)})

    def close(self) -> None:
        """Drop any score still to come (the run was rebuilt or freed)."""
        with self.lock:
            self._closed = True

    def publish_g(self, trainer: Trainer) -> None:
        """A frozen copy of G for readers; kept as a time-lapse snapshot at the milestone steps; scored now and
        then in the score pool."""
        reader_g = copy.deepcopy(trainer.G_shown).eval().requires_grad_(False)
        step = trainer.step_count
        with self.lock:
            self.reader_g = reader_g
            if self._milestones and step >= self._milestones[0]:  # the reader copy is frozen: keep it as it is
                while self._milestones and step >= self._milestones[0]:
                    self._milestones.popleft()
                self.g_snapshots.append((step, reader_g))
                if len(self.g_snapshots) > MAX_G_SNAPSHOTS:
                    self.g_snapshots = _thin(self.g_snapshots)
        if self.scorer is not None and step >= self._next_score_step and \
                (self._score_future is None or self._score_future.done()):
            self._next_score_step = step + round(self.score_every_steps * self.crowding)
            self._score_future = _SCORE_POOL.submit(self._score, reader_g, step)

    def _score(self, G: torch.nn.Module, step: int) -> None:
        """Runs in the score pool: score the frozen G, then publish the row (unless the run was closed)."""
        try:
            row = {"step": step, **self.scorer(G)}
        except Exception as e:  # noqa: BLE001 (a failed score is reported in the row; training goes on)
            row = {"step": step, "error": f"{type(e).__name__}: {e}"}
        with self.lock:
            if not self._closed:
                self.scores.append(row)

    def _view_2d(self, trainer: Trainer, fake: torch.Tensor) -> tuple[Any, dict[str, Any]]:
        """The 2D view and its metrics row, from the live D and the published G (driver, between steps)."""
        cfg = trainer.config
        bounds = BOUNDS_2D[cfg.dataset]
        frame = view2d.view(self.reader_g, trainer.D, trainer.loss, cfg.z_dim, bounds, fake.to(trainer.device),
                            noise=cfg.noise)
        with torch.no_grad(), eval_mode(trainer.D):
            fake_t = self.reader_g(self._eval_z).float()
            d_x, d_g_z = (float(trainer.loss.score(trainer.D(x).float()).mean()) for x in (self._eval_real_t, fake_t))
            eval_fake = fake_t.cpu().numpy()
        row: dict[str, Any] = {"step": trainer.step_count, "d_x": d_x, "d_g_z": d_g_z, "g_grad": frame.g_grad,
                               "g_grad_far": view2d.g_grad_far(frame, self._eval_real[:500], bounds),
                               **view2d.grid_divergences(self._eval_real, eval_fake, bounds)}
        if cfg.dataset in MIXTURES:
            row.update(mode_metrics(eval_fake, MIXTURES[cfg.dataset]()))
        return frame, row

    def publish_grid(self, trainer: Trainer) -> None:
        """The fixed_z sample grid and its time-lapse frame (images), or the points and the 2D view (2D data)."""
        with torch.no_grad():
            fake = self.reader_g(trainer.fixed_z, trainer.fixed_y).float().cpu()
        cfg = trainer.config
        frame, row = self._view_2d(trainer, fake) if cfg.is_2d and self.view_2d else (None, None)
        with self.lock:
            if cfg.is_2d:
                self.points = {"real": self._real_points, "fake": fake.numpy()}
                self.view = frame
                if row is not None and (not self.view_metrics or self.view_metrics[-1]["step"] != row["step"]):
                    self.view_metrics.append(row)
                    if len(self.view_metrics) > MAX_VIEW_ROWS:  # an hour at 1 row/s would otherwise be 3,600
                        self.view_metrics = _thin(self.view_metrics)
            else:
                nrow = cfg.n_classes or 8  # conditional: one class per column
                self.grid = to_grid(fake, nrow=nrow)  # (H, W, 3) uint8
                if self._grid_count % self._frame_stride == 0:
                    self.frames.append(self.grid)
                    if len(self.frames) > self.max_frames:
                        self.frames = self.frames[::2]
                        self._frame_stride *= 2
                self._grid_count += 1
            self.grid_version += 1

    def flush(self, trainer: Trainer) -> Rollback | None:
        """Publish the buffered rows and G. On a non-finite loss or weight, roll the Trainer back to the last
        published weights instead (Adam's moments cleared).

        Returns:
            None when published; else what was rolled back (its ``str`` is an English reason).
        """
        if not self.buffer:
            return None
        values = torch.stack(self.buffer).cpu().numpy().astype(np.float64)  # (K, 4), one host sync
        self.buffer.clear()
        steps = np.arange(self.buffer_first_step, self.buffer_first_step + len(values))
        self.buffer_first_step = trainer.step_count + 1
        finite_rows = np.isfinite(values).all(axis=1)
        if finite_rows.all() and trainer.weights_finite():
            with self.lock:
                self.history.append(steps, values)
            self.note_update(values[-1])
            self.last_good = trainer.weights()
            self.publish_g(trainer)  # before the step count: a reader who sees step N also sees G (and snapshot) of N
            self.step = trainer.step_count
            return None
        bad = int(np.argmin(finite_rows)) if not finite_rows.all() else len(values) - 1
        trainer.load_weights(self.last_good, reset_optimizers=True)
        trainer.step_count = self.step
        self.buffer_first_step = self.step + 1
        return Rollback(int(steps[bad]), {n: float(v) for n, v in zip(METRIC_NAMES, values[bad])}, self.step)

    def mark_phase(self, trainer: Trainer) -> None:
        """After a lone D or G update (no history row): later rows number on from here, and readers see it."""
        self.buffer_first_step = trainer.step_count + 1
        self.publish_g(trainer)
        self.step = trainer.step_count

    # ----- autosaves -----

    def state(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """What readers have seen, for an autosave: tensors ``history`` ((N, 5) float64 rows: step, d_loss, g_loss,
        D(x), D(G(z))) and ``snap<i>.<name>`` (the time-lapse snapshots of G, on the CPU); meta: the snapshots'
        steps, the live scores and the 2D metrics rows. Snapshots are frozen, so they are not copied."""
        with self.lock:
            rows = self.history.rows()
            snapshots = list(self.g_snapshots)
            meta = {"snapshot_steps": [s for s, _ in snapshots], "scores": list(self.scores),
                    "view_metrics": list(self.view_metrics)}
        tensors = {"history": torch.from_numpy(rows)}
        for i, (_, G) in enumerate(snapshots):
            tensors.update({f"snap{i}.{k}": v.to("cpu") for k, v in G.state_dict().items()})
        return tensors, meta

    def restore(self, trainer: Trainer, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
        """Take back :meth:`state`'s output for a run that goes on from ``trainer`` (already restored): its history,
        time-lapse snapshots (and, for images, the time-lapse frames drawn from them), scores and 2D metrics rows.

        Raises:
            ValueError: a snapshot's weights do not fit the config's G.
        """
        cfg = trainer.config
        rows = tensors["history"].numpy()
        snapshots = []
        for i, step in enumerate(meta.get("snapshot_steps", [])):
            G = build_generator(cfg)
            try:
                G.load_state_dict({k[len(f"snap{i}."):]: v for k, v in tensors.items() if k.startswith(f"snap{i}.")})
            except RuntimeError as e:
                raise ValueError(str(e).strip().splitlines()[0]) from None
            snapshots.append((int(step), G.to(trainer.device).eval().requires_grad_(False)))
        frames = []
        if not cfg.is_2d:
            with torch.no_grad():
                frames = [to_grid(G(trainer.fixed_z, trainer.fixed_y).float().cpu(), nrow=cfg.n_classes or 8)
                          for _, G in snapshots]
        last = snapshots[-1][0] if snapshots else -1
        with self.lock:
            if len(rows):
                self.history.append(rows[:, 0], rows[:, 1:])
            self.g_snapshots = snapshots + [s for s in self.g_snapshots if s[0] > last]
            self.frames = frames + self.frames
            self.scores = list(meta.get("scores", [])) + self.scores
            self.view_metrics = list(meta.get("view_metrics", []))
        if self.scores:
            self._next_score_step = max(self._next_score_step, trainer.step_count + self.score_every_steps)
        if len(rows):
            self.note_update(rows[-1, 1:])

    # ----- readers (any thread) -----

    def timelapse(self, fixed_z: torch.Tensor) -> list[np.ndarray]:
        """The run's time-lapse, oldest first: for images, the fixed_z grid as it was published ((H, W, 3) uint8,
        evenly thinned when long); for 2D data, the real points (grey) and G(fixed_z) (orange) of each time-lapse
        snapshot of G, drawn now ((320, 320, 3) uint8).

        Args:
            fixed_z: the run's (n_fixed, z_dim) fixed_z, on the training device (where the snapshots live).
        """
        with self.lock:
            frames, snapshots = list(self.frames), list(self.g_snapshots)
        if self._real_points is None:
            return frames
        with torch.no_grad():
            return [points_image({"real": self._real_points, "fake": G(fixed_z).float().cpu().numpy()}, self._bounds,
                                 TIMELAPSE_2D_PX) for _, G in snapshots]

    def rows_since(self, step: int) -> dict[str, list[float]]:
        """The published metric rows with a step greater than ``step`` (see MetricHistory.since)."""
        with self.lock:
            return self.history.since(step)

    def downsampled_history(self, max_points: int = 1000) -> dict[str, np.ndarray]:
        """The whole metric history, downsampled to at most ``max_points`` rows (see MetricHistory.downsampled)."""
        with self.lock:
            return self.history.downsampled(max_points)

    def generate(self, z: torch.Tensor, z_dim: int, y: torch.Tensor | None = None) -> torch.Tensor:
        """G(z[, y]) with the published G, on the CPU. Never waits for a training step.

        Args:
            z: (N, z_dim) float32.
            z_dim: the run's z_dim, which ``z`` must match.
            y: labels for a conditional G: (N,) int64, or (N, n_classes) soft labels.
        Returns:
            (N, 2) points or (N, C, H, W) images in [-1, 1], float32.
        Raises:
            ValueError: z is not (N, z_dim), or a conditional G got no or bad labels.
        """
        with self.lock:
            g = self.reader_g
        return generate_checked(g, z, z_dim, y)


def generate_checked(G: torch.nn.Module, z: torch.Tensor, z_dim: int, y: torch.Tensor | None = None) -> torch.Tensor:
    """:func:`ganapp.gan.models.generate` after checking that ``z`` is (N, ``z_dim``); see :meth:`Publisher.generate`.

    Raises:
        ValueError: z is not (N, z_dim), or a conditional G got no or bad labels.
    """
    if z.ndim != 2 or z.shape[1] != z_dim:
        raise ValueError(f"z has shape {tuple(z.shape)}: expected (N, {z_dim})")
    return generate(G, z, y)
