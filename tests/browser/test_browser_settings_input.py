"""In a real browser: a setting the visitor edits reaches the running run alone, and values the page fills in (a
dataset's defaults) change nothing in it until Reset."""

import pytest

from test_browser_page import CHROMIUM, page  # noqa: F401 (the page fixture)

from conftest import wait_until

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="chromium is not installed (apt-get install chromium)")


def _running_ring8(page, served_app):
    """Choose ring8 on the page, press Start, and return the page's run once it trains."""
    registry = served_app[1].ganapp.registry
    dataset = page.locator("#dataset input")
    dataset.click()
    dataset.fill("ring8")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#model input').value === 'mlp'")  # the 2D defaults
    page.click("#start")
    page.wait_for_function("() => document.querySelector('#ganapp-status').innerText.includes('running')")
    runs = [v.run for v in list(registry._visitors.values()) if v.run is not None]
    assert len(runs) == 1
    return runs[0]


def test_another_dataset_chosen_while_a_run_trains_fills_the_page_and_leaves_the_run_as_it_is(page, served_app):
    run = _running_ring8(page, served_app)
    before = run.config
    page.get_by_text("Advanced", exact=True).first.click()  # the accordion that holds γ
    page.wait_for_function("() => document.querySelector('#r1-gamma input').value === '0.03'")  # ring8's
    dataset = page.locator("#dataset input")
    dataset.click()
    dataset.fill("grid25")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#r1-gamma input').value === '0.1'")  # grid25's defaults
    page.wait_for_function(
        "() => document.querySelector('#ganapp-status').innerText.includes('Changed Dataset: press Reset')")
    # one more edit of the visitor's own, after the page filled grid25's defaults: the controls now describe a grid25
    # run, so it belongs to that run and waits for the Reset too; once it shows in the note, any event the filling
    # fired has long been handled as well
    box = page.locator("#lr-d input")
    box.click()
    box.press("Control+a")
    box.press_sequentially("0.0005")
    page.wait_for_function("() => document.querySelector('#ganapp-status').innerText"
                           ".includes('Changed Dataset, Learning rate of D: press Reset')")
    after = run.config  # the ring8 run trains on as it was: not grid25's R1, nor half of grid25's setup
    assert after == before and after.r1_gamma == 0.03 and after.dataset == "ring8"


def test_a_learning_rate_typed_key_by_key_reaches_the_run_with_its_last_value(page, served_app):
    run = _running_ring8(page, served_app)
    sizes = (run.config.g_width, run.config.batch_size)
    box = page.locator("#lr-g input")
    box.click()
    box.press("Control+a")
    box.press_sequentially("0.00025")  # an input event per key, sent while the first one (0: refused) is pending
    assert wait_until(lambda: run.config.lr_g == 0.00025, 20), run.config.lr_g
    page.wait_for_function(
        "() => document.querySelector('#ganapp-status').innerText.includes('Applied while training: Learning rate of G')")
    assert (run.config.g_width, run.config.batch_size) == sizes and run.state == "running"
