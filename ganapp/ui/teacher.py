"""The teacher's page, at ``/teacher``: built only when the host set a teacher token, so without one no route, tab
or API endpoint of it exists. Every handler checks the token on the server (through the API too); a wrong or missing
one gets a plain refusal that names no run and returns no data. Students' names are shown as plain text only (a
gallery caption, a table cell, a text box), never as Markdown or HTML.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
import numpy as np

from ..lessons import LESSONS
from ..teacher import CHALLENGES, SORT_KEYS, Classroom, RunCard
from . import plots
from .common import DETECT_LANG_JS, FAST, guarded
from .errors import autosave_note
from .handlers import GanApp
from .live import HISTORY_POINTS, LiveHandlers, format_elapsed
from .i18n import LANGS, t

REFRESH_S = 1.0


class TeacherHandlers:
    """The teacher page's handlers, over the class (:class:`~ganapp.teacher.Classroom`) and the students' app."""

    def __init__(self, app: GanApp, classroom: Classroom):
        self.app = app
        self.classroom = classroom

    def _allowed(self, request: gr.Request | None, token: Any) -> bool:
        client = getattr(getattr(request, "client", None), "host", None) or "unknown"
        return self.classroom.gate.check(token, client)

    def _require(self, request: gr.Request | None, lang: str, token: Any) -> None:
        if not self._allowed(request, token):
            raise gr.Error(t(lang, "teacher_refused"))

    @staticmethod
    def _choice(lang: str, field: str, value: Any, choices) -> None:
        """``gr.Error`` naming the field and its choices when ``value`` is not one of them."""
        if value not in choices:
            raise gr.Error(t(lang, "err_choice", field=t(lang, field), choices=", ".join(choices), value=value))

    @guarded
    def sign_in(self, request: gr.Request, lang: str, token: Any) -> tuple:
        """Check the token; on success start the page's refresh. Returns (timer update, note)."""
        self._require(request, lang, token)
        return gr.Timer(active=True), t(lang, "teacher_signed_in")

    @guarded
    def refresh(self, request: gr.Request, lang: str, token: Any, sort: Any) -> tuple:
        """The class now: a card per run, the leaderboard, and the run shown large. A refused token stops the
        refresh and returns nothing else.

        Returns:
            (timer update, note, gallery [(thumbnail, caption)], leaderboard rows, shown-large caption, its loss
            plot, its 2D view, its sample grid).
        """
        if not self._allowed(request, token):
            return gr.Timer(active=False), t(lang, "teacher_refused"), *[gr.skip()] * 6
        page = self.app._page(request)
        cards = self.classroom.cards(sort if sort in SORT_KEYS else "seat")
        page["teacher_order"] = [c.visitor_id for c in cards]  # what a click on the gallery's i-th card means
        gallery = [(c.thumbnail if c.thumbnail is not None else np.zeros((8, 8, 3), np.uint8), self._caption(lang, c))
                   for c in cards]
        # a full or read-only state folder: the host learns here, as in the log, that runs are not being saved
        note = "\n\n".join(filter(None, (t(lang, "class_empty") if not cards else "",
                                          autosave_note(lang, self.classroom.registry.autosave_problem))))
        return (gr.skip(), note, gallery, self._leaderboard(lang, cards), *self._large(lang, page, cards))

    @staticmethod
    def _caption(lang: str, c: RunCard) -> str:
        score = ""
        if c.modes is not None:
            score = t(lang, "card_modes", modes=c.modes, n_modes=c.n_modes, hq=c.high_quality or 0.0)
        elif c.fd is not None:
            score = t(lang, "card_fd", fd=c.fd, digits=c.digits)
        return t(lang, "card_caption", name=c.label(t(lang, "unnamed")), state=t(lang, f"state_{c.state}"),
                 step=f"{c.step:,}", it_s=c.it_s, score=score)

    def _leaderboard(self, lang: str, cards: list[RunCard]) -> list[list[str]]:
        name, ranked = self.classroom.leaderboard(cards)
        rows = []
        for rank, c, reached_s in ranked:
            score = (f"{c.modes}/{c.n_modes}, {c.high_quality or 0.0:.0%}" if c.modes is not None
                     else f"FD {c.fd:.1f}, {c.digits}" if c.fd is not None else "")
            rows.append([str(rank), c.label(t(lang, "unnamed")), c.dataset, f"{c.step:,}", score,
                         format_elapsed(reached_s) if reached_s is not None else ""])
        return rows

    def _large(self, lang: str, page: dict, cards: list[RunCard]) -> tuple:
        """(caption, loss plot, 2D view, grid) of the run the teacher clicked; skips while nothing is chosen or
        nothing changed."""
        vid = page.get("teacher_selected")
        card = next((c for c in cards if c.visitor_id == vid), None)
        v = self.classroom.registry.peek(vid) if card is not None else None
        if v is None or v.session is None:
            return (gr.skip(),) * 4
        snap = v.session.snapshot(None)
        drawn = (vid, snap.step, snap.grid_version, lang)
        if page.get("teacher_drawn") == drawn:
            return (gr.skip(),) * 4
        page["teacher_drawn"] = drawn
        caption = t(lang, "shown_large", name=card.label(t(lang, "unnamed")), dataset=card.dataset,
                    model=card.model, loss=card.loss, step=f"{card.step:,}")
        loss = plots.loss_figure(v.session.history(HISTORY_POINTS), t(lang, "losses_plot"), t(lang, "step_axis"))
        if snap.points is not None:
            return caption, loss, gr.update(value=LiveHandlers._view_figure(lang, page, snap), visible=True), \
                gr.update(visible=False)
        return caption, loss, gr.update(visible=False), gr.update(value=snap.grid, visible=snap.grid is not None)

    @guarded
    def class_api(self, request: gr.Request, token: str, lang: str = "en") -> list[dict]:
        """For API clients with the token: the class as data, one dict per run (seat, name, dataset, model, loss,
        state, step, it_s, modes, n_modes, high_quality, fd, digits), in seat order."""
        self._require(request, lang, token)
        keys = ("seat", "name", "dataset", "model", "loss", "state", "step", "it_s", "modes", "n_modes",
                "high_quality", "fd", "digits")
        return [{k: getattr(c, k) for k in keys} for c in self.classroom.cards("seat")]

    @guarded
    def select(self, request: gr.Request, lang: str, token: Any, evt: gr.SelectData) -> None:
        """A click on a card: show that run large from the next refresh on."""
        self._require(request, lang, token)
        page = self.app._page(request)
        order = page.get("teacher_order", [])
        if isinstance(evt.index, int) and 0 <= evt.index < len(order):
            page["teacher_selected"] = order[evt.index]
            page.pop("teacher_drawn", None)

    @guarded
    def set_lesson(self, request: gr.Request, lang: str, token: Any, lesson: Any) -> str:
        """Every student's page takes the lesson into its controls; each student still presses Start."""
        self._require(request, lang, token)
        self._choice(lang, "class_lesson", lesson, LESSONS)
        self.classroom.set_lesson(lesson)
        return t(lang, "lesson_set", lesson=t(lang, f"preset_{lesson}"))

    @guarded
    def pause_all(self, request: gr.Request, lang: str, token: Any) -> str:
        self._require(request, lang, token)
        return t(lang, "paused_n", n=self.classroom.pause_all())

    @guarded
    def resume_all(self, request: gr.Request, lang: str, token: Any) -> str:
        self._require(request, lang, token)
        return t(lang, "resumed_n", n=self.classroom.resume_all())

    @guarded
    def start_challenge(self, request: gr.Request, lang: str, token: Any, challenge: Any) -> str:
        self._require(request, lang, token)
        self._choice(lang, "challenge", challenge, CHALLENGES)
        self.classroom.start_challenge(challenge)
        return t(lang, "challenge_started")

    @guarded
    def export(self, request: gr.Request, lang: str, token: Any) -> str:
        """The class as a .zip: every run's checkpoint and a CSV of names, settings, steps and scores."""
        self._require(request, lang, token)
        return str(self.classroom.export(self.app._file("teacher", "export")))


