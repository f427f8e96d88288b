"""The run protocol's contract (ganapp.service.protocol.RunHandle), written once and run against each implementation:
a run in this process (Run), a run in the training worker (WorkerRun) and a run on a Ray cluster (WorkerRun over a
Ray actor, marked ``ray``: one local cluster of 2 CPUs for this module). A new implementation is added to
``IMPLEMENTATIONS`` and must pass the same tests; the members checked after a loss are the protocol's own, so a new
member cannot escape the rule."""

from __future__ import annotations

import inspect
import math
import os
import pickle
import signal
import threading

import numpy as np
import pytest
import torch

from conftest import tiny_2d, wait_until
from ganapp.engine.engine import Engine
from ganapp.gan.checkpoints import load_checkpoint
from ganapp.gan.config import ConfigError
from ganapp.run.lessons import LESSONS
from ganapp.run.publisher import Snapshot
from ganapp.run.run import ERROR, IDLE, PAUSED, RUNNING, STOPPED, Run, RunRefusedError
from ganapp.service.protocol import DONE_WHEN_LOST, LAST_SEEN, RUN_LOST, RunHandle, RunLostError, members
from ganapp.service.remote import WorkerRun
from ganapp.service.worker import RunServer, WorkerService

FAST = {"publish_every_s": 0.05, "grid_every_s": 0.05}
IMPLEMENTATIONS = ("local", "worker", pytest.param("ray", marks=pytest.mark.ray))


@pytest.fixture(scope="module")
def ray_service(tmp_path_factory):
    """A RayService on a fresh local Ray cluster of 2 CPUs (one engine), for this module's ``ray`` tests."""
    import ray

    from ganapp.service.ray_service import RayService

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    service = RayService(store_url=str(tmp_path_factory.mktemp("ray-store")), autosave_every_s=0.5)
    yield service
    service.close()
    ray.shutdown()


@pytest.fixture
def own_worker():
    """A training worker of the test's own, for a test that kills it."""
    engine = WorkerService()
    yield engine
    engine.close()


@pytest.fixture(params=IMPLEMENTATIONS)
def make_run(request):
    """make_run(config=tiny_2d(), **kwargs): a new run of the parametrized implementation, stopped after the test."""
    made, engine = [], Engine()
    service = None if request.param == "local" else request.getfixturevalue(
        "worker" if request.param == "worker" else "ray_service")

    def make(config=None, **kwargs):
        config = config or tiny_2d()
        run = (Run(config, engine=engine, **FAST, **kwargs) if service is None else
               service.new_run(config, **FAST, **kwargs))
        made.append(run)
        return run

    yield make
    for run in made:
        run.stop(timeout_s=30.0)


def settled(run, steps: int) -> bool:
    """Whether ``run`` is paused with ``steps`` G updates, all of them published."""
    return run.state == PAUSED and run.step_count == steps and run.snapshot(None).step == steps


# ----- the shape: both implementations have the protocol's members, with its signatures -----

def test_both_handles_have_the_protocols_members_and_signatures():
    protocol = members(RunHandle)
    remote = {n for n, v in vars(WorkerRun).items() if not n.startswith("_") and (callable(v) or
                                                                                     isinstance(v, property))}
    assert remote == set(protocol)  # nothing more, nothing less: no forwarding by name
    assert "__getattr__" not in vars(WorkerRun)
    for name, member in protocol.items():
        for handle in (Run, WorkerRun):
            theirs = inspect.getattr_static(handle, name)
            if isinstance(member, property):
                assert isinstance(theirs, (property, bool)), (handle.__name__, name)  # Run.lost is a plain False
            else:
                assert inspect.signature(theirs).parameters.keys() == inspect.signature(member).parameters.keys(), \
                    (handle.__name__, name)


def test_the_worker_serves_each_member_that_calls_it_and_nothing_by_name():
    server = {n for n, v in vars(RunServer).items() if not n.startswith("_") and callable(v)}
    local_only = {"lost", "config", "generate"}  # the handle answers these itself (generate with its copy of G)
    assert server == (set(members(RunHandle)) - local_only) | {"create", "statuses", "held", "drop", "runs"}
    assert not {"call", "get"} & server


# ----- states and commands -----

