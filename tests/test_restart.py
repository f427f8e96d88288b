"""A server restart as a host does it: ``python app.py`` trains a visitor's run, gets SIGTERM, and is started again
over the same state folder. The run comes back paused at its saved step, with its history, and resumes."""

import os
import signal
import subprocess
import sys
import time

import pytest
from gradio_client import Client

from conftest import ROOT, free_port, wait_until
from test_app_client import CONTROLS


def _launch(state_dir, port: int) -> subprocess.Popen:
    env = {**os.environ, "GANAPP_STATE_DIR": str(state_dir), "GRADIO_SERVER_PORT": str(port),
           "GRADIO_SERVER_NAME": "127.0.0.1", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    return proc


def _client(proc: subprocess.Popen, port: int) -> Client:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the app exited with {proc.returncode}: {proc.stdout.read()}")
        try:
            return Client(f"http://127.0.0.1:{port}/", verbose=False)
        except Exception:  # noqa: BLE001 (not listening yet)
            time.sleep(0.5)
    pytest.fail("the app did not start within 90 s")


def test_a_restart_brings_a_run_back_paused_with_its_history_and_it_resumes(tmp_path):
    port = free_port()
    proc = _launch(tmp_path, port)
    try:
        client = _client(proc, port)
        token = client.predict(None, api_name="/attach")["token"]
        client.predict("en", 0, *CONTROLS, api_name="/start")
        assert wait_until(lambda: client.predict(api_name="/snapshot")["step"] > 200, 60)
        before = client.predict(api_name="/snapshot")
        client.close()
    finally:
        proc.send_signal(signal.SIGTERM)  # what a Space or a process manager sends
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out

    proc = _launch(tmp_path, port)
    try:
        client = _client(proc, port)
        found = client.predict(token, api_name="/attach")
        assert found["found"] == "restored" and found["token"] == token and found["step"] >= before["step"]
        snap = client.predict(api_name="/snapshot")
        assert snap["state"] == "paused" and snap["step"] == found["step"]
        assert snap["history_rows"] >= before["history_rows"]  # the curves came back
        client.predict("en", api_name="/resume")  # one click goes on
        assert wait_until(lambda: client.predict(api_name="/snapshot")["step"] > found["step"] + 50, 60)
        stranger = Client(f"http://127.0.0.1:{port}/", verbose=False)  # no token: a fresh visitor, no run
        assert stranger.predict(api_name="/snapshot")["state"] == "none"
        stranger.close()
        client.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
