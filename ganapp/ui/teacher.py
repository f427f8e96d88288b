"""The teacher's page, at ``/teacher``: built only when the host set a teacher token, so without one no route, tab
or API endpoint of it exists. Every handler checks the token on the server (through the API too) before it does
anything: the right token goes through at once; a wrong or missing one gets a plain refusal that names no run and
returns no data, held back as long as :class:`~ganapp.host.teacher_gate.TeacherGate` says (the handlers are coroutines,
so a held answer costs no thread). Students' names are shown as plain text only (a gallery caption, a table cell, a
text box), never as Markdown or HTML.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
import threading
import urllib.parse
from collections.abc import Callable
from typing import Any

import anyio
import gradio as gr
import numpy as np

from ..gan.checkpoints import load_checkpoint
from ..gan.config import PAGE_FIELDS, GANConfig
from ..host.classroom import CHALLENGES, SORT_KEYS, THUMB_PX, Classroom, RunCard
from ..host.limits import LimitError, ServerFullError
from ..host.visitors import PageView
from ..run.lessons import LESSONS, Lesson
from ..run.links import LINK_FIELDS, Link, parse
from ..run.run import ERROR
from ..service.protocol import RunLostError
from . import plots
from .common import DETECT_LANG_JS, FAST, guarded, toast
from .errors import autosave_note
from .handlers import GanApp
from .i18n import LANGS, known_lang, t
from .links import link_reason
from .lessons import kept_checkpoint_name, start_lesson
from .live import HISTORY_POINTS, LiveHandlers, format_elapsed

REFRESH_S = 1.0
SHOWN_FRAME = (255, 120, 0)  # the frame of the card shown large
log = logging.getLogger("ganapp")
# The class's cards at 1366 × 768: Gradio lays a caption over the bottom of its thumbnail on one line, cut off with
# an ellipsis ("Student 5 · runnin…"); here it sits under the thumbnail, whole, one fact a line (see
# TeacherHandlers.caption)
TEACHER_CSS = """
#teacher-gallery .grid-wrap { max-height: none; overflow-y: visible; }  /* the page scrolls, not a box in it */
#teacher-gallery .thumbnail-item { aspect-ratio: auto; height: auto; display: flex; flex-direction: column; }
#teacher-gallery .thumbnail-item.selected { --ring-color: transparent; border-color: var(--border-color-primary); }
#teacher-gallery .thumbnail-item img { aspect-ratio: 1 / 1; width: 100%; height: auto; flex: none; }
#teacher-gallery .caption-label { position: static; max-width: none; white-space: pre-line; overflow-wrap: anywhere;
  text-overflow: clip; overflow: visible; opacity: 1; border: none; border-top: 1px solid var(--border-color-primary);
  border-radius: 0; font-size: 12px; line-height: 1.3; text-align: left; }
"""


def _client(request: gr.Request | None) -> str:
    """The address a try comes from. The server (uvicorn) takes it from X-Forwarded-For only when the connection
    comes from a proxy the host named (GANAPP_TRUSTED_PROXIES; see app.trust_proxies), never from anyone else."""
    return getattr(getattr(request, "client", None), "host", None) or "unknown"


def teacher_only(fn: Callable) -> Callable:
    """A teacher handler ``fn(self, request, lang, token, ...)`` behind the gate: a coroutine that lets the right
    token through at once and runs ``fn`` in a worker thread (as Gradio runs a plain handler), and answers a wrong
    one with the plain refusal, held for the gate's delay."""
    @functools.wraps(fn)
    async def handler(self: TeacherHandlers, request: gr.Request, lang: Any, token: Any, *args: Any) -> Any:
        if not await self.admit(request, token):
            raise toast(request, gr.Error(t(known_lang(lang), "teacher_refused")))
        return await anyio.to_thread.run_sync(functools.partial(fn, self, request, known_lang(lang), token, *args))
    return handler


def page_config(config: GANConfig) -> GANConfig:
    """``config`` as the Train tab's controls would build it: its controls' values, the rest at their defaults."""
    return GANConfig(**{f: getattr(config, f) for f in PAGE_FIELDS})


