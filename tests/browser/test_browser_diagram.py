"""Issue 26, part 2, in a real browser: Step D lights D's path on the model diagram and not G's, and the diagram
shares the first 1366 × 768 screen with Start and the curves."""

import pytest
from browsing import NEEDS_CHROMIUM, chromium, open_page, pick

pytestmark = NEEDS_CHROMIUM

# whether a part of the diagram is lit, by its data-part (see ganapp.ui.diagram)
_LIT_JS = """(part) => { const e = document.querySelector(`#model-diagram [data-part="${part}"]`);
                          return e ? e.getAttribute('data-lit') || '' : null; }"""
_IS_LIT_JS = """([part, phase]) => { const e = document.querySelector(`#model-diagram [data-part="${part}"]`);
                                  return !!e && e.getAttribute('data-lit') === phase; }"""
# an element's box in the window, and whether the point near its top centre shows it (not covered)
_BOX_JS = """(s) => { const e = document.querySelector(s); if (!e) return null; const r = e.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + Math.min(r.height / 2, 10));
    return {top: r.top, bottom: r.bottom, height: r.height, shown: !!hit && (e === hit || e.contains(hit))}; }"""


@pytest.fixture
def laptop(served_app):
    """A page of the served app at a classroom laptop's 1366 × 768, in English."""
    url, demo = served_app
    with chromium() as browser:
        yield open_page(browser, url)
    registry = demo.ganapp.registry
    for vid in registry.visitor_ids():  # a closed page's run lives on until the idle timeout: free it now
        registry.remove(vid)


def test_step_d_lights_d_and_not_g_in_the_first_screen(laptop):
    pg = laptop
    pg.wait_for_selector("#model-diagram svg")
    assert pg.evaluate(_LIT_JS, "D") == "" and pg.evaluate(_LIT_JS, "G") == ""  # nothing lit before an update
    pick(pg, "dataset", "ring8")
    pg.wait_for_function("() => document.querySelector('#model input').value === 'mlp'")
    pg.click("#step-d")
    pg.wait_for_function(_IS_LIT_JS, arg=["D", "d"], timeout=60_000)
    assert pg.evaluate(_LIT_JS, "G") == "" and pg.evaluate(_LIT_JS, "g_loss") == ""
    assert pg.evaluate(_LIT_JS, "d_loss") == "d"
    caption = pg.locator("#model-diagram [data-part=caption]").text_content()
    assert "D update" in caption and "G is frozen" in caption, caption
    # what the diagram, Start and the curves take of the first screen (picking the dataset scrolled down to its menu)
    pg.evaluate("() => window.scrollTo(0, 0)")
    pg.wait_for_function("() => window.scrollY === 0")
    diagram, start = pg.evaluate(_BOX_JS, "#model-diagram svg"), pg.evaluate(_BOX_JS, "#start")
    curves = pg.evaluate(_BOX_JS, "#loss-plot")
    assert diagram["shown"] and start["shown"], (diagram, start)
    assert 0 <= diagram["top"] and diagram["bottom"] <= 768 and start["bottom"] <= 768, (diagram, start)
    assert diagram["height"] <= 140, diagram  # one short row
    assert curves["shown"] and curves["bottom"] <= 768, curves  # the curves, whole, on the first screen too

    pg.click("#step-g")
    pg.wait_for_function(_IS_LIT_JS, arg=["G", "g"], timeout=60_000)
    assert pg.evaluate(_LIT_JS, "D") == "" and pg.evaluate(_LIT_JS, "d_loss") == ""
