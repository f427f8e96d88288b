import math
import threading
import time

import numpy as np
import pytest
import torch

from ganapp.engine.engine import Engine
from ganapp.run.run import ERROR, IDLE, PAUSED, RUNNING, STOPPED, Run

from conftest import tiny_2d, tiny_image, wait_until


@pytest.fixture
def sessions():
    made = []

    def make(config, **kw):
        kw.setdefault("publish_every_s", 0.05)
        kw.setdefault("grid_every_s", 0.05)
        s = Run(config, **kw)
        made.append(s)
        return s

    yield make
    for s in made:
        s.stop()


def test_start_pause_step_resume_stop_within_timeouts(sessions):
    s = sessions(tiny_2d())
    assert s.state == IDLE
    s.start()
    assert wait_until(lambda: s.snapshot().step > 20, 10)
    assert s.state == RUNNING
    s.pause()
    # paused, and the step in progress at the pause published: what it trained is what it shows
    assert wait_until(lambda: s.state == PAUSED and s.snapshot().step == s.trainer.step_count)
    paused_at = s.snapshot().step
    s.step(5)
    assert wait_until(lambda: s.snapshot().step == paused_at + 5 and s.state == PAUSED)
    assert s.trainer.step_count == paused_at + 5  # pause really stopped the step count
    s.resume()
    assert wait_until(lambda: s.snapshot().step > paused_at + 20)
    assert s.stop(timeout_s=30.0) and not s.engine.holds(s) and s.state == STOPPED


def test_snapshot_since_returns_only_new_rows_and_grids_refresh(sessions):
    s = sessions(tiny_image())
    first_grid = s.snapshot().grid.copy()
    s.step(30)
    assert wait_until(lambda: s.snapshot().step == 30 and s.state == PAUSED, 20)
    snap = s.snapshot(since=10)
    assert snap.metrics["step"] == list(range(11, 31))
    assert all(math.isfinite(v) for v in snap.metrics["d_loss"])
    assert snap.grid.dtype == np.uint8 and snap.grid.ndim == 3 and snap.grid.shape[2] == 3
    assert not np.array_equal(snap.grid, first_grid)  # the fixed_z grid follows G
    assert len(s.frames()) >= 2 and snap.epoch == pytest.approx(30 * 8 / 10000)


def test_2d_snapshot_has_real_and_fake_points(sessions):
    s = sessions(tiny_2d())
    snap = s.snapshot()
    assert snap.grid is None and snap.points["real"].shape[1] == 2 and snap.points["fake"].shape == (16, 2)


def test_generate_reads_current_g_while_training(sessions):
    s = sessions(tiny_image())
    z = torch.randn(2, 8)
    before = s.generate(z)
    s.start()
    times = []
    for _ in range(20):
        t0 = time.perf_counter()
        out = s.generate(z)
        times.append(time.perf_counter() - t0)
        assert out.shape == (2, 1, 28, 28) and torch.isfinite(out).all()
        time.sleep(0.02)
    assert wait_until(lambda: not torch.equal(s.generate(z), before), 10)  # it is the *current* G
    with pytest.raises(ValueError, match=r"expected \(N, 8\)"):
        s.generate(torch.randn(2, 3))


def test_reader_copy_is_never_the_training_module(sessions):
    s = sessions(tiny_2d())
    g = s.generator()
    assert g is not s.trainer.G and not g.training
    assert all(not p.requires_grad for p in g.parameters())


def test_huge_learning_rate_pauses_and_rolls_back_to_finite_weights(sessions):
    # no R1: the last finite weights of a 1e6 learning rate can be ~1e28, and R1's gradient of such a D overflows again
    s = sessions(tiny_2d(lr_g=1e6, lr_d=1e6, beta1=0.0, beta2=0.0, g_width=128, d_width=128, batch_size=256,
                         r1_gamma=0.0))
    s.start()
    assert wait_until(lambda: s.state == PAUSED, 10)
    snap = s.snapshot()
    assert "non-finite" in snap.message and "rolled back" in snap.message
    assert s.trainer.weights_finite()
    assert all(math.isfinite(v) for col in snap.metrics.values() for v in col)
    assert s.trainer.step_count == snap.step  # weights and history agree
    s.update(lr_g=1e-3, lr_d=1e-3, beta1=0.5, beta2=0.999)
    s.step(3)
    assert wait_until(lambda: s.snapshot().step == snap.step + 3, 5)


