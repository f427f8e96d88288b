"""Training in a worker process (ganapp.service.worker): a WorkerRun behaves as a Run does, its errors
keep their codes, tensors cross intact, and a dead worker neither hangs the page nor loses the server."""

from __future__ import annotations

import gc
import math
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import torch

from ganapp.gan.checkpoints import load_checkpoint
from ganapp.gan.config import ConfigError, GANConfig
from ganapp.gan.data import DatasetUnavailableError
from ganapp.host.registry import Registry
from ganapp.run.lessons import LESSONS
from ganapp.run.run import ERROR, IDLE, PAUSED, RUNNING
from ganapp.service.protocol import RunLostError
from ganapp.service.remote import WorkerRun
from ganapp.service.worker import WorkerService

from conftest import ROOT, tiny_2d, tiny_image, wait_until

FAST = {"publish_every_s": 0.05, "grid_every_s": 0.05}


@pytest.fixture(scope="module")
def worker():
    engine = WorkerService()
    yield engine
    engine.close()
    assert engine.pid is None


def test_a_remote_run_starts_pauses_steps_and_its_poll_deltas_add_up(worker):
    s = worker.new_run(tiny_2d(), **FAST)
    assert isinstance(s, WorkerRun) and s.state == IDLE and s.step_count == 0
    s.start()
    assert wait_until(lambda: s.snapshot(None).step > 30, 20) and s.state == RUNNING
    s.pause()
    assert wait_until(lambda: s.state == PAUSED, 5)
    seen, rows = 0, []
    s.step(7)
    assert wait_until(lambda: s.state == PAUSED and s.snapshot(None).step == s.step_count, 5)
    while True:  # polls ask for what is new since the last step they saw, as the page does
        new = s.rows_since(seen)["step"]
        if not new:
            break
        rows += new
        seen = new[-1]
    assert rows == list(range(1, s.step_count + 1))  # deltas add up to the whole history, once each
    history = s.history(10_000)
    assert list(history["step"]) == rows and all(math.isfinite(v) for v in history["d_loss"])
    assert s.stop() and not worker.holds(s)


def test_the_explore_tab_gets_the_published_g_and_fetches_it_again_only_when_it_changed(worker):
    s = worker.new_run(tiny_2d(), **FAST)
    g = s.generator()
    assert s.generator() is g  # nothing new published: the copy here is kept
    z = torch.randn(5, s.config.z_dim)
    assert torch.equal(s.generate(z), g(z))
    s.step(20)
    assert wait_until(lambda: s.state == PAUSED and s.snapshot(None).step == 20, 10)
    g2 = s.generator()
    assert g2 is not g and not torch.equal(g2(z), g(z))  # trained on: a new G came over
    assert not any(p.requires_grad for p in g2.parameters()) and not g2.training
    with pytest.raises(ValueError, match="expected"):
        s.generate(torch.randn(5, s.config.z_dim + 1))
    snaps = s.g_snapshots()
    assert snaps and [step for step, _ in snaps] == sorted(step for step, _ in snaps)
    assert all(a is b for (_, a), (_, b) in zip(snaps, s.g_snapshots()))  # each snapshot fetched once
    s.stop()


def test_errors_cross_the_process_boundary_with_their_codes(worker, tmp_path):
    s = worker.new_run(tiny_2d(), **FAST)
    with pytest.raises(ConfigError) as e:
        s.update(lr_g=-1.0)
    assert e.value.field == "lr_g" and e.value.code == "out_of_range" and "range" in e.value.params
    s.start()
    with pytest.raises(RuntimeError, match="pause it before stepping"):
        s.step(1)
    s.stop()
    with pytest.raises(DatasetUnavailableError) as e:
        worker.new_run(GANConfig(dataset="folder", data_path=str(tmp_path / "nothing"), model="mlp"))
    assert e.value.reason in ("not_folder", "no_images", "missing") and e.value.params
    with pytest.raises(AttributeError):
        s.trainer  # noqa: B018 (the Trainer stays in the worker)


