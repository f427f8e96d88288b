"""The curves' deltas follow what the page reports holding, not what the server sent (issue 23, item 10)."""

import gradio as gr
import numpy as np

from ganapp.ui import curves

from conftest import req, tiny_2d, wait_until


def _report(out_loss) -> dict:
    """What a page that drew the full figure ``out_loss`` (and nothing after it) reports."""
    fig = out_loss.layout.meta["ganapp_curves"]
    steps = {}
    for trace in out_loss.data:
        steps[trace.meta] = int(trace.x[-1]) if len(trace.x) else curves.NO_ROWS
    return {"fig": fig, "step": steps}


def test_a_page_gets_the_rows_after_what_it_holds_and_waits_for_a_figure_on_its_way(app, monkeypatch):
    app.registry.new_run("r", tiny_2d())
    session = app.registry.visitor("r").run
    session.step(30)
    assert wait_until(lambda: session.snapshot(None).step == 30 and session.state == "paused", 20)
    first = app.live.poll(req("r"), "en", {"fig": None, "step": None})
    assert len(first.loss_plot.data) == 4 and {tr.meta for tr in first.loss_plot.data} == {"a"}
    held = _report(first.loss_plot)
    assert held["step"] == {"a": 30}
    session.step(10)
    assert wait_until(lambda: session.snapshot(None).step == 40 and session.state == "paused", 20)
    # the delta was lost in the browser: the page still reports step 30, and gets the rows after it again
    for _ in range(2):
        out = app.live.poll(req("r"), "en", held)
        assert out.loss_plot == gr.skip() and out.curve_delta["after"] == {"a": 30}
        part = out.curve_delta["plots"]["loss-plot"]
        assert part["x"][0] == list(range(31, 41)) and out.curve_delta["fig"] == held["fig"]
    page = app.registry.page("r")
    assert curves.page_behind(page, held) and not curves.page_behind(page, {**held, "step": {"a": 40}})
    assert not curves.page_behind(page, None)  # an API client reports nothing
    # the smoothed line goes on from the EMA state at step 30, as the line drawn whole
    history = session.rows_since(-1)
    rows = np.column_stack([history[k] for k in ("step", "d_loss", "g_loss", "d_x", "d_g_z")])
    line = out.curve_delta["plots"]["loss-plot"]["y"][1]  # d_loss's smoothed line
    from ganapp.ui.plots import DEFAULT_SMOOTHING, ema
    np.testing.assert_allclose(line, ema(rows[:, 1], DEFAULT_SMOOTHING)[30:40])
    # a new full figure (the smoothing changed) is on its way: the page, still showing the old one, waits for it
    app.train.set_smoothing(req("r"), "en", 0.3)
    second = app.live.poll(req("r"), "en", held)
    assert second.loss_plot != gr.skip() and second.loss_plot.layout.meta["ganapp_curves"] != held["fig"]
    waited = app.live.poll(req("r"), "en", held)
    assert waited.loss_plot == gr.skip() and waited.curve_delta == gr.skip()
    assert curves.page_behind(page, held)  # so the tick asks for a poll again, until the page shows it
    # and once it shows it, the rows that poll owed it are still owed: a tick asks for them (the run may have
    # paused since, and nothing else would make the page poll again)
    drawn_second = _report(second.loss_plot)
    assert curves.page_behind(page, drawn_second)
    app.live.poll(req("r"), "en", drawn_second)
    assert not curves.page_behind(page, drawn_second)
    monkeypatch.setattr(curves, "FIGURE_WAIT_S", 0.0)  # ... or a figure that never shows is sent again
    assert app.live.poll(req("r"), "en", held).loss_plot != gr.skip()
    # a malformed report (a page cannot be trusted) reads as "no figure": a full figure, nothing worse
    monkeypatch.setattr(curves, "FIGURE_WAIT_S", 0.0)
    for bad in ("x", {"fig": "1"}, {"fig": True}, {"fig": 2, "step": {"a": "1; drop"}}, {"fig": 2, "step": {"z": 1}}):
        assert app.live.poll(req("r"), "en", bad).loss_plot != gr.skip(), bad


def test_a_tick_asks_for_a_redraw_while_the_page_lacks_rows_it_was_sent(app, monkeypatch):
    import ganapp.ui.live as live

    monkeypatch.setattr(live, "DRAW_EVERY_S", 0.0)
    app.registry.new_run("k", tiny_2d())
    session = app.registry.visitor("k").run
    session.step(5)
    assert wait_until(lambda: session.snapshot(None).step == 5 and session.state == "paused", 20)
    app.registry.page("k").fast_until = 0.0
    frame = app.live.tick(req("k"), "en").frame
    held = _report(app.live.poll(req("k"), "en", {"fig": None, "step": None}).loss_plot)
    assert app.live.tick(req("k"), "en", held).frame == frame  # the page holds all there is: nothing to draw
    session.step(3)
    assert wait_until(lambda: session.snapshot(None).step == 8 and session.state == "paused", 20)
    frame = app.live.tick(req("k"), "en", held).frame  # new rows: a redraw
    app.live.poll(req("k"), "en", held)  # their delta never reaches the plot ...
    assert app.live.tick(req("k"), "en", held).frame == frame + 1  # ... so the next tick asks again
    assert app.live.tick(req("k"), "en", {**held, "step": {"a": 8}}).frame == frame + 1  # until it holds them
