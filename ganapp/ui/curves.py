"""The live loss and D(x)/D(G(z)) curves, sent as deltas.

After a page has drawn a full figure (downsampled to at most ``HISTORY_POINTS`` rows), each poll sends only the rows
that are new since, and the browser appends them with ``Plotly.extendTraces`` (:data:`EXTEND_JS`): a few hundred
bytes a poll instead of two figures of ~1,000 points each, and a zoomed plot keeps its zoom. A full figure is sent
again when the run, the language, the smoothing or run B changes, and after ``FULL_REDRAW_POINTS`` appended points
(which keeps the page's point count bounded). Smoothed lines grow with :func:`ganapp.ui.plots.ema_extend`, so a
curve drawn in parts equals the curve drawn whole.

What the page holds, not what the server sent, decides what comes next. A full figure is drawn in the browser some
time after it arrives (the first one waits for Plotly's 4.5 MB module, seconds on a busy laptop), and a delta that
arrived before it had nothing to extend: its rows were lost for good, a straight segment across the plot. So each
figure carries an id (``layout.meta``) and each trace its run (``trace.meta``); before every tick and poll the page
reports the figure it shows and the last step of each run's traces (:data:`REPORT_JS`), and the poll sends the
rows after those steps. While the page still shows an older figure than the last one sent, the poll waits for it
(up to ``FIGURE_WAIT_S``) rather than send another; the hook appends only points past a trace's last step and
never across a gap, and a page that lacks rows the server has sent gets them at its next poll (:func:`page_behind`).
"""

from __future__ import annotations

import time
from typing import Any

import gradio as gr
import numpy as np

from ..gan.losses import get_loss
from ..host.visitors import PageView
from ..service.protocol import RunHandle
from . import plots
from .i18n import t
from .plots import EMA_START, ema_extend

FULL_REDRAW_POINTS = 1000  # points appended since the last full figure before the page gets a full figure again
FIGURE_WAIT_S = 10.0  # how long a page that still shows an older figure waits for the last one sent, not sent another
EMA_KEPT = 16  # smoothed lines' EMA states kept per run, at the ends of the latest answers (a report names one)
CURVES = {"loss-plot": ("d_loss", "g_loss"), "scores-plot": ("d_x", "d_g_z")}  # plot elem_id → its metrics
RUNS = ("a", "b")
NO_ROWS = -1  # the step a page reports for a run whose traces are empty

# What a page's curve plots hold, as the last input of the event it runs before (the tick and the poll): the id of
# the figure both plots show and, per run, the last step of its traces; {"fig": null} when the plots show no figure
# of ours or two different ones, and "step": null when a run's traces disagree (a delta half applied).
REPORT_JS = """(...args) => {
  const report = {fig: null, step: null};
  const figs = new Set(), last = {};
  let agree = true;
  for (const id of %s) {
    const el = document.querySelector(`#${id} .js-plotly-plot`);
    const fig = el && el.layout && el.layout.meta ? el.layout.meta.ganapp_curves : undefined;
    if (fig === undefined || !el.data) return [...args.slice(0, -1), report];
    figs.add(fig);
    el.data.forEach((trace, i) => {
      const xs = Array.isArray(trace.x) ? trace.x : ((el._fullData || [])[i] || {}).x || [];
      const x = xs.length ? xs[xs.length - 1] : %d;
      if (trace.meta === undefined) return;
      if (trace.meta in last && last[trace.meta] !== x) agree = false;
      last[trace.meta] = x;
    });
  }
  if (figs.size !== 1) return [...args.slice(0, -1), report];
  report.fig = [...figs][0];
  if (agree) report.step = last;
  return [...args.slice(0, -1), report];
}""" % (list(CURVES), NO_ROWS)

