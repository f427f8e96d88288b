"""An autosave is checked as strictly as a visitor's input when it is restored (issue 27, item 13): a damaged or
edited file (slow motion of 1e308 s, a 12,000-character name, a step of 10^30, a config that lies about its
networks) is refused, the visitor starts afresh, and Start works, where before every Start after such a restore
failed with "Something went wrong"."""

import math

import pytest
import torch

import ganapp.run.run as session_module
from conftest import req, tiny_2d, wait_until
from ganapp.host.autosave import StateStore
from ganapp.host.registry import RESTORE_FAILED, RESTORED, Registry
from ganapp.run.run import PAUSED, RUNNING
from ganapp.ui.handlers import GanApp
from ganapp.ui.handlers import CONTROL_FIELDS

CONFIG = tiny_2d()
CONTROLS = [None if f == "data_files" else "scratch" if f == "init" else getattr(CONFIG, f) for f in CONTROL_FIELDS]


def _registry(tmp_path) -> Registry:
    return Registry(idle_timeout_s=60, store=StateStore(tmp_path))


@pytest.fixture
def saved(tmp_path):
    """A visitor named Ada whose run stepped 5 times, autosaved, and the server gone: (their token, their id)."""
    reg = _registry(tmp_path)
    token, _ = reg.attach("page", None)
    vid = reg.key("page")
    session = reg.new_run(vid, CONFIG)
    session.step(5)
    assert wait_until(lambda: session.state == PAUSED and session.snapshot(None).step == 5, 30)
    reg.visitor(vid).state.name = "Ada"
    reg.visitor(vid).state.slow_motion_s = 0.5
    assert reg.autosave(vid, force=True) == ["a"]
    reg.close(save=False)
    return token, vid


def _tamper(tmp_path, vid: str, edit) -> None:
    store = StateStore(tmp_path)
    tensors, meta = store.read(vid, "a")
    edit(tensors, meta)
    store.write(vid, "a", tensors, meta)


def _set(part: str, key: str, value):
    def edit(tensors, meta):
        meta[part][key] = value
    return edit


VISITOR_FIELDS = {
    # the visitor's fields, as their page set them (checked once the run they describe is back)
    "slow motion of 1e308 s": _set("visitor", "slow_motion_s", 1e308),
    "a 12,000-character name": _set("visitor", "name", "x" * 12_000),
    "a name with a control character": _set("visitor", "name", "Ada\x00"),
    "a built step of 10^30": _set("visitor", "built_step", 10**30),
    "a built step as text": _set("visitor", "built_step", "5"),
    "classroom that is not a boolean": _set("visitor", "classroom", "yes"),
    "built from a path": _set("visitor", "built_from", "../../etc/passwd"),
    "a lesson number that is not one": _set("visitor", "lesson_taken", 1.5),
    "a drawing path that is not text": _set("visitor", "drawn_path", ["x"]),
    "visitor fields that are a list": lambda t, m: m.update(visitor=[1, 2]),
}
TAMPERED = {
    **VISITOR_FIELDS,
    # the run's own state
    "the run's slow motion of 1e308 s": _set("session", "slow_motion_s", 1e308),
    "a clock that is NaN": _set("session", "elapsed_s", math.nan),
    "a clock of 1e300 s": _set("session", "elapsed_s", 1e300),
    "an infinite timed run": _set("session", "window", [0.0, math.inf]),
    "a window of three numbers": _set("session", "window", [0.0, 1.0, 2.0]),
    "an unknown state": _set("session", "state", "flying"),
    "an unknown lesson": _set("session", "lesson", "no_such_lesson"),
    "a trainer step of 10^30": _set("trainer", "step_count", 10**30),
    "a negative step": _set("trainer", "step_count", -1),
    "a learning-rate scale of 1e308": _set("trainer", "lr_scale", 1e308),
    "a config that is a list": lambda t, m: m.update(config=[1]),
    "a config that lies about its widths": _set("config", "g_width", 2048),
    "NaN weights": lambda t, m: t.update({k: torch.full_like(v, math.nan) for k, v in t.items()
                                          if k.startswith("G.") and v.is_floating_point()}),
    "no D": lambda t, m: [t.pop(k) for k in [k for k in t if k.startswith("D.")]],
}


@pytest.mark.parametrize("edit", TAMPERED.values(), ids=TAMPERED.keys())
def test_a_tampered_autosave_is_refused_and_start_works_after_it(tmp_path, saved, edit, monkeypatch, request):
    token, vid = saved
    _tamper(tmp_path, vid, edit)
    built = []
    real_trainer = session_module.Trainer
    monkeypatch.setattr(session_module, "Trainer", lambda config, **kw: built.append(config) or real_trainer(config,
                                                                                                             **kw))
    reg = _registry(tmp_path)
    app = GanApp(reg, tmp_path)
    try:
        _, found = reg.attach("page-2", token)
        assert found == RESTORE_FAILED
        if request.node.callspec.id not in VISITOR_FIELDS:  # the run's own state: refused before it is built
            assert built == []
        state = reg.visitor(vid).state
        assert state.name == "" and state.slow_motion_s == 0.0 and reg.visitor(vid).run is None
        app.train.start(req("page-2"), "en", 0, *CONTROLS)  # Start works (it raised before)
        session = reg.visitor(vid).run
        assert wait_until(lambda: session.state == RUNNING and session.snapshot(None).step > 3, 30)
    finally:
        reg.close(save=False)


def test_an_untouched_autosave_comes_back_with_its_visitor_fields(tmp_path, saved):
    token, vid = saved
    reg = _registry(tmp_path)
    try:
        _, found = reg.attach("page-2", token)
        v = reg.visitor(vid)
        assert found == RESTORED and v.state.name == "Ada" and v.state.slow_motion_s == 0.5
        assert v.run.snapshot(None).step == 5 and v.run.state == PAUSED
    finally:
        reg.close(save=False)