def test_start_pause_resume_stop(make_run):
    run = make_run()
    assert isinstance(run, RunHandle) and run.state == IDLE and run.step_count == 0 and not run.lost
    run.start()
    assert wait_until(lambda: run.state == RUNNING and run.step_count > 5, 60)
    run.pause()
    assert wait_until(lambda: run.state == PAUSED, 30)
    paused_at = run.step_count
    assert run.snapshot(None).step <= paused_at
    run.resume()
    assert wait_until(lambda: run.step_count > paused_at, 60)
    assert run.stop(timeout_s=30.0) and run.state == STOPPED


def test_step_makes_exactly_n_steps_and_a_running_run_refuses_it_with_its_reason(make_run):
    run = make_run()
    run.step(7)
    assert wait_until(lambda: settled(run, 7), 60)
    run.start()
    assert wait_until(lambda: run.state == RUNNING, 30)
    with pytest.raises(RunRefusedError) as refused:
        run.step(1)
    assert refused.value.reason == "running"
    run.pause()
    with pytest.raises(ValueError, match="n="):
        run.step(0)


def test_a_phase_step_of_d_moves_only_d_and_both_adds_a_g_update(make_run):
    run = make_run()
    run.step(3)
    assert wait_until(lambda: settled(run, 3), 60)

    def d_updates() -> int:
        return run.autosave_copy()[2]["trainer"]["d_updates"]

    before = d_updates()
    run.phase_step("d")
    assert wait_until(lambda: run.state == PAUSED and d_updates() == before + 1, 60)
    assert run.step_count == 3
    run.phase_step("both")
    assert wait_until(lambda: settled(run, 4), 60)


# ----- update, lessons, slow motion -----

def test_a_live_change_applies_and_shows_at_once_and_a_bad_value_names_its_field(make_run):
    run = make_run()
    applied, needs_reset = run.update(lr_g=5e-4)
    assert applied == ["lr_g"] and needs_reset == [] and run.config.lr_g == 5e-4
    applied, needs_reset = run.update(z_dim=run.config.z_dim + 1)
    assert applied == [] and needs_reset == ["z_dim"]
    with pytest.raises(ConfigError) as bad:
        run.update(lr_g=-1.0)
    assert bad.value.field == "lr_g" and run.config.lr_g == 5e-4


def test_a_lesson_and_slow_motion(make_run):
    run = make_run()
    run.set_lesson(LESSONS["alternating"])
    assert run.lesson is LESSONS["alternating"]
    run.set_lesson(None)
    assert run.lesson is None
    with pytest.raises(ValueError):
        run.set_slow_motion(99)
    run.set_slow_motion(0.25)
    assert run.status().slow_motion_s == 0.25  # a reloaded page reads it back
    run.set_slow_motion(0.0)
    assert run.status().slow_motion_s == 0.0


# ----- reads -----

def test_reads_rows_history_snapshots_and_the_time_lapse(make_run):
    run = make_run()
    run.step(12)
    assert wait_until(lambda: settled(run, 12), 60)
    snap = run.snapshot(0)
    assert isinstance(snap, Snapshot) and snap.step == 12 and snap.points is not None
    assert list(snap.metrics["step"]) == list(range(1, 13))
    assert run.snapshot(12).metrics["step"] == [] and run.rows_since(10)["step"] == [11, 12]
    history = run.history(1000)
    assert list(history["step"]) == list(range(1, 13)) and all(math.isfinite(v) for v in history["d_loss"])
    assert all(isinstance(f, np.ndarray) and f.dtype == np.uint8 for f in run.frames())
    assert isinstance(run.save_key(), tuple)


def test_a_frame_sends_the_arrays_only_when_they_are_newer_than_the_callers(make_run):
    """A poll reads a frame with the grid_version it drew last: the grid, points and 2D view come again only once
    they changed, and the scores and 2D metrics rows always."""
    run = make_run()
    run.step(40)
    assert wait_until(lambda: settled(run, 40) and run.snapshot(None).view_metrics, 60)
    first = run.frame()
    assert first.points is not None and first.view is not None and first.metrics["step"] == []
    same = run.frame(first.grid_version)
    assert same.grid_version == first.grid_version and same.step == first.step
    assert same.points is None and same.view is None and same.grid is None
    assert same.view_metrics == first.view_metrics and same.scores == first.scores
    assert len(pickle.dumps(same)) < len(pickle.dumps(first)) // 2
    run.step(40)
    assert wait_until(lambda: settled(run, 80) and run.status().grid_version > first.grid_version, 60)
    newer = run.frame(first.grid_version)
    assert newer.grid_version > first.grid_version and newer.points is not None and newer.view is not None


