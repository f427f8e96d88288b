"""Class-conditional G and D: the label reaches G's output and D's score, in training, checkpoints, the CLI and
the Explore tab."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from ganapp.cli import main
from ganapp.gan.checkpoints import load_checkpoint, save_checkpoint
from ganapp.gan.latent import label_path, seed_to_z
from ganapp.gan.media import to_grid
from ganapp.gan.models import build_discriminator, build_generator
from ganapp.gan.trainer import Trainer
from ganapp.host.registry import Registry
from ganapp.ui.handlers import GanApp

from conftest import tiny_2d, tiny_image


@pytest.mark.parametrize("model", ["mlp", "dcgan"])
def test_g_honours_its_label(model):
    torch.manual_seed(0)  # the weights and z: unseeded, a rare draw left two labels' images within 1e-4
    config = tiny_image(model=model, conditional=True)
    G, D = build_generator(config).eval(), build_discriminator(config).eval()
    z = torch.randn(1, config.z_dim).expand(10, -1)  # one z, ten labels
    with torch.no_grad():
        x = G(z, torch.arange(10))
        scores = D(x[:1].expand(10, -1, -1, -1), torch.arange(10))
    assert x.shape == (10, 1, 28, 28)
    diffs = (x[1:] - x[:1]).flatten(1).abs().mean(1)
    assert (diffs > 1e-4).all()  # every label changes the image made from the same z
    assert scores.unique().numel() == 10  # the projection makes D's score depend on the label
    with pytest.raises(ValueError, match="class-conditional"):
        G(z)


def test_soft_labels_interpolate_between_classes():
    config = tiny_image(model="mlp", conditional=True)
    G = build_generator(config).eval()
    z = torch.randn(1, config.z_dim).expand(5, -1)
    path = label_path(3, 7, 10, 5)
    assert torch.equal(path[0], torch.eye(10)[3]) and torch.equal(path[-1], torch.eye(10)[7])
    torch.testing.assert_close(path.sum(1), torch.ones(5))
    with torch.no_grad():
        torch.testing.assert_close(G(z, path)[0], G(z[:1], torch.tensor([3]))[0])
        torch.testing.assert_close(G(z, path)[-1], G(z[:1], torch.tensor([7]))[0])
    with pytest.raises(ValueError, match="label1"):
        label_path(0, 10, 10, 5)


def test_conditional_training_and_grid_columns():
    t = Trainer(tiny_image(conditional=True, n_fixed=20))
    assert torch.equal(t.fixed_y, torch.arange(20) % 10)
    m = t.step()
    assert all(np.isfinite(list(m.values())))
    from ganapp.run.run import Run

    s = Run(tiny_image(conditional=True, n_fixed=20))
    assert s.snapshot().grid.shape[1] == 10 * 30 + 2  # ten columns of 28 px plus 2 px padding each
    s.stop()


def test_conditional_needs_labelled_data():
    with pytest.raises(ValueError, match="needs a labelled dataset"):
        tiny_2d(conditional=True)


def test_conditional_checkpoint_round_trip(tmp_path):
    t = Trainer(tiny_image(conditional=True))
    t.step()
    ckpt = load_checkpoint(save_checkpoint(tmp_path / "c.safetensors", t.G, t.config, 1, D=t.D))
    z, y = torch.randn(3, t.config.z_dim), torch.tensor([1, 5, 9])
    torch.testing.assert_close(ckpt.G(z, y), t.sample(z, y))


def test_cli_trains_conditional_and_samples_one_label(tmp_path, capsys):
    ckpt = tmp_path / "c.safetensors"
    assert main(["train", "--dataset", "mnist_10k", "--conditional", "--steps", "2", "--g-width", "4",
                 "--d-width", "4", "--batch-size", "8", "--z-dim", "8", "--out", str(ckpt)]) == 0
    assert load_checkpoint(ckpt).config.conditional
    assert main(["sample", "--checkpoint", str(ckpt), "--n", "4", "--label", "7", "--out",
                 str(tmp_path / "s.npy")]) == 0
    assert main(["sample", "--checkpoint", str(ckpt), "--n", "4", "--label", "12", "--out",
                 str(tmp_path / "s.npy")]) == 2


def test_explore_label_picker_and_label_interpolation(tmp_path):
    t = Trainer(tiny_image(model="mlp", conditional=True, g_width=8, d_width=8))
    for _ in range(3):
        t.step()
    save_checkpoint(tmp_path / "c.safetensors", t.G, t.config, 3)
    registry = Registry()
    app = GanApp(registry, tmp_path)
    req = SimpleNamespace(session_hash="v")
    try:
        app.explore.load_shipped(req, "en", "c.safetensors")
        out = app.explore.seed_to_sliders(req, "en", "checkpoint", 4, 1.0, 2)
        assert all(u["visible"] is True for u in out[8:12])  # the label pickers show for a conditional G
        img = {y: app.explore.explore(req, "en", "checkpoint", 4, 1.0, y, *[0.0] * 8)[0]["value"] for y in (2, 6)}
        assert not np.array_equal(img[2], img[6])
        strip, _, gif = app.explore.interpolate(req, "en", "checkpoint", 4, 5, "label", 4, 1.0, 2, 6)
        frames = strip["value"]  # 4 tiles of 28 px with 2 px padding, upscaled 3×
        tiles = [frames[6::3, 6 + i * 90::3][:28, :28].astype(int) for i in (0, 3)]  # first and last, 28×28
        G, z = registry.visitor("v").checkpoint.G, seed_to_z(4, 8)
        with torch.no_grad():
            expected = [to_grid(G(z, torch.tensor([y])), nrow=1, padding=0).astype(int) for y in (2, 6)]
        assert np.abs(tiles[0] - expected[0]).max() <= 1  # z(seed 4) held fixed, label 2 ...
        assert np.abs(tiles[1] - expected[1]).max() <= 1  # ... to label 6
        assert np.abs(expected[0] - expected[1]).mean() > 0.5
        with pytest.raises(Exception, match="0..9"):
            app.explore.explore(req, "en", "checkpoint", 4, 1.0, 11, *[0.0] * 8)
    finally:
        registry.close()
