"""Run B under a link's or the teacher's locks (issue 26, section 1): "Compare" may change any unlocked setting for
run B, but not a locked one, whatever sends it; nothing is built when it is refused."""

import asyncio
from types import SimpleNamespace

import gradio as gr
import pytest

from conftest import TEACHER_TOKEN as TOKEN
from conftest import tiny_2d, wait_until
from ganapp.gan.config import PAGE_FIELDS
from ganapp.run.links import encode_config

TEACHER = SimpleNamespace(session_hash="teacher", client=SimpleNamespace(host="10.0.0.2"))


def req(name):
    return SimpleNamespace(session_hash=name, client=SimpleNamespace(host="10.0.0.1"))


def controls(config) -> list:
    """What the page sends with a run button: the settings, the uploaded files (none) and the starting point."""
    return [getattr(config, f) for f in PAGE_FIELDS] + [None, "scratch"]


def test_a_links_locked_control_cannot_differ_in_run_b_and_an_unlocked_one_can(school):
    app, _, _ = school
    config = tiny_2d()
    app.links.open_link(req("p"), "en", encode_config(config, lock=["loss"]), *controls(config)[:len(PAGE_FIELDS)])
    with pytest.raises(gr.Error, match="Loss is locked at non_saturating"):
        app.compare.compare(req("p"), "en", "loss", "hinge", *controls(config))
    visitor = app.registry.visitor("p")
    assert visitor.run is None and visitor.run_b is None  # refused before either run was built
    app.compare.compare(req("p"), "en", "n_critic", "3", *controls(config))
    assert visitor.run_b.config.n_critic == 3 and visitor.run_b.config.loss == "non_saturating"
    app.compare.end_compare(req("p"), "en")
    wait_until(lambda: visitor.run_b is None)


def test_the_teachers_locked_control_cannot_differ_in_run_b_in_either_language(school):
    app, _, h = school
    config = tiny_2d()
    link = "http://class.local:7860/?" + encode_config(config)
    asyncio.run(h.push_link(TEACHER, "en", TOKEN, link, ["lr_d"], []))
    with pytest.raises(gr.Error, match="D 的学习率"):
        app.compare.compare(req("s"), "zh", "lr_d", "0.01", *controls(config))
    assert app.registry.visitor("s").run_b is None
    asyncio.run(h.set_lesson(TEACHER, "en", TOKEN, "mode_collapse"))  # a lesson set afterwards ends the lock
    app.compare.compare(req("s"), "en", "lr_d", "0.01", *controls(config))
    assert app.registry.visitor("s").run_b.config.lr_d == 0.01
