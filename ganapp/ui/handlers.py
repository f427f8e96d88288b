"""The app's event handlers, composed: one class per part of the page over one :class:`~ganapp.ui.base.Shared`
(the registry). Handlers are thin callbacks that validate input (raising ``gr.Error``), call one method of the
engine, and format the output. Each visitor's objects live in a :class:`~ganapp.host.registry.Registry`, keyed by
the visitor id a page attached to (:meth:`GanApp.attach`, from the token its browser keeps), else by the page's
``request.session_hash``; what one page shows is the registry's page record. Nothing here is shared between
visitors but the registry itself.

- :class:`~ganapp.ui.settings.SettingsHandlers` (``app.settings``): the Train tab's settings column;
- :class:`~ganapp.ui.train.TrainHandlers` (``app.train``): its run controls;
- :class:`~ganapp.ui.run_b.RunBHandlers` (``app.compare``): run B, side by side;
- :class:`~ganapp.ui.live.LiveHandlers` (``app.live``): the status line, the tick and the poll;
- :class:`~ganapp.ui.lessons.LessonHandlers` (``app.lessons``): the Lessons box;
- :class:`~ganapp.ui.explore.ExploreHandlers` (``app.explore``): the Explore tab;
- :class:`~ganapp.ui.links.LinkHandlers` (``app.links``): the setup in the page's address, hidden and locked controls;
- :class:`GanApp` itself: the visitor (attaching a page, their name, the teacher's lesson reaching them).
"""

from __future__ import annotations

import datetime
import shutil
import time
from pathlib import Path
from typing import Any

import gradio as gr

from ..gan.config import PAGE_FIELDS
from ..host.registry import Registry
from ..host.classroom import Classroom
from ..host.visitors import check_name
from ..run.lessons import LESSONS
from .base import Shared, TabHandlers
from .common import CONTROL_FIELDS, forget_closed_toasts, guarded
from .run_b import COMPARE_FIELDS, RunBHandlers
from .explore import DEFAULT_CHECKPOINT, N_DIRECTIONS, N_Z_SLIDERS, Z_SLIDER_RANGE, ExploreHandlers
from .i18n import field_label, t
from .lessons import LessonHandlers, lesson_markdown
from .links import LinkHandlers
from .live import REATTACHED_NOTE_S, LiveHandlers, PollOutputs, TickOutputs
from .settings import DATASET_DEFAULT_FIELDS, SettingsHandlers
from .base import DIRECTION_RANGE, MAX_SMOOTHING
from .train import TrainHandlers

CLOSED_PAGE_S = 10.0  # Gradio's state of a page that closed is freed once unused this long (its last events done)

__all__ = ["GanApp", "PollOutputs", "TickOutputs", "CONTROL_FIELDS", "COMPARE_FIELDS", "DATASET_DEFAULT_FIELDS",
           "DEFAULT_CHECKPOINT", "DIRECTION_RANGE", "MAX_SMOOTHING", "N_DIRECTIONS", "N_Z_SLIDERS", "Z_SLIDER_RANGE"]


