"""Plotly figures for the Train and Explore tabs. Plain Plotly, no Gradio: the figures take already-downsampled
NumPy arrays, so drawing cost does not grow with the length of training."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from ..gan.points2d import BOUNDS_2D

COLORS = {"d": "#d62728", "g": "#1f77b4", "real": "#2ca02c", "fake": "#ff7f0e"}
_LAYOUT = dict(height=280, margin=dict(l=50, r=10, t=36, b=36), legend=dict(orientation="h", y=1.12, x=0),
               template="plotly_white", uirevision="keep")


def _figure(traces: list[dict], layout: dict) -> go.Figure:
    # The traces are built from plain dicts we control; skipping Plotly's validation halves the cost of a frame.
    return go.Figure(data=traces, layout={**_LAYOUT, **layout}, _validate=False)


DEFAULT_SMOOTHING = 0.6


def ema(values: np.ndarray, weight: float) -> np.ndarray:
    """TensorBoard's curve smoothing: an exponential moving average, debiased so that it starts at the first value
    (s_t = w·s_{t−1} + (1 − w)·x_t with s_0 = 0, shown as s_t / (1 − w^n), n the finite points so far). A
    non-finite point is shown as it is and does not enter the average.

    Args:
        values: (M,) floats.
        weight: w in [0, 1); 0 returns the values unchanged.
    Returns:
        (M,) float64.
    Raises:
        ValueError: ``weight`` outside [0, 1).
    """
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"smoothing={weight!r} is out of range: it must be in [0, 1)")
    return np.array(ema_extend(values, weight, EMA_START)[0], dtype=np.float64)


EMA_START = (0.0, 1.0)  # an EMA's state before its first point: (the undebiased average s, w^n)


def ema_extend(values, weight: float, state: tuple[float, float]) -> tuple[list[float], tuple[float, float]]:
    """:func:`ema` of points that follow a series already smoothed: the smoothed ``values`` and the state after
    them, from the ``state`` after the earlier points (EMA_START for none). Smoothing a series in two parts gives
    what smoothing it whole gives; a page's curves grow this way between full redraws."""
    out = np.asarray(values, dtype=np.float64).tolist()  # a loop over Python floats: faster than over NumPy
    last, keep = state                                     # scalars
    if weight == 0.0:
        return out, state
    for i, v in enumerate(out):
        if not math.isfinite(v):
            continue
        last, keep = weight * last + (1.0 - weight) * v, keep * weight
        out[i] = last / (1.0 - keep)
    return out, (last, keep)


def _lines(history: dict[str, np.ndarray], keys: tuple[str, ...], names: tuple[str, ...], colors: tuple[str, ...],
           other: dict[str, np.ndarray] | None, run_names: tuple[str, str], smoothing: float = 0.0) -> list[dict]:
    """One line per key; with ``other`` (a second run's history), the same keys again, dashed, and every name
    suffixed with its run's name, so both runs share the axes. With ``smoothing`` > 0, each line is its :func:`ema`
    over the raw curve drawn faint behind it."""
    runs = [(history, "solid", run_names[0])] + ([(other, "dash", run_names[1])] if other is not None else [])
    traces = []
    for h, dash, run in runs:
        for key, name, color in zip(keys, names, colors):
            label = name if other is None else f"{name} · {run}"
            if smoothing > 0:
                traces.append(dict(type="scatter", mode="lines", x=h["step"], y=h[key], opacity=0.25,
                                   line=dict(color=color, dash=dash, width=1), showlegend=False, hoverinfo="skip",
                                   name=f"{label} (raw)"))
            traces.append(dict(type="scatter", mode="lines", x=h["step"],
                               y=ema(h[key], smoothing) if smoothing > 0 else h[key],
                               line=dict(color=color, dash=dash), name=label))
    return traces


