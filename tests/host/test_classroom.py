"""The teacher's view and a host's limits: the class at a glance, class actions, the challenge, the export, the
token check, students' names as plain text, and limits that say themselves in the visitor's language."""

import asyncio
import csv
import io
import zipfile
from types import SimpleNamespace

import gradio as gr
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from conftest import tiny_2d, wait_until, worker_registry
from ganapp.gan.checkpoints import load_checkpoint
from ganapp.host.classroom import Classroom, RunCard
from ganapp.host.teacher_gate import TeacherGate
from ganapp.host.visitors import check_name
from ganapp.host.limits import LimitError, Limits, ServerFullError
from ganapp.host.registry import Registry
from ganapp.run.run import PAUSED
from ganapp.ui.handlers import GanApp
from ganapp.ui.handlers import CONTROL_FIELDS
from ganapp.ui.teacher import TeacherHandlers

from conftest import TEACHER_TOKEN as TOKEN  # noqa: E402
# the Train tab's controls for a tiny ring8 run (CONTROL_FIELDS order)
CONTROLS = ["ring8", "mlp", "non_saturating", 2, 16, 1e-3, 1e-3, 0.5, 0.999, 1, 1, 0, 8, 8, "", "", "relu",
            "leaky_relu", "adam", "gaussian", 10.0, 0.0, 1, 0.0, 0.0, False, False, 28, 1, None, "scratch"]


def req(name, host="10.0.0.1"):
    return SimpleNamespace(session_hash=name, client=SimpleNamespace(host=host))


@pytest.fixture
def classroom(tmp_path, worker):
    registry = worker_registry(worker)
    room = Classroom(registry, TeacherGate(TOKEN, max_wait_s=0.01))  # wrong answers held 10 ms at most
    yield GanApp(registry, tmp_path, classroom=room), room
    registry.close()


def test_the_token_is_checked_and_wrong_tries_wait_longer_each_time():
    now = [0.0]
    gate = TeacherGate(TOKEN, clock=lambda: now[0])
    assert gate.check(TOKEN, "a").ok and gate.check(TOKEN, "a") == (True, 0.0)
    assert [gate.check(TOKEN[:-1], "b") for _ in range(3)] == [(False, 1.0), (False, 2.0), (False, 4.0)]
    assert gate.check(TOKEN, "b") == (True, 0.0)  # the right token goes through at once, even from "b"
    assert gate.check("wrong-token-0", "c").delay_s == 1.0  # another client's count is its own
    now[0] += 601.0  # ten minutes without a wrong try: "b" starts again at 1 s
    assert gate.check("x", "b") == (False, 1.0)
    assert not any(gate.check(bad, "d").ok for bad in (None, "", 42, TOKEN + " ", TOKEN[:-1] + "\ud800"))
    with pytest.raises(ValueError, match="12 characters"):
        TeacherGate("short")


def test_names_are_1_to_32_printable_characters():
    assert check_name("  Ada  ") == "Ada" and check_name("李雷") == "李雷"
    assert check_name("<img src=x onerror=alert(1)>") == "<img src=x onerror=alert(1)>"  # kept as text
    for bad in ("", "   ", "x" * 33, "a\nb", "a\x00b", None):
        with pytest.raises(ValueError, match="1 to 32"):
            check_name(bad)


