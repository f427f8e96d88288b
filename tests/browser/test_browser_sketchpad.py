"""The sketchpad in a real browser: a stroke drawn the moment the pad shows counts, and the drawing box's help is not
hidden under the sticky run buttons (issue 23, item 13)."""


from browsing import NEEDS_CHROMIUM, PAD_LATE_MS, SLOW_PAD_JS, chromium, open_page

pytestmark = NEEDS_CHROMIUM

# on screen, and the element itself (not the sticky run buttons) at its top-left corner
UNCOVERED_JS = """(s) => { const e = document.querySelector(s); if (!e) return false; const r = e.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + 8, r.top + 6);
    return r.top >= 0 && r.bottom <= innerHeight + 1 && !!hit && (e === hit || e.contains(hit)); }"""
# the middle of the pad's canvas, as soon as it shows whole on screen; null before
PAD_SHOWN_JS = """() => { const c = document.querySelector('#sketch canvas'); if (!c) return null;
    const r = c.getBoundingClientRect();
    return r.height > 100 && r.top >= 0 && r.bottom <= innerHeight + 1 ? [r.left + r.width / 2, r.top + r.height / 2] : null; }"""


def test_a_stroke_drawn_as_the_pad_opens_counts_and_its_help_shows(served_app):
    url, demo = served_app
    with chromium() as browser:
        try:
            page = open_page(browser, url)
            page.evaluate(SLOW_PAD_JS, ["#sketch", PAD_LATE_MS])
            page.get_by_text("Draw your own distribution", exact=False).first.click()
            # the box scrolls to just below the sticky run buttons as the pad shows: draw there at once, while the
            # pad is not ready
            x, y = page.wait_for_function(PAD_SHOWN_JS).json_value()
            page.mouse.move(x - 60, y)
            page.mouse.down()
            for i in range(8):
                page.mouse.move(x - 60 + 15 * i, y + (i % 2) * 20)
            page.mouse.up()
            for selector in ("#draw-help", "#sketch", "#use-drawing"):
                assert page.evaluate(UNCOVERED_JS, selector), selector
            assert "Layer 1" not in page.locator("#draw-box").inner_text()  # no layer menu in English
            page.wait_for_function("() => window.editor && window.editor.layer_manager.get_active_layer()"
                                   " && !document.querySelector('#sketch').dataset.holding")  # the pad is ready now
            page.click("#use-drawing")
            page.wait_for_function("() => document.body.innerText.includes('the dataset is now drawn')"
                                   " || document.querySelectorAll('.toast-body').length")
            assert page.locator(".toast-body").count() == 0, page.locator(".toast-body").all_inner_texts()
            assert page.locator("#dataset input").input_value() == "drawn"
        finally:
            for vid in demo.ganapp.registry.visitor_ids():
                demo.ganapp.registry.remove(vid)