def loss_figure(history: dict[str, np.ndarray], title: str, step_label: str,
                other: dict[str, np.ndarray] | None = None, run_names: tuple[str, str] = ("A", "B"),
                smoothing: float = 0.0) -> go.Figure:
    """d_loss and g_loss against step (and a second run's, dashed, on the same axes).

    Args:
        history: ``{"step", "d_loss", "g_loss", ...: (M,) arrays}`` as from ``Run.history``.
        other: the side-by-side run's history, or None.
        smoothing: the :func:`ema` weight of the lines, in [0, 1); the raw curves are drawn faint behind them.
    """
    return _figure(_lines(history, ("d_loss", "g_loss"), ("d_loss", "g_loss"), (COLORS["d"], COLORS["g"]), other,
                          run_names, smoothing),
                   dict(title=dict(text=title, x=0.5), xaxis=dict(title=dict(text=step_label))))


def scores_figure(history: dict[str, np.ndarray], title: str, step_label: str, equilibrium_label: str,
                  probabilities: bool = True, equilibrium: float | None = 0.5,
                  other: dict[str, np.ndarray] | None = None, run_names: tuple[str, str] = ("A", "B"),
                  smoothing: float = 0.0) -> go.Figure:
    """D(x) and D(G(z)) against step: probabilities on a [0, 1] axis, or raw critic scores on a free axis; with a
    dashed line at the loss's equilibrium value when it has one (and a second run's curves, dashed); smoothed as
    :func:`loss_figure`."""
    traces = _lines(history, ("d_x", "d_g_z"), ("D(x)", "D(G(z))"), (COLORS["real"], COLORS["fake"]), other,
                    run_names, smoothing)
    layout: dict = dict(title=dict(text=title, x=0.5), xaxis=dict(title=dict(text=step_label)))
    if probabilities:
        layout["yaxis"] = dict(range=[-0.02, 1.02])
    if equilibrium is not None:
        layout["shapes"] = [dict(type="line", xref="paper", x0=0, x1=1, y0=equilibrium, y1=equilibrium,
                                 line=dict(color="#888", dash="dash", width=1))]
        layout["annotations"] = [dict(xref="paper", x=1, y=equilibrium, text=equilibrium_label, showarrow=False,
                                      xanchor="right", yanchor="bottom", font=dict(size=10, color="#666"))]
    return _figure(traces, layout)


def scatter_figure(real: np.ndarray | None, fake: np.ndarray, dataset: str, title: str, real_label: str,
                   fake_label: str, highlight: np.ndarray | None = None) -> go.Figure:
    """Real vs generated 2D points on the dataset's fixed axes.

    Args:
        real: (N, 2) real points, or None.
        fake: (M, 2) generated points.
        highlight: optional (K, 2) points drawn large (e.g. the current z's sample or an interpolation path).
    """
    x0, x1, y0, y1 = BOUNDS_2D.get(dataset, (-2, 2, -2, 2))
    traces = []
    if real is not None:
        traces.append(dict(type="scatter", mode="markers", x=real[:, 0], y=real[:, 1], name=real_label,
                           marker=dict(size=4, color=COLORS["real"], opacity=0.5)))
    traces.append(dict(type="scatter", mode="markers", x=fake[:, 0], y=fake[:, 1], name=fake_label,
                       marker=dict(size=4, color=COLORS["fake"], opacity=0.7)))
    if highlight is not None:
        traces.append(dict(type="scatter", mode="lines+markers", x=highlight[:, 0], y=highlight[:, 1], name="G(z)",
                           marker=dict(size=10, color="#000", symbol="star"), line=dict(color="#000", width=1)))
    return _figure(traces, dict(title=dict(text=title, x=0.5), height=420,
                                xaxis=dict(range=[x0, x1], zeroline=False),
                                yaxis=dict(range=[y0, y1], zeroline=False, scaleanchor="x", scaleratio=1)))


