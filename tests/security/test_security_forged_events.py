"""Events forged below the page (found by benchmarks/adversarial.py): a click on the teacher's gallery sent with no
event data, and a queued call to an event the app does not have. Gradio failed both before any handler ran (a
TypeError's traceback and an empty error; an HTTP 500 with a KeyError's traceback); the app answers each as it answers
any other wrong call: the teacher gate's refusal, or an HTTP 400 with a message."""

from __future__ import annotations

import json

import httpx
import pytest

from conftest import TEACHER_TOKEN as TOKEN
from ganapp.host.teacher_gate import TeacherGate
from ganapp.ui.i18n import t


@pytest.fixture
def quick_gate(served_teacher_app):
    """The served teacher app with a gate of its own for one test (wrong answers held 50 ms at most)."""
    classroom = served_teacher_app[1].ganapp.classroom
    old, classroom.gate = classroom.gate, TeacherGate(TOKEN, max_wait_s=0.05)
    yield classroom.gate
    classroom.gate = old


def gallery_select_index(url: str) -> int:
    """The fn_index of the teacher gallery's select event (a private event: no api_name)."""
    config = httpx.get(url + "config", timeout=30).json()
    ids = {c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == "teacher-gallery"}
    return next(d["id"] for d in config["dependencies"]
                if any(target == [i, "select"] for i in ids for target in d["targets"]))


def join(url: str, fn_index: int, data: list, event_data, session_hash: str) -> dict:
    """Queue event ``fn_index`` as a browser does, with ``event_data`` as sent; returns its process_completed
    message."""
    with httpx.Client(base_url=url, timeout=60) as http:
        answer = http.post("gradio_api/queue/join", content=json.dumps(
            {"data": data, "fn_index": fn_index, "session_hash": session_hash, "event_data": event_data,
             "trigger_id": None}), headers={"content-type": "application/json"})
        event = answer.json()["event_id"]
        with http.stream("GET", "gradio_api/queue/data", params={"session_hash": session_hash}) as stream:
            for line in stream.iter_lines():
                msg = json.loads(line[5:]) if line.startswith("data:") else {}
                if msg.get("event_id") == event and msg.get("msg") == "process_completed":
                    return msg
    raise AssertionError(f"no answer to event {fn_index}")


@pytest.mark.parametrize("event_data", [None, "not an object", {"index": "x", "value": {"caption": "#" + "9" * 5000}}])
def test_a_gallery_click_without_its_event_data_gets_the_gate_answer_not_a_traceback(served_teacher_app, quick_gate,
                                                                                    event_data, capfd):
    url, demo = served_teacher_app
    fn_index = gallery_select_index(url)
    capfd.readouterr()
    refused = join(url, fn_index, ["zh", TOKEN[:-1]], event_data, "forged-select-wrong")
    assert refused["success"] is False and refused["output"]["error"] == t("zh", "teacher_refused")
    # the right token with no card named: nothing is shown large, and nothing fails
    accepted = join(url, fn_index, ["en", TOKEN], event_data, "forged-select-right")
    assert accepted["success"] is True
    assert demo.ganapp.registry.page("forged-select-right").teacher_selected is None
    assert "Traceback" not in capfd.readouterr().err


def test_a_click_on_a_card_still_shows_that_run_large(served_teacher_app, quick_gate):
    url, demo = served_teacher_app
    fn_index = gallery_select_index(url)
    order_page = "select-by-place"
    demo.ganapp.registry.page(order_page).teacher_order = ["visitor-a", "visitor-b"]
    assert join(url, fn_index, ["en", TOKEN], {"index": 1, "value": {"caption": "no seat"}},
                order_page)["success"] is True
    assert demo.ganapp.registry.page(order_page).teacher_selected == "visitor-b"


def test_a_queued_call_to_an_unknown_event_is_a_400_with_a_message(served_app, capfd):
    url, _ = served_app
    capfd.readouterr()
    answer = httpx.post(url + "gradio_api/queue/join", content=json.dumps(
        {"data": [], "fn_index": 99999, "session_hash": "unknown-event"}),
        headers={"content-type": "application/json"}, timeout=30)
    assert answer.status_code == 400 and "99999" in answer.json()["detail"]
    assert "Traceback" not in capfd.readouterr().err
