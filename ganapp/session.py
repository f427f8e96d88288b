"""A Trainer driven by a background thread, with start, pause, resume, step(n), stop and reset.

The thread publishes cheap snapshots under a short lock: new metric rows, a CPU copy of the fixed_z sample grid, and
a frozen copy of G for readers. Readers (the UI, a slider, an API client) never touch live training tensors, so they
never tear a step or hold training up. Nothing here knows about widgets.
"""

from __future__ import annotations

import copy
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from . import view2d
from .checkpoints import save_checkpoint
from .config import GANConfig
from .data import BOUNDS_2D, MIXTURES
from .history import MetricHistory
from .metrics import mode_metrics
from .media import to_grid
from .slots import TrainerSlots
from .trainer import METRIC_NAMES, Trainer

__all__ = ["Snapshot", "TrainerSlots", "TrainingSession"]

IDLE, WAITING, RUNNING, PAUSED, STOPPED, ERROR = "idle", "waiting", "running", "paused", "stopped", "error"
MAX_STEP_REQUEST = 10_000
# Steps at which a session keeps a frozen copy of G for the time-lapse across training (1-2-3-5-7.5 per decade: a
# run's early steps, where most of the change happens, get most of the frames).
SNAPSHOT_MANTISSAS = (1.0, 1.5, 2.0, 3.0, 5.0, 7.5)
MAX_G_SNAPSHOTS = 24
METRIC_SAMPLES = 2500  # generated points per live 2D metrics row (PacGAN scores 2,500)
MAX_SLOW_MOTION_S = 5.0
MAX_VIEW_ROWS = 1000  # live 2D metrics rows kept (older ones are thinned evenly)

# Quality scores run here, one at a time for the whole server, so a score never stalls a training thread for long
# and many sessions scoring at once queue up instead of crowding the CPU.
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


@dataclass
class Snapshot:
    """What a reader sees of a session at one moment. Plain Python and NumPy only; safe to keep.

    Attributes:
        state: idle, waiting, running, paused, stopped or error.
        step: G updates done.
        epoch: epochs of real data seen (fractional), or None for 2D data.
        it_s: recent training speed in steps per second (0 when not running).
        elapsed_s: seconds spent running (pauses excluded).
        device: the training device, e.g. ``cpu`` or ``cuda``.
        message: why the session paused or failed, or "".
        queue_position: place in the waiting line when state is ``waiting``, else None.
        metrics: rows newer than the ``since`` asked for (empty for ``since=None``):
            ``{"step", "d_loss", "g_loss", "d_x", "d_g_z": list}``.
        grid: fixed_z sample grid, (H, W, 3) uint8, for image datasets; None for 2D or before the first one.
        grid_version: increases each time a new grid or point set is published.
        points: for 2D datasets, ``{"real": (N, 2), "fake": (N, 2)}`` float32 arrays; else None.
        config: the session's current config.
        scores: the live quality scores so far, oldest first: dicts with ``"step"`` and what the session's scorer
            returns (see :class:`ganapp.metrics.MNISTJudge`); empty without a scorer.
        view: for 2D datasets, the latest :class:`ganapp.view2d.View2D` (decision map, G's gradient arrows,
            manifold); else None.
        view_metrics: for 2D datasets, one row per view frame, oldest first: ``{"step", "kl", "js"}`` (grid
            estimates) plus, for ring8 and grid25, ``"modes", "n_modes", "high_quality", "reverse_kl"`` (PacGAN).
        phase: in slow motion, the update being shown: ``"d"`` or ``"g"``; else "".
        run_left_s: seconds of training left in a timed run (``start(run_s=...)``), else None.
        run_over_s: the length in seconds of the timed run that has just ended (the session paused by itself),
            else None.
        lr_scale: the multiplier on lr_g and lr_d now in effect: below 1 while a timed run's lr decay is under way.
    """

    state: str
    step: int
    epoch: float | None
    it_s: float
    elapsed_s: float
    device: str
    message: str
    queue_position: int | None
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


def _thin(items: list) -> list:
    """Every other item, keeping the first and the last: a long record halved evenly."""
    return items[:-1:2] + items[-1:]


