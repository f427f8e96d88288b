"""Issue 5 in the app, through the handlers: fine-tuning from a checkpoint, the live quality plot, GANSpace
directions, and the time-lapse across a run."""

from __future__ import annotations

import shutil
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest

from conftest import tiny_image, value, wait_until
from ganapp.gan.checkpoints import CHECKPOINT_DIR, load_checkpoint, save_checkpoint
from ganapp.gan.directions import load_directions
from ganapp.gan.metrics import live_scorer
from ganapp.gan.trainer import Trainer
from ganapp.host.registry import Registry
from ganapp.ui.handlers import GanApp
from ganapp.ui.handlers import CONTROL_FIELDS, N_DIRECTIONS, N_Z_SLIDERS

Z0 = [0.0] * N_Z_SLIDERS


def req(name):
    return SimpleNamespace(session_hash=name)


def controls(config, init="scratch") -> list:
    values = [getattr(config, f) for f in CONTROL_FIELDS[:CONTROL_FIELDS.index("data_files")]]
    return values + [None, init]


@pytest.fixture
def folder(tmp_path):
    """A checkpoints folder holding one tiny MNIST DCGAN checkpoint (G and D, trained 3 steps)."""
    config = tiny_image()
    trainer = Trainer(config)
    for _ in range(3):
        trainer.train_step()
    save_checkpoint(tmp_path / "tiny.safetensors", trainer.G, config, trainer.step_count, D=trainer.D,
                    fixed_z=trainer.fixed_z)
    return tmp_path


@pytest.fixture
def app(folder):
    registry = Registry(idle_timeout_s=60, publish_every_s=0.05,
                               scorer_for=lambda c: live_scorer(c, n=200), score_every_steps=5)
    yield GanApp(registry, folder)
    registry.close()


def test_start_from_a_checkpoint_fills_the_controls_and_fine_tunes(app, folder):
    ckpt = load_checkpoint(folder / "tiny.safetensors")
    *values, note = app.settings.init_selected(req("a"), "en", "tiny.safetensors")
    assert values == controls(ckpt.config)[:-2] and "step 3" in note and "G and D" in note
    app.train.step(req("a"), "en", 2, *controls(ckpt.config, "tiny.safetensors"))
    session = app.registry.visitor("a").run
    assert wait_until(lambda: session.snapshot(None).step == 5, 20)  # 3 from the checkpoint, then 2 more
    # settings that do not fit the checkpoint's networks are refused, naming the problem
    wide = controls(ckpt.config.replace(g_width=8), "tiny.safetensors")
    with pytest.raises(gr.Error, match="does not fit"):
        app.train.reset(req("a"), "en", *wide)
    assert app.registry.visitor("a").run is session  # the old session is kept
    with pytest.raises(gr.Error, match="Upload a checkpoint"):
        app.settings.init_selected(req("b"), "en", "uploaded")
    assert app.settings.init_selected(req("b"), "zh", "scratch")[-1] == "训练从全新初始化的网络开始。"


def test_picking_a_new_starting_point_then_start_rebuilds_the_session(app):
    config = tiny_image()
    app.train.step(req("c"), "en", 2, *controls(config))
    first = app.registry.visitor("c").run
    assert wait_until(lambda: first.snapshot(None).step == 2, 20)
    app.train.start(req("c"), "en", 0, *controls(config, "tiny.safetensors"))
    second = app.registry.visitor("c").run
    assert second is not first and second.snapshot(None).step >= 3
    app.train.pause(req("c"), "en")


def test_poll_shows_the_quality_plot_for_mnist_runs(app):
    app.train.step(req("q"), "en", 30, *controls(tiny_image()))
    session = app.registry.visitor("q").run
    assert wait_until(lambda: len(session.snapshot(None).scores) >= 1, 60)
    out = app.live.poll(req("q"), "en")
    quality, caption = out.quality_plot, out.quality_caption
    assert quality["visible"] is True and caption["visible"] is True
    assert "Fréchet distance" in caption["value"] and "/10" in caption["value"]
    fig = quality["value"]
    assert [tr.type for tr in fig.data] == ["scatter", "scatter", "bar"] and len(fig.data[2].y) == 10
    assert "Fréchet" in value(app.live.poll(req("q"), "zh").quality_caption)  # redrawn in the new language


