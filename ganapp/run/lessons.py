"""The classic GAN lessons: each a ready-made run that shows one phenomenon, the live metric that shows it, the window
of steps in which to watch it, and the pacing that keeps it on screen while a class looks up.

The app explains each lesson in English and 简体中文 (``ganapp.ui.i18n``: ``preset_<name>`` is its title,
``preset_<name>_text`` what it shows, ``lesson_<name>_watch`` what to watch). The teacher's guide
(``ganapp/assets/teacher_guide.md``) builds a 45-minute class on them. :func:`watch_rows` runs a lesson headless,
through the same publisher that draws the live view, so a test can check that the lesson shows what it says.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..gan.config import GANConfig

# The lessons show the plain GAN of the papers they come from: Adam with β = (0.5, 0.999) as in DCGAN (Radford et
# al. 2016) and no R1, whatever a dataset's default adds to train it well (R1 would smooth the very D they show)
CLASSIC: dict[str, Any] = {"beta1": 0.5, "beta2": 0.999, "r1_gamma": 0.0, "lr_decay": 0.0}


@dataclass(frozen=True)
class PauseAt:
    """The key moment of a lesson: the run pauses once, the first time a live row (a 2D view-metrics row) has
    ``metric`` ≤ ``at_most`` at a step ≥ ``after_steps``, with the note ``lesson_<name>_pause`` (formatted with the
    row's values) in the status. Resume goes on from there."""

    metric: str
    at_most: float
    after_steps: int = 0


@dataclass(frozen=True)
class Lesson:
    """One lesson: a run (and maybe a second run beside it) that shows one phenomenon.

    Attributes:
        name: the lesson's id (``mode_collapse``, ...), also its i18n key stem.
        dataset: the dataset its run trains on.
        changes: its settings, as changes from the dataset's defaults (:meth:`GANConfig.default_for`).
        run_b: run B's changes from run A's settings, for a lesson shown side by side; None for one run.
        metric: the live metric that shows it: a column of the 2D view's metrics (``modes``, ``g_grad``,
            ``g_grad_far``), of the loss curves (``d_x``, ``d_g_z``), ``phase`` (the update on screen) or ``fd``
            (the live Fréchet distance of MNIST digits).
        window_steps: (first, last) step of the window in which to watch it, at the lesson's pace.
        steps_per_s: the pace: at most this many steps per second (None: as fast as the server goes). Paced
            runs train alone (not in a classroom stack), so each keeps its own pace.
        step_budget: the run pauses for good at this step (a Reset starts over); None: no budget.
        pause: the key moment at which the run pauses once, with a note; None: none.
        slow_motion_s: seconds each D and G update stays on screen (0: off).
        run_minutes: a timed run of this many minutes, both runs given the same time (0: untimed).
    """

    name: str
    dataset: str
    changes: dict[str, Any]
    metric: str
    window_steps: tuple[int, int]
    run_b: dict[str, Any] | None = None
    steps_per_s: float | None = None
    step_budget: int | None = None
    pause: PauseAt | None = None
    slow_motion_s: float = 0.0
    run_minutes: float = 0.0

    def config(self) -> GANConfig:
        """Run A's settings."""
        return GANConfig.default_for(self.dataset, **self.changes)

    def run_b_config(self) -> GANConfig | None:
        """Run B's settings (run A's with :attr:`run_b` applied), or None for a lesson of one run."""
        return None if self.run_b is None else self.config().replace(**self.run_b)

    @property
    def window_s(self) -> float | None:
        """The window's length in seconds at the lesson's pace, or None when it is not paced."""
        first, last = self.window_steps
        return None if self.steps_per_s is None else (last - first) / self.steps_per_s


@dataclass
class LessonRun:
    """A training run following a lesson (or none): its pace, its step budget and its key moment. The run that
    owns it calls it under its own lock.

    Attributes:
        lesson: the lesson followed, or None for a free run.
        fired: the key moment has paused the run once (it does not again).
        event: why the lesson last paused the run: ``("budget", {"steps": n})`` or ``("pause", row)``; None.
    """

    lesson: Lesson | None = None
    fired: bool = False
    event: tuple[str, dict[str, Any]] | None = None

    @property
    def paced_s(self) -> float:
        """Seconds between two steps at the lesson's pace (0: not paced)."""
        lesson = self.lesson
        return 1.0 / lesson.steps_per_s if lesson is not None and lesson.steps_per_s else 0.0

    def budget_spent(self, step: int) -> int | None:
        """The lesson's step budget when ``step`` (G updates done) has reached it, noted as the event; else None."""
        budget = self.lesson.step_budget if self.lesson is not None else None
        if budget is None or step < budget:
            return None
        self.event = ("budget", {"steps": budget})
        return budget

    def key_moment(self, row: dict[str, Any] | None) -> bool:
        """True, once, when ``row`` (the latest live 2D view-metrics row, or None) meets the lesson's
        :class:`PauseAt`; the row is noted as the event."""
        at = self.lesson.pause if self.lesson is not None else None
        if at is None or self.fired or row is None or row["step"] < at.after_steps \
                or not row.get(at.metric, math.inf) <= at.at_most:
            return False
        self.fired, self.event = True, ("pause", row)
        return True


LESSONS: dict[str, Lesson] = {lesson.name: lesson for lesson in (
    # The minimax formula read one update at a time: Step D raises D's objective (D(G(z)) falls) and leaves
    # G alone; Step G raises D(G(z)) and leaves D alone. Slow motion holds each update on screen.
    Lesson("alternating", "ring8", {**CLASSIC, "loss": "minimax"}, metric="phase", window_steps=(0, 20),
           slow_motion_s=1.5),
    # A D that takes 5 steps of lr 1e-2 per G step rejects the fakes within ~150 steps: D(G(z)) → 0, where the
    # minimax G loss log(1 − D(G(z))) is flat. Measured over the first 300 steps (rows every 10): mean ‖∇ₓ g_loss‖ at
    # G's samples 0.88 under minimax, 16.6 under the non-saturating loss (1/19); seed 1: 1/45
    Lesson("saturation", "ring8", {**CLASSIC, "loss": "minimax", "n_critic": 5, "lr_d": 1e-2}, metric="g_grad",
           window_steps=(0, 300), run_b={"loss": "non_saturating"}, steps_per_s=10.0, step_budget=600),
    # Mode collapse: G learns 5× faster than D, both narrow, with the saturating loss and no R1. G's samples crowd
    # into clumps that D pushes from mode to mode; tests/quality/test_quality_lessons.py checks that it does
    Lesson("mode_collapse", "grid25", {**CLASSIC, "loss": "minimax", "seed": 2, "g_width": 32, "d_width": 32,
                                       "lr_g": 5e-3, "lr_d": 1e-3},
           metric="modes", window_steps=(500, 3500), steps_per_s=25.0, step_budget=4000,
           pause=PauseAt("modes", 4, after_steps=500)),
    # The saturation lesson's D beside a balanced one: from step ~180 D(x) = 1.00, D(G(z)) = 0.00 and G's arrows are
    # exactly 0 (mean over steps 200-1,400), where run B's D(x) 0.57, D(G(z)) 0.42 and its arrows 3.9 long
    Lesson("strong_d", "ring8", {**CLASSIC, "loss": "minimax", "lr_d": 1e-2, "n_critic": 5}, metric="g_grad",
           window_steps=(200, 1400),
           run_b={"lr_d": 1e-3, "n_critic": 1}, steps_per_s=10.0),
    # G's pull on the fakes far from the data (steps 300-1,500): 1.05 from the critic, 0.0001 from the minimax D
    Lesson("wgan_smooth", "ring8", {**CLASSIC, "loss": "wgan_gp", "n_critic": 5, "beta1": 0.0, "beta2": 0.9,
                                    "lr_d": 1e-3}, metric="g_grad_far", window_steps=(300, 1500),
           run_b={"loss": "minimax", "beta1": 0.5, "beta2": 0.999}, steps_per_s=10.0),
    # The DCGAN default against the usual MLP GAN (hidden layers 256, 512, 1024). Measured side by side for 3 minutes,
    # one core each: the DCGAN took 4,502 steps to FD 41.7, the MLP 5,543 steps to FD 72.2. (A width-128 MLP ties:
    # 11,786 steps to FD 44.5 against the DCGAN's 45.7, so the lesson keeps the usual widths.)
    Lesson("mlp_vs_dcgan", "mnist_10k", {}, metric="fd", window_steps=(0, 10**9),
           run_b={"model": "mlp", "g_width": 256, "d_width": 256}, run_minutes=3.0),
)}


def lesson_config(name: str) -> GANConfig:
    """Run A's config of lesson ``name``.

    Raises:
        ValueError: an unknown lesson.
    """
    return get_lesson(name).config()


def get_lesson(name: str) -> Lesson:
    """The lesson called ``name``.

    Raises:
        ValueError: an unknown lesson.
    """
    if name not in LESSONS:
        raise ValueError(f"lesson={name!r} is not allowed: choose one of {', '.join(LESSONS)}")
    return LESSONS[name]


def watch_rows(config: GANConfig, last_step: int, every_steps: int) -> list[dict[str, Any]]:
    """Train ``config`` headless to ``last_step`` and return the live 2D metric rows the page would show, one every
    ``every_steps`` steps (a lesson's pace gives one a second), each with its ``alert`` (see
    :func:`ganapp.gan.metrics.collapse_alert`). The rows come from the same
    :class:`~ganapp.run.publisher.Publisher` that draws the live view, so a test of a lesson checks what a class sees.

    Raises:
        ValueError: ``config`` is not 2D data, or ``every_steps`` < 1.
    """
    from ..gan.metrics import collapse_alert
    from ..gan.trainer import Trainer
    from .publisher import Publisher

    if not config.is_2d:
        raise ValueError(f"dataset={config.dataset!r}: watch_rows draws 2D data only")
    if every_steps < 1:
        raise ValueError(f"every_steps={every_steps} is out of range: it must be ≥ 1")
    trainer = Trainer(config, download=False)
    publisher = Publisher(trainer)
    rows: list[dict[str, Any]] = []
    while trainer.step_count < last_step:
        trainer.train_step()
        if trainer.step_count % every_steps == 0:
            publisher.publish_g(trainer)
            publisher.publish_grid(trainer)
            rows.append({**publisher.view_metrics[-1], "alert": collapse_alert(publisher.view_metrics)})
    return rows
