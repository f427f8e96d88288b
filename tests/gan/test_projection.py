"""Issue 26, part 4: an image projected back to z (ganapp.gan.projection) on the shipped MNIST generators: far closer
than a random z, the conditional label found, deterministic for a seed, bad inputs refused by field and range."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganapp.gan.checkpoints import CHECKPOINT_DIR, load_checkpoint
from ganapp.gan.config import ConfigError
from ganapp.gan.latent import seed_to_z
from ganapp.gan.models import eval_mode, generate
from ganapp.gan.projection import MAX_STEPS, Z_BOX, project, target_from_drawing, target_from_image

FEW = dict(steps=25, n_starts=2)  # cheap: the margins below hold with far fewer steps than the page's


@pytest.fixture(scope="module")
def cond():
    return load_checkpoint(CHECKPOINT_DIR / "mnist_cond_dcgan.safetensors")


@pytest.fixture(scope="module")
def uncond():
    return load_checkpoint(CHECKPOINT_DIR / "mnist_dcgan.safetensors")


def _sample(ckpt, seed: int, label: int | None = None) -> torch.Tensor:
    """G(z*) of the seed's z*, (1, 28, 28) in [-1, 1]."""
    y = None if label is None else torch.tensor([label])
    with eval_mode(ckpt.G):
        return generate(ckpt.G, seed_to_z(seed, ckpt.config.z_dim), y)[0]


def _mnist(n: int) -> tuple[torch.Tensor, np.ndarray]:
    """The last n digits of the shipped mnist_10k as (n, 1, 28, 28) in [-1, 1], and their labels."""
    data = np.load(__import__("ganapp").__path__[0] + "/assets/mnist_10k.npz")
    return torch.from_numpy(data["images"][-n:]).float().div(127.5).sub(1.0)[:, None], data["labels"][-n:]


def test_a_known_samples_projection_is_far_closer_than_a_random_z(uncond):
    target = _sample(uncond, 12345)
    found = project(uncond.G, target, uncond.config.z_dim, **FEW)
    assert found.label is None and found.z.shape == (uncond.config.z_dim,) and found.image.shape == (1, 28, 28)
    assert float(found.z.abs().max()) <= Z_BOX
    assert found.distance < found.random_distance / 8, (found.distance, found.random_distance)
    with eval_mode(uncond.G):  # the image returned is G(z) of the z returned
        again = generate(uncond.G, found.z[None])[0]
    torch.testing.assert_close(again, found.image, atol=1e-5, rtol=0)


def test_mnist_test_digits_project_far_closer_than_a_random_z(cond, uncond):
    images, labels = _mnist(3)
    for ckpt in (cond, uncond):
        for x in images:
            found = project(ckpt.G, x, ckpt.config.z_dim, ckpt.config.n_classes, **FEW)
            assert found.distance < found.random_distance / 3, (ckpt.config.conditional, found)


def test_the_conditional_label_is_found_for_a_clear_digit(cond):
    for label, seed in ((7, 3), (0, 4)):
        found = project(cond.G, _sample(cond, seed, label), cond.config.z_dim, cond.config.n_classes, **FEW)
        assert found.label == label


def test_the_same_seed_gives_the_same_z_and_G_is_left_as_it_was(uncond):
    target = _sample(uncond, 7)
    G = uncond.G.train()
    before = [p.requires_grad for p in G.parameters()]
    done = []
    a = project(G, target, uncond.config.z_dim, steps=3, n_starts=2, seed=5,
                progress=lambda i, n: done.append((i, n)))
    b = project(G, target, uncond.config.z_dim, steps=3, n_starts=2, seed=5)
    c = project(G, target, uncond.config.z_dim, steps=3, n_starts=2, seed=6)
    assert torch.equal(a.z, b.z) and not torch.equal(a.z, c.z)
    assert done == [(i, 3) for i in range(1, 4)]
    assert G.training and [p.requires_grad for p in G.parameters()] == before
    assert all(p.grad is None for p in G.parameters())
    G.eval()


@pytest.mark.parametrize("change, field, allowed", [
    (dict(target=torch.zeros(28, 28)), "target", "(1, 28, 28)"),
    (dict(target=torch.zeros(3, 28, 28)), "target", "(1, 28, 28)"),
    (dict(target=torch.full((1, 28, 28), float("nan"))), "target", "[-1, 1]"),
    (dict(target=torch.full((1, 28, 28), 2.0)), "target", "[-1, 1]"),
    (dict(steps=MAX_STEPS + 1), "steps", f"1..{MAX_STEPS}"),
    (dict(steps=0), "steps", f"1..{MAX_STEPS}"),
    (dict(n_starts=0), "n_starts", "1..64"),
    (dict(lr=float("nan")), "lr", "(0, 1]"),
    (dict(prior_weight=-1.0), "prior_weight", "[0, 10]"),
])
def test_bad_inputs_are_refused_by_field_and_range(uncond, change, field, allowed):
    args = dict(target=torch.zeros(1, 28, 28), steps=1, n_starts=1) | change
    with pytest.raises(ConfigError) as info:
        project(uncond.G, args.pop("target"), uncond.config.z_dim, **args)
    assert info.value.field == field and field in str(info.value) and allowed in str(info.value)


def test_a_drawing_becomes_a_centred_light_digit_and_an_upload_is_resized():
    pad = np.zeros((400, 300, 4), np.uint8)  # transparent, a black stroke in the top-left corner
    pad[20:120, 30:50] = (0, 0, 0, 255)
    x = target_from_drawing(pad, 28, 1)
    assert x.shape == (1, 28, 28) and float(x.min()) == -1.0 and float(x.max()) > 0.9
    rows, cols = np.nonzero(x[0].numpy() > 0)
    assert rows.max() - rows.min() + 1 == 20 and abs((rows.min() + rows.max()) / 2 - 13.5) <= 1  # 20 high, centred
    assert abs((cols.min() + cols.max()) / 2 - 13.5) <= 1
    white = np.full((90, 90, 3), 255, np.uint8)
    white[30:60, 40:50] = 0  # dark strokes on white paper become light ink
    assert float(target_from_drawing(white, 28, 3).amax()) > 0.9
    with pytest.raises(ValueError):
        target_from_drawing(np.zeros((50, 50, 4), np.uint8), 28, 1)
    up = target_from_image(np.full((200, 100), 255, np.uint8), 32, 3)
    assert up.shape == (3, 32, 32) and torch.allclose(up, torch.ones_like(up))
