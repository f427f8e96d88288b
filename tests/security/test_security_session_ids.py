"""Only the signed token names a visitor: a visitor's id sent as a session hash reaches nothing of theirs, on any
endpoint of the served app, and a token must be matched whole."""

from __future__ import annotations

import json

import httpx
import pytest
from gradio_client import Client

from conftest import TEACHER_TOKEN, free_port, wait_until
from ganapp.host.teacher_gate import TeacherGate

# ring8, tiny nets (the order of ganapp.ui.common.CONTROL_FIELDS), as tests/test_app_client.py sends them
CONTROLS = ["ring8", "mlp", "non_saturating", 2, 64, 1e-3, 1e-3, 0.5, 0.999, 1, 1, 0, 16, 16, "", "", "relu",
            "leaky_relu", "adam", "gaussian", 10.0, 0.0, 1, 0.0, 0.0, False, False, 28, 1, None, "scratch"]


@pytest.fixture(scope="module")
def full_app(tmp_path_factory):
    """The app served on localhost with its teacher's page, training in this process, with room for one run: an
    endpoint that builds a run for a caller other than the first visitor is refused (so that no call here trains a
    DCGAN for long).

    Yields (url, demo)."""
    import app as app_module
    from ganapp.ui.layout import CSS

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GANAPP_MAX_RUNS", "1")
        demo = app_module.create_demo(idle_timeout_s=600, reap_every_s=0.2, worker=False,
                                      state_dir=tmp_path_factory.mktemp("state"), teacher_token=TEACHER_TOKEN)
    # every teacher endpoint gets a wrong token here: the host's gate would hold the k-th answer 2^(k-1) s (four
    # minutes for the lot); one that holds each 50 ms tests the same refusals
    demo.ganapp.classroom.gate = TeacherGate(TEACHER_TOKEN, max_wait_s=0.05)
    port = free_port()
    demo.queue(default_concurrency_limit=4).launch(server_name="127.0.0.1", server_port=port,
                                                   prevent_thread_lock=True, quiet=True, css=CSS)
    yield f"http://127.0.0.1:{port}/", demo
    demo.ganapp.registry.close(save=False)
    demo.close()


def every_endpoint(url: str) -> tuple[list[dict], dict[int, dict]]:
    """Every event of the served app that runs a function on the server (public, private, the page's load and
    unload), from its config, so that an endpoint added later is covered too: (the events, the components by
    id)."""
    config = httpx.get(url + "config", timeout=30).json()
    return [d for d in config["dependencies"] if d.get("backend_fn")], {c["id"]: c for c in config["components"]}


def call(url: str, session_hash: str, dep: dict, components: dict) -> dict:
    """Run one event as a browser does (queue/join, then its answer on queue/data), as page ``session_hash``, with
    each input at its component's value on a fresh page. Returns the process_completed message."""
    data = [None if components[i]["type"] == "state" else components[i].get("props", {}).get("value")
            for i in dep["inputs"]]
    joined = httpx.post(url + "gradio_api/queue/join", timeout=60,
                        json={"data": data, "fn_index": dep["id"], "session_hash": session_hash,
                              "event_data": None, "trigger_id": None})
    joined.raise_for_status()
    event_id = joined.json()["event_id"]
    with httpx.stream("GET", url + "gradio_api/queue/data", params={"session_hash": session_hash},
                      timeout=120) as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                msg = json.loads(line[5:])
                if msg.get("event_id") == event_id and msg.get("msg") == "process_completed":
                    return msg
    raise AssertionError(f"no answer to {dep.get('api_name')}")


def test_a_visitors_id_sent_as_a_session_hash_reaches_nothing_of_theirs_on_any_endpoint(full_app):
    url, demo = full_app
    registry = demo.ganapp.registry
    victim = Client(url, verbose=False)
    try:
        token = victim.predict(None, api_name="/attach")["token"]
        vid = token.split(".")[0]  # the visitor id: the token without its signature
        assert victim.predict("en", "Victim", api_name="/set_name") == "Victim"
        victim.predict("en", 5, *CONTROLS, api_name="/step")
        assert wait_until(lambda: victim.predict(api_name="/snapshot")["step"] == 5, 30)
        assert wait_until(lambda: victim.predict(api_name="/snapshot")["state"] == "paused", 10)
        registry.autosave(vid, force=True)  # (unless the reaper autosaved the paused run already)
        assert registry.store.has(vid, "a")
        record = registry.peek(vid)
        run, build = record.run, record.run.build_id

        deps, components = every_endpoint(url)
        names = {d.get("api_name") for d in deps}
        assert {"snapshot", "set_name", "step", "reset", "attach", "attach_page", "unload", "teacher_class"} <= names
        answers = {d.get("api_name") or str(d["id"]): call(url, vid, d, components) for d in deps}

        assert answers["snapshot"]["output"]["data"][0]["state"] == "none"  # not the victim's run
        assert registry.peek(vid) is record and record.run is run and record.run_b is None
        assert run.build_id == build and run.step_count == 5 and run.state == "paused"
        assert record.state.name == "Victim"
        assert registry.store.has(vid, "a")  # the unload of a page under their id deleted nothing
        mine = victim.predict(api_name="/snapshot")
        assert mine["state"] == "paused" and mine["step"] == 5
    finally:
        victim.close()


def test_a_token_followed_by_a_newline_or_padded_does_not_attach(full_app):
    url, demo = full_app
    store = demo.ganapp.registry.store
    owner, other = Client(url, verbose=False), Client(url, verbose=False)
    try:
        token = owner.predict(None, api_name="/attach")["token"]
        assert store.verify(token) == token.split(".")[0]
        for bent in (token + "\n", token + "\r\n", " " + token, token + " ", "\n" + token):
            assert store.verify(bent) is None, repr(bent)
            answer = other.predict(bent, api_name="/attach")
            assert answer["found"] == "new" and answer["token"] != token, repr(bent)
        assert other.predict(token, api_name="/attach")["token"] == token  # the token itself still does
    finally:
        owner.close()
        other.close()