def test_a_status_carries_no_array_and_stays_small_where_the_snapshot_grows(make_run):
    """The tick reads a status twice a second per page: pickled, at most 2 KB, on a 2D run with 2D metrics rows
    (whose whole snapshot is tens of KB)."""
    run = make_run()
    run.step(40)
    assert wait_until(lambda: settled(run, 40) and run.snapshot(None).view_metrics, 60)
    status, snap = run.status(), run.snapshot(None)

    def arrays(value) -> list:
        if isinstance(value, (np.ndarray, torch.Tensor, torch.nn.Module)):
            return [type(value)]
        if isinstance(value, dict):
            return [a for v in value.values() for a in arrays(v)]
        if isinstance(value, (list, tuple)):
            return [a for v in value for a in arrays(v)]
        return []

    assert not arrays(list(vars(status).values())) and status.view is None and status.points is None
    assert status.step == snap.step and status.state == snap.state and status.config == snap.config
    assert status.n_view_rows == len(snap.view_metrics) >= 1 and status.view_metrics == snap.view_metrics[-1:]
    assert len(pickle.dumps(status)) <= 2048 < len(pickle.dumps(snap))


def test_g_is_a_frozen_copy_that_follows_training(make_run):
    run = make_run()
    g = run.generator()
    assert not g.training and not any(p.requires_grad for p in g.parameters())
    z = torch.randn(6, run.config.z_dim)
    before = run.generate(z)
    assert before.shape == (6, 2)
    run.step(15)
    assert wait_until(lambda: settled(run, 15), 60)
    assert not torch.equal(run.generate(z), before)
    steps = [step for step, _ in run.g_snapshots()]
    assert steps == sorted(steps) and steps[0] == 0


def test_a_checkpoint_and_an_autosave_copy_hold_the_run(make_run, tmp_path):
    run = make_run()
    run.step(5)
    assert wait_until(lambda: settled(run, 5), 60)
    path = run.save_checkpoint(tmp_path / "run.safetensors")
    ck = load_checkpoint(path)
    assert ck.step == 5 and ck.config.z_dim == run.config.z_dim
    key, tensors, meta = run.autosave_copy()
    assert key == run.save_key() and meta["trainer"]["step_count"] == 5
    assert any(k.startswith("G.") for k in tensors) and any(k.startswith("D.") for k in tensors)


