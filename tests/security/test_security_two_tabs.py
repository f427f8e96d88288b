"""Two tabs of one visitor sending commands at once, through the training worker as production does: each command
applies or is refused with a reason, and none ends in "Something went wrong"."""

from __future__ import annotations

import gc
import random
import threading

import gradio as gr
import pytest

from ganapp.host.autosave import StateStore
from ganapp.host.registry import Registry
from ganapp.service.worker import WorkerService

from conftest import req, wait_until

CONTROLS = ["ring8", "mlp", "non_saturating", 2, 16, 1e-3, 1e-3, 0.5, 0.999, 1, 1, 0, 8, 8, "", "", "relu",
            "leaky_relu", "adam", "gaussian", 10.0, 0.0, 1, 0.0, 0.0, False, False, 28, 1, None, "scratch"]
COMMANDS_PER_TAB = 80


def commands(app, tab):
    """Every command a page sends about its runs, and its reads, each with random arguments."""
    r = req(tab)
    return [
        lambda rng: app.train.start(r, "en", rng.choice([0, 0.05]), *CONTROLS),
        lambda rng: app.train.pause(r, "en"),
        lambda rng: app.train.resume(r, "en"),
        lambda rng: app.train.stop(r, "en"),
        lambda rng: app.train.step(r, "en", rng.randint(1, 5), *CONTROLS),
        lambda rng: app.train.reset(r, "en", *CONTROLS),
        lambda rng: app.train.phase_step(r, "en", rng.choice("dg") if rng.random() < 0.7 else "both", *CONTROLS),
        lambda rng: app.train.set_slow_motion(r, "en", rng.choice([0.0, 0.0, 0.02])),
        lambda rng: app.compare.compare(r, "en", "loss", rng.choice(["minimax", "hinge"]), *CONTROLS),
        lambda rng: app.compare.end_compare(r, "en"),
        lambda rng: app.settings.settings_changed(r, "en", ("lr_g",), rng.choice([2e-4, 5e-4])),  # applies live
        lambda rng: app.live.tick(r, "en"),
        lambda rng: app.live.poll(r, "en"),
        lambda rng: app.live.snapshot_api(r),
    ]


@pytest.fixture
def app(tmp_path):
    from ganapp.ui.handlers import GanApp

    registry = Registry(idle_timeout_s=600, engine=WorkerService(), store=StateStore(tmp_path / "state"),
                               publish_every_s=0.05, grid_every_s=0.1)
    yield GanApp(registry, tmp_path / "files")
    registry.close(save=False)


@pytest.mark.parametrize("seed", [0, 1])
def test_two_tabs_of_one_visitor_racing_random_commands_get_no_internal_error(app, seed):
    registry = app.registry
    token, _ = registry.attach("tab-1")
    registry.attach("tab-2", token)  # a second tab of the same visitor
    vid = registry.key("tab-1")
    assert registry.key("tab-2") == vid
    app.train.start(req("tab-1"), "en", 0, *CONTROLS)
    failures: list[str] = []
    barrier = threading.Barrier(2)

    def tab(name: str, rng: random.Random) -> None:
        actions = commands(app, name)
        barrier.wait()
        for _ in range(COMMANDS_PER_TAB):
            action = rng.randrange(len(actions))
            try:
                actions[action](rng)
            except gr.Error as e:  # a refusal must say why, in the reader's language
                if "Something went wrong" in e.message or "training process stopped" in e.message:
                    failures.append(f"command {action}: {e.message}")
            except Exception as e:  # noqa: BLE001 (what the test counts)
                failures.append(f"command {action}: {type(e).__name__}: {e}")

    threads = [threading.Thread(target=tab, args=(f"tab-{i}", random.Random(seed * 10 + i))) for i in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not any(t.is_alive() for t in threads)
    assert failures == []
    # every run still held is the visitor's: none was left behind training, out of reach
    visitor = registry.visitor(vid)
    gc.collect()
    assert wait_until(lambda: registry.engine.server().runs() == len(visitor.runs()), 10)
    app.train.pause(req("tab-2"), "en")
    assert wait_until(lambda: all(s.state in ("paused", "idle", "stopped") for s in visitor.runs().values()), 10)
