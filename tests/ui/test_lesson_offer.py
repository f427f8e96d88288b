"""The teacher's lesson never turns a run into a mix of two setups (issue 23, item 5): offered, it fills a student's
controls with a banner and leaves their run untouched until they act; Start beside a run of another shape changes
nothing and says what Reset builds; "apply now" pauses each run, keeps it as a checkpoint and builds the lesson
cleanly; the teacher's cards and class.csv show each run's real setup."""

import asyncio
import csv
import io
import zipfile
from types import SimpleNamespace

import gradio as gr
import pytest

from conftest import TEACHER_TOKEN as TOKEN
from conftest import tiny_2d, tiny_image, wait_until
from ganapp.run.lessons import LESSONS
from ganapp.run.run import RUNNING, WAITING
from ganapp.ui.handlers import PAGE_FIELDS

TEACHER = SimpleNamespace(session_hash="teacher", client=SimpleNamespace(host="10.0.0.2"))


def req(name):
    return SimpleNamespace(session_hash=name, client=SimpleNamespace(host="10.0.0.1"))


def controls(config) -> list:
    """The Train tab's controls (CONTROL_FIELDS order) showing ``config``."""
    return [getattr(config, f) for f in PAGE_FIELDS] + [None, "scratch"]


def _take(app, student, lang="en") -> list:
    """What the student's page does when its tick shows a new lesson number: take it (the values the server sets
    fire no settings event: the page wires each control's ``input`` event, the visitor's own edits only)."""
    before = controls(app.registry.visitor(student).run.config)
    filled = app.take_lesson(req(student), lang, app.live.tick(req(student), lang).lesson_no,
                             *before[:len(PAGE_FIELDS)])
    return filled[:len(PAGE_FIELDS)] + [None, "scratch"]


def _csv(room, tmp_path) -> list[dict]:
    with zipfile.ZipFile(room.export(tmp_path)) as zf:
        return list(csv.DictReader(io.StringIO(zf.read("class.csv").decode())))


@pytest.mark.parametrize("own", [tiny_2d(loss="non_saturating", lr_g=2e-4), tiny_image(loss="hinge")],
                         ids=["ring8", "mnist_10k"])
def test_an_offered_lesson_leaves_a_running_run_untouched_and_start_says_what_reset_builds(school, tmp_path, own):
    app, room, h = school
    app.train.start(req("s"), "en", 0, *controls(own))
    session = app.registry.visitor("s").run
    assert wait_until(lambda: session.snapshot(None).step > 2, 30)
    said = asyncio.run(h.set_lesson(TEACHER, "en", TOKEN, "mode_collapse"))
    assert "offers" in said
    lesson_controls = _take(app, "s")
    assert lesson_controls[0] == "grid25"  # the offer fills the controls
    status = app.live.tick(req("s"), "en").status
    assert "Your teacher set the lesson: Mode collapse on grid25" in status and "Press **Reset**" in status
    assert "老师设置了课程" in app.live.tick(req("s"), "zh").status
    with pytest.raises(gr.Error, match=f"Dataset: {own.dataset} → grid25.*press Reset"):
        app.train.start(req("s"), "en", 0, *lesson_controls)
    # the student touches a live setting while the lesson is there: it belongs to the lesson, and waits for Reset
    app.settings.settings_changed(req("s"), "en", ("lr_d",), 3e-4)
    assert app.registry.visitor("s").run is session and session.state in (RUNNING, WAITING)
    assert controls(session.config) == controls(own)  # neither the lesson nor a mix: its own settings
    cards = room.cards()
    assert (cards[0].dataset, cards[0].loss, cards[0].lesson) == (own.dataset, own.loss, None)
    row = _csv(room, tmp_path)[0]
    assert (row["dataset"], row["loss"], float(row["lr_g"]), int(row["batch_size"]), row["lesson"]) == \
        (own.dataset, own.loss, own.lr_g, own.batch_size, "")
    # the student acts: Reset builds the lesson, and Start runs it as the lesson
    app.train.reset(req("s"), "en", *lesson_controls)
    app.train.start(req("s"), "en", 0, *lesson_controls)
    lesson_run = app.registry.visitor("s").run
    assert controls(lesson_run.config) == controls(LESSONS["mode_collapse"].config())
    assert wait_until(lambda: lesson_run.snapshot(None).lesson == "mode_collapse", 10)
    assert room.cards()[0].lesson == "mode_collapse" and _csv(room, tmp_path)[0]["lesson"] == "mode_collapse"


