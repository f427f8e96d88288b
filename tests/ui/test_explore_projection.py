"""Issue 26, part 4 in the Explore tab, through the handlers: an image (drawn or uploaded) projected back to z sets
the sliders (and the label) to the z found, which the tab then explores from; a bad upload is refused in English and
Chinese and changes nothing; a 2D G says that projecting is for image GANs."""

from __future__ import annotations

import shutil

import gradio as gr
import numpy as np
import pytest
import torch
from PIL import Image

from conftest import req, tiny_2d, value
from ganapp.gan.checkpoints import CHECKPOINT_DIR, save_checkpoint
from ganapp.gan.models import build_generator
from ganapp.ui import explore
from ganapp.ui.handlers import DEFAULT_CHECKPOINT, N_DIRECTIONS, N_Z_SLIDERS
from ganapp.ui.i18n import t


@pytest.fixture
def cheap(monkeypatch, local_app):
    """The shipped conditional MNIST DCGAN as the default G, and a cheap search (few steps, 2 starts a label)."""
    shutil.copy(CHECKPOINT_DIR / "mnist_cond_dcgan.safetensors", local_app.checkpoints_dir / DEFAULT_CHECKPOINT)
    monkeypatch.setattr(explore, "PROJECT_STEPS", 20)
    monkeypatch.setattr(explore, "PROJECT_STARTS", 2)
    return local_app


def _seven(tmp_path):
    """A PNG of one of the shipped G's 7s, 28×28 grey, as a visitor would upload it."""
    from ganapp.gan.checkpoints import load_checkpoint
    from ganapp.gan.latent import seed_to_z
    from ganapp.gan.models import eval_mode, generate

    ckpt = load_checkpoint(CHECKPOINT_DIR / "mnist_cond_dcgan.safetensors")
    with eval_mode(ckpt.G):
        x = generate(ckpt.G, seed_to_z(3, 64), torch.tensor([7]))[0, 0]
    path = tmp_path / "seven.png"
    Image.fromarray(((x.numpy() + 1) * 127.5).round().astype(np.uint8)).save(path)
    return path


def _explore(app, who, seed, sliders, label=0, psi=1.0):
    return value(app.explore.explore(req(who), "en", "training", seed, psi, label, *sliders,
                                     *[0.0] * N_DIRECTIONS, None, 0.0)[0])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_uploaded_digit_sets_the_sliders_and_label_to_the_z_found(cheap, tmp_path, lang):
    app = cheap
    out = app.explore.project_image(req("p"), lang, "training", 11, None, str(_seven(tmp_path)))
    match, note, *rest = out
    sliders, psi, label = rest[:N_Z_SLIDERS], rest[N_Z_SLIDERS], rest[N_Z_SLIDERS + 1]
    image, directions = rest[N_Z_SLIDERS + 2], rest[N_Z_SLIDERS + 4:]
    assert match["visible"] and match["value"].shape[1] > match["value"].shape[0]  # target | G(z), side by side
    assert label["value"] == 7 and psi["value"] == 1.0 and len(directions) == N_DIRECTIONS
    assert t(lang, "project_from_upload") in note and t(lang, "project_label", label=7) in note
    assert t(lang, "project_and_label") in note and t(lang, "project_rest", rest=64 - N_Z_SLIDERS) in note
    found = app.registry.visitor("p").state.projected["z"]
    z_values = [s["value"] for s in sliders]
    assert z_values == [float(found[i]) for i in range(N_Z_SLIDERS)]
    # the tab explores from the z found: its image is G(z found), not the seed's, for the same slider values
    shown = value(image)
    assert np.array_equal(_explore(app, "p", 11, z_values, label=7), shown)
    seed_only = _explore(app, "other", 11, z_values, label=7)  # a visitor who found nothing: the seed's z
    assert not np.array_equal(seed_only, shown)
    # a new seed leaves the z found behind
    app.explore.seed_to_sliders(req("p"), "en", "training", 12, 1.0, 7)
    assert app.registry.visitor("p").state.projected is None


def test_a_drawing_is_projected_too(cheap):
    pad = np.zeros((300, 300, 4), np.uint8)
    pad[60:240, 140:160] = (0, 0, 0, 255)  # a 1
    out = cheap.explore.project_image(req("d"), "en", "training", 0, {"composite": pad, "too_large": None}, None)
    assert out[0]["visible"] and "drawing" in out[1]
    assert cheap.registry.visitor("d").state.projected is not None


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_bad_upload_is_refused_in_the_readers_language_and_changes_nothing(cheap, tmp_path, lang):
    app = cheap
    app.explore.project_image(req("b"), "en", "training", 5, None, str(_seven(tmp_path)))
    before = app.registry.visitor("b").state.projected["z"].clone()
    lying = tmp_path / "digit.png"
    lying.write_bytes(b"not an image at all" * 10)
    with pytest.raises(gr.Error) as info:
        app.explore.project_image(req("b"), lang, "training", 5, None, str(lying))
    assert info.value.message == t(lang, "err_project_not_image")
    huge = tmp_path / "huge.png"  # a header that claims 6,000 × 6,000 pixels: never decoded
    Image.new("1", (6000, 6000)).save(huge)
    with pytest.raises(gr.Error) as info:
        app.explore.project_image(req("b"), lang, "training", 5, None, str(huge))
    assert "6,000 × 6,000" in info.value.message and info.value.message.startswith(
        t(lang, "err_project_too_large", width="6,000", height="6,000", limit="")[:6])
    with pytest.raises(gr.Error) as info:
        app.explore.project_image(req("b"), lang, "training", 5, None, None)
    assert info.value.message == t(lang, "err_project_nothing")
    assert torch.equal(app.registry.visitor("b").state.projected["z"], before)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_2d_generator_says_projecting_is_for_image_gans(local_app, lang):
    config = tiny_2d()
    save_checkpoint(local_app.checkpoints_dir / "ring.safetensors", build_generator(config), config, 0)
    local_app.explore.load_shipped(req("r"), "en", "ring.safetensors")
    with pytest.raises(gr.Error) as info:
        local_app.explore.project_image(req("r"), lang, "checkpoint", 0, None, None)
    assert info.value.message == t(lang, "err_project_2d")
    assert t(lang, "project_help").count("2D" if lang == "en" else "二维") == 1  # the control says so too


def test_the_runs_own_G_is_projected_through_the_worker(app, monkeypatch):
    from conftest import tiny_image, wait_until
    from ganapp.ui.handlers import CONTROL_FIELDS

    monkeypatch.setattr(explore, "PROJECT_STEPS", 5)
    monkeypatch.setattr(explore, "PROJECT_STARTS", 2)
    config = tiny_image()
    controls = [getattr(config, f) for f in CONTROL_FIELDS[:CONTROL_FIELDS.index("data_files")]] + [None, "scratch"]
    app.train.step(req("w"), "en", 2, *controls)
    visitor = app.registry.visitor("w")
    assert wait_until(lambda: visitor.run.status().step == 2, 30)
    pad = np.zeros((100, 100, 4), np.uint8)
    pad[20:80, 45:55] = (0, 0, 0, 255)
    out = app.explore.project_image(req("w"), "en", "training", 0, {"composite": pad, "too_large": None}, None)
    assert out[0]["visible"] and visitor.state.projected["z"].shape == (config.z_dim,)
    sliders = out[2:2 + N_Z_SLIDERS]
    assert all(s["visible"] for s in sliders[:config.z_dim]) and "label" not in out[1]
