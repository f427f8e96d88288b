"""GANAPP_MAX_RUNS holds under concurrency: admitting a run and holding its slot are one step, so that
concurrent Starts cannot all pass a check that only some of them fit."""

from __future__ import annotations

import threading

import gradio as gr
import pytest

from ganapp.host.limits import Limits, ServerFullError
from ganapp.host.registry import Registry

from conftest import req, tiny_2d

CONTROLS = ["ring8", "mlp", "non_saturating", 2, 16, 1e-3, 1e-3, 0.5, 0.999, 1, 1, 0, 8, 8, "", "", "relu",
            "leaky_relu", "adam", "gaussian", 10.0, 0.0, 1, 0.0, 0.0, False, False, 28, 1, None, "scratch"]


def race(n: int, act) -> list:
    """Run ``act(i)`` in ``n`` threads released together; returns each one's result or exception."""
    barrier = threading.Barrier(n)
    out: list = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            out[i] = act(i)
        except Exception as e:  # noqa: BLE001 (what the test counts)
            out[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return out


@pytest.fixture
def registry():
    registry = Registry(idle_timeout_s=60, limits=Limits(max_runs=3))
    yield registry
    registry.close(save=False)


def test_eight_concurrent_new_runs_against_a_limit_of_three_admit_exactly_three(registry):
    out = race(8, lambda i: registry.new_run(f"v{i}", tiny_2d(seed=i)))
    built = [o for o in out if not isinstance(o, Exception)]
    assert len(built) == 3 and all(isinstance(o, ServerFullError) for o in out if o not in built)
    assert registry.live_runs() == 3


def test_one_visitors_concurrent_rebuilds_take_one_slot_and_leave_one_run(registry):
    registry.new_run("other", tiny_2d())
    registry.new_run("another", tiny_2d())
    out = race(6, lambda i: registry.new_run("me", tiny_2d(seed=i)))  # two tabs of one visitor, and more
    assert not any(isinstance(o, Exception) for o in out)
    assert registry.live_runs() == 3 and registry.visitor("me").run in out
    assert all(o.state == "stopped" for o in out if o is not registry.visitor("me").run)  # replaced: stopped
    with pytest.raises(ServerFullError):
        registry.new_run_b("me", tiny_2d(loss="minimax"))


def test_eight_concurrent_starts_on_the_page_start_three_and_tell_five_the_server_is_full(registry, tmp_path):
    from ganapp.ui.handlers import GanApp

    app = GanApp(registry, tmp_path)
    out = race(8, lambda i: app.train.start(req(f"s{i}"), "en", 0, *CONTROLS))
    refused = [o for o in out if isinstance(o, gr.Error)]
    assert len(refused) == 5 and all("The server is full" in e.message for e in refused)
    assert registry.live_runs() == 3
    assert sum(registry.visitor(f"s{i}").run is not None for i in range(8)) == 3