class GanApp(TabHandlers):
    """Every handler of the page, bound to one registry: the parts' handlers as attributes, and the visitor's own.

    Args:
        registry: the visitors' runs.
        checkpoints_dir: folder of shipped ``.safetensors`` checkpoints offered in the Explore tab.
        classroom: the teacher's :class:`~ganapp.host.classroom.Classroom` (its lesson reaches every student), or None.
    """

    def __init__(self, registry: Registry, checkpoints_dir: str | Path, classroom: Classroom | None = None):
        super().__init__(Shared(registry, Path(checkpoints_dir), classroom))
        self.settings = SettingsHandlers(self.shared)
        self.compare = RunBHandlers(self.shared, self.settings)
        self.train = TrainHandlers(self.shared, self.settings, self.compare)
        self.live = LiveHandlers(self.shared, self.settings)
        self.lessons = LessonHandlers(self.shared)
        self.explore = ExploreHandlers(self.shared)
        self.links = LinkHandlers(self.shared, self.settings)
        self._blocks: gr.Blocks | None = None  # the gr.Blocks that serves these handlers (see serves)
        registry.on_remove.append(self._forget_files)
        registry.on_reap.append(self._forget_pages)

    def serves(self, blocks: gr.Blocks) -> None:
        """These handlers serve ``blocks``: what Gradio keeps there per page (each page's session state, a copy of
        every component's config) is freed once the page has ended, at the registry's upkeep."""
        self._blocks = blocks

    def _forget_pages(self, now_s: float) -> None:
        """What is kept per page, beyond the registry's own: the toasts that have closed, and Gradio's state of the
        pages that closed (unused for CLOSED_PAGE_S since) or went quiet (for the registry's idle timeout)."""
        forget_closed_toasts(now_s)
        holder = getattr(self._blocks, "state_holder", None)  # once Gradio serves the Blocks
        if holder is not None:
            forget_gradio_pages(holder, self.registry.idle_timeout_s)

    def _forget_files(self, key: str) -> None:
        """A visitor left for good (a closed page without a token, an API client gone quiet): their files go too."""
        shutil.rmtree(self._folder(key), ignore_errors=True)

    @guarded
    def attach(self, request: gr.Request, lang: str, token: Any, *controls: Any) -> list:
        """A page opened (or was reloaded): find the visitor's runs by the token their browser keeps
        (``gr.BrowserState``), restoring them from their autosave after a restart, and show their settings. A new,
        malformed or forged token gets a new visitor.

        Args:
            token: what the browser stored (None on a first visit).
            controls: the page's control values (PAGE_FIELDS: CONTROL_FIELDS without data_files and init).
        Returns:
            [the token to store, then the run's settings for those controls (gr.skip() each when there is no run),
            then the slow-motion slider's value, the Explore tab's checkpoint note and generator source, the
            side-by-side note, and the visitor's display name (gr.skip() when they have none)].
        """
        token, found = self.registry.attach(self._page_id(request), token)
        _, visitor = self._visitor(request)
        page = self._page(request)
        run = visitor.run
        step = run.step_count if run is not None else 0
        page.found = (found, step, time.monotonic() + REATTACHED_NOTE_S)
        explore = [self.explore.loaded_note(lang, visitor), visitor.state.source]
        # a name kept from an earlier visit fills the box; none leaves it alone, so that a name typed while the
        # page attached is not wiped (and then cleared for good when the box loses focus)
        name = visitor.state.name or gr.skip()
        if run is None:
            return [token, *[gr.skip()] * (len(PAGE_FIELDS) + 1), *explore, gr.skip(), name]
        values = [getattr(run.config, f) for f in PAGE_FIELDS]
        compare = ""
        if visitor.run_b is not None:
            diff = {k: v for k, v in run.config.diff(visitor.run_b.config).items() if k != "device"}
            field = next(iter(diff), None)
            compare = (t(lang, "compare_note", field=field_label(lang, field), a=diff[field][0], b=diff[field][1])
                       if field else "")
        return [token, *values, visitor.state.slow_motion_s, *explore, compare, name]

    @guarded
    def take_lesson(self, request: gr.Request, lang: str, number: Any, *controls: Any) -> list:
        """The teacher set a lesson (the tick's lesson number changed): put its settings in this page's controls,
        once per visitor, with a banner in the status that says what the teacher set and what Start will do (see
        :func:`ganapp.ui.lessons.teacher_lesson_lines`). An offered lesson leaves the run untouched until the
        student acts: values the server sets fire no settings event, an edit among the offered controls waits for Reset
        (see :meth:`~ganapp.ui.settings.SettingsHandlers.apply_changes`), and Start refuses to apply the controls'
        live half to a run of another shape.

        Args:
            number: the lesson number the page now shows.
            controls: the page's control values (PAGE_FIELDS: CONTROL_FIELDS without data_files and init).
        Returns:
            the controls' new values, then the lesson menu's, the lesson text's, the slow-motion slider's and the
            run length's; gr.skip() each when there is no lesson to take.
        """
        _, visitor = self._visitor(request)
        lesson = self.classroom.lesson if self.classroom is not None else None
        if lesson is None or visitor.state.lesson_taken == lesson.number:
            return [gr.skip()] * (len(PAGE_FIELDS) + 4)
        if lesson.link:  # a link the teacher pushed: its setup, and the controls it hides and locks
            visitor.state.lesson_taken, visitor.state.lesson_note = lesson.number, lesson.name or None
            return self.links.take_link(request, lang, lesson.link)
        name, visitor.state.lesson_taken = lesson.name, lesson.number
        visitor.state.lesson = visitor.state.lesson_note = name
        c = LESSONS[name].config()
        page, locks = self._page(request), self.settings.locks(visitor)
        values = [getattr(c, f) for f in PAGE_FIELDS]
        page.offered = tuple(values)
        if locks or page.link_locked:  # the controls a link locked are shown so, and those it no longer locks not
            values = [gr.update(value=v, interactive=f not in locks) for f, v in zip(PAGE_FIELDS, values)]
            page.link_locked = tuple(locks)
        return [*values, name, lesson_markdown(lang, name), LESSONS[name].slow_motion_s, LESSONS[name].run_minutes]

    @guarded
    def set_name(self, request: gr.Request, lang: str, name: Any) -> str:
        """The student's display name, as their teacher sees it (plain text, 1 to 32 characters); an empty box
        removes it (the name is optional). A name typed as the page opens, before or while it attaches to its
        visitor, reaches that visitor (see :meth:`ganapp.host.registry.Registry.update_state`).

        Returns:
            the name as kept (trimmed), or "".
        """
        if name is None or (isinstance(name, str) and not name.strip()):
            text = ""
        else:
            try:
                text = check_name(name)
            except ValueError:
                raise gr.Error(t(lang, "err_name")) from None
        self.registry.update_state(self._page_id(request), name=text)
        return text

    @guarded
    def attach_api(self, request: gr.Request, token: str | None = None) -> dict:
        """For API clients, what :meth:`attach` does for a page: act from now on for the visitor ``token`` names
        (a new one when it is None, malformed or forged), whose runs then outlive this connection and a restart.

        Returns:
            ``{"token": the token to keep (None when the server keeps no state), "found": new | reattached |
            restored | restore_failed, "step": run A's step (0 without one)}``.
        """
        token, found = self.registry.attach(self._page_id(request), token)
        _, visitor = self._visitor(request)
        step = visitor.run.step_count if visitor.run is not None else 0
        return {"token": token, "found": found, "step": step}

    def browser_secret(self) -> str | None:
        """The key ``gr.BrowserState`` encrypts the token with: kept across restarts with the state folder, else a
        fresh one (None)."""
        return self.registry.store.browser_secret() if self.registry.store is not None else None

    def unload(self, request: gr.Request) -> None:
        """The page closed or reloaded. A visitor who attached with a token keeps their runs (they train on until
        the registry's idle timeout, and a reload finds them); any other visitor's runs and files are freed."""
        page_id = getattr(request, "session_hash", None)
        if page_id:
            self.registry.detach(page_id)  # (a visitor it removes takes their files along, see _forget_files)


def forget_gradio_pages(holder: Any, idle_s: float, closed_s: float = CLOSED_PAGE_S) -> int:
    """Free Gradio's session state (``gradio.state_holder.StateHolder``) of the pages that closed and have been
    unused for ``closed_s``, and of any page unused for ``idle_s``. Gradio keeps each until ``state_session_capacity``
    newer pages push it out. A page that comes back after all gets a fresh one (its values are in the registry).

    Returns:
        the pages freed.
    """
    now = datetime.datetime.now()  # Gradio stamps time_last_used with it
    with holder.lock:  # (Gradio takes it to evict; it adds a page without it, hence the copies)
        ended_pages = []
        for page, state in list(holder.session_data.items()):
            unused_s = (now - holder.time_last_used.get(page, now)).total_seconds()
            if unused_s > (closed_s if state.is_closed else idle_s):
                ended_pages.append(page)
                holder.delete_state(page)  # gr.State values with a delete callback get it
                holder.session_data.pop(page, None)
                holder.time_last_used.pop(page, None)
    return len(ended_pages)
