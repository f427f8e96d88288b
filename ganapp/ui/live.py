"""What a page sees of the visitor's runs while they train: the status line, the Timer's cheap tick, and the poll
that redraws the curves, the grid or 2D view, the scores and run B's view, sending only what changed."""

from __future__ import annotations

import time
from typing import Any, NamedTuple

import gradio as gr

from ..engine.zerogpu import ChunkedEngine
from ..gan.media import upscale
from ..gan.metrics import collapse_alert
from ..gan.presets import CLASSROOM_2D
from ..host.registry import REATTACHED, RESTORE_FAILED, RESTORED
from ..host.visitors import PageView, Visitor
from ..run.publisher import Snapshot
from ..run.run import ERROR, PAUSED, RUNNING, VIEW_SHARE, WAITING
from ..service.protocol import RUN_MOVED
from . import curves, plots
from .base import TabHandlers
from .common import failure, guarded
from .run_b import run_b_label
from .i18n import field_list, number, t, without_paths
from .diagram import model_diagram_svg
from .lessons import lesson_status, teacher_lesson_lines

HISTORY_POINTS = 1000
DRAW_EVERY_S = 1.0  # the page redraws its plots at most this often (see LiveHandlers.tick)
REATTACHED_NOTE_S = 15.0  # how long the status says that a reopened page found its run
IDLE_POLL_S = 2.0  # a page whose runs do not train polls this often (LiveHandlers.tick), not at the Timer's own rate


class TickOutputs(NamedTuple):
    """What :meth:`LiveHandlers.tick` returns, by name; the page wires its outputs in this order."""

    status: Any  # the status line (markdown)
    frame: Any  # grows when there is something new to draw
    lesson_no: Any  # the teacher's latest lesson for this visitor
    timer: Any  # the Timer's next interval, in seconds
    class_moves: Any  # how many times the server moved run A into the class's sizes (the size controls follow)


class PollOutputs(NamedTuple):
    """What :meth:`LiveHandlers.poll` returns, by name (each a value, an update or ``gr.skip()``); the page wires its
    outputs in this order, and an API client reads them in it."""

    status: Any  # the status line (markdown)
    loss_plot: Any  # d_loss and g_loss, a whole figure (or skipped while deltas extend it)
    scores_plot: Any  # D(x) and D(G(z))
    grid: Any  # run A's fixed_z samples (image data)
    scatter: Any  # run A's 2D view (2D data)
    quality_plot: Any  # live MNIST scores
    quality_caption: Any
    metrics2d_plot: Any  # modes, KL, G's pull (2D data)
    alert: Any  # the mode-collapse alert
    scatter_b: Any  # run B's 2D view, beside run A's
    grid_b: Any  # run B's grid
    curve_delta: Any  # the curves' new points since the last whole figure (ganapp.ui.curves)


