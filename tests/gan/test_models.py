import math

import pytest
import torch

from ganapp.gan.config import GANConfig
from ganapp.gan.losses import LOSSES, get_loss, minimax_d_loss, minimax_g_loss, non_saturating_g_loss
from ganapp.gan.models import build_discriminator, build_generator

from conftest import tiny_2d, tiny_image


@pytest.mark.parametrize("config,shape", [
    (tiny_image(), (1, 28, 28)), (tiny_image(model="mlp"), (1, 28, 28)), (tiny_2d(), (2,)),
    (GANConfig(), (1, 28, 28)), (tiny_image(image_size=32, channels=3), (3, 32, 32)),
    (tiny_image(image_size=64, channels=1), (1, 64, 64)), (tiny_image(image_size=64, channels=3, model="mlp"),
                                                           (3, 64, 64)),
])
def test_g_and_d_shapes(config, shape):
    G, D = build_generator(config), build_discriminator(config)
    z = torch.randn(5, config.z_dim)
    x = G(z)
    assert x.shape == (5, *shape) and x.dtype == torch.float32
    logits = D(x)
    assert logits.shape == (5,)
    if len(shape) == 3:
        assert x.min() >= -1 and x.max() <= 1  # Tanh range, like the real data


def test_d_outputs_logits_not_probabilities():
    D = build_discriminator(tiny_2d())
    with torch.no_grad():
        for p in D.parameters():
            p.fill_(1.0)
    assert D(torch.ones(3, 2)).min() > 1.0  # a sigmoid could never exceed 1


def test_minimax_values_on_known_logits():
    # D(x) = σ(0) = 0.5 and D(G(z)) = 0.5: V = 2·log 0.5, so D's loss is 2·log 2; G's is log(1 − 0.5).
    zero = torch.zeros(4)
    assert minimax_d_loss(zero, zero).item() == pytest.approx(2 * math.log(2))
    assert minimax_g_loss(zero).item() == pytest.approx(math.log(0.5))
    assert non_saturating_g_loss(zero).item() == pytest.approx(math.log(2))


def test_losses_match_the_formulas_on_mixed_logits():
    real = torch.tensor([2.0, -1.0, 0.5])
    fake = torch.tensor([-3.0, 0.0, 1.5])
    d_x, d_g_z = torch.sigmoid(real), torch.sigmoid(fake)
    expected_d = -(torch.log(d_x).mean() + torch.log(1 - d_g_z).mean())
    assert minimax_d_loss(real, fake).item() == pytest.approx(expected_d.item(), rel=1e-6)
    assert minimax_g_loss(fake).item() == pytest.approx(torch.log(1 - d_g_z).mean().item(), rel=1e-6)
    assert non_saturating_g_loss(fake).item() == pytest.approx(-torch.log(d_g_z).mean().item(), rel=1e-6)


def test_losses_stay_finite_for_extreme_logits():
    big = torch.tensor([1e4, -1e4])
    for loss in LOSSES.values():
        assert torch.isfinite(loss.d_loss(big, big)) and torch.isfinite(loss.g_loss(big))


def test_minimax_saturates_where_non_saturating_does_not():
    # D confidently rejects a fake (logit −10): minimax gives G almost no gradient.
    fake = torch.tensor([-10.0], requires_grad=True)
    minimax_g_loss(fake).backward()
    g_minimax = fake.grad.abs().item()
    fake.grad = None
    non_saturating_g_loss(fake).backward()
    assert g_minimax < 1e-3 < fake.grad.abs().item()


def test_unknown_loss_lists_choices():
    with pytest.raises(ValueError, match="choose one of"):
        get_loss("hinge2")
