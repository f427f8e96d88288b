"""The model diagram above the curves (GAN Lab's overview): z → G → G(z), and x → D → D(x) and D(G(z)) → D's loss and
G's loss, each box with its live number. The update on screen lights the path it moves: D's on a D update, G's on a
G update (Goodfellow et al. 2014, Algorithm 1), and the caption names the phase and marks the term of the objective
it follows, as the status does (:data:`ganapp.ui.lessons.PHASE_TEX`).

Pure text and SVG from the status a tick already reads (:class:`ganapp.run.publisher.Snapshot`'s ``phase`` and
``latest``): no call to the training worker of its own. Every string is escaped; a test reads what is lit from the
``data-part`` and ``data-lit`` attributes."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import gradio as gr

from .i18n import number, t

PHASES = ("", "d", "g")

# (stroke, fill, text) of each path's lit boxes: dark text on a pale fill (≥ 7:1), strokes ≥ 4.5:1 on white; unlit
# boxes are white with near-black text, so they read on a light and a dark page alike
LIT_COLOURS = {"d": ("#1f5fa8", "#dcebfa", "#0b2e59"), "g": ("#b3261e", "#fbe3e1", "#5c0f0b")}
BOX, BOX_FILL, TEXT, EDGE = "#6b6b6b", "#ffffff", "#1f1f1f", "#8c8c8c"

# the boxes: (x, y, width, height) in the 900 × 104 viewBox; G and D are the networks an update moves
BOXES = {
    "z": (4, 6, 82, 36), "G": (120, 6, 100, 36), "fake": (254, 6, 112, 36), "real": (254, 62, 112, 36),
    "D": (400, 26, 100, 52), "d_fake": (534, 6, 150, 36), "d_real": (534, 62, 150, 36),
    "g_loss": (718, 6, 178, 36), "d_loss": (718, 62, 178, 36),
}
# the arrows: (from, to, x1, y1, x2, y2)
EDGES = (
    ("z", "G", 86, 24, 118, 24), ("G", "fake", 220, 24, 252, 24), ("fake", "D", 366, 24, 398, 40),
    ("real", "D", 366, 80, 398, 64), ("D", "d_fake", 500, 40, 532, 24), ("D", "d_real", 500, 64, 532, 80),
    ("d_fake", "g_loss", 684, 24, 716, 24), ("d_fake", "d_loss", 684, 32, 716, 70),
    ("d_real", "d_loss", 684, 80, 716, 80),
)
# what each update moves, and what it reads on the way: D's loss reads D on real and fake samples; G's loss reads
# D(G(z)), its gradient flowing back through a frozen D into G (D's box is on the path but is not lit: it does not
# move)
LIT = {
    "d": {"real", "fake", "D", "d_real", "d_fake", "d_loss", "real-D", "fake-D", "D-d_real", "D-d_fake",
          "d_real-d_loss", "d_fake-d_loss"},
    "g": {"z", "G", "fake", "d_fake", "g_loss", "z-G", "G-fake", "fake-D", "D-d_fake", "d_fake-g_loss"},
}
# the minimax objective, with the term each update follows marked (as PHASE_TEX boxes it)
_REAL = "E<sub>x</sub>[log D(x)]"
_FAKE = "E<sub>z</sub>[log(1 − D(G(z)))]"


def _mark(phase: str, text: str) -> str:
    stroke, fill, ink = LIT_COLOURS[phase]
    return (f'<mark data-term="{phase}" style="background:{fill};color:{ink};outline:2px solid {stroke};'
            f'padding:0 3px;border-radius:3px">{text}</mark>')


def _objective(phase: str) -> str:
    """The objective as HTML (its own markup only), the term ``phase`` follows marked."""
    head = "min<sub>G</sub> max<sub>D</sub> "
    if phase == "d":
        return head + _mark("d", f"{_REAL} + {_FAKE}")
    if phase == "g":
        return head + f"{_REAL} + " + _mark("g", _FAKE)
    return head + f"{_REAL} + {_FAKE}"


def _box(part: str, lines: list[str], phase: str, network: bool) -> str:
    x, y, w, h = BOXES[part]
    lit = phase if part in LIT.get(phase, ()) else ""
    stroke, fill, ink = LIT_COLOURS[lit] if lit else (BOX, BOX_FILL, TEXT)
    attrs = f' data-part="{part}"' + (f' data-lit="{lit}"' if lit else "")
    if network and phase:  # the network this update moves, or the one it holds still
        attrs += f' data-state="{"moves" if part.lower() == phase else "frozen"}"'
    out = [f'<g{attrs}><rect x="{x}" y="{y}" width="{w}" height="{h}" rx="{8 if network else 4}" fill="{fill}" '
           f'stroke="{stroke}" stroke-width="{3 if lit else 1.5}"/>']
    first_y = y + h / 2 + 5 - (8 if len(lines) > 1 else 0)
    for i, text in enumerate(lines):
        size, weight = (18 if network and i == 0 else 12 if i else 14), ("bold" if lit or (network and i == 0)
                                                                         else "normal")
        out.append(f'<text x="{x + w / 2:g}" y="{first_y + 17 * i:g}" text-anchor="middle" font-size="{size}" '
                   f'font-weight="{weight}" fill="{ink}">{html.escape(text)}</text>')
    return "".join(out) + "</g>"


def model_diagram_svg(lang: str, phase: str = "", values: Mapping[str, Any] | None = None) -> str:
    """The model diagram as HTML: a caption (the phase and the objective, its term marked) over an SVG, 900 × 104
    user units drawn at the column's width (some 130 px high with the caption at 1366 × 768).

    Args:
        lang: "en" or "zh" (any other code reads as English).
        phase: the update on screen, as :attr:`ganapp.run.publisher.Snapshot.phase`: ``"d"`` (D's path lit),
            ``"g"`` (G's) or ``""`` (none lit).
        values: the newest value of each metric, ``{"d_loss", "g_loss", "d_x", "d_g_z": float}``
            (:attr:`ganapp.run.publisher.Snapshot.latest`); a missing, non-numeric or NaN one reads as "—".

    Returns:
        ``<div id="model-diagram-inner" data-phase=...>``: its text is escaped; each box and arrow is a ``<g>`` with
        ``data-part`` (``z, G, fake, real, D, d_fake, d_real, g_loss, d_loss`` and ``from-to`` for arrows) and
        ``data-lit="d"`` or ``"g"`` when lit; G's and D's boxes carry ``data-state`` "moves" or "frozen" during a
        phase.

    Raises:
        gr.Error: ``phase`` is not one of "", "d", "g" (the message names the field).
    """
    if phase not in PHASES:
        raise gr.Error(t(lang, "err_choice", field="phase", choices="d, g", value=html.escape(repr(phase)[:40])))
    values = values if isinstance(values, Mapping) else {}
    score = lambda key: number(lang, values.get(key), ".2f", "—")  # noqa: E731 (D's mean score, in [0, 1])
    loss = lambda key: number(lang, values.get(key), ".3g", "—")  # noqa: E731
    state = {"": [], "d": ["d"], "g": ["g"]}[phase]

    def net(name: str) -> list[str]:
        return [name] + ([t(lang, "diagram_moves" if name.lower() in state else "diagram_frozen")] if phase else [])

    boxes = [
        _box("z", [t(lang, "diagram_noise")], phase, False), _box("G", net("G"), phase, True),
        _box("fake", [t(lang, "diagram_fake")], phase, False), _box("real", [t(lang, "diagram_real")], phase, False),
        _box("D", net("D"), phase, True), _box("d_fake", [f"D(G(z)) = {score('d_g_z')}"], phase, False),
        _box("d_real", [f"D(x) = {score('d_x')}"], phase, False),
        _box("g_loss", [t(lang, "diagram_g_loss", value=loss("g_loss"))], phase, False),
        _box("d_loss", [t(lang, "diagram_d_loss", value=loss("d_loss"))], phase, False),
    ]
    edges = []
    for a, b, x1, y1, x2, y2 in EDGES:
        part = f"{a}-{b}"
        lit = phase if part in LIT.get(phase, ()) else ""
        colour = LIT_COLOURS[lit][0] if lit else EDGE
        lit_attr = f' data-lit="{lit}"' if lit else ""
        edges.append(f'<g data-part="{part}"{lit_attr}>'
                     f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{colour}" '
                     f'stroke-width="{3 if lit else 1.5}" marker-end="url(#gd-arrow-{lit or "n"})"/></g>')
    markers = "".join(
        f'<marker id="gd-arrow-{k}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{c}"/></marker>'
        for k, c in (("n", EDGE), ("d", LIT_COLOURS["d"][0]), ("g", LIT_COLOURS["g"][0])))
    if phase:
        caption = (f"<b>{html.escape(t(lang, 'phase_' + phase))}</b> · {_objective(phase)} — "
                   f"{html.escape(t(lang, 'diagram_follows_' + phase))}")
    else:
        caption = f"{_objective('')} — {html.escape(t(lang, 'diagram_idle'))}"
    label = html.escape(t(lang, "diagram_label"), quote=True)
    return (f'<div id="model-diagram-inner" data-phase="{phase}" lang="{"zh" if lang == "zh" else "en"}">'
            f'<p class="gd-caption" style="margin:0 0 2px;font-size:14px;line-height:1.5">{caption}</p>'
            f'<svg viewBox="0 0 900 104" role="img" aria-label="{label}" '
            f'style="display:block;width:100%;max-width:900px;height:auto;font-family:sans-serif">'
            f"<title>{label}</title><defs>{markers}</defs>{''.join(edges)}{''.join(boxes)}</svg></div>")
