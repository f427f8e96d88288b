"""Issue 26, part 4 in a real browser, in English and Chinese: upload a digit in the Explore tab, press "Find its z",
and see the match, its distance, and the z sliders and the label moved to the z found."""

import numpy as np
import pytest
import torch
from PIL import Image

from ganapp.ui.i18n import t

from browsing import NEEDS_CHROMIUM, PAD_LATE_MS, SLOW_PAD_JS, chromium, open_page

pytestmark = NEEDS_CHROMIUM

SLIDER_JS = "(i) => Number(document.querySelector(`#z-slider-${i} input[type=number]`).value)"


def _seven(path):
    """A PNG of one of the shipped conditional G's 7s, as a visitor would upload it."""
    from ganapp.gan.checkpoints import CHECKPOINT_DIR, load_checkpoint
    from ganapp.gan.latent import seed_to_z
    from ganapp.gan.models import eval_mode, generate

    ckpt = load_checkpoint(CHECKPOINT_DIR / "mnist_cond_dcgan.safetensors")
    with eval_mode(ckpt.G):
        x = generate(ckpt.G, seed_to_z(3, 64), torch.tensor([7]))[0, 0]
    Image.fromarray(((x.numpy() + 1) * 127.5).round().astype(np.uint8)).save(path)
    return path


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_uploaded_digit_is_matched_and_the_sliders_move_to_its_z(served_app, tmp_path, monkeypatch, lang):
    from ganapp.ui import explore

    monkeypatch.setattr(explore, "PROJECT_STEPS", 20)  # the served app runs in this process: a cheap search
    monkeypatch.setattr(explore, "PROJECT_STARTS", 2)
    url, demo = served_app
    try:
        with chromium() as browser:
            page = open_page(browser, url)
            if lang == "zh":
                page.get_by_label("简体中文").check()
                page.wait_for_function("() => document.querySelector('#start').innerText.trim() === '开始'")
            page.get_by_role("tab", name=t(lang, "tab_explore")).click()
            page.wait_for_function("() => !!document.querySelector('#explore-image img')")
            before = [page.evaluate(SLIDER_JS, i) for i in range(8)]
            page.get_by_text(t(lang, "project_title")).click()
            page.locator("#project-upload input[type=file]").set_input_files(str(_seven(tmp_path / "seven.png")))
            page.wait_for_function("() => document.querySelector('#project-upload').innerText.includes('seven')")
            page.click("#project-button")
            label_7 = t(lang, "project_label", label=7).lstrip(",， ")
            page.wait_for_function("(w) => !!document.querySelector('#project-match img')"
                                   " && document.querySelector('#project-note').innerText.includes(w)"
                                   " || document.querySelectorAll('.toast-body').length", arg=label_7)
            assert page.locator(".toast-body").count() == 0, page.locator(".toast-body").all_inner_texts()
            note = page.locator("#project-note").inner_text()
            assert ("distance" if lang == "en" else "距离") in note and ("random z" if lang == "en" else "随机 z") in note
            visitor = next(v for v in (demo.ganapp.registry.visitor(i) for i in demo.ganapp.registry.visitor_ids())
                           if v.state.projected is not None)
            found = [round(float(v), 2) for v in visitor.state.projected["z"][:8]]
            page.wait_for_function("(z) => z.every((v, i) => Math.abs(Number(document.querySelector("
                                   "`#z-slider-${i} input[type=number]`).value) - v) < 0.006)", arg=found)
            after = [page.evaluate(SLIDER_JS, i) for i in range(8)]
            assert after != before
            assert page.evaluate("() => Number(document.querySelector('#label input[type=number]').value)") == 7
    finally:  # the next test starts with no visitor
        for vid in demo.ganapp.registry.visitor_ids():
            demo.ganapp.registry.remove(vid)


# the middle of the Explore pad's canvas once it shows whole on screen; null before
PAD_SHOWN_JS = """() => { const c = document.querySelector('#project-pad canvas'); if (!c) return null;
    const r = c.getBoundingClientRect();
    return r.height > 100 && r.top >= 0 && r.bottom <= innerHeight + 1 ? [r.left + r.width / 2, r.top + r.height / 2]
        : null; }"""


def test_a_digit_drawn_on_the_pad_is_matched(served_app, monkeypatch):
    from ganapp.ui import explore

    monkeypatch.setattr(explore, "PROJECT_STEPS", 10)
    monkeypatch.setattr(explore, "PROJECT_STARTS", 1)
    url, demo = served_app
    try:
        with chromium() as browser:
            page = open_page(browser, url)
            page.get_by_role("tab", name="Explore").click()
            page.wait_for_function("() => !!document.querySelector('#explore-image img')")
            page.evaluate(SLOW_PAD_JS, ["#project-pad", PAD_LATE_MS])
            page.get_by_text("Project an image back to z").click()
            # the box scrolls to the top as the pad shows: draw there at once, while the pad is not ready, and press
            # "Find its z" before it is (the strokes are held, drawn once it is ready, and the press repeated then)
            page.wait_for_selector("#project-pad canvas")
            page.locator("#project-pad").scroll_into_view_if_needed()  # (no scroll when the box's own did it)
            x, y = page.wait_for_function(PAD_SHOWN_JS).json_value()
            page.mouse.move(x, y - 60)
            page.mouse.down()
            for i in range(12):  # a 1, top to bottom
                page.mouse.move(x, y - 60 + 10 * i)
            page.mouse.up()
            page.click("#project-button")
            page.wait_for_function("() => !!document.querySelector('#project-match img')"
                                   " && document.querySelector('#project-note').innerText.includes('drawing')"
                                   " || document.querySelectorAll('.toast-body').length")
            assert page.locator(".toast-body").count() == 0, page.locator(".toast-body").all_inner_texts()
    finally:  # the next test starts with no visitor
        for vid in demo.ganapp.registry.visitor_ids():
            demo.ganapp.registry.remove(vid)
