"""What the library's errors say, in the reader's language: each error carries a code and fields (never its English
text onto a page), and these turn them into ``gr.Error``s."""

from __future__ import annotations

import html
import logging
import math
import time

import gradio as gr

from ..gan.checkpoints import CheckpointError
from ..gan.config import ConfigError
from ..gan.data import DatasetUnavailableError
from ..host.limits import LimitError, ServerFullError
from .i18n import STRINGS, t

log = logging.getLogger("ganapp")


def config_error(lang: str, e: ValueError) -> gr.Error:
    """A settings error from its code and fields (see :class:`ganapp.gan.config.ConfigError`); any other ValueError
    gets a general message, never its English text."""
    if not isinstance(e, ConfigError):
        return gr.Error(t(lang, "err_settings"))
    p, code = e.params, e.code
    field = t(lang, e.field) if e.field in STRINGS["en"] else e.field
    if code == "out_of_range":
        return gr.Error(t(lang, "err_field", field=field, value=p["value"], range=p["range"],
                          kind=t(lang, "kind_int" if p["integer"] else "kind_num")))
    if code in ("not_allowed", "not_bool"):
        return gr.Error(t(lang, "err_choice", field=field, value=p["value"], choices=p.get("choices", "True, False")))
    if code == "needs_data_path":
        return gr.Error(t(lang, "err_no_images" if p["dataset"] == "folder" else "err_drawn_missing"))
    if code == "needs_labels":
        return gr.Error(t(lang, "err_conditional", dataset=p["dataset"], labelled=p["labelled"]))
    if code == "needs_images":
        return gr.Error(t(lang, "err_dcgan_2d", dataset=p["dataset"]))
    if code == "bad_layers":  # the visitor's own text, shown as text
        return gr.Error(t(lang, "err_layers", field=field, value=html.escape(str(p["value"]), quote=False),
                          layers=p["layers"], range=p["range"]))
    return gr.Error(t(lang, "err_unknown_field", names=p.get("names", e.field)))


def dataset_error(lang: str, e: DatasetUnavailableError) -> gr.Error:
    """A dataset that cannot be read, by its reason; the folders, files and numbers it names stay as they are."""
    if e.reason == "image_too_large":
        return gr.Error(t(lang, "err_image_too_large", limit=f"{e.limit:,}"))
    log.info("dataset unavailable: %s", e)
    return gr.Error(t(lang, f"err_data_{e.reason}", **e.params))


def limit_error(lang: str, e: LimitError | ServerFullError) -> gr.Error:
    """A host's limit (see :mod:`ganapp.host.limits`); a model over the memory limit is told its estimate."""
    if isinstance(e, ServerFullError):
        return gr.Error(t(lang, "err_server_full", limit=e.limit))
    if e.field == "model_mb":  # the estimate of ganapp.gan.memory, against the host's max_model_mb
        return gr.Error(t(lang, "err_model_memory", need=f"{e.value:,}", limit=f"{int(e.allowed):,}"))
    return gr.Error(t(lang, "err_host_limit", field=t(lang, e.field), value=e.value, range=e.allowed))


def checkpoint_error(lang: str, e: CheckpointError) -> gr.Error:
    """A file that is not a usable checkpoint, by its reason; the library's English detail goes to the log."""
    log.info("checkpoint refused: %s", e)
    return gr.Error(t(lang, f"err_ckpt_{e.reason}"))


def autosave_note(lang: str, problem: dict | None, now_s: float | None = None) -> str:
    """The line that tells the host that runs are not being saved (``problem``: a registry's ``autosave_problem``,
    see :class:`ganapp.host.registry.Registry`), or "" while autosaves work."""
    if problem is None:
        return ""
    minutes = max(1, math.ceil(((time.monotonic() if now_s is None else now_s) - problem["since_s"]) / 60))
    return t(lang, f"autosave_problem_{problem['reason']}", minutes=minutes, error=problem["error"])
