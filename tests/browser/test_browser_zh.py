"""简体中文 chosen on a page whose browser speaks English: Gradio's own words, the status line's settings and run B's
label follow the page's language too (issue 23, item 12)."""

import re

from browsing import ARGS, CHROMIUM, NEEDS_CHROMIUM, pick

pytestmark = NEEDS_CHROMIUM

# Gradio's own English words as they showed on a 简体中文 page, and the raw names of settings in the status line
GRADIO_ENGLISH = ("Drop File Here", "Click to Upload", "Use via API", "Built with Gradio", "Settings", "Layer 1")
STATUS = "() => document.querySelector('#ganapp-status').innerText"


def test_a_chinese_page_shows_no_english_of_gradio_s_or_of_setting_names(served_app):
    from playwright.sync_api import sync_playwright

    url, demo = served_app
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, "--lang=en-US"])
        try:
            page = browser.new_context(viewport={"width": 1400, "height": 1500}, locale="en-US").new_page()
            page.set_default_timeout(60_000)
            page.goto(url)
            page.wait_for_selector("#start")
            page.wait_for_function("() => document.querySelector('footer') &&"
                                   " document.querySelector('footer').innerText.includes('Use via API')")
            page.get_by_label("简体中文").check()
            page.wait_for_function("() => document.querySelector('#start').innerText.trim() === '开始'")
            # Gradio's words: the footer, the upload box of the folder dataset, the sketchpad
            page.wait_for_function("() => document.querySelector('footer').innerText.includes('通过 API 使用')")
            pick(page, "dataset", "folder")
            page.wait_for_selector("#data-files", state="visible")
            page.wait_for_function("() => document.querySelector('#data-files').innerText.includes('点击上传')")
            page.get_by_text("画出你自己的分布", exact=False).first.click()
            page.wait_for_selector("#sketch canvas", state="visible")
            page.wait_for_function("() => document.querySelector('#draw-box').innerText.includes('你的图')")
            text = page.evaluate("() => document.body.innerText")
            assert not [w for w in GRADIO_ENGLISH if w in text], [w for w in GRADIO_ENGLISH if w in text]
            # the status line names settings by their labels: a live change, and run B beside run A
            pick(page, "dataset", "ring8")
            page.wait_for_function("() => document.querySelector('#model input').value === 'mlp'")
            page.get_by_text("并排", exact=False).first.click()
            page.click("#start-compare")
            page.wait_for_function(f"() => ({STATUS})().includes('运行 B（损失函数 = minimax）')", timeout=60_000)
            lr_g = page.locator("#lr-g input")
            lr_g.fill("0.0005")
            lr_g.press("Enter")
            page.wait_for_function(f"() => ({STATUS})().includes('已在训练中生效：G 的学习率')", timeout=60_000)
            status = page.evaluate(STATUS)
            assert not re.search(r"\b(lr_g|loss|nan)\b", status), status
            page.click("#pause")
        finally:
            browser.close()
            for vid in demo.ganapp.registry.visitor_ids():
                demo.ganapp.registry.remove(vid)