def quality_figure(rows: list[dict], title: str, step_label: str, fd_label: str, floor_label: str,
                   hist_label: str) -> go.Figure:
    """The live MNIST scores: the Fréchet distance against step (log axis) with the real-vs-real floor dashed, and,
    beside it, the latest class histogram as bars with the uniform share (0.1) dashed.

    Args:
        rows: score rows from ``Snapshot.scores`` (each with step, frechet_distance, fd_floor, class_hist; rows with
            an ``error`` are skipped).
    """
    rows = [r for r in rows if "frechet_distance" in r]
    steps = [r["step"] for r in rows]
    fd = [r["frechet_distance"] for r in rows]
    traces = [dict(type="scatter", mode="lines+markers", x=steps, y=fd, name=fd_label, xaxis="x", yaxis="y",
                   line=dict(color=COLORS["g"]))]
    if rows:
        floor = rows[-1]["fd_floor"]
        traces.append(dict(type="scatter", mode="lines", x=[steps[0], steps[-1]], y=[floor, floor], name=floor_label,
                           xaxis="x", yaxis="y", line=dict(color="#888", dash="dash", width=1)))
        hist = rows[-1]["class_hist"]
        traces.append(dict(type="bar", x=[str(k) for k in range(len(hist))], y=hist, name=hist_label, xaxis="x2",
                           yaxis="y2", marker=dict(color=COLORS["fake"])))
    layout = dict(
        title=dict(text=title, x=0.5), showlegend=True,
        xaxis=dict(domain=[0, 0.58], title=dict(text=step_label)), yaxis=dict(type="log", title=dict(text="FD")),
        xaxis2=dict(domain=[0.68, 1], anchor="y2", type="category"),
        yaxis2=dict(anchor="x2", range=[0, max([0.3, *(rows[-1]["class_hist"] if rows else [])])]),
        shapes=[dict(type="line", xref="x2 domain", x0=0, x1=1, yref="y2", y0=0.1, y1=0.1,
                     line=dict(color="#888", dash="dash", width=1))],
    )
    return _figure(traces, layout)


LAYERS = ("real", "fake", "decision", "arrows", "manifold")


def _polylines(lines) -> tuple[list, list]:
    """Many polylines as one trace's x and y, separated by None (one trace draws them all)."""
    xs: list = []
    ys: list = []
    for line in lines:
        xs += [*line[:, 0].tolist(), None]
        ys += [*line[:, 1].tolist(), None]
    return xs, ys


def view2d_figure(view, points: dict[str, np.ndarray], dataset: str, layers: tuple[str, ...], title: str,
                  labels: dict[str, str]) -> go.Figure:
    """GAN Lab's layered 2D view: D's decision map as a heatmap with a colour bar, real and generated points, G's
    gradient arrows on fake samples, and G's manifold (the image of a z grid), each drawn only when in ``layers``.

    Args:
        view: a :class:`ganapp.gan.view2d.View2D` (or None: points only).
        points: ``{"real": (N, 2), "fake": (M, 2)}``.
        labels: display names for real, fake, decision (probability) or critic (score), arrows, manifold.
    """
    x0, x1, y0, y1 = BOUNDS_2D.get(dataset, (-2, 2, -2, 2))
    traces: list[dict] = []
    if view is not None and "decision" in layers:
        prob = view.probabilities
        traces.append(dict(type="heatmap", x=view.xs, y=view.ys, z=view.decision, colorscale="RdBu",
                           zmin=0 if prob else None, zmax=1 if prob else None, zmid=None if prob else 0.0,
                           opacity=0.55, hoverinfo="skip", name=labels["decision" if prob else "critic"],
                           colorbar=dict(title=dict(text=labels["decision" if prob else "critic"], side="right"),
                                         thickness=12, len=0.8)))
    if view is not None and "manifold" in layers and view.manifold is not None:
        mx, my = _polylines(view.manifold)
        traces.append(dict(type="scatter", mode="lines", x=mx, y=my, name=labels["manifold"], hoverinfo="skip",
                           line=dict(color="rgba(120,120,120,0.6)", width=1)))
    if "real" in layers and points.get("real") is not None:
        traces.append(dict(type="scatter", mode="markers", x=points["real"][:, 0], y=points["real"][:, 1],
                           name=labels["real"], marker=dict(size=4, color=COLORS["real"], opacity=0.5)))
    if "fake" in layers and points.get("fake") is not None:
        traces.append(dict(type="scatter", mode="markers", x=points["fake"][:, 0], y=points["fake"][:, 1],
                           name=labels["fake"], marker=dict(size=4, color=COLORS["fake"], opacity=0.8)))
    if view is not None and "arrows" in layers and len(view.arrows_from):
        ends = view.arrows_from + view.arrows
        ax, ay = _polylines(np.stack([view.arrows_from, ends], axis=1))
        traces.append(dict(type="scatter", mode="lines", x=ax, y=ay, name=labels["arrows"], hoverinfo="skip",
                           line=dict(color="#7b3294", width=1.2)))
        traces.append(dict(type="scatter", mode="markers", x=ends[:, 0], y=ends[:, 1], showlegend=False,
                           hoverinfo="skip", marker=dict(size=4, color="#7b3294", symbol="circle")))
    return _figure(traces, dict(title=dict(text=title, x=0.5), height=460,
                                xaxis=dict(range=[x0, x1], zeroline=False),
                                yaxis=dict(range=[y0, y1], zeroline=False, scaleanchor="x", scaleratio=1)))