def lesson_choices(lang: str, classroom: Classroom) -> list[tuple[str, str]]:
    """The teacher's lesson menu: each lesson by its title, those the host's limits rule out marked so."""
    return [(t(lang, "lesson_off_choice", lesson=t(lang, f"preset_{k}")) if k in classroom.ruled_out
             else t(lang, f"preset_{k}"), k) for k in LESSONS]


def ruled_out_note(lang: str, classroom: Classroom) -> str:
    """Which lessons the host's limits rule out on this server, and why ("" when none)."""
    return "\n\n".join(t(lang, "lesson_ruled_out", lesson=t(lang, f"preset_{k}"), field=t(lang, e.field),
                         value=e.value, allowed=e.allowed) for k, e in classroom.ruled_out.items())


def field_choices(lang: str) -> list[tuple[str, str]]:
    """The Train tab's settings as choices, each by its label in ``lang`` (what a teacher may lock or hide)."""
    return [(t(lang, f), f) for f in LINK_FIELDS]


class CardClick(gr.EventData):
    """A click on a card of the class's gallery, as Gradio hands it to :meth:`TeacherHandlers.select`.

    Gradio's own ``gr.SelectData`` reads ``data["index"]`` before any handler runs, so a forged call that sends no
    event data (or not an object) ended in a TypeError's traceback and an empty error; here it is a click on no card,
    and the teacher gate still answers the token first.

    Attributes:
        index: the card's place in the gallery (an int from a page; anything, or None, from a forged call).
        value: the card as the page sends it, a dict with its "caption" (str); None when absent.
    """

    def __init__(self, target: Any, data: Any):
        super().__init__(target, data)
        data = data if isinstance(data, dict) else {}
        self.index: Any = data.get("index")
        self.value: Any = data.get("value")


