"""Faults of the training worker, made clean: a Start that comes while the worker is dying goes to a new worker, and
a shutdown by SIGTERM (repeated, and sent to every process, as a container's stop may) saves every run and logs no
traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ganapp.host.autosave import StateStore
from ganapp.host.registry import Registry
from ganapp.service.worker import WorkerService

from conftest import ROOT, free_port, req, wait_until

CONTROLS = ["ring8", "mlp", "non_saturating", 2, 16, 1e-3, 1e-3, 0.5, 0.999, 1, 1, 0, 8, 8, "", "", "relu",
            "leaky_relu", "adam", "gaussian", 10.0, 0.0, 1, 0.0, 0.0, False, False, 28, 1, None, "scratch"]
pytestmark = pytest.mark.skipif(os.name == "nt", reason="the training worker needs Unix sockets")


def test_a_start_while_the_worker_is_dying_goes_to_a_new_worker(tmp_path):
    from ganapp.ui.handlers import GanApp

    registry = Registry(idle_timeout_s=600, engine=WorkerService())
    app = GanApp(registry, tmp_path)
    try:
        app.train.start(req("a"), "en", 0, *CONTROLS)
        old = registry.visitor("a").run
        assert wait_until(lambda: old.snapshot(None).step > 3, 30)
        assert "running" in app.live.poll(req("a"), "en").status  # the page has drawn its curves
        engine, dying = registry.engine, registry.engine._process
        dying.kill()
        dying.wait()  # its connections are closed ...
        dying.poll = lambda: None  # ... but, like a big process being torn down, it has not ended yet
        app.train.start(req("b"), "en", 0, *CONTROLS)  # another visitor's Start, meanwhile
        fresh = registry.visitor("b").run
        assert engine.generation == 2 and not fresh.lost
        assert wait_until(lambda: fresh.snapshot(None).step > 3, 30)
        assert old.state == "error" and "training process stopped" in app.live.poll(req("a"), "en").status
        app.train.reset(req("a"), "en", *CONTROLS)  # the lost run's visitor starts over (as its page offers) ...
        app.train.start(req("a"), "en", 0, *CONTROLS)  # ... on the new worker
        assert wait_until(lambda: registry.visitor("a").run.snapshot(None).step > 3, 30)
    finally:
        registry.close(save=False)


def test_a_broken_connection_to_a_worker_that_still_answers_is_the_calls_own_fault():
    engine = WorkerService()
    try:
        engine.server()
        pid, generation = engine.pid, engine.generation
        assert not engine.gone(generation, EOFError())  # a fresh connection is answered: the worker lives
        assert engine.pid == pid and engine.alive(generation)
    finally:
        engine.close()


def children(pid: int) -> list[int]:
    """The processes ``pid`` started (any of its threads)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def test_sigterm_repeated_to_every_process_saves_every_run_and_logs_no_traceback(tmp_path):
    from gradio_client import Client

    if not Path("/proc/self/task").is_dir():
        pytest.skip("reads the worker's pid from /proc")
    port = free_port()
    env = {**os.environ, "GANAPP_STATE_DIR": str(tmp_path / "state"), "GRADIO_SERVER_NAME": "127.0.0.1",
           "GRADIO_SERVER_PORT": str(port), "GANAPP_WORKER": "1"}
    log = open(tmp_path / "server.log", "w")
    server = subprocess.Popen([sys.executable, str(ROOT / "app.py")], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/"
        clients: list = []

        def connect() -> bool:
            try:
                clients.append(Client(url, verbose=False))
                return True
            except Exception:  # noqa: BLE001 (not serving yet)
                return False

        assert wait_until(connect, 120, every_s=0.5)
        c = clients[0]
        vid = c.predict(None, api_name="/attach")["token"].split(".")[0]
        c.predict("en", 0, *CONTROLS, api_name="/start")
        assert wait_until(lambda: c.predict(api_name="/snapshot")["step"] > 20, 60)
        step = c.predict(api_name="/snapshot")["step"]
        workers = children(server.pid)
        assert workers
        for pid in workers:  # a container's stop: every process gets SIGTERM ...
            os.kill(pid, signal.SIGTERM)
        while server.poll() is None:  # ... and the process manager repeats it until the server has ended
            os.kill(server.pid, signal.SIGTERM)
            time.sleep(0.05)
        # 0, or the default action of a SIGTERM that came once the interpreter had restored it, at its very end
        assert server.wait() in (0, -signal.SIGTERM)
        output = (tmp_path / "server.log").read_text()
        assert "Traceback" not in output, output
        _, meta = StateStore(tmp_path / "state").read(vid, "a")  # the run, saved at the shutdown
        assert meta["trainer"]["step_count"] >= step and meta["session"]["state"] == "paused"
        assert all(not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
                   for pid in workers)  # the worker ended too
    finally:
        if server.poll() is None:
            server.kill()
        log.close()
