"""The teacher's protections survive a classroom and an adversary (issue 27, items 5-8, 15, 16): a malformed token is
a plain wrong try; a student at the teacher's address cannot lock the teacher out; forged X-Forwarded-For headers
buy nothing, and the server answers wrong tries at a bounded rate whatever the address; class.csv never runs a
formula; the teacher's view outlives a dead training worker; and a lesson the host's limits rule out is said, not
failed for the whole class."""

import asyncio
import csv
import io
import logging
import os
import signal
import threading
import zipfile
from types import SimpleNamespace

import gradio as gr
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from conftest import TEACHER_TOKEN as TOKEN
from conftest import free_port, tiny_2d, wait_until
from ganapp.host.classroom import Classroom, spreadsheet_text
from ganapp.host.limits import LimitError, Limits
from ganapp.host.registry import Registry
from ganapp.host.teacher_gate import TeacherGate
from ganapp.ui.handlers import GanApp
from ganapp.ui.teacher import TeacherHandlers, lesson_choices


def req(name, host="10.0.0.1"):
    return SimpleNamespace(session_hash=name, client=SimpleNamespace(host=host))


@pytest.fixture
def fresh_gate(served_teacher_app):
    """The served teacher app with a gate of its own for one test (wrong answers held 50 ms at most), so that the
    wrong tries of one test do not slow another's."""
    classroom = served_teacher_app[1].ganapp.classroom
    old, classroom.gate = classroom.gate, TeacherGate(TOKEN, max_wait_s=0.05)
    yield classroom.gate
    classroom.gate = old


# ----- item 5: a lone surrogate in the token -----

def test_a_lone_surrogate_in_the_token_is_a_plain_wrong_try(served_teacher_app, fresh_gate):
    gate = TeacherGate(TOKEN)
    assert gate.check("\ud800", "a") == (False, 1.0) and gate.wrong_tries("a") == 1
    assert gate.check(TOKEN[:5] + "\udfff" + TOKEN[6:], "a") == (False, 2.0)  # counted, and waits longer
    import httpx

    url, _ = served_teacher_app
    # JSON's escape carries the lone surrogate to the server as it is (a client library would refuse to encode it)
    body = b'{"data": ["\\ud800", "en"]}'
    with httpx.Client(base_url=url, timeout=30) as http:
        event = http.post("gradio_api/call/teacher_class", content=body,
                          headers={"content-type": "application/json"}).json()["event_id"]
        answer = http.get(f"gradio_api/call/teacher_class/{event}").text
    assert "event: error" in answer and "Refused." in answer and "went wrong" not in answer, answer
    assert fresh_gate.wrong_tries("127.0.0.1") == 1


# ----- item 6: one student cannot lock the teacher out -----

def test_the_right_token_is_always_accepted_at_once():
    now = [0.0]
    gate = TeacherGate(TOKEN, clock=lambda: now[0])
    for _ in range(50):  # a student at the teacher's address (one NAT) tries wrong tokens ...
        gate.check("guess-guess-guess", "10.1.1.1")
    assert gate.check(TOKEN, "10.1.1.1") == (True, 0.0)  # ... and the teacher there is let in, without a wait


def test_a_student_at_the_teacher_s_address_cannot_lock_the_teacher_out(served_teacher_app, fresh_gate):
    url, _ = served_teacher_app
    stop = threading.Event()
    refused = []

    def student():  # wrong tokens as fast as the answers come, from the teacher's own address
        client = Client(url, verbose=False)
        try:
            while not stop.is_set():
                try:
                    client.predict(token="wrong-wrong-wrong", api_name="/teacher_class")
                except AppError:
                    refused.append(1)
        finally:
            client.close()

    students = [threading.Thread(target=student, daemon=True) for _ in range(3)]
    for s in students:
        s.start()
    teacher = Client(url, verbose=False)
    try:
        assert wait_until(lambda: len(refused) >= 3, 30)  # the wrong tries are coming in
        for _ in range(10):
            assert isinstance(teacher.predict(token=TOKEN, api_name="/teacher_class"), list)
        assert fresh_gate.wrong_tries("127.0.0.1") >= 3
    finally:
        stop.set()
        for s in students:
            s.join(30)
        teacher.close()