def test_the_class_at_a_glance_and_the_class_actions(classroom):
    app, room = classroom
    for student, name in (("s1", "Ada"), ("s2", None)):
        if name:
            app.set_name(req(student), "en", name)
        app.train.start(req(student), "en", 0, *CONTROLS)
    assert wait_until(lambda: all(c.step > 5 for c in room.cards()) and len(room.cards()) == 2, 15)
    cards = room.cards("name")
    assert [c.label() for c in cards] == ["Ada", "Student 2"] and [c.seat for c in cards] == [1, 2]
    assert all(c.thumbnail.shape == (128, 128, 3) and c.state == "running" for c in cards)
    assert room.pause_all() == 2
    assert all(c.state == PAUSED for c in room.cards())
    assert room.resume_all() == 2
    assert wait_until(lambda: all(c.state == "running" for c in room.cards()), 10)

    number = room.set_lesson("mode_collapse")
    lesson_no = app.live.tick(req("s1"), "zh").lesson_no
    assert lesson_no == number
    page_controls = CONTROLS[:CONTROL_FIELDS.index("data_files")]
    out = app.take_lesson(req("s1"), "zh", lesson_no, *page_controls)
    assert out[0] == "grid25" and out[-4] == "mode_collapse"  # the lesson's settings, in the controls
    assert "观察什么" in out[-3] and out[-2:] == [0.0, 0.0]  # its text in the page's language, no slow motion
    assert app.registry.visitor("s1").state.lesson == "mode_collapse"  # Start will run it as the lesson
    assert "老师设置了课程" in app.live.tick(req("s1"), "zh").status
    assert app.take_lesson(req("s1"), "en", lesson_no, *page_controls) == [gr.skip()] * len(out)  # taken once
    session = app.registry.visitor("s1").run
    assert session.config.dataset == "ring8" and session.state == "running"  # the student still presses Start


def test_the_leaderboard_ranks_who_reached_the_goal_first_then_the_rest():
    now = [100.0]
    room = Classroom(Registry(), TeacherGate(TOKEN), clock=lambda: now[0])

    def card(vid, modes, hq, step=100, n=25):
        row = {"step": step, "modes": modes, "n_modes": n, "high_quality": hq}
        return RunCard(vid, 1, vid, "grid25", "mlp", "non_saturating", "running", step, 10.0, modes, n, hq,
                       progress=[row])

    assert room.leaderboard([card("a", 25, 0.95)]) == (None, [])
    room.start_challenge("all_modes")
    now[0] += 5
    _, ranked = room.leaderboard([card("a", 20, 0.95), card("b", 25, 0.95), card("c", 25, 0.5)])
    assert [e.card.visitor_id for e in ranked] == ["b", "c", "a"] and ranked[0].reached_s is not None
    now[0] += 5
    _, ranked = room.leaderboard([card("a", 25, 0.91, 200), card("b", 24, 0.95, 200), card("c", 25, 0.5, 200)])
    assert [e.card.visitor_id for e in ranked] == ["b", "a", "c"]  # b reached it first, and stays first
    assert ranked[0].reached_s < ranked[1].reached_s and ranked[2].reached_s is None
    assert (ranked[0].card.modes, ranked[0].card.step) == (25, 100)  # b is shown with the row that reached it
    with pytest.raises(ValueError, match="challenge"):
        room.start_challenge("fastest_typist")


def test_the_export_holds_a_loadable_checkpoint_per_run_and_a_csv_that_matches(classroom, tmp_path):
    app, room = classroom
    app.set_name(req("s1"), "en", "Ada, \"the first\"")
    for student in ("s1", "s2"):
        app.train.step(req(student), "en", 7, *CONTROLS)
    assert wait_until(lambda: [c.step for c in room.cards()] == [7, 7] and
                      all(c.state == PAUSED for c in room.cards()), 15)
    with zipfile.ZipFile(room.export(tmp_path)) as zf:
        rows = list(csv.DictReader(io.StringIO(zf.read("class.csv").decode())))
        assert sorted(zf.namelist()) == ["class.csv", "run_001.safetensors", "run_002.safetensors"]
        for row in rows:
            zf.extract(row["file"], tmp_path)
            ckpt = load_checkpoint(tmp_path / row["file"])
            assert (ckpt.step, ckpt.config.dataset) == (int(row["step"]), row["dataset"]) == (7, "ring8")
    assert [r["name"] for r in rows] == ["Ada, \"the first\"", ""]