def test_exception_in_thread_becomes_error_state(sessions):
    s = sessions(tiny_2d())

    def boom():
        raise RuntimeError("disk on fire")

    s.trainer.train_step = boom
    s.start()
    assert wait_until(lambda: s.state == ERROR, 5)
    assert "disk on fire" in s.snapshot().message
    with pytest.raises(RuntimeError, match="reset"):
        s.start()
    s.reset()
    assert s.state == IDLE


def test_step_while_running_and_bad_n_are_refused(sessions):
    s = sessions(tiny_2d())
    for bad in (0, -1, 10_001, 2.5, True):
        with pytest.raises(ValueError, match="n="):
            s.step(bad)
    s.start()
    with pytest.raises(RuntimeError, match="pause"):
        s.step(1)


def test_reset_starts_over_with_a_new_config(sessions):
    s = sessions(tiny_2d())
    s.step(10)
    assert wait_until(lambda: s.snapshot().step == 10, 5)
    s.reset(tiny_2d(z_dim=3))
    snap = s.snapshot()
    assert snap.step == 0 and snap.metrics["step"] == [] and s.config.z_dim == 3 and s.state == IDLE


def test_live_update_applies_between_steps(sessions):
    s = sessions(tiny_2d())
    s.start()
    applied, needs_reset = s.update(lr_d=5e-4, seed=3)
    assert applied == ["lr_d"] and needs_reset == ["seed"]
    assert s.trainer.opt_d.param_groups[0]["lr"] == 5e-4


def test_fair_share_every_session_advances_none_waits_at_zero(sessions):
    # six sessions on one engine: two stackable pairs and two that train alone (a DCGAN and an odd width)
    engine = Engine(quantum_s=0.01)
    configs = [tiny_2d(seed=0), tiny_2d(seed=1), tiny_2d(seed=2, g_width=12), tiny_2d(seed=3, g_width=12),
               tiny_2d(seed=4, d_width=20), tiny_image()]
    runs = [sessions(c, engine=engine) for c in configs]
    for s in runs:
        s.start()
    assert wait_until(lambda: all(s.snapshot(None).step >= 10 and s.state == RUNNING for s in runs), 30)
    assert engine.training == 6 and runs[0].snapshot(None).sharing == 6
    runs[0].pause()  # the others go on; the paused one stops (once the step in progress is published)
    with engine.lock:  # the engine steps under its lock: a step begun before the pause has ended, and none follows
        pass
    assert wait_until(lambda: runs[0].state == PAUSED and runs[0].snapshot(None).step == runs[0].trainer.step_count)
    paused_at, others = runs[0].snapshot(None).step, [s.snapshot(None).step for s in runs[1:]]
    assert wait_until(lambda: all(s.snapshot(None).step > n for s, n in zip(runs[1:], others)))
    assert runs[0].snapshot(None).step == paused_at == runs[0].trainer.step_count
    thread = engine._thread
    engine.close()  # while five still train: the engine's thread ends now, not when they stop
    assert not thread.is_alive()  # and with it the only thread that trains them: their counts stay
    assert all(s.state != STOPPED for s in runs[1:])


def test_a_caller_can_drive_the_engine_in_chunks(sessions):
    # the ZeroGPU seam: no background thread; a request handler trains for a few seconds, then returns
    engine = Engine(background=False)
    a, b = sessions(tiny_2d(seed=0), engine=engine), sessions(tiny_2d(seed=1), engine=engine)
    a.start()
    b.step(7)
    assert engine._thread is None and a.snapshot(None).step == 0  # nothing trains until a caller drives it
    done = engine.run_for(0.5)
    while b.state != PAUSED:  # a busy machine does fewer steps a chunk: drive it until run B's 7 are done
        done += engine.run_for(0.5)
    assert done > 7 and a.snapshot(None).step > 0 and b.snapshot(None).step == 7 and b.state == PAUSED
    a.pause()
    engine.run_for(0.1)  # the final publish of the paused session
    assert a.snapshot(None).step == a.trainer.step_count


def test_many_readers_and_controls_from_threads_do_not_break_the_session(sessions):
    s = sessions(tiny_2d())
    s.start()
    errors = []

    def reader():
        try:
            for _ in range(50):
                s.snapshot(since=0)
                s.generate(torch.randn(4, 2))
                s.history(100)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for th in threads:
        th.start()
    for _ in range(5):
        s.pause()
        s.resume()
    for th in threads:
        th.join(10)
    assert not errors
    assert wait_until(lambda: s.state == RUNNING)
    step = s.snapshot().step
    assert wait_until(lambda: s.snapshot().step > step + 10)


