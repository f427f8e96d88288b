"""In a real browser: an early arrival's full-size run joins the class's sizes when the class comes, and the page
says so and shows the sizes."""

import pytest

from test_browser_page import CHROMIUM, page  # noqa: F401 (the page fixture)

from conftest import req, wait_until

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="chromium is not installed (apt-get install chromium)")


def test_an_early_arrivals_run_joins_the_class_and_the_page_says_so_and_shows_the_sizes(page, served_app):
    app = served_app[1].ganapp
    registry = app.registry
    assert registry.classroom is None and registry.classroom_from == 4  # automatic, as a host starts it
    dataset = page.locator("#dataset input")
    dataset.click()
    dataset.fill("ring8")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#model input').value === 'mlp'")
    page.get_by_text("Advanced", exact=True).first.click()  # the accordion that holds the widths
    page.click("#start")  # alone on the server: the full sizes
    page.wait_for_function("() => document.querySelector('#ganapp-status').innerText.includes('running')")
    run = next(v.run for v in list(registry._visitors.values()) if v.run is not None)
    assert (run.config.g_width, run.config.batch_size) == (128, 256)
    assert page.locator("#g-width input").input_value() == "128"
    classmates = [f"classmate-{i}" for i in range(3)]

    def class_arrived() -> bool:  # three classmates' pages keep ticking until the page shows the move
        for name in classmates:
            app.live.tick(req(name), "en")
        return "the class has arrived" in page.locator("#ganapp-status").inner_text()

    try:
        assert wait_until(class_arrived, 30, every_s=0.5)
    finally:  # the classmates close their pages: the next test on this server is alone again
        for name in classmates:
            app.unload(req(name))
    page.wait_for_function("() => document.querySelector('#g-width input').value === '64'"
                           " && document.querySelector('#d-width input').value === '64'"
                           " && document.querySelector('#batch-size input').value === '128'")
    moved = next(v.run for v in list(registry._visitors.values()) if v.run is not None)
    assert moved is not run and (moved.config.g_width, moved.config.batch_size) == (64, 128)
    assert wait_until(lambda: moved.snapshot(None).step > 0 and moved.state == "running", 20)
    status = page.locator("#ganapp-status").inner_text()
    assert "with the class's sizes (width 64, batch 128) after" in status and "to rebuild the networks" not in status