# Appends a delta's points to the page's plots: only to the figure the delta was made for, only the points past each
# trace's last step (a delta that arrives twice adds nothing), and never across a gap (a trace that lacks rows before
# the delta's first is left as it is: the next tick reports it, and the next poll sends them).
EXTEND_JS = """(d) => {
  if (!d || !d.plots || !window.Plotly) return;
  for (const [id, part] of Object.entries(d.plots)) {
    const el = document.querySelector(`#${id} .js-plotly-plot`);
    if (!el || !el.data || !el.layout || !el.layout.meta || el.layout.meta.ganapp_curves !== d.fig
        || el.data.length !== part.n_traces) continue;
    const update = {x: [], y: []}, indices = [];
    part.indices.forEach((i, k) => {
      const trace = el.data[i];
      for (const axis of ["x", "y"]) {  // a figure's arrays arrive base64-encoded: make them arrays that can grow
        if (!Array.isArray(trace[axis])) trace[axis] = Array.from(((el._fullData || [])[i] || {})[axis] || []);
      }
      const last = trace.x.length ? trace.x[trace.x.length - 1] : %d;
      if (!(trace.meta in d.after) || last < d.after[trace.meta]) return;
      const keep = [];
      part.x[k].forEach((x, j) => { if (x > last) keep.push(j); });
      if (!keep.length) return;
      indices.push(i);
      update.x.push(keep.map((j) => part.x[k][j]));
      update.y.push(keep.map((j) => part.y[k][j]));
    });
    if (indices.length) window.Plotly.extendTraces(el, update, indices);
  }
}""" % NO_ROWS


def trace_slots(keys: tuple[str, ...], smoothing: float, run_b: bool) -> list[tuple[str, str, str]]:
    """The traces of a curve plot in :func:`ganapp.ui.plots._lines`' order, as (run, metric, "raw" | "line"): run A's
    then run B's, each metric's faint raw curve (when smoothed) then its line."""
    slots = []
    for run in RUNS[:2 if run_b else 1]:
        for key in keys:
            if smoothing > 0:
                slots.append((run, key, "raw"))
            slots.append((run, key, "line"))
    return slots


def _keep_ema(state: dict[str, Any], run: str, step: int, ema: dict[str, tuple[float, float]]) -> None:
    """Remember the EMA states of ``run``'s lines after ``step``, the EMA_KEPT latest of them."""
    kept = state["ema"].setdefault(run, {})
    kept.pop(step, None)
    kept[step] = ema
    while len(kept) > EMA_KEPT:
        kept.pop(next(iter(kept)))


def drawn_state(signature: tuple, histories: dict[str, dict[str, np.ndarray]], smoothing: float,
                fig: int = 0) -> dict[str, Any]:
    """What the server keeps of a page's curves after sending it full figure ``fig`` of ``histories`` (``{"a": ...,
    "b": ...}``, the downsampled series drawn): the last step sent of each run, and each smoothed line's EMA state
    after it (by step, so that a page reporting an earlier step can be answered from there)."""
    state: dict[str, Any] = {"signature": signature, "fig": fig, "points": 0, "seq": 0, "sent": {}, "ema": {},
                             "sent_s": time.monotonic()}
    for run, h in histories.items():
        step = int(h["step"][-1]) if len(h["step"]) else NO_ROWS
        state["sent"][run] = step
        _keep_ema(state, run, step, {key: ema_extend(h[key], smoothing, EMA_START)[1]
                                     for keys in CURVES.values() for key in keys})
    return state


def delta(state: dict[str, Any], rows: dict[str, dict[str, list[float]]], smoothing: float,
          after: dict[str, int] | None = None) -> dict[str, Any] | None:
    """The points to append for the new ``rows`` of each run (``{"a": history.since(after["a"]), ...}``), as the
    payload of :data:`EXTEND_JS`; ``after`` is the step each run's rows follow (default: the last step sent), whose
    EMA state ``state`` holds. ``state`` remembers what was sent. None when no run has a new row.

    Raises:
        KeyError: ``state`` holds no EMA state for a run's ``after`` step.
    """
    after = dict(state["sent"]) if after is None else after
    if not any(len(r["step"]) for r in rows.values()):
        return None
    smoothed: dict[str, list[float]] = {}
    for run, r in rows.items():
        ema = dict(state["ema"][run][after[run]])
        for keys in CURVES.values():
            for key in keys:
                smoothed[f"{run}.{key}"], ema[key] = ema_extend(r[key], smoothing, ema[key])
        if len(r["step"]):
            state["sent"][run] = int(r["step"][-1])
            _keep_ema(state, run, state["sent"][run], ema)
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
    return {"seq": state["seq"], "fig": state["fig"], "after": after, "plots": plots}


def _report(held: Any) -> tuple[int | None, dict[str, int] | None]:
    """A page's report (:data:`REPORT_JS`) as (figure id or None, {run: last step} or None); anything malformed reads
    as no figure."""
    if not isinstance(held, dict):
        return None, None
    fig, steps = held.get("fig"), held.get("step")
    if not isinstance(fig, int) or isinstance(fig, bool):
        return None, None
    if not isinstance(steps, dict) or not all(
            run in RUNS and isinstance(s, (int, float)) and not isinstance(s, bool) and float(s).is_integer()
            for run, s in steps.items()):
        return fig, None
    return fig, {run: int(s) for run, s in steps.items()}


