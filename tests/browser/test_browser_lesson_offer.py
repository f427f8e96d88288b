"""In a real browser: the teacher sets a lesson while a student's ring8 run trains. The student's page shows the
lesson in its controls with a banner, the run trains on untouched, Start says that Reset builds the lesson and
changes nothing, and the teacher's cards show each run's real setup before and after the student acts (issue 23,
item 5)."""


import pytest

from conftest import TEACHER_TOKEN, wait_until
from browsing import ARGS, CHROMIUM, NEEDS_CHROMIUM, pick

pytestmark = NEEDS_CHROMIUM

STATUS = "() => document.querySelector('#ganapp-status').innerText"


def _gallery_text(teacher) -> str:
    return teacher.locator("#teacher-gallery").inner_text()


def _wait_gallery(teacher, text: str) -> None:
    """Wait until the teacher's cards show ``text``; on a timeout, fail with what the page and its note show."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        teacher.wait_for_function("(text) => document.querySelector('#teacher-gallery').innerText.includes(text)",
                                  arg=text)
    except PlaywrightTimeout:
        note = teacher.locator("#teacher-note").inner_text()
        pytest.fail(f"the cards never showed {text!r}; they show {_gallery_text(teacher)!r}, the note {note!r}")


def test_an_offered_lesson_leaves_the_run_alone_until_the_student_resets(served_teacher_app):
    from playwright.sync_api import sync_playwright

    url, demo = served_teacher_app
    registry = demo.ganapp.registry
    assert demo.ganapp.classroom.lesson is None, "a test before this one left its lesson set on the shared server"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            student = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-US").new_page()
            student.set_default_timeout(60_000)
            student.goto(url)
            student.wait_for_function("() => localStorage.getItem('ganapp_visitor') !== null")
            pick(student, "dataset", "ring8")
            student.wait_for_function("() => document.querySelector('#model input').value === 'mlp'")
            student.click("#start")
            student.wait_for_function(f"() => ({STATUS})().includes('running')")
            teacher = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-US").new_page()
            teacher.set_default_timeout(60_000)
            teacher.goto(url + "teacher")
            teacher.locator("#teacher-token input").fill(TEACHER_TOKEN)
            teacher.click("#teacher-sign-in")
            teacher.wait_for_function("() => document.querySelector('#teacher-note').innerText.trim() !== ''")
            _wait_gallery(teacher, "ring8 · mlp · non_saturating")

            pick(teacher, "teacher-lesson", "Mode collapse on grid25")
            teacher.click("#teacher-set-lesson")
            teacher.wait_for_function("() => document.querySelector('#teacher-note').innerText.includes('offers')")
            student.wait_for_function("() => document.querySelector('#dataset input').value === 'grid25'")
            student.wait_for_function(f"() => ({STATUS})().includes('Your teacher set the lesson')")
            assert "Press Reset to build the lesson" in student.evaluate(STATUS)
            student.click("#start")  # the controls hold another run: Start says what Reset builds
            student.wait_for_selector(".toast-body")
            toast = student.locator(".toast-body").first.inner_text()
            assert "Dataset: ring8 → grid25" in toast and "press Reset" in toast, toast
            (v,) = [v for _, v in registry.visitors() if v.run is not None]
            config = v.run.config
            assert (config.dataset, config.loss, config.lr_g, config.batch_size) == ("ring8", "non_saturating",
                                                                                      1e-3, 256)
            assert v.run.state in ("running", "waiting")
            assert "ring8 · mlp · non_saturating" in _gallery_text(teacher)  # the run's real setup

            student.click("#reset")
            student.wait_for_function(f"() => !({STATUS})().includes('Your teacher set the lesson')")
            student.click("#start")
            student.wait_for_function(f"() => ({STATUS})().includes('Lesson: Mode collapse on grid25')")
            _wait_gallery(teacher, "lesson: Mode collapse on grid25")  # the card's setup follows the new run
            assert "grid25 · mlp · minimax" in _gallery_text(teacher)
            assert wait_until(lambda: v.run.config.dataset == "grid25" and v.run.config.loss == "minimax")
        finally:
            browser.close()
            for vid in registry.visitor_ids():
                registry.remove(vid)
            demo.ganapp.classroom.lesson = None  # the server is shared: the next test's students get no lesson