def format_elapsed(seconds: float) -> str:
    """``h:mm:ss`` or ``m:ss`` for a duration in seconds."""
    s = int(seconds)
    h, m = divmod(s // 60, 60)
    return f"{h}:{m:02d}:{s % 60:02d}" if h else f"{m}:{s % 60:02d}"


class LiveHandlers(TabHandlers):
    """The status, the tick and the poll. With ``settings``, the tick also moves a young full-size run into the
    class's sizes when the class has arrived (:meth:`ganapp.ui.settings.SettingsHandlers.join_class`)."""

    def __init__(self, shared: Any, settings: Any = None):
        super().__init__(shared)
        self.settings = settings

    def status_text(self, lang: str, visitor: Visitor, snap: Snapshot | None, page: PageView | None = None,
                    snap_b: Snapshot | None = None) -> str:
        """The status markdown: state, step and speed, then notes (sharing, classroom, timed run, why it paused,
        settings applied or needing a reset, run B, and what a reopened page found). ``snap`` and ``snap_b`` are the
        statuses (``status()``, or the ``frame`` a poll read) of run A and run B, which the caller has read already
        (in the training worker each read is a call to it); None when there is no such run."""
        found = self._found(lang, snap, page) if page is not None else []
        lesson_line = teacher_lesson_lines(lang, visitor, snap, self.classroom)  # a lesson the teacher set
        if snap is None:
            return "\n\n".join([t(lang, "state_none"), *lesson_line, *found])
        epoch = "—" if snap.epoch is None else f"{snap.epoch:.2f}"
        lines = [t(lang, "status_line", state=t(lang, f"state_{snap.state}"), step=f"{snap.step:,}", epoch=epoch,
                   it_s=snap.it_s, elapsed=format_elapsed(snap.elapsed_s), device=snap.device)]
        if snap.phase:  # slow motion: say which update is on screen
            lines[0] += f" · **{t(lang, 'phase_' + snap.phase)}**"
        lines += self._gpu_lines(lang)
        if snap.state in (RUNNING, WAITING) and snap.sharing > 1:
            lines.append(t(lang, "sharing_note", n=snap.sharing))
        if visitor.state.moved_at_step is not None:
            lines.append(t(lang, "classroom_moved", step=f"{visitor.state.moved_at_step:,}", **CLASSROOM_2D))
        elif visitor.state.classroom:
            lines.append(t(lang, "classroom_note", **CLASSROOM_2D))
        lines += lesson_line + lesson_status(lang, snap, snap_b)
        if snap.run_left_s is not None:
            lines.append(t(lang, "run_left", left=format_elapsed(snap.run_left_s), scale=snap.lr_scale))
        if snap.run_over_s is not None:
            lines.append(t(lang, "run_over", minutes=f"{snap.run_over_s / 60:g}"))
        elif snap.step_limit is not None:
            lines.append(t(lang, "step_limit_reached", limit=f"{snap.step_limit:,}"))
        elif snap.rollback is not None:
            r = snap.rollback
            values = ", ".join(f"{n}={number(lang, v, '.4g')}" for n, v in r.values.items())
            lines.append(t(lang, "paused_reason", reason=t(lang, "rollback", step=f"{r.step:,}", values=values,
                                                           to=f"{r.to_step:,}")))
        elif snap.message == RUN_MOVED:
            lines.append(t(lang, "run_moved"))
        elif snap.message:
            lines.append(t(lang, "error_reason" if snap.state == ERROR else "paused_reason",
                           reason=failure(lang, without_paths(snap.message))))
        applied, needs_reset = visitor.state.notice
        if applied:  # the settings by their labels, as the controls name them
            lines.append(t(lang, "applied_live", fields=field_list(lang, applied)))
        if needs_reset:
            lines.append(t(lang, "needs_reset", fields=field_list(lang, needs_reset)))
        if snap_b is not None:
            lines.append(t(lang, "run_b_status", state=t(lang, f"state_{snap_b.state}"), step=f"{snap_b.step:,}",
                           it_s=snap_b.it_s, diff=run_b_label(visitor, lang)))
        return "\n\n".join(lines + found)

    def _gpu_lines(self, lang: str) -> list[str]:
        """On ZeroGPU (:class:`~ganapp.engine.zerogpu.ChunkedEngine`): the GPU time used, and left when ZeroGPU said
        so, and what happens when it runs out (or has run out), as the host chose; elsewhere nothing."""
        engine = self.registry.engine
        if not isinstance(engine, ChunkedEngine):
            return []
        gpu = engine.gpu_status()
        left = "" if gpu.left_s is None else t(lang, "zerogpu_left", left=format_elapsed(gpu.left_s))
        return [t(lang, "zerogpu_status", used=format_elapsed(gpu.used_s), left=left),
                t(lang, f"zerogpu_{'empty' if gpu.empty else 'then'}_{gpu.on_empty}")]

    @staticmethod
    def _found(lang: str, snap, page: dict) -> list[str]:
        """What a reopened page found, as a status line while it still holds: a run it re-attached to (for
        REATTACHED_NOTE_S), a run restored from its autosave (until it moves on), or one that could not be."""
        found = page.found
        if found is None:
            return []
        kind, step, until = found
        if kind == REATTACHED and time.monotonic() < until:
            return [t(lang, "found_reattached")]
        if kind == RESTORED and snap is not None and snap.state == PAUSED and snap.step == step:
            return [t(lang, "found_restored", step=f"{step:,}")]
        if kind == RESTORE_FAILED and snap is None:
            return [t(lang, "found_restore_failed")]
        page.found = None
        return []

    @guarded
    def tick(self, request: gr.Request, lang: str, held: Any = None) -> TickOutputs:
        """The Timer's tick, cheap enough for a class polling at 2 Hz: the status line, and a frame number that
        grows when there is something new to draw. The page redraws its plots (:meth:`poll`) when the frame number
        changes: at most once per ``DRAW_EVERY_S``, and less often while more than VIEW_SHARE runs share the server.
        Gradio builds a new component for every other output a poll skips, on its one event-loop thread: a tick
        costs that once, where an 11-output poll cost it ten times (benchmarks/poll_cost.py).

        ``held`` is what the page's curves hold (:data:`ganapp.ui.curves.REPORT_JS`; None from an API client): a page
        that lacks curve rows the server has sent it is redrawn as one with something new.

        Returns:
            :class:`TickOutputs` (status markdown, frame number, lesson number, the Timer's next interval in
            seconds, the count of class moves), the frame number
            unchanged when there is nothing new to draw; the lesson number is that of a lesson the teacher set that
            this visitor has not taken yet, else of the last one taken (its change makes the page take the lesson,
            see :meth:`take_lesson`). A page whose runs do not train polls every IDLE_POLL_S; one whose runs train
            polls at the Timer's rate, times sharing / VIEW_SHARE when more than VIEW_SHARE runs share the server.
            The count of class moves grows when the tick moved run A into the class's sizes; its change makes the
            page show them in its size controls.
        """
        key, visitor = self._visitor(request)
        page = self._page(request)
        run = visitor.run
        lesson = self.classroom.lesson if self.classroom is not None else None
        lesson_no = lesson[1] if lesson is not None else 0
        # one status per run (no arrays), read once: run A's and run B's in one call to the training worker
        run_b = visitor.run_b
        if run is not None and run_b is not None:
            snap, snap_b = self.registry.statuses([run, run_b])
        else:
            snap = run.status() if run is not None else None
            if self.settings is not None and self.settings.join_class(lang, key, visitor, run, snap):
                run = visitor.run  # the class arrived: the young full-size run started again in its sizes
                snap = run.status()
            snap_b = run_b.status() if run_b is not None else None
        training = any(s is not None and s.state in (RUNNING, WAITING) for s in (snap, snap_b))
        every_s = self.shared.poll_every_s if training or time.monotonic() < page.fast_until else \
            max(IDLE_POLL_S, self.shared.poll_every_s)
        moves = visitor.state.class_moves
        if run is None:
            return TickOutputs(self.status_text(lang, visitor, None, page), gr.skip(), lesson_no, every_s, moves)
        if training and time.monotonic() >= page.fast_until:
            # many runs share the server: the page ticks as much less often as it redraws (a command still
            # answers at once, and the page ticks at the full rate for a few seconds after it)
            every_s *= max(1.0, snap.sharing / VIEW_SHARE)
        status = self.status_text(lang, visitor, snap, page, snap_b)
        key = (snap.step, snap.grid_version, snap.n_scores, snap.n_view_rows, snap.phase, lang,
               None if snap_b is None else (snap_b.step, snap_b.grid_version), page.layers,
               visitor.state.gen)
        now = time.monotonic()
        fresh = key != page.frame_key or curves.page_behind(page, held)
        if not fresh or now < page.next_draw_s:
            # the same number (no redraw) is cheaper than a skip
            return TickOutputs(status, page.frame, lesson_no, every_s, moves)
        page.frame_key = key
        page.diagram = (snap.phase, dict(snap.latest))  # drawn by diagram() when the page sees the new frame
        page.next_draw_s = now + DRAW_EVERY_S * max(1.0, snap.sharing / VIEW_SHARE)
        page.frame = page.frame + 1
        return TickOutputs(status, page.frame, lesson_no, every_s, moves)

    @guarded
    def diagram(self, request: gr.Request, lang: str) -> Any:
        """The model diagram (:func:`ganapp.ui.diagram.model_diagram_svg`) in ``lang``, from the phase and values
        the last new frame of :meth:`tick` read: the page asks for it when the frame number changes (the frame key
        holds the step, the phase and the language, all the diagram shows) and when its language does, so it reads
        nothing from the training worker, and the tick keeps its one call there and its five outputs.

        Returns:
            the diagram's HTML, or ``gr.skip()`` when the page already shows that very HTML.
        """
        page = self._page(request)
        phase, values = page.diagram or ("", {})
        out = model_diagram_svg(lang, phase, values)
        if out == page.diagram_sent:
            return gr.skip()
        page.diagram_sent = out
        return out

    @guarded
    def poll(self, request: gr.Request, lang: str, held: Any = None) -> PollOutputs:
        """Read the visitor's snapshot and redraw what changed (the page calls it when :meth:`tick` says so).
        ``held`` is what the page's curves hold (:data:`ganapp.ui.curves.REPORT_JS`); None (an API client) takes
        the page to hold what was sent.

        Returns:
            :class:`PollOutputs`: the status markdown, loss plot, scores plot, grid image, 2D view plot, quality
            plot and its caption, 2D metrics plot, mode-collapse alert, run B's 2D view and grid, the curves' new
            points as a delta for :data:`ganapp.ui.curves.EXTEND_JS`; ``gr.skip()`` where unchanged. The curve
            plots are full figures only when the page has none of this run yet (see
            :func:`ganapp.ui.curves.poll_curves`). The quality plot shows only for MNIST
            runs with live scores, the 2D metrics and the alert only for 2D data.
        """
        _, visitor = self._visitor(request)
        page = self._page(request)
        run = visitor.run
        if run is None:
            return PollOutputs(self.status_text(lang, visitor, None, page), *[gr.skip()] * 11)
        drawn = page.drawn
        if drawn.get("gen") != visitor.state.gen:  # a new run, or new settings: redraw everything
            drawn = {}
        # the arrays come only when newer than those drawn in this language; the curves read the rows themselves
        same_lang = drawn.get("lang") == lang
        snap = run.frame(drawn.get("grid_version") if same_lang else None)
        run_b = visitor.run_b
        snap_b = run_b.frame(drawn.get("grid_version_b") if same_lang else None) if run_b is not None else None
        status = self.status_text(lang, visitor, snap, page, snap_b)
        out_grid = out_scatter = gr.skip()
        smoothing = page.smoothing if page.smoothing is not None else plots.DEFAULT_SMOOTHING
        signature = (visitor.state.gen, lang, smoothing, id(run), id(run_b), snap.config.loss)
        out_loss, out_scores, out_delta = curves.poll_curves(lang, page, run, run_b, snap.config.loss,
                                                              signature, smoothing, HISTORY_POINTS, held)
        if drawn.get("grid_version") != snap.grid_version or drawn.get("lang") != lang:
            # beside a run B, run A's view and grid say that they are run A's
            title_a = f"{t(lang, 'run_a')} · {t(lang, 'scatter')}" if run_b is not None else None
            if snap.points is not None:  # 2D data: the view replaces the grid
                out_scatter = gr.update(value=self._view_figure(lang, page, snap, title_a), visible=True)
                out_grid = gr.update(visible=False) if drawn.get("kind") != "2d" else gr.skip()
            elif snap.grid is not None:
                label = t(lang, "grid") if run_b is None else f"{t(lang, 'run_a')} · {t(lang, 'grid')}"
                relabel = {"label": label} if (page.grid_label or t(lang, "grid")) != label else {}
                page.grid_label = label  # (an update with a label costs more to send: only when it changes)
                out_grid = gr.update(value=upscale(snap.grid, 2), visible=True, **relabel)
                out_scatter = gr.update(visible=False) if drawn.get("kind") != "image" else gr.skip()
        out_quality = out_caption = out_metrics2d = out_alert = gr.skip()
        if drawn.get("scores") != len(snap.scores) or drawn.get("lang") != lang:
            out_quality, out_caption = self._quality(lang, snap)
        if drawn.get("view_rows") != len(snap.view_metrics) or drawn.get("lang") != lang:
            out_metrics2d, out_alert = self._metrics2d(lang, snap, snap_b)
        out_run_b_view = out_run_b_grid = gr.skip()
        version_b = snap_b.grid_version if snap_b is not None else None
        if drawn.get("grid_version_b") != version_b or drawn.get("lang") != lang:
            out_run_b_view, out_run_b_grid = self._run_b_views(lang, visitor, page, snap_b)
        kind = drawn.get("kind") if snap.points is None and snap.grid is None else \
            ("2d" if snap.points is not None else "image")
        page.drawn = {"gen": visitor.state.gen, "step": snap.step, "grid_version": snap.grid_version, "lang": lang,
                      "kind": kind, "scores": len(snap.scores), "view_rows": len(snap.view_metrics),
                      "grid_version_b": version_b}
        outputs = PollOutputs(status, out_loss, out_scores, out_grid, out_scatter, out_quality, out_caption,
                              out_metrics2d, out_alert, out_run_b_view, out_run_b_grid, out_delta)
        return PollOutputs(*(self._lean(page, name, out) for name, out in zip(PollOutputs._fields, outputs)))

    @staticmethod
    def _lean(page: PageView, slot: str, out: Any) -> Any:
        """A poll output as cheap to send as it can be: an update that only repeats the visibility the page already
        shows becomes its plain value (or a skip). Gradio rebuilds a component's config, pydantic schema included, for
        every update, a skip included, on the one event-loop thread of the server; a plain value or None costs a
        fraction of that (benchmarks/poll_cost.py)."""
        if not (isinstance(out, dict) and out.get("__type__") == "update") or set(out) - {"__type__", "value",
                                                                                        "visible"}:
            return out
        shown = page.visible
        if "visible" in out and shown.get(slot) != out["visible"]:
            shown[slot] = out["visible"]
            return out
        if "value" in out:
            return out["value"]
        return None if shown.get(slot) is False else gr.skip()  # a hidden output: None is cheaper than a skip

    def _run_b_views(self, lang: str, visitor: Visitor, page: PageView, snap_b) -> tuple:
        """(2D view of run B, grid of run B): shown beside run A's while a side-by-side run exists."""
        if snap_b is None:
            return gr.update(visible=False), gr.update(visible=False)
        if snap_b.points is not None:
            fig = self._view_figure(lang, page, snap_b, t(lang, "run_b") + " · " + run_b_label(visitor, lang))
            return gr.update(value=fig, visible=True), gr.update(visible=False)
        grid = upscale(snap_b.grid, 2) if snap_b.grid is not None else None
        return gr.update(visible=False), gr.update(value=grid, visible=True, label=t(lang, "run_b") + " · "
                                                   + run_b_label(visitor, lang))

    @staticmethod
    def _view_figure(lang: str, page: PageView, snap, title: str | None = None):
        layers = tuple(page.layers if page.layers is not None else plots.LAYERS)
        title = (title or t(lang, "scatter")) + (f" · {t(lang, 'phase_' + snap.phase)}" if snap.phase else "")
        labels = {k: t(lang, k) for k in ("real", "fake", "decision", "critic", "arrows", "manifold")}
        return plots.view2d_figure(snap.view, snap.points, snap.config.dataset, layers, title, labels)

    @staticmethod
    def _metrics2d(lang: str, snap, snap_b=None) -> tuple:
        """(2D metrics plot update, alert update): hidden for image data. Run B's G pull is drawn beside run A's."""
        if not snap.view_metrics:
            return gr.update(visible=False), gr.update(value="", visible=False)
        labels = {k: t(lang, "m2d_" + k) for k in ("kl", "js", "modes", "high_quality", "reverse_kl", "g_grad",
                                                    "g_grad_b")}
        rows_b = snap_b.view_metrics if snap_b is not None else None
        fig = plots.metrics2d_figure(snap.view_metrics, t(lang, "metrics2d_plot"), t(lang, "step_axis"), labels,
                                     rows_b)
        alert = collapse_alert(snap.view_metrics)
        last = snap.view_metrics[-1]
        text = t(lang, f"alert_{alert}", modes=last.get("modes"), n_modes=last.get("n_modes")) if alert else ""
        return gr.update(value=fig, visible=True), gr.update(value=text, visible=bool(alert))

    @staticmethod
    def _quality(lang: str, snap) -> tuple:
        """(plot update, caption) for the live MNIST scores; both hidden while there are none."""
        rows = [r for r in snap.scores if "frechet_distance" in r]
        if not rows:
            return gr.update(visible=False), gr.update(value="", visible=False)
        last = rows[-1]
        fig = plots.quality_figure(rows, t(lang, "quality_plot"), t(lang, "step_axis"), t(lang, "fd"),
                                   t(lang, "fd_floor"), t(lang, "class_hist"))
        caption = t(lang, "quality_caption", step=f"{last['step']:,}", fd=last["frechet_distance"],
                    floor=last["fd_floor"], classes=last["classes"], kl=last["kl_uniform"],
                    confident=last["confident"], n=last["n"])
        if "label_accuracy" in last:  # a conditional G: does each digit match the label it was given?
            caption += " " + t(lang, "label_accuracy_note", accuracy=last["label_accuracy"])
        return gr.update(value=fig, visible=True), gr.update(value=caption, visible=True)

    @guarded
    def snapshot_api(self, request: gr.Request) -> dict:
        """JSON summary of this visitor's run for API clients: state, step, epoch, it/s, history rows, and a
        timed run's seconds left and learning-rate multiplier."""
        _, visitor = self._visitor(request)
        if visitor.run is None:
            return {"state": "none", "step": 0, "history_rows": 0}
        snap = visitor.run.snapshot(since=0)
        return {"state": snap.state, "step": snap.step, "epoch": snap.epoch, "it_s": snap.it_s,
                "elapsed_s": snap.elapsed_s, "device": snap.device, "message": snap.message,
                "history_rows": len(snap.metrics["step"]), "grid_version": snap.grid_version,
                "run_left_s": snap.run_left_s, "lr_scale": snap.lr_scale,
                "last": {k: v[-1] for k, v in snap.metrics.items()} if snap.metrics["step"] else None}