def test_every_teacher_action_refuses_a_wrong_token_and_returns_nothing(classroom):
    app, room = classroom
    app.train.start(req("s1"), "en", 0, *CONTROLS)
    h = TeacherHandlers(app, room)
    calls = [lambda r: h.pause_all(r, "en", "wrong-token-123"), lambda r: h.resume_all(r, "en", None),
             lambda r: h.set_lesson(r, "en", "", "mode_collapse"), lambda r: h.export(r, "en", "x"),
             lambda r: h.start_challenge(r, "en", "y", "all_modes"), lambda r: h.class_api(r, "z"),
             lambda r: h.sign_in(r, "en", TOKEN[:-1])]
    for i, call in enumerate(calls):
        with pytest.raises(gr.Error, match="^'Refused.'$"):  # the plain refusal, nothing more
            asyncio.run(call(req("mallory", host=f"10.9.9.{i}")))
    assert room.lesson is None and app.registry.visitor("s1").run.state in ("running", "waiting")
    refused = asyncio.run(h.refresh(req("mallory", host="10.9.9.99"), "en", "wrong-token-123", "seat"))
    assert refused[1] == "Refused." and all(isinstance(x, type(gr.skip())) for x in refused[2:])
    teacher = req("teacher", host="10.0.0.2")
    assert asyncio.run(h.class_api(teacher, TOKEN))[0]["seat"] == 1
    assert "Paused 1 runs" in asyncio.run(h.pause_all(teacher, "en", TOKEN))


def test_host_limits_refuse_in_the_visitors_language(tmp_path, worker):
    registry = worker_registry(worker, limits=Limits(max_runs=1, max_steps=10, max_batch=64))
    app = GanApp(registry, tmp_path)
    try:
        big = list(CONTROLS)
        big[CONTROL_FIELDS.index("batch_size")] = 128
        with pytest.raises(gr.Error, match="超出了本服务器的限制.*2..64"):
            app.train.start(req("a"), "zh", 0, *big)
        app.train.start(req("a"), "en", 0, *CONTROLS)
        with pytest.raises(gr.Error, match="The server is full.*1 runs"):
            app.train.start(req("b"), "en", 0, *CONTROLS)
        with pytest.raises(gr.Error, match="服务器已满"):
            app.compare.compare(req("a"), "zh", "loss", "hinge", *CONTROLS)  # run B would be a second run
        app.train.reset(req("a"), "en", *CONTROLS)  # rebuilding one's own run is always allowed
        session = registry.visitor("a").run
        session.start()
        assert wait_until(lambda: session.state == PAUSED, 10) and session.step_count == 10
        assert "limit of 10 steps per run" in app.live.tick(req("a"), "en").status
        session.resume()  # at the limit: it pauses again at once, without a step
        assert wait_until(lambda: session.state == PAUSED and session.snapshot(None).step_limit == 10)
        assert session.step_count == 10
        with pytest.raises(LimitError):
            registry.new_run("c", tiny_2d(batch_size=65))
        with pytest.raises(ServerFullError):
            registry.new_run("c", tiny_2d())
    finally:
        registry.close()


def test_without_a_token_the_teacher_page_and_its_api_do_not_exist(served_app):
    import httpx

    url, demo = served_app
    assert demo.ganapp.classroom is None
    assert httpx.get(url + "teacher").status_code == 404
    client = Client(url, verbose=False)
    endpoints = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert not [e for e in endpoints if "teacher" in e]
    with pytest.raises(ValueError, match="Cannot find a function"):
        client.predict("en", TOKEN, api_name="/teacher_pause_all")
    client.close()


def test_with_a_token_the_api_refuses_a_wrong_one_and_serves_the_right_one(served_teacher_app):
    url, _ = served_teacher_app
    client = Client(url, verbose=False)
    with pytest.raises(AppError, match="Refused"):
        client.predict(token="not-the-token-at-all", api_name="/teacher_class")
    # the right token goes through at once, whatever wrong tries came from this client before
    assert isinstance(client.predict(token=TOKEN, api_name="/teacher_class"), list)
    client.close()


def test_a_student_may_clear_their_name_but_not_set_a_bad_one(classroom):
    app, _ = classroom
    assert app.set_name(req("s"), "en", " Ada ") == "Ada"
    with pytest.raises(gr.Error, match="1 到 32"):
        app.set_name(req("s"), "zh", "x" * 33)
    assert app.registry.visitor("s").state.name == "Ada"  # a refused name changes nothing
    assert app.set_name(req("s"), "en", "   ") == "" and app.registry.visitor("s").state.name == ""
