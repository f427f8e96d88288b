"""What a person sees of issue 27's files that lie, memory limits and full disks (items 1, 11, 12 and 17), in a real
browser (Debian's chromium through Playwright): a NaN checkpoint and a lying one refused in the page's language, a
model over the memory limit refused with its estimate, and the teacher's page saying that runs are not being saved."""

import json
import shutil
from pathlib import Path

import pytest
import torch

from conftest import TEACHER_TOKEN
from ganapp.gan.config import GANConfig
from ganapp.ui.i18n import t
from test_security_checkpoints import lying, nan_checkpoint
from test_security_full_disk import make_read_only

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() and not shutil.which("chromium"),
                                reason="chromium is not installed (apt-get install chromium)")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def browser(served_app_uploads):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()
    registry = served_app_uploads[1].ganapp.registry
    for vid in registry.visitor_ids():
        registry.remove(vid)


def _page(browser, url: str, locale: str):
    page = browser.new_context(viewport={"width": 1400, "height": 1500}, locale=locale).new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    page.wait_for_selector("#start")
    return page


def _shows(page, text: str) -> None:
    page.wait_for_function("(s) => document.body.innerText.includes(s)", arg=text, timeout=60_000)


def test_refused_files_and_models_are_said_in_the_readers_language(browser, served_app_uploads, tmp_path):
    url, _ = served_app_uploads
    page = _page(browser, url, "zh-CN")
    page.wait_for_function("() => document.querySelector('#start').innerText.trim() === '开始'")
    page.get_by_role("tab", name=t("zh", "tab_explore")).click()
    upload = page.locator("#upload-ckpt input[type=file]")
    upload.set_input_files(str(nan_checkpoint(tmp_path / "mnist_dcgan_nan.safetensors")))
    _shows(page, t("zh", "err_ckpt_non_finite"))
    huge = GANConfig.default_for("mnist_10k", g_width=2048, d_width=2048, image_size=64).to_dict()
    upload.set_input_files(str(lying(tmp_path / "huge.safetensors", huge)))
    _shows(page, t("zh", "err_ckpt_bad_weights"))
    lie = json.dumps(GANConfig.default_for("ring8").to_dict())
    upload.set_input_files(str(lying(tmp_path / "step.safetensors", lie, str(10**30), {"G.w": torch.zeros(1)})))
    _shows(page, t("zh", "err_ckpt_bad_step"))
    # a DCGAN of width 2048: refused at Start, with its estimate and the host's limit
    page.get_by_role("tab", name=t("zh", "tab_train")).click()
    page.get_by_text(t("zh", "advanced"), exact=True).click()
    for field in ("g-width", "d-width"):
        box = page.locator(f"#{field} input")
        box.fill("2048")
        box.press("Tab")
    page.click("#start")
    before, after = t("zh", "err_model_memory", need="§", limit="2,048").split("§")
    _shows(page, after)
    body = page.evaluate("() => document.body.innerText")
    need = body.split(before)[1].split(after)[0] if before in body else ""
    assert need.replace(",", "").isdigit() and int(need.replace(",", "")) > 50_000, need
    assert "Traceback" not in body and t("zh", "err_internal", reason="")[:6] not in body


def test_the_teachers_page_says_when_runs_are_not_being_saved(browser, served_app_uploads, monkeypatch):
    url, demo = served_app_uploads
    registry = demo.ganapp.registry
    student = _page(browser, url, "en-US")
    student.wait_for_function("() => localStorage.getItem('ganapp_visitor') !== null")  # a returning visitor
    dataset = student.locator("#dataset input")
    dataset.click()
    dataset.fill("ring8")
    student.keyboard.press("Enter")
    student.wait_for_function("() => document.querySelector('#model input').value === 'mlp'")
    teacher = browser.new_context(viewport={"width": 1400, "height": 1500}, locale="en-US").new_page()
    teacher.set_default_timeout(60_000)
    teacher.goto(url + "teacher")
    teacher.locator("#teacher-token input").fill(TEACHER_TOKEN)
    teacher.click("#teacher-sign-in")
    make_read_only(monkeypatch, registry.store.root)  # the host's state folder turns read-only
    student.click("#start")
    student.wait_for_function("() => document.querySelector('#ganapp-status').innerText.includes('running')")
    student.click("#pause")  # a paused run is autosaved at the reaper's next round: it fails
    problem = t("en", "autosave_problem_read_only", minutes=1, error="EROFS")
    teacher.wait_for_function("(s) => document.querySelector('#teacher-class-note').innerText.includes(s)",
                              arg=problem,
                              timeout=60_000)
    monkeypatch.undo()  # writable again: the next round saves, and the note goes
    teacher.wait_for_function("(s) => !document.querySelector('#teacher-class-note').innerText.includes(s)",
                              arg=problem,
                              timeout=60_000)
    assert registry.autosave_problem is None
