"""GANAPP_MAX_STEPS holds on every path that trains, not only while the engine runs a run: Step, Step D, Step G and
Step both are refused at the limit, saying why in the reader's language, in this process and in the worker."""

from __future__ import annotations

import gradio as gr
import pytest

from ganapp.host.limits import Limits
from ganapp.host.registry import Registry
from ganapp.run.run import PAUSED, RunRefusedError, Run
from ganapp.service.worker import WorkerService

from conftest import req, tiny_2d, wait_until

LIMIT = 60
CONTROLS = ["ring8", "mlp", "non_saturating", 2, 16, 1e-3, 1e-3, 0.5, 0.999, 1, 1, 0, 8, 8, "", "", "relu",
            "leaky_relu", "adam", "gaussian", 10.0, 0.0, 1, 0.0, 0.0, False, False, 28, 1, None, "scratch"]


def at_limit(s) -> bool:
    snap = s.snapshot(None)
    return snap.state == PAUSED and snap.step == LIMIT and snap.step_limit == LIMIT


def refuses_every_manual_step(s) -> None:
    for command in (lambda: s.step(5), lambda: s.phase_step("d"), lambda: s.phase_step("g"),
                    lambda: s.phase_step("both")):
        with pytest.raises(RunRefusedError, match="limit of 60 steps") as refused:
            command()
        assert refused.value.reason == "step_limit" and refused.value.detail == LIMIT
    assert s.step_count == LIMIT


def test_a_run_at_the_hosts_step_limit_refuses_every_manual_step():
    s = Run(tiny_2d(), max_steps=LIMIT)
    try:
        s.step(LIMIT - 1)
        assert wait_until(lambda: s.state == PAUSED and s.snapshot(None).step == LIMIT - 1, 20)
        s.phase_step("g")  # the last step the limit allows, by hand
        assert s.step_count == LIMIT
        refuses_every_manual_step(s)
        s.set_slow_motion(0.05)  # in slow motion, Step both goes through the engine
        with pytest.raises(RunRefusedError, match="limit"):
            s.phase_step("both")
        s.start()  # the engine pauses it at once, and its snapshot says why
        assert wait_until(lambda: at_limit(s), 10) and s.step_count == LIMIT
    finally:
        s.engine.close()


def test_the_limit_and_its_reason_cross_from_the_training_worker():
    registry = Registry(idle_timeout_s=60, engine=WorkerService(), limits=Limits(max_steps=LIMIT))
    try:
        s = registry.new_run("w", tiny_2d())
        s.step(100)
        assert wait_until(lambda: at_limit(s), 30)
        refuses_every_manual_step(s)
    finally:
        registry.close(save=False)


def test_the_page_refuses_step_step_d_step_g_and_step_both_at_the_limit_in_the_readers_language(tmp_path):
    from ganapp.ui.handlers import GanApp

    registry = Registry(idle_timeout_s=60, limits=Limits(max_steps=LIMIT))
    app = GanApp(registry, tmp_path)
    try:
        app.train.step(req("s"), "en", 100, *CONTROLS)
        session = registry.visitor("s").run
        assert wait_until(lambda: at_limit(session), 20)
        for lang, text in (("en", "reached the server's limit of 60 steps"), ("zh", "每次训练 60 步的上限")):
            with pytest.raises(gr.Error, match=text):
                app.train.step(req("s"), lang, 3, *CONTROLS)
            for phase in ("d", "g", "both"):
                with pytest.raises(gr.Error, match=text):
                    app.train.phase_step(req("s"), lang, phase, *CONTROLS)
        assert session.step_count == LIMIT
        app.train.start(req("s"), "en", 0, *CONTROLS)
        assert wait_until(lambda: at_limit(session), 10)
        assert "reached the server's limit of 60 steps" in app.live.poll(req("s"), "en").status
        app.train.reset(req("s"), "en", *CONTROLS)  # a new run may train again
        app.train.phase_step(req("s"), "en", "both", *CONTROLS)
        assert registry.visitor("s").run.step_count == 1
    finally:
        registry.close(save=False)
