"""The classroom mode counts the pages open now, not every visitor held in memory."""

import gradio as gr
import pytest

import ganapp.host.visitors
from ganapp.gan.config import GANConfig
from ganapp.host.autosave import StateStore
from ganapp.ui.handlers import GanApp
from ganapp.ui.handlers import CONTROL_FIELDS

from conftest import req, wait_until, worker_registry


def _ring8() -> list:
    """The Train tab's controls as the page fills them for ring8 (CONTROL_FIELDS order)."""
    c = GANConfig.default_for("ring8")
    return [None if f == "data_files" else "scratch" if f == "init" else getattr(c, f) for f in CONTROL_FIELDS]


@pytest.fixture
def app_with_tokens(tmp_path, worker):
    """A GanApp whose visitors keep a token, so that a closed page's visitor stays in memory (as in production)."""
    registry = worker_registry(worker, idle_timeout_s=600, classroom_from=4, store=StateStore(tmp_path / "state"))
    yield GanApp(registry, tmp_path), registry
    registry.close(save=False)


def test_pages_that_opened_and_closed_do_not_shrink_a_lone_learners_run(app_with_tokens):
    app, registry = app_with_tokens
    page_controls = _ring8()[:-2]
    for i in range(6):  # passers-by: each opens the page and closes it again
        app.attach(req(f"passer-{i}"), "en", None, *page_controls)
        app.live.tick(req(f"passer-{i}"), "en")
        app.unload(req(f"passer-{i}"))
    assert len(registry) == 6  # still in memory until the idle timeout: they may come back
    app.attach(req("lone"), "en", None, *page_controls)
    shown = app.train.start(req("lone"), "en", 0, *_ring8())
    config = registry.visitor(registry.key("lone")).run.config
    assert (config.g_width, config.d_width, config.batch_size) == (128, 128, 256)  # the full-size defaults
    assert all(isinstance(v, type(gr.skip())) for v in shown)  # the controls keep the sizes they show
    assert "Classroom mode" not in app.live.tick(req("lone"), "en").status


def test_the_class_counts_while_its_pages_tick_and_a_run_built_after_it_left_gets_the_full_sizes(
        app_with_tokens, monkeypatch):
    app, registry = app_with_tokens
    monkeypatch.setattr(ganapp.host.visitors, "ALIVE_S", 1.0)  # a page unseen for 1 s has gone (10 s on a server)
    students = [f"student-{i}" for i in range(4)]
    for s in students:
        app.live.tick(req(s), "en")
    assert registry.classroom_mode()
    assert app.train.start(req("student-0"), "en", 0, *_ring8()) == [64, 64, 128]  # the class's sizes
    # the class leaves without closing its pages (laptops shut): only student 0's page goes on ticking
    assert wait_until(lambda: app.live.tick(req("student-0"), "en") and not registry.classroom_mode(), 10)
    assert len(registry) == 4  # all still held in memory
    app.train.reset(req("student-0"), "en", *_ring8())
    config = registry.visitor("student-0").run.config
    assert (config.g_width, config.d_width, config.batch_size) == (128, 128, 256)
    assert "Classroom mode" not in app.live.tick(req("student-0"), "en").status
    for s in students[1:]:  # the class comes back: on again
        app.live.tick(req(s), "en")
    assert registry.classroom_mode()


def test_two_tabs_of_one_visitor_count_once(app_with_tokens):
    app, registry = app_with_tokens
    token = app.attach(req("tab-1"), "en", None, *_ring8()[:-2])[0]
    app.attach(req("tab-2"), "en", token, *_ring8()[:-2])
    app.live.tick(req("other-1"), "en")
    app.live.tick(req("other-2"), "en")
    assert registry.pages.alive(ganapp.host.visitors.time.monotonic()) == 3 and not registry.classroom_mode()
    app.live.tick(req("other-3"), "en")
    assert registry.classroom_mode()