class TeacherHandlers:
    """The teacher page's handlers, over the class (:class:`~ganapp.host.classroom.Classroom`) and the students' app."""

    MAX_HELD = 8  # wrong answers held at once, server-wide; beyond them a wrong token is refused without a wait

    def __init__(self, app: GanApp, classroom: Classroom):
        self.app = app
        self.classroom = classroom
        self._held = 0  # wrong answers being held now
        self._held_lock = threading.Lock()
        self._export_lock = threading.Lock()  # one class export at a time (it writes every run's checkpoint)

    async def admit(self, request: gr.Request | None, token: Any) -> bool:
        """Whether ``token`` is the teacher's; a wrong one returns only after the gate's delay.

        At most MAX_HELD wrong answers are held at once: a held answer keeps one of the Gradio queue's slots (40 by
        default, for every event of every page), so a flood of wrong tokens from a class's one address would
        otherwise fill them, and the teacher's own right token, and the students' ticks, would wait behind it.
        A wrong answer beyond them is refused at once; the gate still counts it, and the token's length, not the
        wait, is what keeps a guesser out (see :class:`~ganapp.host.teacher_gate.TeacherGate`)."""
        verdict = self.classroom.gate.check(token, _client(request))
        if verdict.ok or verdict.delay_s <= 0:
            return verdict.ok
        with self._held_lock:
            hold = self._held < self.MAX_HELD
            self._held += hold
        if hold:
            try:
                await asyncio.sleep(verdict.delay_s)
            finally:
                with self._held_lock:
                    self._held -= 1
        return False

    @staticmethod
    def _choice(lang: str, field: str, value: Any, choices) -> None:
        """``gr.Error`` naming the field and its choices when ``value`` is not one of them."""
        if not isinstance(value, str) or value not in choices:
            raise gr.Error(t(lang, "err_choice", field=t(lang, field), choices=", ".join(choices), value=value))

    @teacher_only
    @guarded
    def sign_in(self, request: gr.Request, lang: str, token: Any) -> tuple:
        """Start the page's refresh. Returns (timer update, note)."""
        return gr.Timer(active=True), t(lang, "teacher_signed_in")

    async def refresh(self, request: gr.Request, lang: str, token: Any, sort: Any) -> tuple:
        """The class now: a card per run, the leaderboard, and the run shown large. A refused token stops the
        refresh and returns nothing else.

        Returns:
            (timer update, note, class note, gallery (cards, the one shown large framed), leaderboard rows,
            shown-large caption, its loss plot, its 2D view, its sample grid).
        """
        if not await self.admit(request, token):
            return gr.Timer(active=False), t(known_lang(lang), "teacher_refused"), *[gr.skip()] * 7
        return await anyio.to_thread.run_sync(functools.partial(self._refresh, request, known_lang(lang), sort))

    @guarded
    def _refresh(self, request: gr.Request, lang: str, sort: Any) -> tuple:
        page = self.app._page(request)
        cards = self.classroom.cards(sort if sort in SORT_KEYS else "seat")
        ids = [c.visitor_id for c in cards]
        page.teacher_order = ids  # what a click on the gallery's i-th card means, as a fallback (see select)
        selected = page.teacher_selected
        left = selected is not None and selected not in ids
        if left:  # the student shown large has gone: nothing stays selected, and no other card takes their place
            page.teacher_selected = None
            page.teacher_drawn = None
            selected = None
        # the card shown large is marked in its picture and its caption, which follow the run wherever sorting puts
        # it (Gradio's own highlight stays on a place in the grid, and cannot be cleared: TEACHER_CSS hides it)
        gallery = [(self.thumbnail(c, c.visitor_id == selected), self.caption(lang, c, c.visitor_id == selected))
                   for c in cards]
        # a full or read-only state folder: the host learns here, as in the log, that runs are not being saved
        class_note = "\n\n".join(x for x in (t(lang, "class_empty") if not cards else "",
                                             ruled_out_note(lang, self.classroom),
                                             autosave_note(lang, self.classroom.registry.autosave_problem)) if x)
        return (gr.skip(), gr.skip(), class_note, gallery,
                self._leaderboard(lang, cards), *self._large(lang, page, cards, left))

    @staticmethod
    def thumbnail(c: RunCard, shown: bool = False) -> np.ndarray:
        """A card's picture: the run's thumbnail (white while it has none), framed in orange when it is the run
        shown large."""
        image = c.thumbnail if c.thumbnail is not None else np.full((THUMB_PX, THUMB_PX, 3), 255, np.uint8)
        if shown:
            image = image.copy()
            width = max(2, image.shape[0] // 32)
            for edge in (np.s_[:width], np.s_[-width:]):
                image[edge, :] = SHOWN_FRAME
                image[:, edge] = SHOWN_FRAME
        return image

    @staticmethod
    def caption(lang: str, c: RunCard, shown: bool = False) -> str:
        """A card's caption, one fact a line so that it reads whole at 1366 × 768: seat and name (and whether it
        is the run shown large); state, step and speed; the score; the run's real setup (and its lesson)."""
        lines = [t(lang, "card_head", seat=c.seat, name=c.name) if c.name else f"#{c.seat}"]
        if shown:
            lines[0] += " " + t(lang, "card_shown")
        if c.lost:
            lines.append(t(lang, "card_lost"))
        else:
            lines.append(t(lang, "card_state", state=t(lang, f"state_{c.state}"), step=f"{c.step:,}", it_s=c.it_s))
        if c.modes is not None:
            lines.append(t(lang, "card_modes", modes=c.modes, n_modes=c.n_modes, hq=c.high_quality or 0.0))
        elif c.fd is not None:
            lines.append(t(lang, "card_fd", fd=c.fd, digits=c.digits))
        if c.dataset:
            lines.append(" · ".join((c.dataset, c.model, c.loss)))
        if c.lesson in LESSONS:
            lines.append(t(lang, "card_lesson", lesson=t(lang, f"preset_{c.lesson}")))
        return "\n".join(lines)

    def _leaderboard(self, lang: str, cards: list[RunCard]) -> list[list[str]]:
        _, ranked = self.classroom.leaderboard(cards)
        rows = []
        for rank, c, reached_s in ranked:
            score = (f"{c.modes}/{c.n_modes}, {c.high_quality or 0.0:.0%}" if c.modes is not None
                     else f"FD {c.fd:.1f}, {c.digits}" if c.fd is not None else "")
            rows.append([str(rank), c.label(t(lang, "unnamed")), c.dataset, f"{c.step:,}", score,
                         format_elapsed(reached_s) if reached_s is not None else ""])
        return rows

    def _large(self, lang: str, page: PageView, cards: list[RunCard], left: bool) -> tuple:
        """(caption, loss plot, 2D view, grid) of the run the teacher clicked; when that student has left, a note
        and nothing shown; skips while nothing is chosen or nothing changed."""
        if left:
            return t(lang, "shown_left"), None, gr.update(visible=False), gr.update(visible=False)
        vid = page.teacher_selected
        card = next((c for c in cards if c.visitor_id == vid), None)
        v = self.classroom.registry.peek(vid) if card is not None else None
        if v is None or v.run is None:
            return (gr.skip(),) * 4
        try:
            snap = v.run.snapshot(None)
            history = v.run.history(HISTORY_POINTS)
        except RunLostError:  # lost before anything was read: its card says so
            return t(lang, "shown_large_lost", name=card.label(t(lang, "unnamed"))), None, \
                gr.update(visible=False), gr.update(visible=False)
        drawn = (vid, id(v.run), snap.step, snap.grid_version, snap.state, lang)
        if page.teacher_drawn == drawn:
            return (gr.skip(),) * 4
        page.teacher_drawn = drawn
        caption = t(lang, "shown_large", name=card.label(t(lang, "unnamed")), dataset=card.dataset,
                    model=card.model, loss=card.loss, step=f"{card.step:,}")
        loss = plots.loss_figure(history, t(lang, "losses_plot"), t(lang, "step_axis"))
        if snap.points is not None:
            return caption, loss, gr.update(value=LiveHandlers._view_figure(lang, page, snap), visible=True), \
                gr.update(visible=False)
        return caption, loss, gr.update(visible=False), gr.update(value=snap.grid, visible=snap.grid is not None)

    async def class_api(self, request: gr.Request, token: str, lang: str = "en") -> list[dict]:
        """For API clients with the token: the class as data, one dict per run (seat, name, dataset, model, loss,
        lesson, state, step, it_s, modes, n_modes, high_quality, fd, digits, lost), in seat order."""
        if not await self.admit(request, token):
            raise toast(request, gr.Error(t(known_lang(lang), "teacher_refused")))
        return await anyio.to_thread.run_sync(self._class_api, request, known_lang(lang))

    @guarded
    def _class_api(self, request: gr.Request, lang: str) -> list[dict]:
        keys = ("seat", "name", "dataset", "model", "loss", "lesson", "state", "step", "it_s", "modes", "n_modes",
                "high_quality", "fd", "digits", "lost")
        return [{k: getattr(c, k) for k in keys} for c in self.classroom.cards("seat")]

    @teacher_only
    @guarded
    def select(self, request: gr.Request, lang: str, token: Any, evt: CardClick) -> None:
        """A click on a card: show that run large from the next refresh on, following the run (its seat, read
        from the card's caption), not the card's place, which sorting may give to another run."""
        page = self.app._page(request)
        caption = evt.value.get("caption") if isinstance(evt.value, dict) else None
        match = re.match(r"#(\d{1,9})(?!\d)", caption) if isinstance(caption, str) else None
        vid = self.classroom.visitor_at(int(match.group(1))) if match else None
        order = page.teacher_order
        if vid is None and isinstance(evt.index, int) and 0 <= evt.index < len(order):
            vid = order[evt.index]
        if vid is not None:
            page.teacher_selected = vid
            page.teacher_drawn = None

    @teacher_only
    @guarded
    def set_lesson(self, request: gr.Request, lang: str, token: Any, lesson: Any, apply_now: Any = False) -> str:
        """The lesson reaches every student: offered (its settings fill their controls, and their runs go on
        untouched until they press Reset, or Start with no run), or ``apply_now``: every run is paused, kept as
        a checkpoint the student can explore or fine-tune, and the lesson built in its place (each still presses
        Start). A lesson the host's limits rule out is refused, saying which limit."""
        self._choice(lang, "class_lesson", lesson, LESSONS)
        if lesson in self.classroom.ruled_out:
            e = self.classroom.ruled_out[lesson]
            raise gr.Error(t(lang, "lesson_ruled_out", lesson=t(lang, f"preset_{lesson}"), field=t(lang, e.field),
                             value=e.value, allowed=e.allowed))
        title = t(lang, f"preset_{lesson}")
        if not apply_now:
            self.classroom.set_lesson(lesson)
            return t(lang, "lesson_offered", lesson=title)
        built, failed = 0, 0
        for vid, v in self.classroom.registry.visitors():
            try:
                built += self._apply(lang, vid, v, LESSONS[lesson])
            except (gr.Error, LimitError, ServerFullError, RunLostError, OSError, ValueError) as e:
                failed += 1
                log.warning("the lesson %s could not be applied to a run: %s", lesson, getattr(e, "message", e))
        self.classroom.set_lesson(lesson, applied=True)
        return t(lang, "lesson_applied", lesson=title, n=built) + \
            (" " + t(lang, "lesson_apply_failed", n=failed) if failed else "")

    def _apply(self, lang: str, vid: str, v: Any, lesson: Lesson) -> bool:
        """Apply ``lesson`` to one student's runs now: pause them, keep run A as a checkpoint (explorable, and
        fine-tunable with "Start from: uploaded"), and build the lesson's run A (and run B) cleanly, not started.
        Under the visitor's lock, as a student's own command: a Start or Reset of theirs comes before or after.
        Returns False when the student has no run by then (the lesson reaches their controls alone)."""
        with v.lock:
            run = v.run
            if run is None:
                return False  # no run to keep: the lesson reaches their controls, and Start runs it
            for each in v.runs().values():
                each.pause()
            if not run.lost and run.state != ERROR and run.step_count > 0:
                path = self.app._file(vid, kept_checkpoint_name(lesson.name))
                run.save_checkpoint(path)
                v.checkpoint, v.state.checkpoint_name = load_checkpoint(path), path.name
            config = page_config(lesson.config())  # what Start builds from the lesson's controls
            v.state.slow_motion_s = lesson.slow_motion_s  # the new run takes it as it is built
            self.app.settings.new_run(lang, vid, config)  # stops the old run; a fresh notice, a redraw
            v.state.lesson, v.state.classroom = lesson.name, False  # a lesson runs at its own sizes
            run_b_config = start_lesson(v, lesson, config, fresh=True)
            if run_b_config is not None:
                self.app.compare.new_run_b(lang, vid, run_b_config).set_lesson(lesson)
            else:
                self.app.registry.drop_run_b(vid)
            return True

    @teacher_only
    @guarded
    def push_link(self, request: gr.Request, lang: str, token: Any, link: Any, lock: Any = (), hide: Any = ()) -> str:
        """A setup as a link (a Train tab's "Copy link": a whole address or its query) reaches every student as a
        lesson does (by :meth:`~ganapp.host.classroom.Classroom.push_link`): its settings fill their controls, and
        their runs go on untouched until they act. ``lock`` and ``hide`` (control names, PAGE_FIELDS) add to the
        link's own lists; the locks hold on the server for every student until the next lesson or link. A link
        with any refused part is not pushed: the teacher is told each part and why."""
        if not isinstance(link, str) or not link.strip():
            raise gr.Error(t(lang, "err_push_no_link"))
        for key, names in (("lock", lock), ("hide", hide)):
            if not isinstance(names, (list, tuple)) or any(n not in LINK_FIELDS for n in names):
                raise gr.Error(t(lang, "err_choice", field=t(lang, key), value=names, choices=", ".join(LINK_FIELDS)))
        text = link.strip()
        query = urllib.parse.urlsplit(text).query if "?" in text else text.split("#")[0]
        parsed = self.app.links.offered_here(parse(query))
        if parsed.refused:
            raise gr.Error(t(lang, "err_push_link", why="; ".join(link_reason(lang, e) for e in parsed.refused)))
        pushed = Link(parsed.values, parsed.lesson, None, tuple(dict.fromkeys((*parsed.hide, *hide))),
                      tuple(dict.fromkeys((*parsed.lock, *lock))))
        try:
            self.classroom.push_link(pushed)
        except LimitError as e:
            raise gr.Error(t(lang, "lesson_ruled_out", lesson=t(lang, f"preset_{pushed.lesson}"),
                             field=t(lang, e.field), value=e.value, allowed=e.allowed)) from None
        return t(lang, "link_pushed", locked=len(pushed.lock), hidden=len(pushed.hide))

    @teacher_only
    @guarded
    def pause_all(self, request: gr.Request, lang: str, token: Any) -> str:
        return t(lang, "paused_n", n=self.classroom.pause_all())

    @teacher_only
    @guarded
    def resume_all(self, request: gr.Request, lang: str, token: Any) -> str:
        return t(lang, "resumed_n", n=self.classroom.resume_all())

    @teacher_only
    @guarded
    def start_challenge(self, request: gr.Request, lang: str, token: Any, challenge: Any) -> str:
        self._choice(lang, "challenge", challenge, CHALLENGES)
        self.classroom.start_challenge(challenge)
        return t(lang, "challenge_started")

    @teacher_only
    @guarded
    def export(self, request: gr.Request, lang: str, token: Any) -> str:
        """The class as a .zip: every run's checkpoint and a CSV of names, settings, steps and scores. One export at
        a time (the event itself has no limit, so that a wrong token's held answer never keeps the teacher's
        export waiting)."""
        with self._export_lock:
            return str(self.classroom.export(self.app._file("teacher", "export")))


def _instant(key: str) -> str:
    """A browser-side handler that writes string ``key`` in the page's language into the note at once: a class
    action answers at the click, before the server's own answer replaces it."""
    texts = json.dumps({code: t(code, key) for code in LANGS}, ensure_ascii=False)
    return f"(lang) => ({texts})[lang] || ({texts}).en"


def build_teacher_page(demo: gr.Blocks, app: GanApp, classroom: Classroom, room: str | None = None) -> None:
    """Add the teacher's page to ``demo`` at ``/teacher`` (left out of the navigation bar). Call it outside
    ``demo``'s own ``with`` block. ``room``: the name of this server's room, shown under the title, or None."""
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
        # a room's name is a slug (ganapp.host.rooms.ROOM_NAME): plain text, nothing Markdown would read
        room_label = gr.Markdown(t("en", "room_name", room=room), elem_id="teacher-room") if room else None
        with gr.Row():
            token = tr(gr.Textbox(label=en("teacher_token"), type="password", max_lines=1, elem_id="teacher-token"),
                       "teacher_token")
            sign_in = tr(gr.Button(en("teacher_sign_in"), variant="primary", elem_id="teacher-sign-in"),
                         "teacher_sign_in", "value")
        note = gr.Markdown("", elem_id="teacher-note")
        with gr.Row():
            sort = gr.Dropdown([(en(f"sort_{k}"), k) for k in SORT_KEYS], value="seat", label=en("sort_by"),
                               elem_id="teacher-sort")
            lesson = gr.Dropdown(lesson_choices("en", classroom), value=next(iter(LESSONS)),
                                 label=en("class_lesson"), elem_id="teacher-lesson")
            with gr.Column(min_width=160):
                set_lesson = tr(gr.Button(en("set_lesson"), elem_id="teacher-set-lesson"), "set_lesson", "value")
                apply_now = tr(gr.Checkbox(False, label=en("apply_now"), elem_id="teacher-apply-now"), "apply_now")
            pause_all = tr(gr.Button(en("pause_all"), elem_id="teacher-pause-all"), "pause_all", "value")
            resume_all = tr(gr.Button(en("resume_all"), elem_id="teacher-resume-all"), "resume_all", "value")
        with gr.Row():  # a setup as a link, pushed to the class with the controls it locks and hides
            push_box = tr(gr.Textbox(label=en("push_link_box"), max_lines=1, elem_id="teacher-link", scale=2),
                          "push_link_box")
            push_lock = gr.CheckboxGroup(field_choices("en"), label=en("push_lock"), elem_id="teacher-lock", scale=2)
            push_hide = gr.CheckboxGroup(field_choices("en"), label=en("push_hide"), elem_id="teacher-hide", scale=1)
            push = tr(gr.Button(en("push_link"), elem_id="teacher-push-link", scale=0, min_width=160), "push_link",
                      "value")
        class_note = gr.Markdown("", elem_id="teacher-class-note")
        # png: a thumbnail's points are single colours that a lossy format would smear
        gallery = tr(gr.Gallery(label=en("the_class"), columns=6, allow_preview=False, object_fit="contain",
                                format="png", height="auto", elem_id="teacher-gallery", elem_classes="pixelated"),
                     "the_class")
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
                   [timer, note, class_note, gallery, leaderboard, shown, large_loss, large_view, large_grid],
                   **private)
        gallery.select(h.select, [lang, token], None, **private)
        # a class action answers at the click; the server's answer (how many runs) replaces it
        for button, key in ((pause_all, "pausing_all"), (resume_all, "resuming_all"), (set_lesson, "setting_lesson")):
            button.click(None, [lang], [note], js=_instant(key), api_visibility="private", show_progress="hidden")
        # the class actions are API endpoints too (a teacher may script them); each checks the token
        set_lesson.click(h.set_lesson, [lang, token, lesson, apply_now], [note], api_name="teacher_set_lesson",
                         **FAST)
        push.click(h.push_link, [lang, token, push_box, push_lock, push_hide], [note], api_name="teacher_push_link",
                   **FAST)
        pause_all.click(h.pause_all, [lang, token], [note], api_name="teacher_pause_all", **FAST)
        resume_all.click(h.resume_all, [lang, token], [note], api_name="teacher_resume_all", **FAST)
        start_challenge.click(h.start_challenge, [lang, token, challenge], [note], api_name="teacher_challenge",
                              **FAST)
        export.click(h.export, [lang, token], [export_file], api_name="teacher_export", concurrency_limit=None)
        gr.api(h.class_api, api_name="teacher_class", concurrency_limit=None)

        def relabel(code: str) -> list:
            updates = [gr.update(**{attr: t(code, key)}) for _, key, attr in labeled]
            updates += [gr.update(label=t(code, "sort_by"), choices=[(t(code, f"sort_{k}"), k) for k in SORT_KEYS]),
                        gr.update(label=t(code, "class_lesson"), choices=lesson_choices(code, classroom)),
                        gr.update(label=t(code, "challenge"),
                                  choices=[(t(code, f"challenge_{k}"), k) for k in CHALLENGES]),
                        gr.update(label=t(code, "leaderboard"), headers=[t(code, k) for k in columns]),
                        gr.update(label=t(code, "push_lock"), choices=field_choices(code)),
                        gr.update(label=t(code, "push_hide"), choices=field_choices(code))]
            return updates

        lang.change(relabel, [lang], [*(c for c, _, _ in labeled), sort, lesson, challenge, leaderboard, push_lock,
                                      push_hide], **private)
        if room_label is not None:
            lang.change(lambda code: t(code, "room_name", room=room), [lang], [room_label], **private)
        demo.load(None, None, [lang], js=DETECT_LANG_JS)


__all__ = ["TEACHER_CSS", "CardClick", "TeacherHandlers", "build_teacher_page", "lesson_choices", "ruled_out_note",
           "teacher_only"]
