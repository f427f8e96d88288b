"""The losses of issue 3: values on known logits, the gradient penalties by hand, and their use in training."""

import pytest
import torch
from torch import nn

from ganapp.gan.losses import (LOSSES, critic_g_loss, gradient_penalty, hinge_d_loss, lsgan_d_loss, lsgan_g_loss,
                           r1_penalty, wgan_d_loss)
from ganapp.gan.trainer import Trainer

from conftest import tiny_2d, tiny_image

REAL = torch.tensor([2.0, -1.0, 0.5])
FAKE = torch.tensor([-3.0, 0.0, 1.5])


def test_lsgan_values():
    # ½·mean((2−1)², (−1−1)², (0.5−1)²) + ½·mean(9, 0, 2.25)
    assert lsgan_d_loss(REAL, FAKE).item() == pytest.approx(0.5 * (1 + 4 + 0.25) / 3 + 0.5 * (9 + 0 + 2.25) / 3)
    assert lsgan_g_loss(FAKE).item() == pytest.approx(0.5 * (16 + 1 + 0.25) / 3)
    assert lsgan_d_loss(torch.ones(2), torch.zeros(2)).item() == 0  # D's targets met exactly


def test_hinge_values():
    # relu(1−2)=0, relu(1+1)=2, relu(1−0.5)=0.5; relu(1−3)=0, relu(1)=1, relu(2.5)=2.5
    assert hinge_d_loss(REAL, FAKE).item() == pytest.approx((0 + 2 + 0.5) / 3 + (0 + 1 + 2.5) / 3)
    assert critic_g_loss(FAKE).item() == pytest.approx(-(-3 + 0 + 1.5) / 3)


def test_wasserstein_critic_value():
    assert wgan_d_loss(REAL, FAKE).item() == pytest.approx((-3 + 0 + 1.5) / 3 - (2 - 1 + 0.5) / 3)


class Linear(nn.Module):
    """D(x) = w·x, whose gradient is w everywhere: ‖∇D‖ = ‖w‖."""

    def __init__(self, w):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(w))

    def forward(self, x):
        return x.flatten(1) @ self.w


def test_gradient_penalty_by_hand():
    D = Linear([3.0, 4.0])  # ‖w‖ = 5, so the penalty is (5 − 1)² = 16 wherever x̂ falls
    real, fake = torch.randn(6, 2), torch.randn(6, 2)
    gp = gradient_penalty(D, real, fake, torch.Generator().manual_seed(0))
    assert gp.item() == pytest.approx(16.0)
    gp.backward()  # d/dw (‖w‖ − 1)² = 2(‖w‖ − 1)·w/‖w‖ = 8/5·w
    torch.testing.assert_close(D.w.grad, torch.tensor([3.0, 4.0]) * 8 / 5)
    assert gradient_penalty(Linear([0.6, 0.8]), real, fake).item() == pytest.approx(0.0, abs=1e-10)


def test_r1_penalty_by_hand():
    assert r1_penalty(Linear([3.0, 4.0]), torch.randn(5, 2)).item() == pytest.approx(25.0)


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_every_loss_trains_a_step(loss):
    t = Trainer(tiny_image(loss=loss))
    m = t.step()
    assert all(v == v for v in m.values())  # finite, not NaN
    if not LOSSES[loss].probabilities:
        with torch.no_grad():
            t.D.eval()
            raw = t.D(t.data.sample(4))
        assert raw.shape == (4,)


def test_wgan_gp_critic_has_no_batchnorm_and_gp_enters_d_loss():
    t = Trainer(tiny_image(loss="wgan_gp", gp_lambda=10.0))
    assert not any(isinstance(m, nn.BatchNorm2d) for m in t.D.modules())
    assert any(isinstance(m, nn.BatchNorm2d) for m in Trainer(tiny_image()).D.modules())
    a, b = Trainer(tiny_2d(loss="wgan_gp", gp_lambda=0.0)), Trainer(tiny_2d(loss="wgan_gp", gp_lambda=100.0))
    assert b.step()["d_loss"] > a.step()["d_loss"]  # same seed, same batch: only the penalty differs


def test_critic_scores_are_raw_not_probabilities():
    t = Trainer(tiny_2d(loss="hinge", lr_d=0.05, lr_g=0.05))
    values = [t.step() for _ in range(30)]
    assert any(v["d_x"] > 1 or v["d_g_z"] < 0 for v in values)  # outside [0, 1]: not σ(logit)


def test_switching_a_dcgan_to_or_from_wgan_gp_needs_a_reset():
    t = Trainer(tiny_image())
    applied, needs_reset = t.update(loss="wgan_gp", r1_gamma=1.0)
    assert applied == ["r1_gamma"] and needs_reset == ["loss"] and t.config.loss == "non_saturating"
    assert t.update(loss="hinge") == (["loss"], [])
    m = Trainer(tiny_2d())
    assert m.update(loss="wgan_gp") == (["loss"], [])  # an MLP critic has no BatchNorm to remove
