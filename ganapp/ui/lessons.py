"""The Lessons box: picking a lesson, its text in the page's language, and the live line in the status that says,
with the app's own metric, whether the lesson is showing what it should (see :mod:`ganapp.run.lessons`)."""

from __future__ import annotations

import logging
import math
from typing import Any

import gradio as gr

from ..gan.config import PAGE_FIELDS, GANConfig
from ..gan.data import ASSETS_DIR
from ..host.limits import beyond_limits
from ..host.classroom import Classroom
from ..host.visitors import Visitor
from ..run.publisher import Snapshot
from ..run.lessons import LESSONS, Lesson
from ..run.run import RUNNING, WAITING
from .base import Shared, TabHandlers
from .common import guarded
from .i18n import LANGS, number, t
from .settings import reset_fields

log = logging.getLogger("ganapp")

# The minimax objective with the term each update follows boxed in colour: D ascends both expectations, G descends
# the second one only (Goodfellow et al. 2014, Eq. 1 and Algorithm 1)
_REAL = r"\mathbb{E}_{x}[\log D(x)]"
_FAKE = r"\mathbb{E}_{z}[\log(1 - D(G(z)))]"
PHASE_TEX = {
    "d": rf"\min_G \max_D \; \boxed{{\color{{#1f77b4}}{{{_REAL} + {_FAKE}}}}}",
    "g": rf"\min_G \max_D \; {_REAL} + \boxed{{\color{{#d62728}}{{{_FAKE}}}}}",
}


def lesson_markdown(lang: str, name: Any) -> str:
    """The Lessons box's text for lesson ``name`` in ``lang``: what it shows, what to watch and when, and its pace;
    "" for no lesson."""
    if name not in LESSONS:
        return ""
    lesson = LESSONS[name]
    lines = [t(lang, f"preset_{name}_text"), t(lang, "lesson_watch", watch=t(lang, f"lesson_{name}_watch"))]
    if lesson.steps_per_s:
        first, last = lesson.window_steps
        lines.append(t(lang, "lesson_pace", pace=f"{lesson.steps_per_s:g}", first=f"{first:,}", last=f"{last:,}",
                       minutes=f"{lesson.window_s / 60:.1f}"))
    if lesson.step_budget:
        lines.append(t(lang, "lesson_budget_note", steps=f"{lesson.step_budget:,}"))
    if lesson.run_b:
        lines.append(t(lang, "lesson_run_b_note", changes=", ".join(f"{k} = {v}" for k, v in lesson.run_b.items())))
    return "\n\n".join(lines)


def lesson_for(name: Any, config: GANConfig) -> Lesson | None:
    """Lesson ``name`` when ``config`` has its run A's settings in every control of the Train tab, else None: a
    visitor who changed a setting runs freely, without the lesson's pace, budget or run B."""
    lesson = LESSONS.get(name) if isinstance(name, str) else None
    if lesson is None:
        return None
    return lesson if not set(config.diff(lesson.config())) & set(PAGE_FIELDS) else None


def _ratio(a: float, b: float) -> str:
    """b / a as "12×", or "—" when it cannot be taken."""
    if not (math.isfinite(a) and math.isfinite(b)) or a < 0 or b < 0:
        return "—"
    if a == 0:
        return "∞" if b > 0 else "—"
    return f"{b / a:.0f}×" if b / a >= 10 else f"{b / a:.1f}×"


def _last(snap, key: str) -> float:
    rows = snap.view_metrics if snap is not None else []
    return float(rows[-1].get(key, math.nan)) if rows else math.nan


def _fd(snap) -> tuple[float, int]:
    scores = [s for s in (snap.scores if snap is not None else []) if "frechet_distance" in s]
    return (float(scores[-1]["frechet_distance"]), int(scores[-1]["step"])) if scores else (math.nan, 0)