def test_a_slow_step_outliving_stop_never_corrupts_a_reset_or_restarted_session(sessions):
    s = sessions(tiny_2d())
    original = s.trainer.train_step
    entered, release, left = threading.Event(), threading.Event(), threading.Event()

    def slow_step():  # a step that lasts until the test lets it end
        entered.set()
        release.wait(60)
        try:
            return original()
        finally:
            left.set()

    s.trainer.train_step = slow_step
    s.start()
    assert entered.wait(60)
    assert not s.stop(timeout_s=0.1)  # the thread is still inside its slow step
    release.set()
    s.reset()  # waits for that step, then swaps in a fresh trainer
    assert s.state == IDLE and s.snapshot().step == 0 and s.trainer.step_count == 0
    s.start()
    assert wait_until(lambda: s.snapshot().step > 5 and s.state == RUNNING)
    assert left.wait(60)  # the old thread's step has ended: it changed nothing of the new run
    assert wait_until(lambda: s.snapshot().step > 10)
    assert s.state == RUNNING and s.snapshot().metrics["step"][0] == 1


def test_status_only_snapshot_copies_no_rows(sessions):
    s = sessions(tiny_2d())
    s.step(5)
    assert wait_until(lambda: s.snapshot().step == 5, 5)
    assert s.snapshot(None).metrics["step"] == [] and len(s.snapshot(0).metrics["step"]) == 5


def test_a_timed_run_decays_the_learning_rates_then_pauses_by_itself(sessions):
    s = sessions(tiny_2d(lr_decay=0.5))
    with pytest.raises(ValueError, match="run_s=-1 is out of range"):
        s.start(run_s=-1)
    s.start(run_s=0.6)
    first = s.snapshot(None)  # read at once; on a loaded machine the 0.6 s may be over already, which is right too
    assert first.run_left_s is not None or first.run_over_s == 0.6
    assert wait_until(lambda: s.state == PAUSED, 5)
    snap = s.snapshot(None)
    assert snap.run_over_s == 0.6 and snap.run_left_s is None and "timed run is over" in snap.message
    assert snap.lr_scale < 0.2 and snap.elapsed_s >= 0.6  # (how far past 0.6 s depends on the machine's load)
    step = snap.step
    s.resume()  # after a timed run: on at the configured rates, until paused
    assert wait_until(lambda: s.snapshot(None).step > step + 20, 10)
    assert s.snapshot(None).lr_scale == 1 and s.snapshot(None).run_over_s is None
    s.pause()


def test_a_paused_timed_run_keeps_its_time_and_start_0_ends_it(sessions):
    s = sessions(tiny_2d(lr_decay=0.5))
    s.start(run_s=60)
    assert wait_until(lambda: s.snapshot(None).step > 5, 5)
    s.pause()
    assert wait_until(lambda: s.state == PAUSED)
    left = s.snapshot(None).run_left_s
    time.sleep(0.2)  # time that passes while paused (the state under test is the clock itself)
    assert s.snapshot(None).run_left_s == left and 0 < left < 60  # paused time does not count
    s.resume()
    assert wait_until(lambda: s.snapshot(None).run_left_s < left, 5)
    s.start(run_s=0)
    assert wait_until(lambda: s.snapshot(None).run_left_s is None, 2)


def test_step_both_in_slow_motion_holds_each_update_on_screen_and_names_it():
    # issue 14, bug 6: slow motion did nothing for a manual step
    session = Run(tiny_2d())
    session.phase_step("both")
    session.set_slow_motion(0.4)
    started = time.monotonic()
    session.phase_step("both")
    seen = set()
    while session.snapshot(None).step < 2 and time.monotonic() - started < 60:
        seen.add(session.snapshot(None).phase)
        time.sleep(0.02)
    assert {"d", "g"} <= seen and time.monotonic() - started >= 0.8  # D, then G, each held 0.4 s
    assert wait_until(lambda: session.state == "paused" and session.snapshot(None).phase == "", 5)
    assert len(session.history()["step"]) == 2
    session.stop()


def test_a_2d_runs_time_lapse_is_drawn_from_its_g_snapshots():
    # issue 14, bug 7: "No time-lapse frames yet" on 2D data, however long it trained
    session = Run(tiny_2d())
    session.step(60)
    assert wait_until(lambda: session.state == "paused" and session.snapshot(None).step == 60, 20)
    frames = session.frames()
    assert len(frames) == len(session.g_snapshots()) >= 2 and frames[0].shape == (320, 320, 3)
    assert not np.array_equal(frames[0], frames[-1])  # G moved
    session.stop()
