"""A young run built at the full sizes before the class arrived joins the class's sizes, and its page says so."""

import gradio as gr
import pytest

import ganapp.gan.presets
from ganapp.engine.stack import stack_key
from ganapp.gan.config import GANConfig
from ganapp.host.registry import Registry
from ganapp.ui.handlers import GanApp
from ganapp.ui.handlers import CONTROL_FIELDS

from conftest import req, wait_until


def _controls(**changes) -> list:
    c = GANConfig.default_for("ring8", **changes)
    return [None if f == "data_files" else "scratch" if f == "init" else getattr(c, f) for f in CONTROL_FIELDS]


@pytest.fixture
def early(tmp_path):
    """Three early arrivals training ring8 at the full sizes (the classroom mode was off), on a registry that turns
    it on with the 4th open page; yields (app, registry). Training in this process: the test looks into the engine's
    stacks."""
    registry = Registry(idle_timeout_s=60, classroom_from=4)
    app = GanApp(registry, tmp_path)
    for name in ("e0", "e1", "e2"):
        app.live.tick(req(name), "en")
        app.train.start(req(name), "en", 0, *_controls())
    assert all(registry.visitor(n).run.config.g_width == 128 for n in ("e0", "e1", "e2"))
    assert wait_until(lambda: all(registry.visitor(n).run.snapshot(None).step > 0 for n in ("e0", "e1", "e2")), 20)
    yield app, registry
    registry.close()


def test_the_early_arrivals_join_the_class_stack_when_the_class_comes_and_their_pages_say_so(early):
    app, registry = early
    old = registry.visitor("e0").run
    assert app.live.tick(req("e0"), "en").class_moves == 0  # three pages: no class yet
    app.live.tick(req("s3"), "en")  # the 4th student opens the page
    app.train.start(req("s3"), "zh", 0, *_controls())  # ... and gets the class's sizes
    out = app.live.tick(req("e0"), "en")  # the early arrival's next tick
    run = registry.visitor("e0").run
    assert run is not old and old.state == "stopped"
    assert (run.config.g_width, run.config.d_width, run.config.batch_size) == (64, 64, 128)
    assert run.config.replace(g_width=128, d_width=128, batch_size=256) == old.config  # nothing else changed
    assert run.state in ("waiting", "running") and out.class_moves == 1
    assert "the class has arrived, so your run started again with the class's sizes" in out.status
    assert "全班同学已经到了" in app.live.tick(req("e0"), "zh").status
    assert app.settings.class_sizes_shown(req("e0"), "en") == [64, 64, 128]  # the page's size controls follow
    for name in ("e1", "e2"):
        app.live.tick(req(name), "en")
    runs = [registry.visitor(n).run for n in ("e0", "e1", "e2", "s3")]
    key = stack_key(runs[3].trainer)
    engine = registry.engine
    assert wait_until(lambda: len(engine._stacks.get(key, ())) == 4, 20)  # one stack: the class's
    assert app.live.tick(req("e0"), "en").class_moves == 1  # once


def test_a_page_that_has_not_shown_the_move_yet_does_not_undo_it_with_start(early):
    app, registry = early
    app.live.tick(req("s3"), "en")
    app.live.tick(req("e0"), "en")
    run = registry.visitor("e0").run
    assert run.config.batch_size == 128
    assert wait_until(lambda: run.snapshot(None).step > 0, 20)
    app.train.start(req("e0"), "en", 0, *_controls())  # still showing 128 / 256: the move had not reached it
    assert registry.visitor("e0").run is run and run.config.batch_size == 128
    assert "to rebuild the networks" not in app.live.tick(req("e0"), "en").status
    shown = dict(zip(("g_width", "d_width", "batch_size"), app.settings.class_sizes_shown(req("e0"), "en")))
    app.train.start(req("e0"), "en", 0, *_controls(lr_g=5e-4, **shown))  # the page as it shows the move now
    assert run.config.lr_g == 5e-4 and run.config.batch_size == 128
    app.train.start(req("e0"), "en", 0, *_controls(lr_g=5e-4, **shown | {"batch_size": 64}))
    assert run.config.batch_size == 64  # once shown, the page's values are the visitor's own


def test_old_paused_chosen_and_compared_runs_are_left_as_they_are(early, monkeypatch):
    app, registry = early
    app.train.pause(req("e1"), "en")  # paused: not training, not starved
    app.compare.compare(req("e2"), "en", "loss", "hinge", *_controls())  # compared with a run B: an experiment
    app.live.tick(req("wide"), "en")
    app.train.start(req("wide"), "en", 0, *_controls(g_width=96))  # sizes the visitor chose
    runs = {n: registry.visitor(n).run for n in ("e0", "e1", "e2", "wide")}
    monkeypatch.setattr(ganapp.gan.presets, "YOUNG_S", 0.0)  # e0 has trained too long to start again
    for name in runs:
        out = app.live.tick(req(name), "en")
        assert out.class_moves == 0 and "the class has arrived" not in out.status
    assert all(registry.visitor(n).run is s for n, s in runs.items())
    assert runs["wide"].config.g_width == 96 and runs["e0"].config.g_width == 128
    assert app.settings.class_sizes_shown(req("nobody"), "en") == [gr.skip()] * 3
