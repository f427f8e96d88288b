"""What every page module shares: the guard that keeps stack traces out of the browser, and event settings."""

from __future__ import annotations

import functools
import html
import inspect
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import gradio as gr

from ..gan.config import PAGE_FIELDS
from ..run.run import RunRefusedError
from ..service.protocol import RUN_LOST, RunLostError
from .i18n import known_lang, t

log = logging.getLogger("ganapp")

# Reads the browser's language on page load; the radio's change event then relabels everything.
DETECT_LANG_JS = "() => ((navigator.language || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en')"
# Order of the Train tab's controls; every handler that reads them takes them in this order. The settings come from
# the config's schema (ganapp.gan.config.SETTINGS, the ones with a widget); then ``data_files``, the upload box of the
# ``folder`` dataset, and ``init``, where training starts from: "scratch", a shipped checkpoint's name, or "uploaded".
CONTROL_FIELDS = PAGE_FIELDS + ("data_files", "init")
FAST = dict(concurrency_limit=None, show_progress="hidden")  # control and polling events never wait in line


def named(values: tuple | list, fields: tuple[str, ...] = CONTROL_FIELDS) -> dict[str, Any]:
    """The controls' values by name: ``values`` in ``fields`` order (all of CONTROL_FIELDS, or a prefix of it).

    Raises:
        ValueError: ``values`` and ``fields`` differ in length.
    """
    return dict(zip(fields, values, strict=True))


ERROR_TOAST_S = 10.0  # how long an error's toast stays open
# (page, message) -> when its toast closes, in the order they close (each stays open ERROR_TOAST_S): closed ones are
# forgotten from the front, so that a page that is gone leaves nothing here beyond ERROR_TOAST_S
_open_toasts: OrderedDict[tuple[str, str], float] = OrderedDict()
_open_toasts_lock = threading.Lock()


def markdown_text(text: str) -> str:
    """Text a visitor gave (a file name, a value from a link) as plain text inside markdown: no HTML, no markdown
    markup."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~>])", r"\\\1", html.escape(text, quote=False))


def toast(request: Any, error: gr.Error) -> gr.Error:
    """``error`` as the visitor sees it, open for ERROR_TOAST_S. The same message while this page's toast of it is
    still open fails the event without a second toast, so clicking a refused button again does not pile the toasts
    up: Gradio 6 groups a page's error toasts into one ("Error (3)"), and closes a group on its own only while it
    holds one message. (Its header, "Error", is Gradio's own text: it ignores a title.)"""
    # a value the visitor sent may be quoted in the message: a lone surrogate in it (valid JSON, "\ud800") would
    # make Gradio's event stream fail to encode the answer and close the page's stream, so it is shown escaped
    message = str(error.message).encode("utf-8", "backslashreplace").decode("utf-8")
    page = getattr(request, "session_hash", None)
    now = time.monotonic()
    visible = True
    if page is not None:
        with _open_toasts_lock:
            _forget_closed(now)
            visible = (page, message) not in _open_toasts
            if visible:
                _open_toasts[(page, message)] = now + ERROR_TOAST_S
    return gr.Error(message, duration=ERROR_TOAST_S, visible=visible, print_exception=False)


def forget_closed_toasts(now_s: float | None = None) -> int:
    """Forget the toasts that have closed: a page's are gone ERROR_TOAST_S after its last, whether or not the page
    is still open. Returns how many are still open."""
    with _open_toasts_lock:
        _forget_closed(time.monotonic() if now_s is None else now_s)
        return len(_open_toasts)


def _forget_closed(now_s: float) -> None:
    """(Callers hold ``_open_toasts_lock``.) Every toast stays open as long, so they close in the order opened."""
    while _open_toasts and next(iter(_open_toasts.values())) < now_s:
        _open_toasts.popitem(last=False)


def failure(lang: str, message: str) -> str:
    """Why a run failed, as a snapshot's message says it, in the page's language where it is one of ours."""
    return t(lang, "worker_lost") if message == RUN_LOST else message


def refusal(lang: str, error: RunRefusedError) -> str:
    """Why a run refused a command (:class:`~ganapp.run.run.RunRefusedError`), in the reader's language."""
    if error.reason == "step_limit":
        return t(lang, "step_limit_reached", limit=f"{error.detail:,}")
    if error.reason == "failed":
        return t(lang, "err_failed", reason=failure(lang, str(error.detail)))
    return t(lang, "err_running_step")


def guarded(fn: Callable) -> Callable:
    """Turn any unexpected exception into a ``gr.Error`` in the visitor's language (the handler's ``lang``
    argument), so the browser never shows a stack trace and the run (and any running training) lives on. Every
    error goes out through :func:`toast`."""
    names = list(inspect.signature(fn).parameters)[1:]  # after self: (request, lang, ...) by the handlers' rule
    lang_at = names.index("lang") if "lang" in names else None

    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        lang = known_lang(args[lang_at] if lang_at is not None and lang_at < len(args) else kwargs.get("lang"))
        request = args[0] if args else None
        try:
            return fn(self, *args, **kwargs)
        except gr.Error as e:
            raise toast(request, e) from None
        except RunRefusedError as e:  # the run's state did not allow it now (another tab's command, a limit)
            raise toast(request, gr.Error(refusal(lang, e))) from None
        except RunLostError:  # the training worker died (see ganapp.service.worker)
            log.error("handler %s: the training worker is gone", fn.__name__)
            raise toast(request, gr.Error(t(lang, "err_worker_lost"))) from None
        except Exception as e:  # the last line of defence for the browser
            log.exception("handler %s failed", fn.__name__)
            # the page names the kind of fault; its English detail is in the server's log, with the traceback
            raise toast(request, gr.Error(t(lang, "err_internal", reason=type(e).__name__))) from None
    return wrapper


def command(fn: Callable) -> Callable:
    """A handler that changes the visitor's runs (Start, Step, Reset, a comparison ...): :func:`guarded`, and one at
    a time per visitor (their :attr:`~ganapp.host.visitors.Visitor.lock`). Two tabs of one visitor may send commands at
    once; each then finds the runs as the one before left them, and applies, or is refused with a reason. Reads
    (the tick, the poll) take no lock."""
    @functools.wraps(fn)
    def one_at_a_time(self, *args, **kwargs):
        _, visitor = self._visitor(args[0] if args else None)
        with visitor.lock:
            return fn(self, *args, **kwargs)
    return guarded(one_at_a_time)