# ----- item 7: X-Forwarded-For, and a bound per server -----

def test_forged_forwarded_addresses_count_as_the_connection_s_own(served_teacher_app, fresh_gate):
    url, _ = served_teacher_app
    for i in range(5):
        client = Client(url, verbose=False, headers={"X-Forwarded-For": f"10.20.30.{i}"})
        try:
            with pytest.raises(AppError, match="Refused"):
                client.predict(token="not-the-token", api_name="/teacher_class")
        finally:
            client.close()
    assert fresh_gate.wrong_tries("127.0.0.1") == 5  # one client, whose waits grow
    assert not any(fresh_gate.wrong_tries(f"10.20.30.{i}") for i in range(5))


def test_a_proxy_the_host_names_is_believed(monkeypatch, tmp_path):
    import app as app_module

    monkeypatch.setenv("FORWARDED_ALLOW_IPS", os.environ.get("FORWARDED_ALLOW_IPS", ""))  # restored afterwards
    monkeypatch.setenv("GANAPP_TRUSTED_PROXIES", "127.0.0.1")
    demo = app_module.create_demo(idle_timeout_s=60, state_dir=tmp_path, teacher_token=TOKEN, worker=False)
    demo.ganapp.classroom.gate = gate = TeacherGate(TOKEN, max_wait_s=0.05)
    port = free_port()
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False, headers={"X-Forwarded-For": "10.20.30.40"})
        with pytest.raises(AppError, match="Refused"):
            client.predict(token="not-the-token", api_name="/teacher_class")
        client.close()
        assert gate.wrong_tries("10.20.30.40") == 1 and gate.wrong_tries("127.0.0.1") == 0
    finally:
        demo.ganapp.registry.close(save=False)
        demo.close()
    with pytest.raises(SystemExit, match="not an IP address"):
        app_module.trust_proxies("10.0.0.1, proxy.example")


def test_the_server_answers_wrong_tries_at_a_bounded_rate_whatever_the_address():
    now = [0.0]
    gate = TeacherGate(TOKEN, max_wait_s=60.0, server_rate_hz=1.0, server_burst=10, clock=lambda: now[0])
    answered = sorted(gate.check("guess", f"10.0.{i // 250}.{i % 250}").delay_s for i in range(100))
    for seconds in range(60):  # a hundred addresses, one try each: at most the burst, then one a second
        assert sum(d <= seconds for d in answered) <= 11 + seconds, seconds
    assert max(answered) <= 60.0
    now[0] += 120.0  # the flood is over: a new wrong try waits its own second again
    assert gate.check("guess", "10.9.9.9") == (False, 1.0)


# ----- item 8: class.csv runs no formula -----

def test_class_csv_neutralises_what_a_spreadsheet_would_run(tmp_path):
    registry = Registry(idle_timeout_s=60)
    room = Classroom(registry, TeacherGate(TOKEN))
    app = GanApp(registry, tmp_path, classroom=room)
    names = ['=HYPERLINK("http://e.vil","x")', "+1+1", "-2+3", "@SUM(A1:A2)", "Ada, -the first"]
    try:
        for i, name in enumerate(names):
            app.set_name(req(f"s{i}"), "en", name)
            registry.new_run(f"s{i}", tiny_2d(lr_g=1e-3))
        with zipfile.ZipFile(room.export(tmp_path)) as zf:
            rows = list(csv.DictReader(io.StringIO(zf.read("class.csv").decode())))
    finally:
        registry.close()
    assert [r["name"] for r in rows] == ["'" + n for n in names[:4]] + ["Ada, -the first"]
    assert all(float(r["lr_g"]) == 1e-3 for r in rows)  # numbers stay numbers
    assert [spreadsheet_text(x) for x in ("\t=1", "\r=1", "a=1", 5, -1.0)] == ["'\t=1", "'\r=1", "a=1", 5, -1.0]


