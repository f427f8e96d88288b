"""The Train tab on a phone (390 × 844): Start's answer, the status and the curves, shows below the run buttons
without scrolling past the settings, and the formula is not clipped (issue 23, item 11)."""


from browsing import ARGS, CHROMIUM, NEEDS_CHROMIUM

pytestmark = NEEDS_CHROMIUM

PHONE = {"width": 390, "height": 844}
# where the formula's last glyph ends, and whether its box scrolls sideways (a long one may, but nothing is cut off)
FORMULA_JS = """() => { const f = document.querySelector('#formula'), d = f.querySelector('.katex-display');
  const glyphs = Array.from(f.querySelectorAll('.katex-html *')).map((e) => e.getBoundingClientRect().right);
  return {right: Math.max(...glyphs), box: f.getBoundingClientRect().right,
          scrolls: !!d && getComputedStyle(d).overflowX === 'auto' && d.scrollWidth > d.clientWidth}; }"""


def test_on_a_phone_start_answers_on_screen_and_the_formula_is_whole(served_app):
    from playwright.sync_api import sync_playwright

    url, demo = served_app
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True).new_page()
            page.set_default_timeout(60_000)
            page.goto(url)
            page.wait_for_selector("#start")
            page.wait_for_selector("#formula .katex-html")
            formula = page.evaluate(FORMULA_JS)
            assert formula["right"] <= formula["box"] + 1 or formula["scrolls"], formula
            assert formula["right"] <= PHONE["width"] or formula["scrolls"], formula
            page.locator("#start").tap()
            page.wait_for_function("() => /running|waiting/.test(document.querySelector('#ganapp-status').innerText)",
                                   timeout=60_000)
            assert page.evaluate("() => window.scrollY") == 0  # nothing scrolled: the answer is on screen
            status = page.locator("#ganapp-status").bounding_box()
            assert 0 <= status["y"] and status["y"] + status["height"] <= PHONE["height"], status
            start = page.locator("#start").bounding_box()
            assert start["y"] + start["height"] <= status["y"]  # right below the run buttons
            curves = page.locator("#loss-plot").bounding_box()
            settings = page.locator("#dataset").bounding_box()
            assert status["y"] < curves["y"] < settings["y"], (status, curves, settings)  # before the settings
            assert curves["y"] < PHONE["height"]  # and it begins on the first screen
            page.locator("#pause").tap()
        finally:
            browser.close()
            for vid in demo.ganapp.registry.visitor_ids():
                demo.ganapp.registry.remove(vid)
