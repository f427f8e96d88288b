"""A setting the visitor edits reaches run A alone: live where it can be, without taking the run out of its stack,
and never with values the page did not change."""

import gradio as gr
import pytest

from ganapp.engine.stack import stack_key
from ganapp.gan.config import GANConfig
from ganapp.host.registry import Registry
from ganapp.ui.handlers import GanApp
from ganapp.ui.handlers import CONTROL_FIELDS

from conftest import req, tiny_image, wait_until


def _controls(config: GANConfig) -> list:
    return [None if f == "data_files" else "scratch" if f == "init" else getattr(config, f) for f in CONTROL_FIELDS]


@pytest.fixture
def classroom(tmp_path):
    """A GanApp in classroom mode, training in this process (its engine can be looked at)."""
    registry = Registry(idle_timeout_s=60, classroom=True)
    yield GanApp(registry, tmp_path), registry
    registry.close()


def test_a_learning_rate_changed_on_the_page_applies_where_the_run_is_in_its_stack(classroom):
    app, registry = classroom
    ring8 = _controls(GANConfig.default_for("ring8"))
    for name in ("a", "b", "c"):
        app.train.start(req(name), "en", 0, *ring8)
    runs = [registry.visitor(name).run for name in ("a", "b", "c")]
    engine, key = registry.engine, stack_key(runs[0].trainer)
    assert wait_until(lambda: len(engine._stacks.get(key, ())) == 3, 20)
    with engine.lock:
        stack = engine._stacks[key]
    app.settings.settings_changed(req("b"), "en", ("lr_g",), 5e-4)
    app.settings.settings_changed(req("c"), "en", ("beta1",), 0.0)
    with engine.lock:  # no member was written back or taken out: the class trains on in the same stack
        assert engine._stacks[key] is stack and len(stack) == 3
    assert runs[1].config.lr_g == 5e-4 and runs[2].config.beta1 == 0.0
    steps = [r.snapshot(None).step for r in runs]
    assert wait_until(lambda: all(r.snapshot(None).step > n + 5 for r, n in zip(runs, steps)), 20)
    assert engine._stacks.get(key) is stack
    assert "Applied while training: Learning rate of G" in app.live.tick(req("b"), "en").status


def test_a_loss_chosen_on_the_page_applies_with_the_n_critic_and_betas_it_filled_in(classroom):
    app, registry = classroom
    app.train.start(req("w"), "en", 0, *_controls(GANConfig.default_for("ring8")))
    run = registry.visitor("w").run
    n_critic, beta1, beta2 = app.settings.loss_defaults("wgan_gp", "ring8")
    app.settings.settings_changed(req("w"), "en", ("loss", "n_critic", "beta1", "beta2"), "wgan_gp", float(n_critic),
                                  beta1, beta2)
    c = run.config
    assert (c.loss, c.n_critic, c.beta1, c.beta2) == ("wgan_gp", 5, 0.0, 0.9)
    status = app.live.tick(req("w"), "en").status
    assert "Applied while training: Loss, Adam β1, Adam β2, n_critic (D steps per G step)" in status


def test_another_dataset_chosen_on_the_page_changes_nothing_in_the_run_until_reset(classroom):
    app, registry = classroom
    app.train.start(req("d"), "en", 0, *_controls(GANConfig.default_for("ring8")))
    run = registry.visitor("d").run
    before = run.config
    # choosing grid25 fills its defaults into the page (r1_gamma 0.1 ...), but only the dataset's own event is sent
    app.settings.settings_changed(req("d"), "en", ("dataset",), "grid25")
    assert run.config == before
    assert "Changed Dataset: press Reset" in app.live.tick(req("d"), "en").status
    app.settings.settings_changed(req("d"), "en", ("dataset",), "ring8")
    assert "to rebuild the networks" not in app.live.tick(req("d"), "en").status
    app.train.start(req("m"), "en", 0, *_controls(tiny_image()))
    app.settings.settings_changed(req("m"), "en", ("dataset",), "ring8")  # a DCGAN cannot train 2D points: not yet
    assert "Changed Dataset: press Reset" in app.live.tick(req("m"), "en").status  # an error only if Reset says so


def test_a_bad_value_is_refused_by_name_and_changes_nothing(classroom):
    app, registry = classroom
    app.train.start(req("e"), "en", 0, *_controls(GANConfig.default_for("ring8")))
    run = registry.visitor("e").run
    # the page's own events warn (a failed event would make Gradio drop the value typed after it) ...
    with pytest.warns(UserWarning, match=r"Learning rate of G must be a number in \(0, 1e\+06\]"):
        app.settings.settings_changed(req("e"), "en", ("lr_g",), -1.0)
    with pytest.warns(UserWarning, match="Batch size = 4096 is beyond this server's limit"):
        app.settings.settings_changed(req("e"), "en", ("batch_size",), 4096)
    with pytest.raises(gr.Error):
        app.settings.settings_changed(req("e"), "en", ("data_path",), "/etc")  # not a control of the page
    assert run.config.lr_g == 1e-3 and run.config.batch_size == 128
    with pytest.raises(gr.Error, match="Learning rate of G"):  # ... and an API client gets the error
        app.settings.set_setting(req("e"), "en", "lr_g", 0.0)
    assert app.settings.set_setting(req("e"), "en", "lr_d", 5e-4) == {"applied": ["lr_d"], "needs_reset": []}
    assert app.settings.set_setting(req("e"), "en", "z_dim", 3) == {"applied": [], "needs_reset": ["z_dim"]}
    assert app.settings.set_setting(req("nobody"), "en", "lr_d", 5e-4) == {"applied": [], "needs_reset": []}