def test_readers_and_commands_from_many_threads_leave_the_run_consistent(make_run):
    run = make_run()
    errors, stop = [], threading.Event()

    def read():
        while not stop.is_set():
            try:
                run.snapshot(None), run.generator(), run.rows_since(0)
            except Exception as e:  # noqa: BLE001 (collected, then asserted empty)
                errors.append(e)

    def command():
        for i in range(6):
            try:
                (run.start if i % 2 == 0 else run.pause)()
            except RunRefusedError:
                pass
            except Exception as e:  # noqa: BLE001
                errors.append(e)
        stop.set()

    threads = [threading.Thread(target=read) for _ in range(4)] + [threading.Thread(target=command)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    run.pause()
    assert wait_until(lambda: run.state == PAUSED, 30)
    assert wait_until(lambda: run.snapshot(None).step == run.step_count, 30)


# ----- after loss: the one rule, for every member of the protocol -----

def test_a_lost_run_follows_the_one_rule_for_every_member(own_worker, tmp_path):
    run = own_worker.new_run(tiny_2d(), **FAST)
    run.step(4)
    assert wait_until(lambda: settled(run, 4), 60)
    seen = {"config": run.config, "step_count": run.step_count, "lesson": run.lesson, "history": run.history()}
    last = run.snapshot(0)
    run.status()
    run.frame()
    os.kill(own_worker.pid, signal.SIGKILL)
    assert wait_until(lambda: run.lost, 30)
    arguments = {"start": (), "resume": (), "step": (1,), "phase_step": ("d",), "reset": (),
                 "update": (), "set_slow_motion": (0.0,), "set_lesson": (None,),
                 "save_checkpoint": (tmp_path / "x.safetensors",), "autosave_copy": (), "save_key": (),
                 "frames": (), "generator": (), "generate": (torch.zeros(1, 2),), "g_snapshots": (),
                 "pause": (), "stop": (), "status": (), "frame": (), "snapshot": (0,), "rows_since": (0,),
                 "history": ()}
    for name, member in members(RunHandle).items():
        if name == "lost":
            assert run.lost is True
            continue
        if isinstance(member, property):
            value = getattr(run, name)
        elif name in LAST_SEEN or name in DONE_WHEN_LOST:
            value = getattr(run, name)(*arguments[name])
        else:
            with pytest.raises(RunLostError):
                getattr(run, name)(*arguments[name])
            continue
        if name == "state":
            assert value == ERROR
        elif name in ("snapshot", "status", "frame"):
            assert value.state == ERROR and value.message == RUN_LOST and value.it_s == 0.0
            assert value.step == last.step
        elif name == "rows_since":
            assert all(rows == [] for rows in value.values())
        elif name == "stop":
            assert value is True
        elif name == "pause":
            assert value is None
        elif name == "history":
            assert list(value["step"]) == list(seen["history"]["step"])
        else:
            assert value == seen[name], name


def test_a_read_never_made_before_the_loss_raises(own_worker):
    run = own_worker.new_run(tiny_2d(), **FAST)
    os.kill(own_worker.pid, signal.SIGKILL)
    assert wait_until(lambda: run.lost, 30)
    assert run.state == ERROR and run.stop() is True and run.pause() is None
    assert run.config == tiny_2d()  # known from the run's creation: no call
    for read in (lambda: run.step_count, lambda: run.snapshot(0), lambda: run.history()):
        with pytest.raises(RunLostError):
            read()


# ----- the service: several runs' statuses in one call -----

def test_a_page_reads_run_a_and_run_b_in_one_round_trip_and_a_lost_pair_by_the_rule(own_worker):
    a, b = own_worker.new_run(tiny_2d(), **FAST), own_worker.new_run(tiny_2d(seed=2), **FAST)
    a.step(3)
    b.step(5)
    assert wait_until(lambda: settled(a, 3) and settled(b, 5), 60)
    before = own_worker.calls.copy()
    sa, sb = own_worker.statuses([a, b])
    assert own_worker.calls - before == {"statuses": 1}
    assert (sa.step, sb.step) == (3, 5) and sa.config == a.config and sb.config.seed == 2
    os.kill(own_worker.pid, signal.SIGKILL)
    assert wait_until(lambda: a.lost and b.lost, 30)
    lost = own_worker.statuses([a, b])
    assert [s.state for s in lost] == [ERROR, ERROR] and [s.step for s in lost] == [3, 5]
    assert all(s.message == RUN_LOST for s in lost)


# ----- the services: where runs train, behind one seam -----

@pytest.fixture(params=IMPLEMENTATIONS)
def service(request):
    """The parametrized RunService: an engine in this process, the test session's training worker, or the module's
    Ray service."""
    from ganapp.service.local import LocalService

    if request.param == "local":
        return LocalService(Engine())
    return request.getfixturevalue("worker" if request.param == "worker" else "ray_service")


def test_a_service_builds_runs_of_the_protocol_and_reads_their_statuses(service):
    from ganapp.service.protocol import RunService

    assert isinstance(service, RunService)
    service.warm()
    a = service.new_run(tiny_2d(), **FAST)
    b = service.new_run(tiny_2d(seed=2), **FAST)
    try:
        assert isinstance(a, RunHandle) and a.config == tiny_2d() and a.state == IDLE
        a.step(2)
        b.step(4)
        assert wait_until(lambda: settled(a, 2) and settled(b, 4), 60)
        sa, sb = service.statuses([a, b])
        assert (sa.step, sb.step) == (2, 4) and sb.config.seed == 2
        saved = a.autosave_copy()
        back = service.new_run(None, saved=saved[1:], **FAST)  # the run an autosave holds
        assert back.step_count == 2 and back.state == PAUSED and back.config == a.config
        back.stop()
    finally:
        a.stop()
        b.stop()