def _full_step_row(d_row: torch.Tensor, g_row: torch.Tensor) -> torch.Tensor:
    """One history row for a D update then a G update done separately (Trainer.d_step, Trainer.g_step): d_loss, D(x)
    and D(G(z)) from the D update, g_loss from the G update, as Trainer.train_step reports them."""
    return torch.stack([d_row[0], g_row[1], d_row[2], d_row[3]])


class TrainingSession:
    """Runs one :class:`~ganapp.trainer.Trainer` in a background thread.

    All methods are thread-safe and return at once (``stop`` joins the thread within ``timeout_s``).

    Args:
        config: the run's config.
        slots: the shared cap on running trainers; a private unlimited-enough one when None.
        publish_every_s: how often metrics are published and G is copied for readers, in seconds (the page polls
            at 2 Hz, so publishing faster would only cost training time).
        grid_every_s: how often the fixed_z grid is redrawn, in seconds.
        max_frames: time-lapse frames kept (older ones are thinned to every other).
        download: whether a downloadable dataset may be fetched.
        init: a :class:`~ganapp.checkpoints.Checkpoint` to fine-tune: its G and D weights (D fresh when it has
            none), fixed_z and step count replace the fresh ones. Its config must build the same networks as
            ``config``.
        scorer_for: called with each new config; returns a function that scores a frozen G (for example
            :meth:`ganapp.metrics.MNISTJudge.score_generator`), or None for no live scores.
        score_every_steps: G updates between two live scores.
        view_2d: for 2D datasets, compute the 2D view and its metrics at each grid refresh (off: points only).

    Raises:
        ValueError, ganapp.data.DatasetUnavailableError: as :class:`~ganapp.trainer.Trainer`; ValueError also when
            ``init`` does not fit ``config``'s networks.
    """

    def __init__(self, config: GANConfig, slots: TrainerSlots | None = None, publish_every_s: float = 0.5,
                 grid_every_s: float = 1.0, max_frames: int = 120, download: bool = True, init: Any = None,
                 scorer_for: Callable[[GANConfig], Scorer | None] | None = None, score_every_steps: int = 500,
                 view_2d: bool = True):
        if score_every_steps < 1:
            raise ValueError(f"score_every_steps={score_every_steps} is out of range: it must be ≥ 1")
        self.slots = slots if slots is not None else TrainerSlots(1)
        self.publish_every_s = publish_every_s
        self.grid_every_s = grid_every_s
        self.max_frames = max_frames
        self.download = download
        self.scorer_for = scorer_for
        self.score_every_steps = score_every_steps
        self.view_2d = view_2d
        self._cond = threading.Condition()  # guards the control flags below
        self._pub_lock = threading.Lock()  # guards what readers see
        self._step_lock = threading.Lock()  # held by the thread during a step; update() waits on it
        self._thread: threading.Thread | None = None
        self._stop_event = threading.Event()
        self._generation = 0  # bumped by each build, so a late score of an old run is dropped
        self._slow_motion_s = 0.0
        self._build(config, init)

    # ----- construction and publishing (training thread, or callers while no thread runs) -----

    def _build(self, config: GANConfig, init: Any = None) -> None:
        trainer = Trainer(config, download=self.download)
        if init is not None:
            try:
                trainer.start_from(init)
            except ValueError as e:
                raise ValueError(f"the checkpoint's networks do not fit the chosen settings ({e}): use its model, "
                                 f"z_dim and widths") from None
        scorer = self.scorer_for(config) if self.scorer_for is not None else None
        with self._step_lock, self._pub_lock:  # a stopped thread still finishing a slow step keeps its old trainer
            self.trainer = trainer
            self._state, self._message = IDLE, ""
            self._want_run, self._pending = False, 0
            self._history = MetricHistory()
            self._buffer: list[torch.Tensor] = []
            self._buffer_first_step = trainer.step_count + 1
            self._last_good = trainer.weights()
            self._last_good_step = trainer.step_count
            self._speed: deque[tuple[float, int]] = deque(maxlen=64)
            self._elapsed_s, self._run_started = 0.0, None
            self._window: tuple[float, float] | None = None  # a timed run: (elapsed_s at its start, its length)
            self._run_over_s: float | None = None
            self._grid: np.ndarray | None = None
            self._points: dict[str, np.ndarray] | None = None
            self._grid_version = 0
            self._frames: list[np.ndarray] = []
            self._frame_stride, self._grid_count = 1, 0
            self._real_points = trainer.data.sample(1000).cpu().numpy() if config.is_2d else None
            self._generation += 1
            self._scorer = scorer
            self._scores: list[dict[str, Any]] = []
            self._score_future: Future | None = None
            self._next_score_step = trainer.step_count
            self._g_snapshots: list[tuple[int, torch.nn.Module]] = []
            self._milestones = deque(m for m in snapshot_milestones() if m >= trainer.step_count)
            self._view = None
            self._view_metrics: list[dict[str, Any]] = []
            self._phase = ""
            if config.is_2d:  # a fixed z and real set for the live 2D metrics, so their noise does not move
                self._eval_z = torch.randn(METRIC_SAMPLES, config.z_dim, generator=torch.Generator().manual_seed(
                    config.seed + 2)).to(trainer.device)
                self._eval_real = trainer.data.sample(METRIC_SAMPLES, seed=config.seed + 3).cpu().numpy()
        self._publish_g()
        self._publish_grid()

    def _publish_g(self) -> None:
        reader_g = copy.deepcopy(self.trainer.G_shown).eval().requires_grad_(False)
        step = self.trainer.step_count
        with self._pub_lock:
            self._reader_g = reader_g
            if self._milestones and step >= self._milestones[0]:  # the reader copy is frozen: keep it as it is
                while self._milestones and step >= self._milestones[0]:
                    self._milestones.popleft()
                self._g_snapshots.append((step, reader_g))
                if len(self._g_snapshots) > MAX_G_SNAPSHOTS:
                    self._g_snapshots = _thin(self._g_snapshots)
        if self._scorer is not None and step >= self._next_score_step and \
                (self._score_future is None or self._score_future.done()):
            self._next_score_step = step + self.score_every_steps
            self._score_future = _SCORE_POOL.submit(self._score, self._scorer, reader_g, step, self._generation)

    def _score(self, scorer: Scorer, G: torch.nn.Module, step: int, generation: int) -> None:
        """Runs in the score pool: score the frozen G, then publish the row (unless the session was rebuilt)."""
        try:
            row = {"step": step, **scorer(G)}
        except Exception as e:  # a failed score is reported in the row; training goes on
            row = {"step": step, "error": f"{type(e).__name__}: {e}"}
        with self._pub_lock:
            if generation == self._generation:
                self._scores.append(row)

    def _view_2d(self, fake: torch.Tensor) -> tuple[Any, dict[str, Any]]:
        """The 2D view and its metrics row, from the live D and the published G (training thread, between steps)."""
        t, cfg = self.trainer, self.trainer.config
        bounds = BOUNDS_2D[cfg.dataset]
        frame = view2d.view(self._reader_g, t.D, t.loss, cfg.z_dim, bounds, fake.to(t.device))
        with torch.no_grad():
            eval_fake = self._reader_g(self._eval_z).float().cpu().numpy()
        row: dict[str, Any] = {"step": t.step_count, **view2d.grid_divergences(self._eval_real, eval_fake, bounds)}
        if cfg.dataset in MIXTURES:
            row.update(mode_metrics(eval_fake, MIXTURES[cfg.dataset]()))
        return frame, row

    def _publish_grid(self) -> None:
        with torch.no_grad():
            fake = self._reader_g(self.trainer.fixed_z, self.trainer.fixed_y).float().cpu()
        frame, row = self._view_2d(fake) if self.trainer.config.is_2d and self.view_2d else (None, None)
        with self._pub_lock:
            if self.trainer.config.is_2d:
                self._points = {"real": self._real_points, "fake": fake.numpy()}
                self._view = frame
                if row is not None and (not self._view_metrics or self._view_metrics[-1]["step"] != row["step"]):
                    self._view_metrics.append(row)
                    if len(self._view_metrics) > MAX_VIEW_ROWS:  # an hour at 1 row/s would otherwise be 3,600
                        self._view_metrics = _thin(self._view_metrics)
            else:
                nrow = self.trainer.config.n_classes or 8  # conditional: one class per column
                self._grid = to_grid(fake, nrow=nrow)  # (H, W, 3) uint8
                if self._grid_count % self._frame_stride == 0:
                    self._frames.append(self._grid)
                    if len(self._frames) > self.max_frames:
                        self._frames = self._frames[::2]
                        self._frame_stride *= 2
                self._grid_count += 1
            self._grid_version += 1

    def _flush(self) -> bool:
        """Publish buffered metrics; on a non-finite loss or weight, roll back and pause. Returns False then."""
        if not self._buffer:
            return True
        values = torch.stack(self._buffer).cpu().numpy().astype(np.float64)  # (K, 4), one host sync
        self._buffer.clear()
        steps = np.arange(self._buffer_first_step, self._buffer_first_step + len(values))
        self._buffer_first_step = self.trainer.step_count + 1
        finite_rows = np.isfinite(values).all(axis=1)
        if finite_rows.all() and self.trainer.weights_finite():
            with self._pub_lock:
                self._history.append(steps, values)
            self._last_good = self.trainer.weights()
            self._publish_g()  # before the step count: a reader who sees step N also sees G (and its snapshot) of N
            self._last_good_step = self.trainer.step_count
            return True
        bad = int(np.argmin(finite_rows)) if not finite_rows.all() else len(values) - 1
        shown = ", ".join(f"{n}={v:.4g}" for n, v in zip(METRIC_NAMES, values[bad]))
        self.trainer.load_weights(self._last_good, reset_optimizers=True)
        self.trainer.step_count = self._last_good_step
        self._buffer_first_step = self._last_good_step + 1
        with self._cond:
            self._want_run, self._pending = False, 0
        with self._pub_lock:
            self._state = PAUSED
            self._message = (f"non-finite values at step {int(steps[bad])} ({shown}): G and D were rolled back to "
                             f"step {self._last_good_step}; try lower learning rates")
        return False

    # ----- the training thread -----

    def _token(self) -> int:
        """The running thread's ticket in the shared TrainerSlots line."""
        return id(self._thread)

    def _run(self, stop: threading.Event) -> None:
        """The training thread. ``stop`` is this thread's own flag: a thread still finishing its last (slow) step
        after stop() never touches the state of a newer thread started by start() or reset()."""
        me = threading.current_thread()
        token = id(me)
        current = lambda: self._thread is me  # noqa: E731
        slot_held = False
        next_publish = next_grid = 0.0
        try:
            while True:
                with self._cond:
                    while not stop.is_set() and not self._want_run and self._pending == 0:
                        if slot_held:
                            self.slots.release(token)
                            slot_held = False
                        self._end_running(time.perf_counter())  # a pause between two steps stops the clock too
                        self._cond.wait()
                    if stop.is_set():
                        break
                if not slot_held:
                    with self._pub_lock:
                        self._state = WAITING
                    slot_held = self.slots.acquire(
                        token, lambda: stop.is_set() or (not self._want_run and self._pending == 0))
                    if not slot_held:
                        with self._pub_lock:
                            if self._state == WAITING and current():
                                self._state = STOPPED if stop.is_set() else PAUSED
                        continue
                with self._pub_lock:
                    if self._state != RUNNING:
                        self._state = RUNNING
                        self._run_started = time.perf_counter()
                        self._speed.append((self._run_started, self.trainer.step_count))
                if not self._follow_window():
                    continue
                if self._slow_motion_s > 0:
                    if not self._slow_step(stop):
                        break
                    continue
                with self._step_lock:  # one step at a time, whichever thread takes it
                    if stop.is_set():
                        break
                    self._buffer.append(self.trainer.train_step())
                if stop.is_set():
                    break
                now = time.perf_counter()
                idle_next = self._count_step()
                if now >= next_publish or idle_next:
                    next_publish = now + self.publish_every_s
                    ok = self._flush()
                    with self._pub_lock:
                        self._speed.append((now, self.trainer.step_count))
                    if not ok:
                        self._publish_grid()
                        self._end_running(now)
                        continue
                if now >= next_grid or idle_next:
                    next_grid = now + self.grid_every_s
                    self._publish_grid()
                if idle_next:
                    with self._cond:
                        still_idle = not self._want_run and self._pending == 0 and not stop.is_set()
                    if still_idle:
                        self._end_running(now, PAUSED)
        except Exception as e:  # anything the step raised: the session reports it instead of dying silently
            if current():
                with self._pub_lock:
                    self._state, self._message = ERROR, f"{type(e).__name__}: {e}"
        finally:
            if slot_held:
                self.slots.release(token)
            if current():
                self._end_running(time.perf_counter())
                with self._pub_lock:
                    if self._state != ERROR:
                        self._state = STOPPED if stop.is_set() else self._state

    def _follow_window(self) -> bool:
        """Before a step of a timed run: set the trainer's lr decay for the run's progress, or, once its time is up,
        pause with a message. Returns False when the run has just ended (no step should follow)."""
        with self._pub_lock:
            window = self._window
            elapsed = self._elapsed_s + (time.perf_counter() - self._run_started
                                         if self._run_started is not None else 0.0)
        progress = None if window is None else (elapsed - window[0]) / window[1]
        with self._step_lock:
            self.trainer.set_progress(progress)
        if progress is None or progress < 1.0:
            return True
        with self._cond:
            self._want_run, self._pending = False, 0
        ok = self._flush()
        self._publish_grid()
        now = time.perf_counter()
        with self._pub_lock:
            self._window = None
            if ok:
                self._run_over_s = window[1]
                self._message = f"the timed run is over: {window[1] / 60:g} min of training"
        self._end_running(now, PAUSED if ok else None)
        return False

    def _count_step(self) -> bool:
        """A step is done: count it against a step(n) request. Returns True when no more steps are wanted."""
        with self._cond:
            if not self._want_run and self._pending > 0:
                self._pending -= 1
            return not self._want_run and self._pending == 0

    def _slow_step(self, stop: threading.Event) -> bool:
        """One step in slow motion: each D update, then the G update, published and held on screen for
        ``slow_motion_s``, with the phase in the snapshot. Returns False when stopped meanwhile."""
        rows = []
        for phase in ["d"] * self.trainer.config.n_critic + ["g"]:
            with self._step_lock:
                if stop.is_set():
                    return False
                rows.append(self.trainer.d_step() if phase == "d" else self.trainer.g_step())
                with self._pub_lock:
                    self._phase = phase
                self._publish_g()
                self._publish_grid()
            if stop.wait(self._slow_motion_s):
                return False
        self._buffer.append(_full_step_row(rows[-2], rows[-1]))  # one row per full step
        idle = self._count_step()
        ok = self._flush()
        with self._pub_lock:
            self._speed.append((time.perf_counter(), self.trainer.step_count))
            self._phase = ""
        if not ok or idle:
            self._end_running(time.perf_counter(), PAUSED if ok and idle else None)
        return True

    def set_slow_motion(self, seconds: float) -> None:
        """Show each D and G update for ``seconds`` (0 turns slow motion off); applies from the next step.

        Raises:
            ValueError: seconds outside 0..5.
        """
        if not isinstance(seconds, (int, float)) or not 0 <= seconds <= MAX_SLOW_MOTION_S:
            raise ValueError(f"slow_motion_s={seconds!r} is out of range: it must be in 0..{MAX_SLOW_MOTION_S}")
        self._slow_motion_s = float(seconds)

    def phase_step(self, phase: str) -> None:
        """A teacher's single update, done now in the caller's thread: ``"d"`` one D update, ``"g"`` one G update,
        ``"both"`` one of each (a full step, added to the history). Then G, the grid and the 2D view are redrawn.

        Raises:
            ValueError: an unknown phase.
            RuntimeError: the session is running or waiting (pause first), or failed (reset first).
        """
        if phase not in ("d", "g", "both"):
            raise ValueError(f"phase={phase!r} must be one of d, g, both")
        with self._cond:
            if self._state == ERROR:
                raise RuntimeError(f"the session failed ({self._message}); reset it to train again")
            if self._want_run or self._pending or self._state in (RUNNING, WAITING):
                raise RuntimeError("the session is running: pause it before stepping")
        with self._step_lock:
            if phase == "d":
                self.trainer.d_step()
            elif phase == "g":
                self.trainer.g_step()
            else:
                self._buffer.append(_full_step_row(self.trainer.d_step(), self.trainer.g_step()))
            if phase == "both":
                self._flush()  # publishes G and the step count (or rolls back and says why)
            else:  # a lone phase adds no history row, but later rows number on from here
                self._buffer_first_step = self.trainer.step_count + 1
                self._publish_g()
                self._last_good_step = self.trainer.step_count
            self._publish_grid()
        with self._pub_lock:
            if self._state == IDLE:
                self._state = PAUSED

    def _end_running(self, now: float, state: str | None = None) -> None:
        with self._pub_lock:
            if self._run_started is not None:
                self._elapsed_s += now - self._run_started
                self._run_started = None
            if state is not None:
                self._state = state

    # ----- control (any thread) -----

    def _ensure_thread(self) -> None:
        """Start a training thread unless a live, unstopped one exists (callers hold ``_cond``)."""
        if self._thread is not None and self._thread.is_alive() and not self._stop_event.is_set():
            return
        self._stop_event = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(self._stop_event,), name="ganapp-trainer",
                                        daemon=True)
        self._thread.start()

    def start(self, run_s: float | None = None) -> None:
        """Train continuously: starts the thread, or resumes a paused or stopped session.

        Args:
            run_s: a timed run: pause by itself after this many seconds of training from now (pauses excluded),
                with the learning rates falling to 0 over the config's ``lr_decay`` share of it at the end (see
                :func:`ganapp.trainer.lr_factor`). 0 trains until paused at the configured rates; None keeps the
                timed run under way, if any (as ``resume()`` does).
        Raises:
            ValueError: ``run_s`` is negative or not finite.
            RuntimeError: the session failed (reset it first).
        """
        if run_s is not None and not (isinstance(run_s, (int, float)) and math.isfinite(run_s) and run_s >= 0):
            raise ValueError(f"run_s={run_s!r} is out of range: it must be a number of seconds ≥ 0")
        with self._cond:
            if self._state == ERROR:
                raise RuntimeError(f"the session failed ({self._message}); reset it to train again")
            self._want_run, self._pending = True, 0
            with self._pub_lock:
                self._message, self._run_over_s = "", None
                if run_s is not None:
                    now = time.perf_counter()
                    elapsed = self._elapsed_s + (now - self._run_started if self._run_started is not None else 0.0)
                    self._window = (elapsed, float(run_s)) if run_s > 0 else None
                if self._state in (IDLE, PAUSED, STOPPED):
                    self._state = WAITING
            self._ensure_thread()
            self._cond.notify_all()

    def resume(self) -> None:
        """Go on after a pause, within the timed run under way if any (``start()`` without a new run length)."""
        self.start()

    def pause(self) -> None:
        """Stop after the step in progress and keep the thread; ``resume()`` or ``step(n)`` go on from there."""
        with self._cond:
            self._want_run, self._pending = False, 0
            with self._pub_lock:
                if self._state in (RUNNING, WAITING):
                    self._state = PAUSED
            self._end_running(time.perf_counter())  # the clock stops now, not when the step in flight ends
            self._cond.notify_all()

    def step(self, n: int = 1) -> None:
        """Run exactly ``n`` more steps, then pause. Only while not running continuously.

        Raises:
            ValueError: ``n`` outside 1..10000.
            RuntimeError: the session is running (pause first) or failed (reset first).
        """
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_STEP_REQUEST:
            raise ValueError(f"n={n!r} is out of range: it must be an integer in 1..{MAX_STEP_REQUEST}")
        with self._cond:
            if self._state == ERROR:
                raise RuntimeError(f"the session failed ({self._message}); reset it to train again")
            if self._want_run:
                raise RuntimeError("the session is running: pause it before stepping")
            self._pending += n
            with self._pub_lock:
                self._message, self._run_over_s = "", None
                self._state = WAITING if self._state != RUNNING else RUNNING
            self._ensure_thread()
            self._cond.notify_all()

    def stop(self, timeout_s: float = 1.0) -> bool:
        """End the thread after the step in progress and wait up to ``timeout_s`` for it. The model is kept:
        ``start()`` trains on from here, ``reset()`` starts over. Returns True when the thread has ended."""
        with self._cond:
            self._stop_event.set()
            self._want_run, self._pending = False, 0
            self._cond.notify_all()
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
        with self._pub_lock:
            if self._state != ERROR:
                self._state = STOPPED
        return thread is None or not thread.is_alive()

    def reset(self, config: GANConfig | None = None, init: Any = None) -> None:
        """Stop, then start over from fresh weights (or ``init``'s, see the class) with ``config`` (or the current
        config). State becomes idle.

        Raises:
            ValueError, ganapp.data.DatasetUnavailableError: the new config cannot be built; the old session is
                left as it was, stopped.
        """
        self.stop()
        self._build(config if config is not None else self.trainer.config, init)

    def update(self, **changes: Any) -> tuple[list[str], list[str]]:
        """Change hyperparameters; live ones apply at the next step (see :meth:`Trainer.update`).

        Returns:
            (applied, needs_reset) field names.
        Raises:
            ValueError: a value is invalid; nothing changes.
        """
        with self._step_lock:
            return self.trainer.update(**changes)

    def save_checkpoint(self, path: str | Path) -> Path:
        """Write the current G, D and fixed_z to ``path`` atomically (see ganapp.checkpoints), between two steps so
        that G and D come from the same step. Blocks training for at most the time the write takes.

        Raises:
            OSError: the file cannot be written (any previous file at ``path`` is left intact).
        """
        t = self.trainer
        with self._step_lock:
            return save_checkpoint(path, t.G_shown, t.config, t.step_count, D=t.D, fixed_z=t.fixed_z)

    # ----- readers (any thread) -----

    @property
    def state(self) -> str:
        return self._state

    @property
    def config(self) -> GANConfig:
        return self.trainer.config

    def snapshot(self, since: int | None = 0) -> Snapshot:
        """The session as it is now, with the metric rows whose step is greater than ``since`` (none when ``since``
        is None: status readers need not copy any history)."""
        with self._pub_lock:
            now = time.perf_counter()
            elapsed = self._elapsed_s + (now - self._run_started if self._run_started is not None else 0.0)
            it_s = 0.0
            if self._state == RUNNING and len(self._speed) >= 2:
                recent = [(t, s) for t, s in self._speed if now - t <= 5.0] or list(self._speed)[-2:]
                (t0, s0), (t1, s1) = recent[0], self._speed[-1]
                it_s = (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0
            return Snapshot(
                state=self._state, step=self._last_good_step, epoch=self._epoch(), it_s=it_s,
                elapsed_s=elapsed, device=str(self.trainer.device), message=self._message,
                queue_position=self.slots.position(self._token()) if self._state == WAITING else None,
                metrics=self._history.since(since if since is not None else self._last_good_step),
                grid=self._grid, grid_version=self._grid_version, points=self._points, config=self.trainer.config,
                scores=list(self._scores), view=self._view, view_metrics=list(self._view_metrics),
                phase=self._phase, lr_scale=self.trainer.lr_scale,
                run_left_s=None if self._window is None else max(0.0, sum(self._window) - elapsed),
                run_over_s=self._run_over_s,
            )

    def _epoch(self) -> float | None:
        size = self.trainer.data.size
        if size is None:
            return None
        cfg = self.trainer.config
        return self._last_good_step * cfg.batch_size * cfg.n_critic / size

    def history(self, max_points: int = 1000) -> dict[str, np.ndarray]:
        """The whole metric history, downsampled to at most ``max_points`` rows (see MetricHistory.downsampled)."""
        with self._pub_lock:
            return self._history.downsampled(max_points)

    def frames(self) -> list[np.ndarray]:
        """Time-lapse of the fixed_z grid: (H, W, 3) uint8 frames, oldest first, evenly thinned when long."""
        with self._pub_lock:
            return list(self._frames)

    def g_snapshots(self) -> list[tuple[int, torch.nn.Module]]:
        """The frozen copies of G kept along the run, as (step, G) oldest first: at the steps of
        :func:`snapshot_milestones` (as near as publishing allows), at most ``MAX_G_SNAPSHOTS`` (thinned evenly)."""
        with self._pub_lock:
            return list(self._g_snapshots)

    def generator(self) -> torch.nn.Module:
        """A frozen copy of the current G (eval mode, no grad) that is never trained further; safe to keep."""
        with self._pub_lock:
            return self._reader_g

    def generate(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """G(z[, y]) with the current published G, on the CPU. Never waits for a training step.

        Args:
            z: (N, z_dim) float32.
            y: labels for a conditional G: (N,) int64, or (N, n_classes) soft labels.
        Returns:
            (N, 2) points or (N, 1, 28, 28) images in [-1, 1], float32.
        Raises:
            ValueError: z is not (N, z_dim), or a conditional G got no or bad labels.
        """
        g = self.generator()
        z_dim = self.trainer.config.z_dim
        if z.ndim != 2 or z.shape[1] != z_dim:
            raise ValueError(f"z has shape {tuple(z.shape)}: expected (N, {z_dim})")
        device = next(g.parameters()).device
        with torch.no_grad():
            return g(z.to(device, torch.float32), None if y is None else y.to(device)).float().cpu()
