"""What every page module shares: the guard that keeps stack traces out of the browser, and event settings."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import gradio as gr

from ..config import PAGE_FIELDS
from .i18n import t

log = logging.getLogger("ganapp")

# Reads the browser's language on page load; the radio's change event then relabels everything.
DETECT_LANG_JS = "() => ((navigator.language || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en')"
# Order of the Train tab's controls; every handler that reads them takes them in this order. The settings come from
# the config's schema (ganapp.config.SETTINGS, the ones with a widget); then ``data_files``, the upload box of the
# ``folder`` dataset, and ``init``, where training starts from: "scratch", a shipped checkpoint's name, or "uploaded".
CONTROL_FIELDS = PAGE_FIELDS + ("data_files", "init")
FAST = dict(concurrency_limit=None, show_progress="hidden")  # control and polling events never wait in line


def named(values: tuple | list, fields: tuple[str, ...] = CONTROL_FIELDS) -> dict[str, Any]:
    """The controls' values by name: ``values`` in ``fields`` order (all of CONTROL_FIELDS, or a prefix of it).

    Raises:
        ValueError: ``values`` and ``fields`` differ in length.
    """
    return dict(zip(fields, values, strict=True))


def guarded(fn: Callable) -> Callable:
    """Turn any unexpected exception into a ``gr.Error`` in the visitor's language, so the browser never shows a
    stack trace and the session (and any running training) lives on. ``gr.Error`` passes through unchanged."""
    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        try:
            return fn(self, *args, **kwargs)
        except gr.Error:
            raise
        except Exception as e:  # the last line of defence for the browser
            log.exception("handler %s failed", fn.__name__)
            lang = next((a for a in args[:2] if isinstance(a, str) and a in ("en", "zh")), "en")
            raise gr.Error(t(lang, "err_internal", reason=f"{type(e).__name__}: {e}")) from None
    return wrapper