def test_an_offered_lesson_runs_at_start_for_a_student_without_a_run(school):
    app, room, h = school
    app.live.tick(req("new"), "en")
    asyncio.run(h.set_lesson(TEACHER, "en", TOKEN, "saturation"))
    filled = app.take_lesson(req("new"), "en", app.live.tick(req("new"), "en").lesson_no,
                             *controls(tiny_2d())[:len(PAGE_FIELDS)])
    assert "Press **Start** to run it" in app.live.tick(req("new"), "en").status
    app.train.start(req("new"), "en", 0, *filled[:len(PAGE_FIELDS)], None, "scratch")
    v = app.registry.visitor("new")
    assert v.run.config.loss == "minimax" and v.run_b is not None and v.run_b.config.loss == "non_saturating"


def test_apply_now_pauses_each_run_keeps_it_as_a_checkpoint_and_builds_the_lesson(school, tmp_path):
    app, room, h = school
    for student in ("a", "b"):
        app.set_name(req(student), "en", student.upper())
        app.train.start(req(student), "en", 0, *controls(tiny_2d()))
    old = app.registry.visitor("a").run
    assert wait_until(lambda: all(c.step > 3 for c in room.cards()), 30)
    said = asyncio.run(h.set_lesson(TEACHER, "en", TOKEN, "saturation", True))
    assert "is built for 2 students" in said
    lesson = LESSONS["saturation"]
    for student in ("a", "b"):
        v = app.registry.visitor(student)
        assert v.run is not old and controls(v.run.config) == controls(lesson.config())
        assert v.run.state == "idle" and v.run.step_count == 0 and v.run.lesson is lesson
        assert v.run_b is not None and v.run_b.config.loss == "non_saturating" and v.run_b.lesson is lesson
        assert v.checkpoint.config.dataset == "ring8" and v.checkpoint.config.g_width == 8 and v.checkpoint.step > 3
    assert old.state == "stopped"
    _take(app, "a")
    status = app.live.tick(req("a"), "en").status
    assert "Your teacher applied the lesson: Saturation" in status and "before_saturation.safetensors" in status
    assert [r["lesson"] for r in _csv(room, tmp_path)] == ["saturation", "saturation"]
    app.train.start(req("a"), "en", 0, *controls(lesson.config()))
    v = app.registry.visitor("a")
    assert wait_until(lambda: v.run.snapshot(None).step > 0 and v.run_b.snapshot(None).step > 0, 30)


def test_an_offered_lesson_of_the_run_s_own_shape_waits_for_start_too(school):
    """Filling the controls fires their change events: those apply nothing to a run of the lesson's shape either;
    the student's Start does."""
    app, room, h = school
    own = LESSONS["alternating"].config()  # ring8 at the lesson sizes, as the saturation lesson's
    app.train.start(req("s"), "en", 0, *controls(own))
    session = app.registry.visitor("s").run
    asyncio.run(h.set_lesson(TEACHER, "en", TOKEN, "saturation"))
    lesson_controls = _take(app, "s")
    assert controls(session.config) == controls(own)  # n_critic 1, lr_d 1e-3: untouched
    assert "**Start** applies its settings to your run." in app.live.tick(req("s"), "en").status
    app.train.start(req("s"), "en", 0, *lesson_controls)
    assert (session.config.n_critic, session.config.lr_d) == (5, 1e-2)  # the student acted