def _finite(values) -> list:
    return [v if v is not None and np.isfinite(v) else None for v in values]


def metrics2d_figure(rows: list[dict], title: str, step_label: str, labels: dict[str, str],
                     rows_b: list[dict] | None = None) -> go.Figure:
    """Live 2D metrics against step: the grid KL and JS estimates and G's pull on its samples, mean ‖∇ₓ g_loss‖
    (left axis; run B's pull dashed when ``rows_b`` is given), and for ring8 / grid25 the share of modes covered and
    of high-quality samples (right axis, 0 to 1) with the reverse KL (left axis)."""
    steps = [r["step"] for r in rows]
    traces = [
        dict(type="scatter", mode="lines", x=steps, y=_finite([r["kl"] for r in rows]), name=labels["kl"],
             line=dict(color=COLORS["d"])),
        dict(type="scatter", mode="lines", x=steps, y=_finite([r["js"] for r in rows]), name=labels["js"],
             line=dict(color=COLORS["g"])),
        dict(type="scatter", mode="lines", x=steps, y=_finite([r.get("g_grad", math.nan) for r in rows]),
             name=labels["g_grad"], line=dict(color="#8c564b", width=1.5)),
    ]
    if rows_b:
        traces.append(dict(type="scatter", mode="lines", x=[r["step"] for r in rows_b],
                           y=_finite([r.get("g_grad", math.nan) for r in rows_b]), name=labels["g_grad_b"],
                           line=dict(color="#8c564b", width=1.5, dash="dash")))
    layout: dict = dict(title=dict(text=title, x=0.5), xaxis=dict(title=dict(text=step_label)),
                        yaxis=dict(rangemode="tozero"))
    if rows and "modes" in rows[-1]:
        traces += [
            dict(type="scatter", mode="lines", x=steps, y=[r["modes"] / r["n_modes"] for r in rows], yaxis="y2",
                 name=labels["modes"], line=dict(color=COLORS["real"], width=2)),
            dict(type="scatter", mode="lines", x=steps, y=[r["high_quality"] for r in rows], yaxis="y2",
                 name=labels["high_quality"], line=dict(color=COLORS["fake"], dash="dot")),
            dict(type="scatter", mode="lines", x=steps, y=_finite([r["reverse_kl"] for r in rows]),
                 name=labels["reverse_kl"], line=dict(color="#9467bd", dash="dash")),
        ]
        layout["yaxis2"] = dict(overlaying="y", side="right", range=[0, 1.05], tickformat=".0%", showgrid=False)
        layout["margin"] = dict(_LAYOUT["margin"], r=50)  # room for the right axis' percentages
    return _figure(traces, layout)
