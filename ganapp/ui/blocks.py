"""The app's ``gr.Blocks``: :class:`GanBlocks`, which refuses what no page sends in the caller's language.

Before a handler runs, Gradio reads each value a request sends through its component: a menu's value must be one of
its choices, a number a number, a slider's inside its range, a file one uploaded to this server, and the call must
send a value for each input. A page only sends such values, but an API client or a forged request may send
anything. Gradio then refuses in English ("Value: x is not in the list of choices"), or with no message at all (a
text for a number, a server path as a file, too few values), and prints a traceback in the server's log for each.
Here each such refusal names the field and what it takes, in the caller's language, and goes to the log as one
line. A file given by a URL is refused before Gradio would fetch it: a page always uploads its files first.
"""

from __future__ import annotations

import copy
import inspect
import logging
from typing import Any

import gradio as gr

from .i18n import LANGS, STRINGS, known_lang, t

log = logging.getLogger("ganapp")
_EN_KEYS = {text: key for key, text in STRINGS["en"].items()}  # a component's (English) label -> its string key


class GanBlocks(gr.Blocks):
    """A ``gr.Blocks`` whose reading of a request's values refuses what no page sends with a ``gr.Error`` in the
    caller's language (the value of the event's language radio, or of a function's ``lang`` parameter; English
    otherwise), naming the field (its label) and what it takes, and logging one line instead of a traceback."""

    async def preprocess_data(self, block_fn: Any, inputs: list[Any], state: Any, explicit_call: bool = False
                              ) -> list[Any]:
        lang = _caller_lang(block_fn, inputs)
        if len(inputs) < len(block_fn.inputs):
            log.info("refused a call to %s: %d values for %d inputs", block_fn.name, len(inputs),
                     len(block_fn.inputs))
            raise _refused(t(lang, "err_api_count", needed=len(block_fn.inputs), got=len(inputs)))
        for i, value in enumerate(inputs[:len(block_fn.inputs)]):
            if _names_a_url(value):  # Gradio would download it, from whatever server it names
                log.info("refused a call to %s: a file given by a URL", block_fn.name)
                raise _refused(t(lang, "err_api_file", field=self._field(lang, block_fn.inputs[i], i)))
        try:
            return await super().preprocess_data(block_fn, inputs, state, explicit_call)
        except Exception as e:  # (gr.Error included: Gradio's own refusals are in English)
            i = await self._failing_input(block_fn, inputs, state, explicit_call)
            log.info("refused a call to %s: input %s: %s: %s", block_fn.name, i, type(e).__name__,
                     " ".join(str(e).split())[:300])
            if i is None:
                raise _refused(t(lang, "err_api_call")) from None
            raise _refused(self._says(lang, block_fn.inputs[i], i, inputs[i])) from None

    def queue(self, *args: Any, **kwargs: Any) -> GanBlocks:
        """Gradio's ``Blocks.queue``, whose queue refuses an event this app does not have (a ``fn_index`` that no
        page sends) with HTTP 400 and a message; Gradio's own looks it up unguarded and answers HTTP 500 with a
        KeyError's traceback in the log."""
        super().queue(*args, **kwargs)
        queue, push = self._queue, self._queue.push

        async def known_push(body: Any, request: Any, username: str | None) -> tuple:
            if body.fn_index is not None and body.fn_index not in self.fns:
                log.info("refused a queued call to an unknown event (fn_index %r)", body.fn_index)
                return False, f"No event has the index {body.fn_index}.", "error"
            return await push(body, request, username)

        queue.push = known_push
        return self

    async def _failing_input(self, block_fn: Any, inputs: list[Any], state: Any, explicit_call: bool) -> int | None:
        """The first input that Gradio cannot read on its own (each read as the whole call reads it), or None."""
        for i, block in enumerate(block_fn.inputs):
            one = copy.copy(block_fn)
            one.inputs = [block]
            one.component_prop_inputs = [0] if i in block_fn.component_prop_inputs else []
            try:
                await super().preprocess_data(one, [inputs[i]], state, explicit_call)
            except Exception:
                return i
        return None

    def _field(self, lang: str, block: Any, index: int) -> str:
        """An input's name for the reader: its label in ``lang`` (its label as built, else its element id, else its
        position)."""
        label = getattr(self.blocks.get(block._id, block), "label", None)
        if label in _EN_KEYS:
            return t(lang, _EN_KEYS[label])
        return label or getattr(block, "elem_id", None) or f"#{index + 1}"

    def _says(self, lang: str, block: Any, index: int, value: Any) -> str:
        """What input ``index`` takes, and that ``value`` is not it."""
        field, shown = self._field(lang, block, index), _shown(value)
        choices = getattr(block, "choices", None)
        if choices:
            return t(lang, "err_choice", field=field, choices=", ".join(str(c[1]) for c in choices), value=shown)
        if getattr(block, "data_model", None) is not None:  # a file, an image, a drawing: only uploads
            return t(lang, "err_api_file", field=field)
        low, high = getattr(block, "minimum", None), getattr(block, "maximum", None)
        if isinstance(block, (gr.Number, gr.Slider)):
            if low is not None and high is not None:
                return t(lang, "err_field", field=field, kind=t(lang, "kind_num"), range=f"[{low:g}, {high:g}]",
                         value=shown)
            return t(lang, "err_api_number", field=field, value=shown)
        return t(lang, "err_api_value", field=field, value=shown)


def _refused(message: str) -> gr.Error:
    return gr.Error(message, print_exception=False)


def _caller_lang(block_fn: Any, inputs: list[Any]) -> str:
    """The language the call asks for: its language radio's value, or its function's ``lang`` argument."""
    for i, block in enumerate(block_fn.inputs):
        if isinstance(block, gr.Radio) and {c[1] for c in block.choices} == set(LANGS) and i < len(inputs):
            return known_lang(inputs[i])
    try:
        names = [p.name for p in inspect.signature(block_fn.fn).parameters.values()
                 if p.name != "request" and p.annotation not in (gr.Request, "gr.Request")]
    except (TypeError, ValueError):
        return "en"
    return known_lang(inputs[names.index("lang")]) if "lang" in names and names.index("lang") < len(inputs) else "en"


def _names_a_url(value: Any, most_nodes: int = 10_000) -> bool:
    """Whether ``value`` holds a file (Gradio's FileData, ``{"path": ..., "meta": {"_type": "gradio.FileData"}}``)
    whose path is a URL. Looks at ``most_nodes`` lists and dicts at most, however deep they nest."""
    stack = [value]
    while stack and most_nodes > 0:
        node = stack.pop()
        most_nodes -= 1
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            meta = node.get("meta")
            if isinstance(meta, dict) and meta.get("_type") == "gradio.FileData":
                path = node.get("path")
                if isinstance(path, str) and path.split(":", 1)[0].strip().lower() in ("http", "https"):
                    return True
            stack.extend(node.values())
    return False


def _shown(value: Any, limit: int = 40) -> str:
    """``value`` as a message shows it: its repr (control characters and lone surrogates escaped), cut short."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


__all__ = ["GanBlocks"]
