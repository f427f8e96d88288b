"""The page's address holds its setup, as TensorFlow Playground's does: opening a link rebuilds its settings, lesson
and language in the controls, hides and locks the controls it names, and says which of its parts were refused; each
change of the controls writes the address anew, and "Copy link" hands it on. The link's text is made and read by
:mod:`ganapp.run.links`; a teacher's pushed link reaches the class as a lesson does
(:meth:`~ganapp.host.classroom.Classroom.push_link`).

Locks are enforced on the server (:meth:`~ganapp.ui.settings.SettingsHandlers.check_unlocked`), not only shown: a
locked control's value sent through the API is refused. A ``lock=`` in a link protects a class's setup from a slip
and from a forged request of a page opened with it; it cannot stop a student who opens the page without it. The
teacher's push is the enforced path: its locks are the classroom's, for every student, whatever link they open.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from ..gan.config import PAGE_FIELDS
from ..run.lessons import LESSONS
from ..run.links import Link, encode, parse
from .base import TabHandlers
from .common import guarded, markdown_text, named
from .errors import config_error
from .i18n import field_list, known_lang, t
from .lessons import lesson_markdown
from .settings import MLP_FIELDS

# Reads the address's query (the link) as the page opens, for the handler that applies it; the other inputs pass.
READ_LINK_JS = "(lang, query, ...rest) => [lang, location.search.replace(/^\\?/, ''), ...rest]"
# Writes the setup's link into the address (no reload, no new history entry) whenever the server sends a new one.
WRITE_LINK_JS = """(query) => {
  if (typeof query !== 'string') return;
  const url = location.pathname + (query ? '?' + query : '') + location.hash;
  if (url !== location.pathname + location.search + location.hash) history.replaceState(history.state, '', url);
}"""
# "Copy link": the address into the clipboard where the browser allows it (a secure origin), and into the link box
# in any case (a classroom server on a plain http address has no clipboard API), to copy by hand.
COPY_LINK_JS = """() => {
  const url = location.href;
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(url).catch(() => {});
  return url;
}"""


class LinkHandlers(TabHandlers):
    """The address's setup: opening a link, writing the address, the note on what a link hid, locked and refused."""

    def __init__(self, shared: Any, settings: Any):
        super().__init__(shared)
        self.settings = settings  # the Train tab's settings: the datasets this server offers

    def locks(self, visitor: Any) -> dict[str, Any]:
        """The controls locked for ``visitor`` (see :meth:`~ganapp.ui.settings.SettingsHandlers.locks`)."""
        return self.settings.locks(visitor)

    def offered_here(self, link: Link) -> Link:
        """``link`` with a dataset this server cannot load refused (the dataset menu offers only the others), the
        rest checked again against the default dataset."""
        offered = self.settings.datasets_offered()
        if "dataset" not in link.values or link.values["dataset"] in offered:
            return link
        values = dict(link.values)
        refused = [*link.refused, DatasetNotHere(values.pop("dataset"), ", ".join(offered))]
        rest = parse(encode(values))
        return Link(rest.values, link.lesson, link.lang, link.hide, link.lock, (*refused, *rest.refused))

    @staticmethod
    def _setup(link: Link) -> dict[str, Any] | None:
        """What the link sets every control to: its lesson's settings (if any) with its own on top; None when it
        sets no setting and no lesson (the controls stay as they are)."""
        if not link.values and link.lesson is None:
            return None
        if link.lesson is not None:
            with_lesson = parse(encode(LESSONS[link.lesson].config().to_dict() | link.values))
            if not with_lesson.refused:
                return with_lesson.setup()
        return link.setup()

    @guarded
    def open_link(self, request: gr.Request, lang: str, query: Any, *controls: Any) -> list:
        """The page opened with ``query`` in its address (after it attached to its visitor): the link's language,
        lesson and settings go into the controls (a lesson's settings first, the link's on top), the controls it
        hides are hidden and those it locks (and those the teacher's pushed link locks) disabled, and the note says
        what was refused, in the page's language. Values the server sets fire no settings event: a running run
        is untouched, and the controls wait for Start or Reset as an offered lesson does. A page opened without a
        link changes nothing, but ends the locks of a link its visitor opened before.

        Args:
            query: the address's query string (the page's JS reads it).
            controls: the page's control values (PAGE_FIELDS).
        Returns:
            [the language, the link (for the address), the PAGE_FIELDS controls' updates, the lesson picker, the
            lesson's text, the slow-motion slider, the run length, the link's note].
        """
        return self._open(request, lang, query, controls, pushed=False)

    def _open(self, request: gr.Request, lang: str, query: Any, controls: tuple, pushed: bool) -> list:
        _, visitor = self._visitor(request)
        page = self._page(request)
        link = self.offered_here(parse(query if isinstance(query, str) else ""))
        controls = controls if len(controls) == len(PAGE_FIELDS) else ()
        lang = link.lang or known_lang(lang)
        setup = self._setup(link)
        values = setup or dict(zip(PAGE_FIELDS, controls))
        if not pushed:  # (a pushed link's locks are the classroom's)
            page.link_read = True
            visitor.state.locked = {f: values.get(f) for f in link.lock}
        locks = self.locks(visitor)
        page.link_hidden, page.link_locked, page.link_refused = link.hide, tuple(locks), link.refused
        # hidden by the link, or (an MLP's own layers) by the model: a DCGAN's page does not offer them
        shown = {f: f not in link.hide and (f not in MLP_FIELDS or values.get("model") == "mlp") for f in PAGE_FIELDS}
        updates = [gr.update(visible=shown[f], interactive=f not in locks) for f in PAGE_FIELDS]
        rest = [gr.skip()] * 4
        if setup is not None:
            updates = [gr.update(value=setup[f], visible=shown[f], interactive=f not in locks) for f in PAGE_FIELDS]
            if visitor.run is not None:
                page.offered = tuple(setup.values())  # an edit waits for Reset, as with a lesson offered
        if link.lesson is not None:
            visitor.state.lesson = link.lesson
            lesson = LESSONS[link.lesson]
            rest = [link.lesson, lesson_markdown(lang, link.lesson), lesson.slow_motion_s, lesson.run_minutes]
        address = encode(values, lesson=link.lesson, lang=lang, hide=link.hide, lock=tuple(visitor.state.locked))
        # the language only when the link names one: a page's own choice, made while this answer was on its way,
        # stays (sending the page's language back flipped a click on 简体中文 back to English)
        return [link.lang or gr.skip(), address, *updates, *rest, self.note(request, lang)]

    @guarded
    def current_link(self, request: gr.Request, lang: str, lesson: Any, *controls: Any) -> str:
        """The page's setup as a link (for its address): the controls' values, the lesson picked, the language,
        and the controls the page's link hid and locked; gr.skip() until the page has read the link it opened
        with (:meth:`open_link`), so that the address it came with is never written over before."""
        page = self._page(request)
        if not page.link_read:
            return gr.skip()
        _, visitor = self._visitor(request)
        return encode(named(controls, PAGE_FIELDS), lesson=lesson if lesson in LESSONS else None,
                      lang=known_lang(lang), hide=page.link_hidden, lock=tuple(visitor.state.locked))

    @guarded
    def note(self, request: gr.Request, lang: str) -> str:
        """What the page's link did not apply, each part with the schema's reason in ``lang``, and which controls
        are locked and by whom ("" for none). A value the link held is shown as text, never as markup."""
        lang = known_lang(lang)
        page = self._page(request)
        _, visitor = self._visitor(request)
        lines = [t(lang, "link_refused", why=markdown_text(link_reason(lang, e)[:300])) for e in page.link_refused]
        pushed = self.classroom.locked() if self.classroom is not None else {}
        own = [f for f in visitor.state.locked if f not in pushed]
        if pushed:
            lines.append(t(lang, "link_locked_class", fields=field_list(lang, pushed)))
        if own:
            lines.append(t(lang, "link_locked", fields=field_list(lang, own)))
        return "\n\n".join(lines)

    def take_link(self, request: gr.Request, lang: str, query: str) -> list:
        """The teacher pushed a link (the tick's lesson number changed to it): its settings, hidden and locked
        controls go into this page's controls, as :meth:`open_link` puts an address's.

        Returns:
            the PAGE_FIELDS controls' updates, then the lesson picker's, the lesson text's, the slow-motion
            slider's and the run length's.
        """
        return self._open(request, known_lang(lang), query, (), pushed=True)[2:-1]


def link_reason(lang: str, e: ValueError) -> str:
    """A refused part of a link in ``lang``: the schema's message by its code (see :func:`config_error`), or, for
    a dataset this server cannot load, what it offers."""
    if isinstance(e, DatasetNotHere):
        return t(lang, "err_dataset_not_here", dataset=e.dataset, offered=e.offered)
    return str(config_error(lang, e).message)


class DatasetNotHere(ValueError):
    """A link's dataset that this server cannot load (its dataset menu offers ``offered``)."""

    def __init__(self, dataset: str, offered: str):
        super().__init__(f"dataset={dataset!r} cannot be loaded on this server: choose one of {offered}")
        self.field, self.dataset, self.offered = "dataset", dataset, offered


__all__ = ["COPY_LINK_JS", "DatasetNotHere", "LinkHandlers", "READ_LINK_JS", "WRITE_LINK_JS", "link_reason"]
