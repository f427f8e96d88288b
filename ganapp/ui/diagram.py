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

# the boxes: (x, y, width, height) in the 900 × 84 viewBox, under the caption's line; G and D are the networks an
# update moves. One short row of two lines of boxes: at 1366 × 768, Start and the curves stay in the first screen.
BOXES = {
    "z": (4, 25, 82, 26), "G": (120, 25, 100, 26), "fake": (254, 25, 112, 26), "real": (254, 57, 112, 26),
    "D": (400, 30, 100, 48), "d_fake": (534, 25, 150, 26), "d_real": (534, 57, 150, 26),
    "g_loss": (718, 25, 178, 26), "d_loss": (718, 57, 178, 26),
}
# the arrows: (from, to, x1, y1, x2, y2)
EDGES = (
    ("z", "G", 86, 38, 118, 38), ("G", "fake", 220, 38, 252, 38), ("fake", "D", 366, 38, 398, 48),
    ("real", "D", 366, 70, 398, 60), ("D", "d_fake", 500, 48, 532, 38), ("D", "d_real", 500, 60, 532, 70),
    ("d_fake", "g_loss", 684, 38, 716, 38), ("d_fake", "d_loss", 684, 44, 716, 64),
    ("d_real", "d_loss", 684, 70, 716, 70),
)
# what each update moves, and what it reads on the way: D's loss reads D on real and fake samples; G's loss reads
# D(G(z)), its gradient flowing back through a frozen D into G (D's box is on the path but is not lit: it does not
# move)
LIT = {
    "d": {"real", "fake", "D", "d_real", "d_fake", "d_loss", "real-D", "fake-D", "D-d_real", "D-d_fake",
          "d_real-d_loss", "d_fake-d_loss"},
    "g": {"z", "G", "fake", "d_fake", "g_loss", "z-G", "G-fake", "fake-D", "D-d_fake", "d_fake-g_loss"},
}
_SUB = '<tspan baseline-shift="sub" font-size="10">{}</tspan>'
_REAL, _FAKE = "E[log D(x)]", "E[log(1 − D(G(z)))]"


def _mark(phase: str, text: str) -> str:
    """``text`` marked as the term ``phase`` follows: bold, underlined, in the path's colour (as PHASE_TEX boxes it)."""
    return (f'<tspan data-term="{phase}" font-weight="bold" text-decoration="underline" '
            f'fill="{LIT_COLOURS[phase][0]}">{text}</tspan>')


def _objective(phase: str) -> str:
    """The minimax objective as SVG text (its own markup only), the term ``phase`` follows marked."""
    head = f"min{_SUB.format('G')} max{_SUB.format('D')} "
    if phase == "d":
        return head + _mark("d", f"{_REAL} + {_FAKE}")
    if phase == "g":
        return head + f"{_REAL} + " + _mark("g", _FAKE)
    return head + f"{_REAL} + {_FAKE}"


def _box(part: str, label: str, phase: str, network: bool) -> str:
    x, y, w, h = BOXES[part]
    lit = phase if part in LIT.get(phase, ()) else ""
    stroke, fill, ink = LIT_COLOURS[lit] if lit else (BOX, BOX_FILL, TEXT)
    attrs = f' data-part="{part}"' + (f' data-lit="{lit}"' if lit else "")
    if network and phase:  # the network this update moves, or the one it holds still
        attrs += f' data-state="{"moves" if part.lower() == phase else "frozen"}"'
    weight = "bold" if lit or network else "normal"
    return (f'<g{attrs}><rect x="{x}" y="{y}" width="{w}" height="{h}" rx="{8 if network else 4}" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="{3 if lit else 1.5}"/>'
            f'<text x="{x + w / 2:g}" y="{y + h / 2 + 5:g}" text-anchor="middle" font-size="{15 if network else 14}" '
            f'font-weight="{weight}" fill="{ink}">{html.escape(label)}</text></g>')


def model_diagram_svg(lang: str, phase: str = "", values: Mapping[str, Any] | None = None) -> str:
    """The model diagram as HTML: an SVG of 900 × 84 user units drawn at the column's width (some 85 px high at
    1366 × 768), its first line a caption (the phase named, and the objective with the term it follows marked).

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
        phase; the caption is the ``<text data-part="caption">``, its marked term a ``<tspan data-term=...>``.

    Raises:
        gr.Error: ``phase`` is not one of "", "d", "g" (the message names the field).
    """
    if phase not in PHASES:
        raise gr.Error(t(lang, "err_choice", field="phase", choices="d, g", value=html.escape(repr(phase)[:40])))
    values = values if isinstance(values, Mapping) else {}
    score = lambda key: number(lang, values.get(key), ".2f", "—")  # noqa: E731 (D's mean score, in [0, 1])
    loss = lambda key: number(lang, values.get(key), ".3g", "—")  # noqa: E731
    state = {"": [], "d": ["d"], "g": ["g"]}[phase]

    def net(name: str) -> str:
        return f"{name} · {t(lang, 'diagram_moves' if name.lower() in state else 'diagram_frozen')}" if phase \
            else name

    boxes = [
        _box("z", t(lang, "diagram_noise"), phase, False), _box("G", net("G"), phase, True),
        _box("fake", t(lang, "diagram_fake"), phase, False), _box("real", t(lang, "diagram_real"), phase, False),
        _box("D", net("D"), phase, True), _box("d_fake", f"D(G(z)) = {score('d_g_z')}", phase, False),
        _box("d_real", f"D(x) = {score('d_x')}", phase, False),
        _box("g_loss", t(lang, "diagram_g_loss", value=loss("g_loss")), phase, False),
        _box("d_loss", t(lang, "diagram_d_loss", value=loss("d_loss")), phase, False),
    ]
    edges = []
    for a, b, x1, y1, x2, y2 in EDGES:
        part = f"{a}-{b}"
        lit = phase if part in LIT.get(phase, ()) else ""
        colour = LIT_COLOURS[lit][0] if lit else EDGE
        lit_attr = f' data-lit="{lit}"' if lit else ""
        edges.append(f'<g data-part="{part}"{lit_attr}><line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" '
                     f'stroke="{colour}" stroke-width="{3 if lit else 1.5}" marker-end="url(#gd-arrow-{lit or "n"})"/>'
                     f'</g>')
    markers = "".join(
        f'<marker id="gd-arrow-{k}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{c}"/></marker>'
        for k, c in (("n", EDGE), ("d", LIT_COLOURS["d"][0]), ("g", LIT_COLOURS["g"][0])))
    if phase:  # the phase named, then the objective with its term marked (the caption takes the page's text colour)
        caption = (f'<tspan font-weight="bold">{html.escape(t(lang, "phase_" + phase))}</tspan> · '
                   f"{_objective(phase)} — {html.escape(t(lang, 'diagram_follows_' + phase))}")
    else:
        caption = f"{_objective('')} — {html.escape(t(lang, 'diagram_idle'))}"
    label = html.escape(t(lang, "diagram_label"), quote=True)
    return (f'<div id="model-diagram-inner" data-phase="{phase}" lang="{"zh" if lang == "zh" else "en"}">'
            f'<svg viewBox="0 0 900 84" role="img" aria-label="{label}" '
            f'style="display:block;width:100%;max-width:900px;height:auto;font-family:sans-serif">'
            f"<title>{label}</title><defs>{markers}</defs>"
            f'<text data-part="caption" x="4" y="15" font-size="14" fill="currentColor">{caption}</text>'
            f"{''.join(edges)}{''.join(boxes)}</svg></div>")