def test_an_autosave_and_a_checkpoint_cross_intact_and_a_run_goes_on_from_them(worker, tmp_path):
    s = worker.new_run(tiny_image(), **FAST)
    s.step(12)
    assert wait_until(lambda: s.state == PAUSED and s.snapshot(None).step == 12, 20)
    key, tensors, meta = s.autosave_copy()
    assert key == s.save_key() and tensors["fixed_z"].shape == (16, 8) and meta["trainer"]["step_count"] == 12
    back = worker.new_run(None, saved=(tensors, meta), **FAST)
    assert back.state == PAUSED and back.step_count == 12
    assert back.history(100)["step"].tolist() == s.history(100)["step"].tolist()
    z = torch.randn(3, 8)
    assert torch.allclose(back.generate(z), s.generate(z))
    path = s.save_checkpoint(tmp_path / "run.safetensors")
    ck = load_checkpoint(path)
    assert ck.step == 12
    tuned = worker.new_run(ck.config, init=ck, **FAST)
    assert tuned.step_count == 12 and torch.allclose(tuned.generate(z), s.generate(z))
    tuned.reset()
    assert tuned.step_count == 0 and tuned.state == IDLE
    tuned.set_lesson(LESSONS["alternating"])
    assert tuned.lesson is LESSONS["alternating"]


def test_dropping_a_remote_run_frees_it_in_the_worker(worker):
    before = worker.server().runs()
    s = worker.new_run(tiny_2d(), **FAST)
    assert worker.server().runs() == before + 1
    del s
    gc.collect()
    assert wait_until(lambda: worker.server().runs() == before, 5)


def test_a_registry_on_the_worker_builds_autosaves_and_restores_runs(tmp_path):
    from ganapp.host.autosave import StateStore

    engine = WorkerService()
    store = StateStore(tmp_path)
    registry = Registry(engine=engine, store=store, **FAST)
    try:
        token, _ = registry.attach("page-1")
        vid = store.verify(token)
        s = registry.new_run(vid, tiny_2d())
        assert isinstance(s, WorkerRun)
        s.step(9)
        assert wait_until(lambda: s.state == PAUSED and s.snapshot(None).step == 9, 10)
        assert registry.autosave(vid, force=True) == ["a"]
        registry.close(save=False)
        assert engine.pid is None  # the registry stopped its worker
        again = Registry(engine=WorkerService(), store=store, **FAST)
        again.attach("page-2", token)
        restored = again.visitor(vid).run
        assert isinstance(restored, WorkerRun) and restored.step_count == 9 and restored.state == PAUSED
        again.close(save=False)
    finally:
        engine.close()


def test_a_dead_worker_turns_its_runs_to_errors_and_the_next_run_starts_a_new_one():
    engine = WorkerService()
    try:
        s = engine.new_run(tiny_2d(), **FAST)
        s.start()
        assert wait_until(lambda: s.snapshot(None).step > 5, 20)
        os.kill(engine.pid, signal.SIGKILL)
        assert wait_until(lambda: s.state == ERROR, 5)
        snap = s.snapshot(0)
        assert snap.state == ERROR and "worker stopped" in snap.message and snap.step > 5
        with pytest.raises(RunLostError):
            s.start()
        fresh = engine.new_run(tiny_2d(), **FAST)
        assert engine.generation == 2 and fresh.state == IDLE
        fresh.step(3)
        assert wait_until(lambda: fresh.snapshot(None).step == 3, 10)
    finally:
        engine.close()