def build_teacher_page(demo: gr.Blocks, app: GanApp, classroom: Classroom) -> None:
    """Add the teacher's page to ``demo`` at ``/teacher`` (left out of the navigation bar). Call it outside
    ``demo``'s own ``with`` block."""
    h = TeacherHandlers(app, classroom)
    en = lambda key: t("en", key)  # noqa: E731
    with demo.route("Teacher", "/teacher", show_in_navbar=False):
        labeled: list[tuple[Any, str, str]] = []

        def tr(component, key: str, attr: str = "label"):
            labeled.append((component, key, attr))
            return component

        with gr.Row():
            tr(gr.Markdown(en("teacher_title")), "teacher_title", "value")
            lang = gr.Radio([(name, code) for code, name in LANGS.items()], value="en", label="Language / 语言",
                            scale=0, min_width=160)
        with gr.Row():
            token = tr(gr.Textbox(label=en("teacher_token"), type="password", max_lines=1, elem_id="teacher-token"),
                       "teacher_token")
            sign_in = tr(gr.Button(en("teacher_sign_in"), variant="primary", elem_id="teacher-sign-in"),
                         "teacher_sign_in", "value")
        note = gr.Markdown("", elem_id="teacher-note")
        with gr.Row():
            sort = gr.Dropdown([(en(f"sort_{k}"), k) for k in SORT_KEYS], value="seat", label=en("sort_by"),
                               elem_id="teacher-sort")
            lesson = gr.Dropdown([(en(f"preset_{k}"), k) for k in LESSONS], value=next(iter(LESSONS)),
                                 label=en("class_lesson"), elem_id="teacher-lesson")
            set_lesson = tr(gr.Button(en("set_lesson"), elem_id="teacher-set-lesson"), "set_lesson", "value")
            pause_all = tr(gr.Button(en("pause_all"), elem_id="teacher-pause-all"), "pause_all", "value")
            resume_all = tr(gr.Button(en("resume_all"), elem_id="teacher-resume-all"), "resume_all", "value")
        gallery = tr(gr.Gallery(label=en("the_class"), columns=6, allow_preview=False, object_fit="contain",
                                elem_id="teacher-gallery", elem_classes="pixelated"), "the_class")
        with gr.Row():
            with gr.Column():
                shown = tr(gr.Textbox(label=en("shown_label"), interactive=False, elem_id="teacher-shown"),
                           "shown_label")
                large_loss = tr(gr.Plot(label=en("losses_plot"), elem_id="teacher-loss"), "losses_plot")
            with gr.Column():
                large_view = tr(gr.Plot(label=en("scatter"), visible=False, elem_id="teacher-view"), "scatter")
                large_grid = tr(gr.Image(label=en("grid"), visible=False, interactive=False, elem_id="teacher-grid",
                                         elem_classes="pixelated"), "grid")
        with gr.Row():
            challenge = gr.Dropdown([(en(f"challenge_{k}"), k) for k in CHALLENGES], value=next(iter(CHALLENGES)),
                                    label=en("challenge"), elem_id="teacher-challenge")
            start_challenge = tr(gr.Button(en("start_challenge"), elem_id="teacher-start-challenge"),
                                 "start_challenge", "value")
        columns = ("lb_rank", "lb_name", "lb_dataset", "lb_step", "lb_score", "lb_reached")
        leaderboard = gr.Dataframe(headers=[en(k) for k in columns], datatype=["str"] * len(columns),
                                   interactive=False, label=en("leaderboard"), elem_id="teacher-leaderboard")
        with gr.Row():
            export = tr(gr.Button(en("export_class"), elem_id="teacher-export"), "export_class", "value")
            export_file = tr(gr.File(label=en("export_file"), interactive=False), "export_file")
        timer = gr.Timer(REFRESH_S, active=False)

        private = dict(api_visibility="private", **FAST)
        sign_in.click(h.sign_in, [lang, token], [timer, note], **private)
        token.submit(h.sign_in, [lang, token], [timer, note], **private)
        timer.tick(h.refresh, [lang, token, sort],
                   [timer, note, gallery, leaderboard, shown, large_loss, large_view, large_grid], **private)
        gallery.select(h.select, [lang, token], None, **private)
        # the class actions are API endpoints too (a teacher may script them); each checks the token
        set_lesson.click(h.set_lesson, [lang, token, lesson], [note], api_name="teacher_set_lesson", **FAST)
        pause_all.click(h.pause_all, [lang, token], [note], api_name="teacher_pause_all", **FAST)
        resume_all.click(h.resume_all, [lang, token], [note], api_name="teacher_resume_all", **FAST)
        start_challenge.click(h.start_challenge, [lang, token, challenge], [note], api_name="teacher_challenge",
                              **FAST)
        export.click(h.export, [lang, token], [export_file], api_name="teacher_export", concurrency_limit=1)
        gr.api(h.class_api, api_name="teacher_class", concurrency_limit=None)

        def relabel(code: str) -> list:
            updates = [gr.update(**{attr: t(code, key)}) for _, key, attr in labeled]
            updates += [gr.update(label=t(code, "sort_by"), choices=[(t(code, f"sort_{k}"), k) for k in SORT_KEYS]),
                        gr.update(label=t(code, "class_lesson"),
                                  choices=[(t(code, f"preset_{k}"), k) for k in LESSONS]),
                        gr.update(label=t(code, "challenge"),
                                  choices=[(t(code, f"challenge_{k}"), k) for k in CHALLENGES]),
                        gr.update(label=t(code, "leaderboard"), headers=[t(code, k) for k in columns])]
            return updates

        lang.change(relabel, [lang], [*(c for c, _, _ in labeled), sort, lesson, challenge, leaderboard],
                    **private)
        demo.load(None, None, [lang], js=DETECT_LANG_JS)


__all__ = ["TeacherHandlers", "build_teacher_page"]