# ----- item 15: right after the training worker dies -----

def test_the_teacher_s_view_and_export_show_runs_lost_with_the_worker(tmp_path):
    from ganapp.service.worker import WorkerService

    registry = Registry(idle_timeout_s=60, engine=WorkerService())
    room = Classroom(registry, TeacherGate(TOKEN))
    app = GanApp(registry, tmp_path, classroom=room)
    h = TeacherHandlers(app, room)
    teacher = req("teacher", host="10.0.0.2")
    try:
        seen = registry.new_run("seen", tiny_2d())
        seen.step(5)
        assert wait_until(lambda: seen.snapshot(None).step == 5, 20)  # read once: its card keeps what was seen
        registry.new_run("unseen", tiny_2d())  # never read before the worker dies
        os.kill(registry.engine.pid, signal.SIGKILL)
        assert wait_until(lambda: seen.lost, 10)
        cards = {c.visitor_id: c for c in room.cards()}
        assert cards["seen"].lost and cards["seen"].state == "error" and cards["seen"].step == 5
        assert cards["unseen"].lost and cards["unseen"].state == "error"
        assert [r["lost"] for r in asyncio.run(h.class_api(teacher, TOKEN))] == [True, True]
        refreshed = asyncio.run(h.refresh(teacher, "en", TOKEN, "seat"))
        captions = [caption for _, caption in refreshed[3]]
        assert all("lost with the training worker" in c for c in captions)
        with zipfile.ZipFile(room.export(tmp_path)) as zf:
            rows = list(csv.DictReader(io.StringIO(zf.read("class.csv").decode())))
            assert zf.namelist() == ["class.csv"]
        assert [(r["state"], r["file"], r["dataset"]) for r in rows] == [("lost", "", "ring8"), ("lost", "", "")]
    finally:
        registry.close(save=False)


# ----- item 16: lessons against the host's limits -----

def test_a_lesson_the_host_s_limits_rule_out_is_said_at_startup_and_refused_clearly(tmp_path, caplog):
    registry = Registry(idle_timeout_s=60, limits=Limits(max_batch=128))
    room = Classroom(registry, TeacherGate(TOKEN))
    with caplog.at_level(logging.WARNING, logger="ganapp"):
        app = GanApp(registry, tmp_path, classroom=room)
    h = TeacherHandlers(app, room)
    teacher = req("teacher", host="10.0.0.2")
    try:
        said = caplog.text
        assert "mode_collapse is off on this server" in said and "batch_size = 256" in said and "2..128" in said
        assert "mlp_vs_dcgan" not in said  # batch 64 fits
        with pytest.raises(gr.Error, match="Mode collapse on grid25.*off on this server.*256.*2..128"):
            asyncio.run(h.set_lesson(teacher, "en", TOKEN, "mode_collapse"))
        assert room.lesson is None  # nothing reached the class
        with pytest.raises(LimitError):
            room.set_lesson("mode_collapse")
        assert "Every student's page now offers" in asyncio.run(h.set_lesson(teacher, "en", TOKEN, "mlp_vs_dcgan"))
        menu = dict((k, label) for label, k in lesson_choices("en", room))
        assert "off on this server" in menu["mode_collapse"] and "off" not in menu["mlp_vs_dcgan"]
        note = asyncio.run(h.refresh(teacher, "zh", TOKEN, "seat"))[2]
        assert "本服务器上不可用" in note and "256" in note
    finally:
        registry.close()
    everything = Classroom(Registry(idle_timeout_s=60), TeacherGate(TOKEN))
    assert everything.ruled_out == {}  # the default limits rule no lesson out