def page_behind(page: PageView, held: Any) -> bool:
    """Whether a page that reported ``held`` (:data:`REPORT_JS`) lacks curves the server has sent it or owes it: it
    shows another figure than the last one sent, or fewer rows of a run, or a poll waited for its figure and sent no
    rows. False without a report (an API client) or with nothing sent yet."""
    state = page.curves
    if held is None or state is None:
        return False
    if state.get("owed"):  # a poll waited for the figure on its way, and sent none of its rows
        return True
    fig, steps = _report(held)
    if fig != state["fig"] or steps is None:
        return True
    return any(steps.get(run, NO_ROWS - 1) < sent for run, sent in state["sent"].items())


def _continue_from(state: dict[str, Any], held: Any, run_b: bool) -> dict[str, int] | str | None:
    """Where the next delta starts for a page that reported ``held``: {run: step}; "wait" while the page has not yet
    drawn the last full figure sent (for up to FIGURE_WAIT_S); None when it needs a full figure. Without a report
    (an API client, a test), the page is taken to hold everything sent."""
    runs = RUNS[:2 if run_b else 1]
    if held is None:
        return dict(state["sent"])
    fig, steps = _report(held)
    if fig != state["fig"]:
        return "wait" if time.monotonic() < state["sent_s"] + FIGURE_WAIT_S else None
    if steps is None or set(steps) != set(runs) or any(steps[r] not in state["ema"].get(r, {}) for r in runs):
        return None
    return steps


def poll_curves(lang: str, page: PageView, run: RunHandle, run_b: RunHandle | None, loss_name: str, signature: tuple,
                smoothing: float, history_points: int, held: Any = None) -> tuple:
    """What a poll sends of the curves: (loss plot, scores plot, delta). Two full figures of ``run``'s (and
    ``run_b``'s) history, downsampled to ``history_points`` rows, when the page's curves are not the ones
    ``signature`` names (run, language, smoothing ...), have grown by FULL_REDRAW_POINTS since, or cannot be
    continued from what the page reports holding (``held``, :data:`REPORT_JS`; None: what was sent); else gr.skip()
    for both and the rows after what the page holds as a :func:`delta` for :data:`EXTEND_JS` (gr.skip() when there
    are none, or while the page has yet to draw the last full figure). What the server sent is kept in
    ``page.curves``; two polls of one page take turns."""
    with page.curves_lock:
        state = page.curves
        if state is not None and state["signature"] == signature and state["points"] <= FULL_REDRAW_POINTS:
            after = _continue_from(state, held, run_b is not None)
            if after == "wait":  # the rows of this poll are owed: the page is behind until it gets them
                state["owed"] = True
                return gr.skip(), gr.skip(), gr.skip()
            state["owed"] = False
            if after is not None:
                rows = {"a": run.rows_since(after["a"])}
                if run_b is not None:
                    rows["b"] = run_b.rows_since(after["b"])
                return gr.skip(), gr.skip(), delta(state, rows, smoothing, after) or gr.skip()
        history = run.history(history_points)
        other = run_b.history(history_points) if run_b is not None else None
        runs, step_label = (t(lang, "run_a"), t(lang, "run_b")), t(lang, "step_axis")
        loss = get_loss(loss_name)
        out_loss = plots.loss_figure(history, t(lang, "losses_plot"), step_label, other, runs, smoothing)
        out_scores = plots.scores_figure(
            history, t(lang, "scores_plot" if loss.probabilities else "critic_scores_plot"), step_label,
            t(lang, "equilibrium"), loss.probabilities, loss.equilibrium, other, runs, smoothing)
        fig = page.curves_fig = page.curves_fig + 1
        for figure, keys in zip((out_loss, out_scores), CURVES.values()):
            figure.update_layout(meta={"ganapp_curves": fig})
            for trace, (run, _, _) in zip(figure.data, trace_slots(keys, smoothing, other is not None)):
                trace.meta = run
        page.curves = drawn_state(signature, {"a": history} | ({"b": other} if other else {}), smoothing, fig)
        return out_loss, out_scores, gr.skip()