def live_lines(lang: str, lesson: Lesson, snap, snap_b) -> list[str]:
    """The status lines of a run that follows ``lesson``: the live value of its metric (run A's beside run B's
    for a side-by-side lesson), and why the lesson paused it, if it did."""
    lines = [t(lang, "lesson_now", lesson=t(lang, f"preset_{lesson.name}"))]
    m = lesson.metric
    if m == "modes" and snap.view_metrics:
        row = snap.view_metrics[-1]
        lines.append(t(lang, "lesson_live_modes", modes=row.get("modes"), n_modes=row.get("n_modes"),
                       share=f"{row.get('modes', 0) / max(1, row.get('n_modes', 1)):.0%}"))
    elif m == "g_grad" and snap.view_metrics:  # a value not measured yet (run B's first view) reads as "—"
        a, b = _last(snap, "g_grad"), _last(snap_b, "g_grad")
        lines.append(t(lang, "lesson_live_g_grad", a=number(lang, a, ".3g", "—"), b=number(lang, b, ".3g", "—"),
                       ratio=_ratio(a, b), d_x=number(lang, _last(snap, "d_x"), ".2f", "—"),
                       d_g_z=number(lang, _last(snap, "d_g_z"), ".2f", "—")))
    elif m == "g_grad_far" and snap.view_metrics:
        a, b = _last(snap, "g_grad_far"), _last(snap_b, "g_grad_far")
        lines.append(t(lang, "lesson_live_far", a=number(lang, a, ".3g", "—"), b=number(lang, b, ".3g", "—"),
                       ratio=_ratio(b, a)))
    elif m == "phase":
        lines.append(t(lang, f"lesson_live_phase_{snap.phase or 'none'}"))
        if snap.phase in PHASE_TEX:
            lines.append(f"$${PHASE_TEX[snap.phase]}$$")
    elif m == "fd":  # each run's FD at its step, or "not measured yet" (run B's first score comes later)
        parts = [t(lang, "lesson_fd_at", fd=f"{fd:.1f}", step=f"{step:,}") if math.isfinite(fd) else
                 t(lang, "not_measured") for fd, step in (_fd(snap), _fd(snap_b))]
        if any(math.isfinite(fd) for fd, _ in (_fd(snap), _fd(snap_b))):
            lines.append(t(lang, "lesson_live_fd", a=parts[0], b=parts[1]))
    if lesson.steps_per_s and snap.step < lesson.window_steps[1]:
        first, last = lesson.window_steps
        lines.append(t(lang, "lesson_window_now", first=f"{first:,}", last=f"{last:,}", step=f"{snap.step:,}"))
    event = snap.lesson_event
    if event is not None and event[0] == "pause" and lesson.pause is not None:
        lines.append(t(lang, f"lesson_{lesson.name}_pause", **{k: v for k, v in event[1].items() if k != "step"},
                       step=f"{event[1]['step']:,}"))
    elif event is not None:
        lines.append(t(lang, "lesson_budget", steps=f"{event[1]['steps']:,}"))
    return lines


GUIDE_FILES = {"en": ASSETS_DIR / "teacher_guide.md", "zh": ASSETS_DIR / "teacher_guide.zh.md"}


def build_guide_page(demo: gr.Blocks) -> None:
    """Add the teacher's guide (a 45-minute class with the app, in English and 简体中文) to ``demo`` at ``/guide``,
    left out of the navigation bar; the Lessons box links to it. Call it outside ``demo``'s own ``with`` block."""
    with demo.route("For teachers", "/guide", show_in_navbar=False):
        with gr.Tabs():
            for code, path in GUIDE_FILES.items():
                with gr.Tab(LANGS[code], id=f"guide-{code}"):
                    gr.Markdown(path.read_text(encoding="utf-8"), elem_id=f"guide-{code}")


def start_lesson(visitor: Any, lesson: Lesson | None, config: GANConfig, fresh: bool) -> GANConfig | None:
    """Make the visitor's run follow ``lesson`` (from :func:`lesson_for`; None: run freely). Returns run B's
    config for a ``fresh`` run of a side-by-side lesson (the caller builds run B), else None."""
    if visitor.run.lesson is not lesson:
        visitor.run.set_lesson(lesson)
    return config.replace(**lesson.run_b) if fresh and lesson is not None and lesson.run_b else None


