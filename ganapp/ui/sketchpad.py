"""The drawing pad, bounded at the door: :class:`BoundedSketchpad`.

Gradio's sketchpad decodes every image a request names (background, each layer, the composite) at their full size,
in the web process, before any handler can look at it: a 10000 × 10000 drawing held the server for minutes and
stalled every other visitor's page. This one reads only what the handler uses, the composite, and only after its
header says that it fits :data:`ganapp.gan.points2d.MAX_DRAWING_SIDE`; the images a browser uploads beside an event (its
``accept_blobs``) are kept only while few, and only the composite.

:func:`hold_strokes_js` is the page's side of a pad in a box that opens: a stroke drawn as the pad opens counts.
"""

from __future__ import annotations

import contextlib
import io
import json
import struct
import threading
from collections import OrderedDict
from typing import Any

import gradio as gr
import numpy as np
import PIL.Image
from gradio.components.base import server
from gradio.components.image_editor import AcceptBlobs, EditorData

from ..gan.points2d import MAX_DRAWING_SIDE

FORMATS = ("PNG", "WEBP", "JPEG")  # what a browser's canvas exports (PIL reads nothing else here)
PENDING_DRAWINGS = 64  # drawings uploaded by browsers and not yet used by an event; older ones are dropped
_PENDING_LOCK = threading.Lock()  # guards every pad's pending drawings (uploads and events come on many threads)


class BoundedSketchpad(gr.Sketchpad):
    """A ``gr.Sketchpad`` (same page, same API) whose value reaches the handler as ``{"background": None, "layers":
    [], "composite": (H, W, 4) uint8 RGBA array or None, "too_large": (width, height) or None}``: a composite wider or
    taller than MAX_DRAWING_SIDE is not decoded, and ``too_large`` gives its size for the handler to say so in the
    reader's language. Background and layers are never decoded (nothing uses them)."""

    # (no __init__ of its own: Gradio makes a component's config from its __init__'s named parameters)

    def _pending(self) -> OrderedDict[str, bytes]:
        """Event id -> the composite a browser uploaded for it, oldest first; callers hold ``_PENDING_LOCK``."""
        return self.__dict__.setdefault("_pending_drawings", OrderedDict())

    def get_block_name(self) -> str:  # the page draws it as Gradio's image editor, as it does gr.Sketchpad
        return "imageeditor"

    def get_block_class(self) -> str:
        return "imageeditor"

    @server
    def accept_blobs(self, data: AcceptBlobs) -> None:
        """A browser uploads the pad's images before it sends the event that names them by ``id``: keep the
        composite (each at most the host's upload limit, Gradio's ``max_file_size``), only for the last
        PENDING_DRAWINGS events."""
        if data.data.get("type") != "composite" or not data.files:
            return
        with _PENDING_LOCK:
            pending = self._pending()
            pending[str(data.data.get("id"))] = data.files[0][1]
            pending.move_to_end(str(data.data.get("id")))
            while len(pending) > PENDING_DRAWINGS:
                pending.popitem(last=False)

    def preprocess(self, payload: EditorData | None) -> dict[str, Any] | None:
        """The composite as an RGBA array when it fits, else its size; see the class."""
        if payload is None:
            return None
        source: Any = None
        if payload.id is not None:
            with _PENDING_LOCK:
                blob = self._pending().pop(payload.id, None)
            source = io.BytesIO(blob) if blob is not None else None
        elif payload.composite is not None:
            source = payload.composite.path
        value: dict[str, Any] = {"background": None, "layers": [], "composite": None, "too_large": None}
        if source is None:
            return value
        try:
            size = header_size(source)
            if size is not None and max(size) > MAX_DRAWING_SIDE:
                value["too_large"] = size
            elif size is not None:
                with PIL.Image.open(source, formats=FORMATS) as im:
                    value["composite"] = np.asarray(im.convert("RGBA"))
        except (OSError, ValueError, PIL.Image.DecompressionBombError):  # not an image: as if nothing was drawn
            pass
        return value


def header_size(source: str | io.BytesIO) -> tuple[int, int] | None:
    """(width, height) of a PNG, WEBP or JPEG image from its header alone, or None for anything else. Read by
    Pillow's own plugins, as ``PIL.Image.open`` does, but without its decompression-bomb check, which would refuse the
    largest images before anyone could say how large they are.

    Raises:
        OSError: the file cannot be read.
    """
    PIL.Image.init()
    with open(source, "rb") if isinstance(source, str) else contextlib.nullcontext(source) as fp:
        prefix = fp.read(16)
        for name in FORMATS:
            factory, accept = PIL.Image.OPEN[name]
            if accept is not None and not accept(prefix):
                continue
            fp.seek(0)
            try:
                with factory(fp, "") as im:
                    return im.size
            except (SyntaxError, IndexError, TypeError, struct.error):  # what Pillow's open skips a format for
                continue
            finally:
                fp.seek(0)
    return None