def test_the_worker_ends_when_the_web_process_is_killed(tmp_path):
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from ganapp.service.worker import WorkerService
        engine = WorkerService()
        engine.server()
        print(engine.pid, engine._folder, flush=True)
        time.sleep(60)
    """)
    server = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        pid, folder = server.stdout.readline().split()
        worker_pid = int(pid)
        os.kill(worker_pid, 0)  # it runs
        server.kill()
        server.wait()

        def gone() -> bool:
            try:
                os.kill(worker_pid, 0)
            except ProcessLookupError:
                return True
            with open(f"/proc/{worker_pid}/stat") as f:  # a zombie waiting for init to reap it is gone too
                return f.read().split()[2] == "Z"

        assert wait_until(gone, 10)
        assert wait_until(lambda: not os.path.exists(folder), 5)  # its socket's folder went with it
    finally:
        server.kill()


def test_the_page_says_in_its_language_that_the_worker_stopped_and_reset_trains_again(tmp_path):
    import gradio as gr

    from ganapp.ui.handlers import GanApp

    from conftest import CONTROLS, req

    registry = Registry(idle_timeout_s=60, engine=WorkerService())
    app = GanApp(registry, tmp_path)
    try:
        app.train.start(req("a"), "en", 0, *CONTROLS)
        session = registry.visitor("a").run
        assert isinstance(session, WorkerRun)
        assert wait_until(lambda: session.snapshot(None).step > 5, 20)
        assert "running" in app.live.poll(req("a"), "en").status.lower()
        os.kill(registry.engine.pid, signal.SIGKILL)
        assert wait_until(lambda: session.state == ERROR, 5)
        assert "training process stopped" in app.live.poll(req("a"), "en").status  # the poll still answers
        assert "训练进程已停止" in app.live.poll(req("a"), "zh").status
        with pytest.raises(gr.Error, match="训练进程已停止"):
            app.train.step(req("a"), "zh", 5, *CONTROLS)
        registry.reap(time.monotonic())  # upkeep goes on past the lost run
        app.train.reset(req("a"), "en", *CONTROLS)  # a new worker, a new run
        app.train.start(req("a"), "en", 0, *CONTROLS)
        fresh = registry.visitor("a").run
        assert fresh is not session and registry.engine.generation == 2
        assert wait_until(lambda: fresh.snapshot(None).step > 5, 20)
    finally:
        registry.close(save=False)


def test_a_visitor_whose_runs_died_with_the_worker_gets_them_back_from_their_autosave(tmp_path):
    from ganapp.host.autosave import StateStore

    store = StateStore(tmp_path)
    registry = Registry(engine=WorkerService(), store=store, **FAST)
    try:
        token, _ = registry.attach("page-1")
        vid = store.verify(token)
        s = registry.new_run(vid, tiny_2d())
        registry.visitor(vid).state.name = "Ada"
        s.step(9)
        assert wait_until(lambda: s.state == PAUSED and s.snapshot(None).step == 9, 10)
        assert registry.autosave(vid, force=True) == ["a"]
        assert registry.visitor(vid).run is s  # nothing lost: the same run
        os.kill(registry.engine.pid, signal.SIGKILL)
        assert wait_until(lambda: s.lost, 5)
        back = registry.visitor(vid)  # the visitor's next request
        assert back.run is not s and not back.run.lost and registry.engine.generation == 2
        assert back.run.step_count == 9 and back.run.state == PAUSED and back.state.name == "Ada"
        back.run.step(2)
        assert wait_until(lambda: back.run.snapshot(None).step == 11, 10)
    finally:
        registry.close(save=False)


def test_the_host_chooses_where_training_runs_and_a_bad_choice_is_named(monkeypatch, tmp_path):
    import app as app_module

    monkeypatch.setenv("GANAPP_WORKER", "yes")
    with pytest.raises(SystemExit, match=r"GANAPP_WORKER='yes' is not allowed: choose 1 .* or 0"):
        app_module.create_demo(state_dir=tmp_path)
    monkeypatch.setenv("GANAPP_WORKER", "0")
    demo = app_module.create_demo(state_dir=tmp_path)
    assert not isinstance(demo.ganapp.registry.engine, WorkerService)
    demo.ganapp.registry.close(save=False)
    monkeypatch.delenv("GANAPP_WORKER")
    demo = app_module.create_demo(state_dir=tmp_path)  # the default: a worker, started on first use
    assert isinstance(demo.ganapp.registry.engine, WorkerService) and demo.ganapp.registry.engine.pid is None
    demo.ganapp.registry.close(save=False)
