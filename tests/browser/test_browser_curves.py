"""The live curves in a real browser: every row of a run's history reaches the plots once, in order, with no gap, even
when the browser draws a full figure late (issue 23, item 10: steps 58-127 went missing after the first full figure,
whose Plotly module was still loading when the first delta arrived)."""

import contextlib
import time

from browsing import ARGS, CHROMIUM, NEEDS_CHROMIUM, pick

pytestmark = NEEDS_CHROMIUM

PLOTLY_LATE_S = 3.0  # the Plot component's Plotly module arrives this late: a slow laptop parsing 4.5 MB
REDRAW_LATE_MS = 1500  # and every full figure after the first is drawn this late: more than a poll's interval

# every trace of both curve plots, as {plot: [[x ...] per trace]}
TRACES_JS = """() => Object.fromEntries(['loss-plot', 'scores-plot'].map((id) => {
  const el = document.querySelector(`#${id} .js-plotly-plot`);
  if (!el || !el.data) return [id, []];
  return [id, el.data.map((t, i) => Array.from(Array.isArray(t.x) ? t.x : ((el._fullData || [])[i] || {}).x || []))];
}))"""


CAUGHT_UP_JS = """(n) => ['loss-plot', 'scores-plot'].every((id) => {
  const p = document.querySelector(`#${id} .js-plotly-plot`);
  return p && p.data && p.data.length && p.data.every((t, i) => {
    const xs = Array.isArray(t.x) ? t.x : ((p._fullData || [])[i] || {}).x || [];
    return xs.length && xs[xs.length - 1] === n; }); })"""


def _train_and_compare(page, registry, n_steps: int, total: int) -> None:
    """Press Step for ``n_steps`` steps, wait until the run is at ``total`` and the page's traces end there, then
    compare every trace's x values with the run's history: 1..total, each once, in order."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    page.get_by_label("Steps per click").fill(str(n_steps))
    page.click("#step")
    page.wait_for_function("(n) => new RegExp(`step ${n}\\\\b`).test(document.querySelector('#ganapp-status')"
                           ".innerText)", arg=total, timeout=120_000)
    sessions = [v.run for _, v in registry.visitors()
                if v.run is not None and v.run.config.dataset == "ring8"]
    assert len(sessions) == 1
    history = [int(s) for s in sessions[0].rows_since(-1)["step"]]
    assert history == list(range(1, total + 1))
    # the page catches up with the run: each trace ends at its last row (a row it lacks is sent again); if it
    # never does, the assertions below say what it lacks
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(CAUGHT_UP_JS, arg=total, timeout=60_000)
    traces = page.evaluate(TRACES_JS)
    for plot_id in ("loss-plot", "scores-plot"):
        assert len(traces[plot_id]) == 4  # each metric's faint raw trace and its smoothed line
        for xs in traces[plot_id]:
            assert xs == history, (plot_id, len(xs), [(a, b) for a, b in zip(xs, xs[1:]) if b != a + 1][:5])


def test_every_row_reaches_the_curves_once_in_order_when_figures_are_drawn_late(served_app, monkeypatch):
    from playwright.sync_api import sync_playwright

    from ganapp.ui import curves

    url, demo = served_app
    registry = demo.ganapp.registry
    n_steps = 400  # twice: fewer than the plots' 1,000 points, so the figures are not downsampled and x is 1..800

    def plotly_late(route):
        time.sleep(PLOTLY_LATE_S)
        route.continue_()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_context(viewport={"width": 1400, "height": 1500}, locale="en-US").new_page()
            page.set_default_timeout(60_000)
            page.route("**/PlotlyPlot-*.js", plotly_late)
            page.goto(url)
            page.wait_for_selector("#start")
            pick(page, "dataset", "ring8")
            page.wait_for_function("() => document.querySelector('#model input').value === 'mlp'")
            # the first full figure waits for Plotly's module while the first deltas arrive
            _train_and_compare(page, registry, n_steps, n_steps)
            # then a full figure every 60 new points, each drawn late while the deltas that follow it arrive: the
            # run switches from full figures to deltas and back, with a redraw pending in the middle of deltas
            monkeypatch.setattr(curves, "FULL_REDRAW_POINTS", 60)
            page.evaluate("""(ms) => { const react = window.Plotly.react.bind(window.Plotly);
                window.Plotly.react = (...a) => new Promise((done) => setTimeout(() => done(react(...a)), ms)); }""",
                          REDRAW_LATE_MS)
            _train_and_compare(page, registry, n_steps, 2 * n_steps)
        finally:
            browser.close()
            for vid in registry.visitor_ids():
                registry.remove(vid)
