"""Issue 26, part 4 in the Explore tab: one direction on 9 seeds, any of 20 components, the layer an edit enters at,
for the shipped default G, a loaded checkpoint and the live run's G, in English and Chinese."""

from __future__ import annotations

import shutil

import gradio as gr
import numpy as np
import pytest

from conftest import CONTROLS, req, wait_until
from ganapp.gan.checkpoints import CHECKPOINT_DIR
from ganapp.ui.handlers import DEFAULT_CHECKPOINT, N_DIRECTIONS
from ganapp.ui.i18n import t

SIDE = 3 * (3 * 28 + 8)  # one 3×3 panel of 28-pixel samples, upscaled 3×
WIDTH = 3 * SIDE + 2 * 3 * 8  # three panels and two 8-pixel gaps, upscaled 3×


def _default(app):
    """The shipped conditional MNIST DCGAN as the app's default generator."""
    shutil.copy(CHECKPOINT_DIR / "mnist_cond_dcgan.safetensors", app.checkpoints_dir / DEFAULT_CHECKPOINT)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_twenty_directions_of_the_shipped_default_on_9_seeds(app, lang):
    _default(app)
    with pytest.raises(gr.Error, match="Find directions" if lang == "en" else "查找方向"):
        app.explore.direction_grid(req("g"), lang, "training", 0, 1.0, 3, 1, 2.0, 0)
    *sliders, saved, note = app.explore.find_directions(req("g"), lang, "training")
    assert len(sliders) == N_DIRECTIONS and all(s["visible"] for s in sliders) and "20" in note
    image, caption, layer = app.explore.direction_grid(req("g"), lang, "training", 4, 1.0, 3, 20, 2.0, 0)
    pixels = image["value"]
    assert image["visible"] and pixels.dtype == np.uint8 and pixels.shape == (SIDE, WIDTH, 3)
    assert "20" in caption and "4–12" in caption
    assert layer["maximum"] == 1 and layer["visible"]  # a 28×28 DCGAN: layers 0..1
    left, middle, right = (pixels[:, i * (SIDE + 24):i * (SIDE + 24) + SIDE] for i in range(3))
    assert not np.array_equal(left, middle) and not np.array_equal(right, middle)
    later = app.explore.direction_grid(req("g"), lang, "training", 4, 1.0, 3, 20, 2.0, 1)[0]["value"]
    assert later.shape == pixels.shape and not np.array_equal(later, pixels)
    still = app.explore.direction_grid(req("g"), lang, "training", 4, 1.0, 3, 20, 0.0, 1)[0]["value"]
    np.testing.assert_array_equal(still[:, :SIDE], still[:, SIDE + 24:2 * SIDE + 24])  # amount 0: unedited


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_each_grid_control_out_of_range_is_refused_by_name_and_range(app, lang):
    _default(app)
    app.explore.find_directions(req("r"), "en", "training")
    cases = [("grid_component", "1..20", dict(component=21)), ("grid_component", "1..20", dict(component=0)),
             ("grid_component", "1..20", dict(component=2.5)), ("grid_amount", "[-3, 3]", dict(amount=3.5)),
             ("grid_amount", "[-3, 3]", dict(amount=float("nan"))), ("grid_layer", "0..1", dict(layer=2)),
             ("seed", "0..", dict(seed=-1)), ("truncation", "[0, 1]", dict(psi=2))]
    for name, allowed, change in cases:
        args = dict(seed=0, psi=1.0, label=0, component=1, amount=1.0, layer=0) | change
        with pytest.raises(gr.Error) as info:
            app.explore.direction_grid(req("r"), lang, "training", *args.values())
        message = info.value.message
        assert message.startswith(t(lang, name)) and allowed in message, (name, change, message)
    with pytest.raises(gr.Error) as info:
        app.explore.direction_grid(req("r"), lang, "training", 0, 1.0, 10, 1, 1.0, 0)  # label of a 10-class G
    assert "0..9" in info.value.message


def test_a_loaded_checkpoint_and_the_live_run(app):
    shutil.copy(CHECKPOINT_DIR / "mnist_10k_dcgan.safetensors", app.checkpoints_dir / "mnist.safetensors")
    app.explore.load_shipped(req("c"), "en", "mnist.safetensors")
    app.explore.find_directions(req("c"), "en", "checkpoint")
    image, caption, _ = app.explore.direction_grid(req("c"), "en", "checkpoint", 0, 0.7, 0, 12, -2.0, 1)
    assert image["value"].shape == (SIDE, WIDTH, 3) and "layer 1 of 0–1" in caption
    # the live run's G: an MLP, whose two hidden layers give three to enter at
    controls = list(CONTROLS)
    controls[:5] = ["mnist_10k", "mlp", "non_saturating", 8, 8]
    app.train.step(req("c"), "en", 2, *controls)
    run = app.registry.visitor("c").run
    assert wait_until(lambda: run.snapshot(None).step == 2, 20)
    with pytest.raises(gr.Error, match="another generator"):  # directions of the checkpoint, not of this G
        app.explore.direction_grid(req("c"), "en", "training", 0, 1.0, 0, 1, 1.0, 0)
    *_, note = app.explore.find_directions(req("c"), "en", "training")
    assert "top 8 directions" in note  # widths of 8: its first layer has 8 features, so PCA has 8 axes
    image, caption, layer = app.explore.direction_grid(req("c"), "en", "training", 0, 1.0, 0, 8, 3.0, 2)
    assert image["value"].shape == (SIDE, WIDTH, 3) and layer["maximum"] == 2
    with pytest.raises(gr.Error, match=r"Direction must be an integer in 1\.\.8"):
        app.explore.direction_grid(req("c"), "en", "training", 0, 1.0, 0, 9, 3.0, 0)