def lesson_status(lang: str, snap, snap_b) -> list[str]:
    """The status lines of the lesson run A follows, beside run B's snapshot ``snap_b`` (or None); none when
    the run follows no lesson."""
    lesson = LESSONS.get(snap.lesson or "") if snap is not None else None
    return live_lines(lang, lesson, snap, snap_b) if lesson is not None else []


def kept_checkpoint_name(lesson: str) -> str:
    """The file name under which a student's run is kept when the teacher applies ``lesson`` at once (see
    :meth:`ganapp.ui.teacher.TeacherHandlers.set_lesson`)."""
    return f"before_{lesson}.safetensors"


def teacher_lesson_lines(lang: str, visitor: Visitor, snap: Snapshot | None,
                         classroom: Classroom | None) -> list[str]:
    """The banner of the lesson the teacher set, while the visitor's page shows it (until their next run is
    built): what the teacher set, and what Start will do now. Offered, a lesson fills the controls and leaves the
    run alone: with no run, Start runs it; beside a run of another shape (another dataset, model or size), Start
    changes nothing and Reset builds the lesson; beside a run of its own shape, Start applies its settings.
    Applied by the teacher, the lesson's run is built and the student's earlier run kept as a checkpoint.

    Args:
        snap: run A's status-only snapshot, or None without a run.
        classroom: the teacher's :class:`~ganapp.host.classroom.Classroom`, or None.
    """
    name = visitor.state.lesson_note
    if name not in LESSONS:
        return []
    title = t(lang, f"preset_{name}")
    set_line = t(lang, "lesson_offer", lesson=title)
    if snap is None:
        return [set_line, t(lang, "lesson_offer_start")]
    if snap.lesson == name and snap.state in (RUNNING, WAITING):
        return [set_line]  # running it: the lesson's own lines say the rest
    running = snap.config
    if reset_fields(running, LESSONS[name].config()):
        return [set_line, t(lang, "lesson_offer_reset", running=f"{running.dataset} · {running.model}")]
    lesson = classroom.lesson if classroom is not None else None
    if lesson is not None and lesson.name == name and lesson.applied and snap.lesson == name:
        lines = [t(lang, "lesson_applied_note", lesson=title)]
        kept = visitor.checkpoint
        if kept is not None and visitor.state.checkpoint_name == kept_checkpoint_name(name):
            lines.append(t(lang, "lesson_applied_kept", name=visitor.state.checkpoint_name,
                           dataset=kept.config.dataset, step=f"{kept.step:,}"))
        return lines
    return [set_line, t(lang, "lesson_offer_live")]


class LessonHandlers(TabHandlers):
    """The Lessons box's handlers. At startup, the log names the lessons that the host's limits rule out
    (:func:`ganapp.host.limits.beyond_limits`); picking one says so in the lesson's text."""

    def __init__(self, shared: Shared):
        super().__init__(shared)
        self.ruled_out = beyond_limits(self.registry.limits)
        for name, e in self.ruled_out.items():
            log.warning("the lesson %s is off on this server: it needs %s = %s, beyond the host's limit (%s)",
                        name, e.field, e.value, e.allowed)

    @guarded
    def pick_lesson(self, request: gr.Request, lang: str, name: Any) -> list:
        """A lesson was picked: its settings go into the controls, and Start then runs it with its pace, step
        budget, key moment and run B (:func:`start_lesson`).

        Returns:
            the controls' values (PAGE_FIELDS), the lesson's text, the slow-motion
            slider's and the run length's values; gr.update() each for an unknown name.
        """
        if name not in LESSONS:
            return [gr.update()] * (len(PAGE_FIELDS) + 3)
        _, visitor = self._visitor(request)
        visitor.state.lesson = name
        lesson = LESSONS[name]
        c = lesson.config()
        text = lesson_markdown(lang, name)
        if name in self.ruled_out:  # Start would be refused for the limit: say so now
            e = self.ruled_out[name]
            text = t(lang, "lesson_ruled_out", lesson=t(lang, f"preset_{name}"), field=t(lang, e.field),
                     value=e.value, allowed=e.allowed) + "\n\n" + text
        return [getattr(c, f) for f in PAGE_FIELDS] + [text, lesson.slow_motion_s, lesson.run_minutes]

