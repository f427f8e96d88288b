"""Issue 26, part 4: one GANSpace direction shown on a 3×3 grid of seeds (−amount, unedited, +amount), up to 20
components, and the layer an edit enters G at."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from conftest import tiny_2d, tiny_image
from ganapp.gan.checkpoints import CHECKPOINT_DIR, load_checkpoint
from ganapp.gan.directions import (MAX_COMPONENTS, PANEL_GAP, direction_grid, direction_grid_samples, edit_at_layer,
                                   grid_z, n_edit_layers, principal_directions)
from ganapp.gan.latent import seed_to_z
from ganapp.gan.models import DCGANGenerator
from ganapp.gan.trainer import build_models


@pytest.fixture(scope="module")
def shipped():
    return load_checkpoint(CHECKPOINT_DIR / "mnist_10k_dcgan.safetensors")


@pytest.fixture(scope="module")
def dirs(shipped):
    return principal_directions(shipped.G, shipped.config.z_dim, k=MAX_COMPONENTS, n_samples=400)


def test_grid_is_three_3x3_panels_of_uint8(shipped, dirs):
    image = direction_grid(shipped.G, dirs, 2, 2.0, grid_z(7, shipped.config.z_dim))
    side = 3 * 28 + 8  # three 28-pixel samples with make_grid's 2-pixel padding around each
    assert image.dtype.name == "uint8" and image.shape == (side, 3 * side + 2 * PANEL_GAP, 3)


def test_grid_z_is_the_seed_and_the_8_next_and_wraps_at_the_largest_seed():
    z = grid_z(5, 8)
    assert z.shape == (9, 8) and torch.equal(z[0], seed_to_z(5, 8)[0]) and torch.equal(z[8], seed_to_z(13, 8)[0])
    assert torch.equal(grid_z(2**31 - 1, 8)[1], seed_to_z(0, 8)[0])
    with pytest.raises(ValueError, match="seed=-1"):
        grid_z(-1, 8)


def test_twenty_components_and_fewer_for_a_g_with_fewer_features(shipped, dirs):
    assert dirs.k == 20 and torch.allclose(dirs.components @ dirs.components.T, torch.eye(20), atol=1e-4)
    small = build_models(tiny_2d())[0].eval()  # its first layer has 8 features: PCA has only 8 axes
    assert small.head_features == 8
    assert principal_directions(small, 2, k=MAX_COMPONENTS, n_samples=200).k == 8
    with pytest.raises(ValueError, match="k=21"):
        principal_directions(shipped.G, shipped.config.z_dim, k=21)


@pytest.mark.parametrize("layer", [0, 1])
def test_amount_zero_gives_the_unedited_samples(shipped, dirs, layer):
    z = grid_z(3, shipped.config.z_dim)
    samples = direction_grid_samples(shipped.G, dirs, 5, 0.0, z, layer=layer)
    assert samples.shape == (3, 9, 1, 28, 28)
    unedited = shipped.G(z)
    for panel in samples:
        assert torch.allclose(panel, unedited, atol=1e-6)


def test_the_edit_moves_the_first_layer_activations_along_the_component(shipped, dirs):
    G, z = shipped.G, grid_z(0, shipped.config.z_dim)
    seen = []
    hook = G.net[0].register_forward_pre_hook(lambda module, args: seen.append(args[0].flatten(1).clone()))
    try:
        samples = direction_grid_samples(G, dirs, 3, 1.5, z)
    finally:
        hook.remove()
    base, minus, plus = seen  # the tail's input: unedited, then moved by −1.5σ and +1.5σ
    step = 1.5 * dirs.stds[2] * dirs.components[2]
    assert torch.allclose(base, G.head(z), atol=1e-5)
    assert torch.allclose(plus - base, step.expand_as(base), atol=1e-4)
    assert torch.allclose(minus - base, -step.expand_as(base), atol=1e-4)
    assert (samples[2] - samples[1]).abs().mean() > 0.005  # and the images change


@pytest.mark.parametrize("make, z_dim, layers", [
    (lambda: build_models(tiny_image())[0], 8, 2),  # head (7×7), one hidden block (14×14)
    (lambda: DCGANGenerator(8, 3, 4, image_size=64), 8, 4),  # head (4×4), hidden blocks at 8×8, 16×16, 32×32
    (lambda: build_models(tiny_image(model="mlp", g_width=8))[0], 8, 3),  # head, two hidden Linear+ReLU
    (lambda: build_models(tiny_2d())[0], 2, 3),
], ids=["dcgan28", "dcgan64", "mlp", "mlp2d"])
def test_the_tail_splits_into_layers_that_compose_to_g(make, z_dim, layers):
    G = make().eval()
    z = seed_to_z(1, z_dim, 4)
    assert n_edit_layers(G) == layers
    zero = torch.zeros(G.head_features)
    for layer in range(layers):
        assert torch.allclose(edit_at_layer(G, z, zero, layer=layer), G(z), atol=1e-5)


def test_the_layer_changes_the_output_only_where_the_model_has_layers(shipped, dirs):
    z = grid_z(11, shipped.config.z_dim)
    at0 = direction_grid_samples(shipped.G, dirs, 1, 2.0, z, layer=0)
    at1 = direction_grid_samples(shipped.G, dirs, 1, 2.0, z, layer=1)
    assert torch.equal(at0[1], at1[1]) and (at0[2] - at1[2]).abs().mean() > 1e-3

    class HeadTail(nn.Module):  # a G with no later layer for an edit to enter at
        def __init__(self):
            super().__init__()
            self.head_features = 6
            self.first, self.rest = nn.Linear(4, 6), nn.Sequential(nn.Linear(6, 16), nn.Tanh())

        def head(self, z, y=None):
            return torch.relu(self.first(z))

        def tail(self, h):
            return self.rest(h).view(-1, 1, 4, 4)

    G = HeadTail().eval()
    one = principal_directions(G, 4, k=3, n_samples=100)
    assert n_edit_layers(G) == 1
    assert direction_grid(G, one, 1, 1.0, grid_z(0, 4)).shape == (3 * 4 + 8, 3 * (3 * 4 + 8) + 2 * PANEL_GAP, 3)
    with pytest.raises(ValueError, match=r"layer=1 is out of range: it must be an integer in 0\.\.0"):
        direction_grid(G, one, 1, 1.0, grid_z(0, 4), layer=1)


def test_a_conditional_g_keeps_its_labels():
    config = tiny_image(conditional=True)
    G = build_models(config)[0].eval()
    d = principal_directions(G, config.z_dim, config.n_classes, k=4, n_samples=100)
    y = torch.full((9,), 7)
    z = grid_z(2, config.z_dim)
    samples = direction_grid_samples(G, d, 1, 0.0, z, y, layer=1, n_classes=config.n_classes)
    assert torch.allclose(samples[2], G(z, y), atol=1e-6)


def test_bad_input_names_the_field_and_its_range(shipped, dirs):
    G, z = shipped.G, grid_z(0, shipped.config.z_dim)
    cases = [(dict(component=0), r"component=0 .* 1\.\.20"), (dict(component=21), r"component=21 .* 1\.\.20"),
             (dict(component=1.5), "component=1.5"), (dict(amount=float("nan")), r"amount=nan .* \[-10, 10\]"),
             (dict(amount=11), r"amount=11 .* \[-10, 10\]"), (dict(layer=2), r"layer=2 .* 0\.\.1"),
             (dict(layer=True), "layer=True")]
    for change, message in cases:
        args = dict(component=1, amount=1.0, layer=0) | change
        with pytest.raises(ValueError, match=message):
            direction_grid(G, dirs, args["component"], args["amount"], z, layer=args["layer"])
    with pytest.raises(ValueError, match="z must have shape"):
        direction_grid(G, dirs, 1, 1.0, z[0])
    other = build_models(tiny_image())[0].eval()
    assert isinstance(other, DCGANGenerator) and other.head_features != G.head_features
    with pytest.raises(ValueError, match="another G"):
        direction_grid(other, dirs, 1, 1.0, grid_z(0, 8))
    points = build_models(tiny_2d())[0].eval()
    with pytest.raises(ValueError, match="the grid is for images"):
        direction_grid(points, principal_directions(points, 2, k=2, n_samples=50), 1, 1.0, grid_z(0, 2))