def test_directions_move_the_image_and_can_be_named_and_downloaded(app):
    shutil.copy(CHECKPOINT_DIR / "mnist_10k_dcgan.safetensors", app.checkpoints_dir / "mnist.safetensors")
    app.explore.load_shipped(req("d"), "en", "mnist.safetensors")
    with pytest.raises(gr.Error, match="Find directions"):
        app.explore.name_direction(req("d"), "en", "thick", *[1.0] * N_DIRECTIONS)
    *sliders, saved, note = app.explore.find_directions(req("d"), "en", "checkpoint")
    assert len(sliders) == N_DIRECTIONS and all(s["visible"] for s in sliders)
    assert "of variance" in sliders[0]["label"] and "6" in note
    base = app.explore.explore(req("d"), "en", "checkpoint", 5, 1.0, 0, *Z0, *[0.0] * N_DIRECTIONS, None, 0.0)[0]["value"]
    moved = app.explore.explore(req("d"), "en", "checkpoint", 5, 1.0, 0, *Z0, 2.5, *[0.0] * 5, None, 0.0)[0]["value"]
    assert np.abs(moved.astype(int) - base.astype(int)).mean() > 1.0
    with pytest.raises(gr.Error, match="at 0"):
        app.explore.name_direction(req("d"), "en", "nothing", *[0.0] * N_DIRECTIONS)
    with pytest.raises(gr.Error, match="Name of the current"):
        app.explore.name_direction(req("d"), "en", "  ", 1.0, *[0.0] * 5)
    dropdown, _ = app.explore.name_direction(req("d"), "en", "first axis", 2.5, *[0.0] * 5)
    assert dropdown["choices"] == [("first axis", "first axis")] or dropdown["choices"] == ["first axis"]
    named = app.explore.explore(req("d"), "en", "checkpoint", 5, 1.0, 0, *Z0, *[0.0] * 6, "first axis", 1.0)[0]["value"]
    np.testing.assert_array_equal(named, moved)  # the saved combination at amount 1 is the same image
    path = app.explore.download_directions(req("d"), "en")
    assert set(load_directions(path).named) == {"first axis"}
    with pytest.raises(gr.Error, match="no saved direction"):
        app.explore.explore(req("d"), "en", "checkpoint", 5, 1.0, 0, *Z0, *[0.0] * 6, "missing", 1.0)


def test_directions_found_in_one_generator_are_refused_for_another(app):
    app.explore.load_shipped(req("s"), "en", "tiny.safetensors")
    app.explore.find_directions(req("s"), "en", "checkpoint")
    shutil.copy(CHECKPOINT_DIR / "mnist_10k_dcgan.safetensors", app.checkpoints_dir / "mnist.safetensors")
    app.explore.load_shipped(req("s"), "en", "mnist.safetensors")
    with pytest.raises(gr.Error, match="another generator"):
        app.explore.explore(req("s"), "en", "checkpoint", 5, 1.0, 0, *Z0, 1.0, *[0.0] * 5, None, 0.0)


def test_timelapse_of_the_session_and_of_uploaded_checkpoints(app, folder, tmp_path):
    with pytest.raises(gr.Error, match="Start"):  # no session yet
        app.explore.timelapse(req("t"), "en", "run", 0, 0, None)
    app.train.step(req("t"), "en", 60, *controls(tiny_image()))
    session = app.registry.visitor("t").run
    assert wait_until(lambda: session.snapshot(None).step == 60, 30)
    strip, caption, gif = app.explore.timelapse(req("t"), "en", "run", 3, 0, None)
    assert strip["visible"] and gif["visible"]  # hidden until there is a time-lapse to show
    strip, gif = strip["value"], gif["value"]
    n = len(session.g_snapshots())
    assert n >= 3 and strip.shape[1] == 3 * (n * 30 + 2)  # n tiles of 28 px with 2 px padding, upscaled 3×
    steps = [int(s) for s in caption.removeprefix("Steps: ").split(", ")]
    assert steps[0] == 0 and steps == sorted(steps) and steps[-1] >= 50 and gif.endswith(".gif")
    trainer = Trainer(tiny_image())
    files = []
    for step in (1, 2):
        trainer.train_step()
        files.append(str(save_checkpoint(tmp_path / f"s{step}.safetensors", trainer.G, trainer.config, step)))
    strip, caption, _ = app.explore.timelapse(req("t"), "en", "files", 3, 0, files[::-1])
    strip = strip["value"]
    assert caption == "Steps: 1, 2" and strip.shape[1] == 3 * (2 * 30 + 2)
    other = Trainer(tiny_image(z_dim=4))
    files.append(str(save_checkpoint(tmp_path / "other.safetensors", other.G, other.config, 5)))
    with pytest.raises(gr.Error, match="one run"):
        app.explore.timelapse(req("t"), "en", "files", 3, 0, files)
    with pytest.raises(gr.Error, match="Seed"):
        app.explore.timelapse(req("t"), "en", "files", -1, 0, files)


def test_explore_says_which_generator_it_shows(app):
    app.explore.load_shipped(req("n"), "en", "tiny.safetensors")
    assert "loaded checkpoint" in app.explore.seed_to_sliders(req("n"), "en", "training", 0, 1.0, 0)[-1]
    app.train.step(req("n"), "en", 2, *controls(tiny_image()))
    out = app.explore.seed_to_sliders(req("n"), "en", "training", 0, 1.0, 0)
    assert "this run's G" in out[-1]
    assert all(u["visible"] is False for u in out[8:12])  # no label pickers for an unconditional G
    assert "已加载" in app.explore.seed_to_sliders(req("n"), "zh", "checkpoint", 0, 1.0, 0)[-1]
