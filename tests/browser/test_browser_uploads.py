"""The dataset menu and the folder dataset's uploads in a real browser (issue 23, items 8 and 9): a server without
fashion_mnist's files does not offer it; uploads add up, the page says what Start will train on and can clear it, two
.zip files and a loose image all train, and an 8,000 × 8,000 picture is named at once."""

import re
from pathlib import Path

import pytest

from upload_files import huge_png, png, shapes_zip
from browsing import ARGS, CHROMIUM, NEEDS_CHROMIUM, pick

pytestmark = NEEDS_CHROMIUM

NOTE = "() => document.querySelector('#data-files-note').innerText"


def _menu(page, elem_id: str) -> list[str]:
    page.locator(f"#{elem_id} input").click()
    page.wait_for_selector("[role=option]")
    options = page.locator("[role=option]").all_inner_texts()
    page.keyboard.press("Escape")
    return [o.replace("✓", "").strip() for o in options]


def _upload(page, path: Path) -> None:
    """Add one file to the upload box, as dropping it there would."""
    page.locator("#data-files input[type=file]").set_input_files(str(path))


def test_the_menu_and_the_uploads_say_what_this_server_will_train_on(served_app, tmp_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    url, demo = served_app
    registry = demo.ganapp.registry
    monkeypatch.setenv("GANAPP_DATA_DIR", str(tmp_path / "no-data"))  # this server holds no dataset files ...
    monkeypatch.setitem(registry.run_kwargs, "download", False)  # ... and may not download them
    shapes, red = shapes_zip(tmp_path / "shapes.zip"), png(tmp_path / "red.png")
    more, big = shapes_zip(tmp_path / "more.zip", n=10), huge_png(tmp_path / "big.png")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_context(viewport={"width": 1400, "height": 1500}, locale="en-US").new_page()
            page.set_default_timeout(60_000)
            page.goto(url)
            page.wait_for_selector("#start")
            page.wait_for_function("() => !!document.querySelector('#dataset input')")
            offered = _menu(page, "dataset")
            assert "mnist_10k" in offered and "folder" in offered and "ring8" in offered, offered
            assert not {"mnist", "fashion_mnist", "cifar10"} & set(offered), offered
            pick(page, "dataset", "folder")
            page.wait_for_selector("#data-files", state="visible")
            _upload(page, shapes)
            page.wait_for_function(f"() => ({NOTE})().includes('24 images')")
            _upload(page, red)  # the box adds it to the list: both are trained on, and the page says so
            page.wait_for_function(f"() => ({NOTE})().includes('25 images to train on: 24 from shapes.zip, "
                                   f"1 from red.png')")
            page.click("#clear-files")
            page.wait_for_function(f"() => ({NOTE})().trim() === ''")
            assert "shapes.zip" not in page.locator("#data-files").inner_text()
            _upload(page, big)  # named at once from its header, never decoded
            page.wait_for_function(f"() => ({NOTE})().includes('big.png is 8,000 × 8,000 pixels')")
            page.click("#clear-files")
            page.wait_for_function(f"() => ({NOTE})().trim() === ''")
            for path in (shapes, more, red):  # two .zip files and a loose image
                _upload(page, path)
            page.wait_for_function(f"() => ({NOTE})().includes('35 images to train on')")
            page.click("#step")  # one step: the status says how much of an epoch it was
            page.wait_for_function("() => /step 1 · epoch/.test(document.querySelector('#ganapp-status').innerText)",
                                   timeout=60_000)
            runs = [v.run for _, v in registry.visitors() if v.run is not None]
            assert len(runs) == 1 and runs[0].config.dataset == "folder"
            config = runs[0].config
            epoch = float(re.search(r"epoch ([\d.]+)", page.locator("#ganapp-status").inner_text())[1])
            # every image of both .zip files and the loose one: one step's real samples over 35 images, not over 1
            assert epoch == pytest.approx(config.batch_size * config.n_critic / 35, abs=0.01), (epoch, config)
            toasts = page.locator(".toast-body").all_inner_texts()
            assert not any("/tmp" in t or str(tmp_path) in t for t in toasts), toasts
        finally:
            browser.close()
            for vid in registry.visitor_ids():
                registry.remove(vid)
