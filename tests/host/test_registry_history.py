import time

import numpy as np
import pytest

from ganapp.host.registry import Registry
from ganapp.run.history import MetricHistory
from ganapp.run.run import RUNNING

from conftest import tiny_2d, wait_until


def _rows(start, n):
    steps = np.arange(start, start + n)
    return steps, np.stack([steps * 1.0, -steps * 1.0, np.full(n, 0.5), np.full(n, 0.25)], axis=1)


def test_history_since_and_downsampling():
    h = MetricHistory()
    h.append(*_rows(1, 2500))
    assert h.since(2497)["step"] == [2498, 2499, 2500]
    d = h.downsampled(1000)
    assert len(d["step"]) <= 1000 and d["step"][-1] == 2500  # ends at the newest step
    assert np.all(np.diff(d["step"]) > 0)
    assert d["d_loss"][-1] == 2500 and d["g_loss"][-1] == -2500  # the newest row as it is
    assert d["d_loss"].min() == 1 and d["d_loss"].max() == 2500  # every extreme kept (see test_history_spikes)
    small = MetricHistory()
    small.append(*_rows(1, 10))
    assert len(small.downsampled(1000)["step"]) == 10


def test_history_stays_bounded_over_a_long_run():
    h = MetricHistory(max_rows=1000)
    for start in range(1, 100_001, 500):
        h.append(*_rows(start, 500))
    assert len(h) <= 1000
    steps = h.downsampled(2000)["step"]
    assert steps[0] < 1000 and steps[-1] >= 99_000  # the whole span is kept, at lower resolution


def test_registry_keeps_visitors_apart_and_reaps_idle_ones():
    reg = Registry(idle_timeout_s=0.3)
    a = reg.new_run("alice", tiny_2d())
    b = reg.new_run("bob", tiny_2d(seed=1))
    assert reg.visitor("alice").run is a and reg.visitor("bob").run is b and a is not b
    a.start()
    assert wait_until(lambda: a.state == RUNNING, 5)
    time.sleep(0.4)
    reg.visitor("bob")  # bob is still here
    removed = reg.reap()
    assert removed == ["alice"] and "alice" not in reg and "bob" in reg
    assert a.state == "stopped" and not reg.engine.holds(a)
    reg.close()
    assert len(reg) == 0


def test_reaper_thread_stops_sessions_by_itself():
    reg = Registry(idle_timeout_s=0.2)
    s = reg.new_run("x", tiny_2d())
    s.start()
    reg.start_reaper(every_s=0.05)
    assert wait_until(lambda: "x" not in reg and s.state == "stopped", 5)
    reg.close()


def test_new_session_replaces_and_stops_the_old_one():
    reg = Registry()
    old = reg.new_run("v", tiny_2d())
    old.start()
    new = reg.new_run("v", tiny_2d())
    assert reg.visitor("v").run is new and old.state == "stopped"
    reg.close()


def test_registry_rejects_bad_timeout():
    with pytest.raises(ValueError, match="idle_timeout_s"):
        Registry(idle_timeout_s=0)