def hold_strokes_js(box: str, pad: str, button: str, under: str | None = None) -> str:
    """The JavaScript to run when the accordion ``box`` (a CSS selector) opens, so that a stroke drawn on the pad
    ``pad`` as it opens counts, and ``button`` ("use this drawing") pressed meanwhile is pressed again once the
    strokes are drawn. The box's top is scrolled to the window's top, or with ``under`` (a sticky bar's selector) to
    just below that bar.

    Gradio builds the pad when the box opens; its canvas shows some 0.5-1.5 s before its brush is chosen and a layer
    active (ImageEditor: both editors' pixi apps set up), and a stroke begun before that was ignored. Until then the
    pointer events on the pad are held, then replayed onto its canvas (pixi listens on the canvas and the window),
    after a move that puts the brush over the pad. Should the brush still not be chosen a few seconds after the box
    opened, its button is clicked.
    """
    ids = {"BOX": box, "PAD": pad, "BUTTON": button, "UNDER": under}
    consts = "".join(f"  const {k} = {json.dumps(v)};\n" for k, v in ids.items())
    return "() => {\n" + consts + _HOLD_STROKES_BODY


_HOLD_STROKES_BODY = """  const show = () => {  // the box's top just below UNDER, once the page is long enough
    const box = document.querySelector(BOX), bar = UNDER && document.querySelector(UNDER);
    if (!box) return;
    const below = bar && getComputedStyle(bar).position === 'sticky' ? bar.getBoundingClientRect().bottom : 0;
    window.scrollBy({top: box.getBoundingClientRect().top - below - 4, behavior: 'instant'});
  };
  const opened = performance.now();
  const holdUntilReady = (pad) => {
    if (pad.dataset.holding) return;
    const brush = () => pad.querySelector('button[aria-label="Brush"]') || pad.querySelector('button.quite-round');
    const ready = () => {  // Gradio's editor (window.editor) draws once its brush is chosen and a layer is active
      if (!pad.querySelector('canvas')) return false;
      const ed = window.editor;
      if (!ed) return !!(brush() && brush().classList.contains('highlight'));
      const layers = ed.layer_manager;
      return ed.current_tool === 'draw'
        && (!layers || typeof layers.get_active_layer !== 'function' || !!layers.get_active_layer());
    };
    if (ready()) {
      show();
      return;
    }
    pad.dataset.holding = '1';
    const held = [], kinds = ['pointerdown', 'pointermove', 'pointerup'];
    const hold = (e) => {
      if (e.type !== 'pointerdown' && !held.length) return;  // hovering before any stroke
      e.stopPropagation();
      e.preventDefault();
      if (held.length < 5000) held.push([e.type, {clientX: e.clientX, clientY: e.clientY, screenX: e.screenX,
        screenY: e.screenY, pointerId: e.pointerId, pointerType: e.pointerType, isPrimary: e.isPrimary,
        button: e.button, buttons: e.buttons, pressure: e.pressure}]);
    };
    const release = (e) => { if (held.length && !pad.contains(e.target)) hold(e); };  // a stroke ended off the pad
    // "Train on my drawing" pressed before the held strokes are drawn would send an empty pad: pressed again after
    const use = document.querySelector(BUTTON);
    let pressed = false;
    const defer = (e) => {
      if (!held.length) return;
      e.stopImmediatePropagation();
      e.preventDefault();
      pressed = true;
    };
    const stop = () => {
      kinds.forEach((k) => pad.removeEventListener(k, hold, true));
      window.removeEventListener('pointerup', release, true);
      if (use) use.removeEventListener('click', defer, true);
      delete pad.dataset.holding;
    };
    kinds.forEach((k) => pad.addEventListener(k, hold, true));
    window.addEventListener('pointerup', release, true);
    if (use) use.addEventListener('click', defer, true);
    let clicked = false, shown = false;
    const wait = () => {
      if (!shown && pad.querySelector('canvas')) {
        shown = true;
        show();
      }
      if (ready()) {
        stop();
        // the drawing editor's own canvas (the pad holds a second one, of its crop tool, in no fixed order)
        const ed = window.editor;
        const canvas = (ed && ed.app && ed.app.canvas) || pad.querySelector('canvas');
        if (held.length) held.unshift(['pointermove', {...held[0][1], button: -1, buttons: 0}]);  // over the pad first
        for (const [type, init] of held) {
          canvas.dispatchEvent(new PointerEvent(type, {...init, bubbles: true, cancelable: true, composed: true}));
        }
        if (pressed && use) requestAnimationFrame(() => requestAnimationFrame(() => use.click()));  // drawn by then
        return;
      }
      if (!clicked && brush() && performance.now() - opened > 3000) {  // built, but no tool chosen
        clicked = true;
        brush().click();
      }
      if (performance.now() - opened < 15000) requestAnimationFrame(wait);
      else stop();
    };
    requestAnimationFrame(wait);
  };
  const find = () => {  // the box's contents are built as it opens: wait for the pad
    const pad = document.querySelector(PAD);
    if (pad) holdUntilReady(pad);
    else if (performance.now() - opened < 15000) requestAnimationFrame(find);
  };
  find();
}"""
