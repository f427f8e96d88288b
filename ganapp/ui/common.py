"""What every page module shares: the guard that keeps stack traces out of the browser, and event settings."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

import gradio as gr

from .i18n import t

log = logging.getLogger("ganapp")

# Reads the browser's language on page load; the radio's change event then relabels everything.
DETECT_LANG_JS = "() => ((navigator.language || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en')"
# Order of the Train tab's hyperparameter controls; every handler that reads them takes them in this order. The last,
# ``init``, is where training starts from: "scratch", a shipped checkpoint's name, or "uploaded".
CONTROL_FIELDS = ("dataset", "model", "loss", "z_dim", "batch_size", "lr_g", "lr_d", "beta1", "beta2", "n_critic",
                  "seed", "g_width", "d_width", "gp_lambda", "r1_gamma", "r1_every", "g_ema", "lr_decay",
                  "conditional", "bf16", "image_size", "channels", "data_files", "init")
FAST = dict(concurrency_limit=None, show_progress="hidden")  # control and polling events never wait in line


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
