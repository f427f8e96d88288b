"""The live loss and D(x)/D(G(z)) curves, sent as deltas.

After a page has drawn a full figure (downsampled to at most ``HISTORY_POINTS`` rows), each poll sends only the rows
that are new since, and the browser appends them with ``Plotly.extendTraces`` (:data:`EXTEND_JS`): a few hundred
bytes a poll instead of two figures of ~1,000 points each, and a zoomed plot keeps its zoom. A full figure is sent
again when the run, the language, the smoothing or run B changes, and after ``FULL_REDRAW_POINTS`` appended points
(which keeps the page's point count bounded). Smoothed lines grow with :func:`ganapp.ui.plots.ema_extend`, so a
curve drawn in parts equals the curve drawn whole.
"""

from __future__ import annotations

import threading
from typing import Any

import gradio as gr
import numpy as np

from ..losses import get_loss
from . import plots
from .i18n import t
from .plots import EMA_START, ema_extend

FULL_REDRAW_POINTS = 1000  # points appended since the last full figure before the page gets a full figure again
CURVES = {"loss-plot": ("d_loss", "g_loss"), "scores-plot": ("d_x", "d_g_z")}  # plot elem_id → its metrics
RUNS = ("a", "b")

# Appends a delta's points to the page's plots; skips a plot whose traces are not those the delta was made for (a
# full figure not drawn yet): the next full figure puts it right.
EXTEND_JS = """(d) => {
  if (!d || !d.plots || !window.Plotly) return;
  for (const [id, part] of Object.entries(d.plots)) {
    const el = document.querySelector(`#${id} .js-plotly-plot`);
    if (!el || !el.data || el.data.length !== part.n_traces || !part.indices.length) continue;
    for (const i of part.indices) {  // a figure's arrays arrive base64-encoded: make them arrays that can grow
      for (const axis of ["x", "y"]) {
        if (!Array.isArray(el.data[i][axis])) el.data[i][axis] = Array.from(el._fullData[i][axis] || []);
      }
    }
    window.Plotly.extendTraces(el, {x: part.x, y: part.y}, part.indices);
  }
}"""


def trace_slots(keys: tuple[str, ...], smoothing: float, twin: bool) -> list[tuple[str, str, str]]:
    """The traces of a curve plot in :func:`ganapp.ui.plots._lines`' order, as (run, metric, "raw" | "line"): run A's
    then run B's, each metric's faint raw curve (when smoothed) then its line."""
    slots = []
    for run in RUNS[:2 if twin else 1]:
        for key in keys:
            if smoothing > 0:
                slots.append((run, key, "raw"))
            slots.append((run, key, "line"))
    return slots


def drawn_state(signature: tuple, histories: dict[str, dict[str, np.ndarray]], smoothing: float) -> dict[str, Any]:
    """What a page holds after a full figure of ``histories`` (``{"a": ..., "b": ...}``, the downsampled series
    drawn): the last step drawn of each run, and each smoothed line's EMA state."""
    state: dict[str, Any] = {"signature": signature, "points": 0, "seq": 0, "step": {}, "ema": {}}
    for run, h in histories.items():
        state["step"][run] = int(h["step"][-1]) if len(h["step"]) else 0
        for keys in CURVES.values():
            for key in keys:
                state["ema"][f"{run}.{key}"] = ema_extend(h[key], smoothing, EMA_START)[1]
    return state


def delta(state: dict[str, Any], rows: dict[str, dict[str, list[float]]], smoothing: float) -> dict[str, Any] | None:
    """The points to append for the new ``rows`` of each run (``{"a": history.since(step), ...}``), as the payload
    of :data:`EXTEND_JS`; ``state`` moves on past them. None when no run has a new row."""
    if not any(len(r["step"]) for r in rows.values()):
        return None
    smoothed: dict[str, list[float]] = {}
    for run, r in rows.items():
        if len(r["step"]):
            state["step"][run] = int(r["step"][-1])
        for keys in CURVES.values():
            for key in keys:
                name = f"{run}.{key}"
                smoothed[name], state["ema"][name] = ema_extend(r[key], smoothing, state["ema"][name])
    plots = {}
    for plot_id, keys in CURVES.items():
        slots = trace_slots(keys, smoothing, "b" in rows)
        part: dict[str, list] = {"x": [], "y": [], "indices": []}
        for i, (run, key, kind) in enumerate(slots):
            r = rows[run]
            if not len(r["step"]):
                continue
            part["indices"].append(i)
            part["x"].append(list(r["step"]))
            part["y"].append(list(r[key]) if kind == "raw" or smoothing == 0 else smoothed[f"{run}.{key}"])
        plots[plot_id] = {**part, "n_traces": len(slots)}
    state["points"] += max(len(r["step"]) for r in rows.values())
    state["seq"] += 1
    return {"seq": state["seq"], "plots": plots}


def poll_curves(lang: str, page: dict[str, Any], session, twin, loss_name: str, signature: tuple, smoothing: float,
                history_points: int) -> tuple:
    """What a poll sends of the curves: (loss plot, scores plot, delta). Two full figures of ``session``'s (and
    ``twin``'s) history, downsampled to ``history_points`` rows, when the page's curves are not the ones
    ``signature`` names (run, language, smoothing ...) or have grown by FULL_REDRAW_POINTS since; else gr.skip()
    for both and the new rows as a :func:`delta` for :data:`EXTEND_JS` (gr.skip() when there are none). What the
    page holds is kept in ``page["curves"]``; two polls of one page take turns, so no row is sent twice."""
    with page.setdefault("curves_lock", threading.Lock()):
        held = page.get("curves")
        if held is not None and held["signature"] == signature and held["points"] <= FULL_REDRAW_POINTS:
            rows = {"a": session.rows_since(held["step"]["a"])}
            if twin is not None:
                rows["b"] = twin.rows_since(held["step"]["b"])
            return gr.skip(), gr.skip(), delta(held, rows, smoothing) or gr.skip()
        history = session.history(history_points)
        other = twin.history(history_points) if twin is not None else None
        runs, step_label = (t(lang, "run_a"), t(lang, "run_b")), t(lang, "step_axis")
        loss = get_loss(loss_name)
        out_loss = plots.loss_figure(history, t(lang, "losses_plot"), step_label, other, runs, smoothing)
        out_scores = plots.scores_figure(
            history, t(lang, "scores_plot" if loss.probabilities else "critic_scores_plot"), step_label,
            t(lang, "equilibrium"), loss.probabilities, loss.equilibrium, other, runs, smoothing)
        page["curves"] = drawn_state(signature, {"a": history} | ({"b": other} if other else {}), smoothing)
        return out_loss, out_scores, gr.skip()
