"""Longer checks that training really learns. Deselected by default; run with ``pytest -m quality``."""

import numpy as np
import pytest
import torch

from ganapp.config import GANConfig
from ganapp.data import ring8
from ganapp.metrics import mode_metrics
from ganapp.trainer import Trainer

pytestmark = pytest.mark.quality


def test_default_ring8_run_covers_most_modes():
    t = Trainer(GANConfig.default_for("ring8"))
    for _ in range(3000):
        t.train_step()
    z = torch.randn(2500, t.config.z_dim, generator=torch.Generator().manual_seed(1))
    m = mode_metrics(t.sample(z).numpy(), ring8())
    assert m["modes"] >= 6 and m["high_quality"] > 0.5, m


def test_default_mnist_10k_dcgan_learns_digit_like_samples():
    t = Trainer(GANConfig())
    for _ in range(800):
        t.train_step()
    x = t.sample(t.fixed_z).numpy()  # (64, 1, 28, 28) in [-1, 1]
    real = t.data.sample(64).cpu().numpy()
    # Mostly dark background with bright strokes, like MNIST: similar ink fraction and diverse samples.
    ink_fake, ink_real = (x > 0).mean(), (real > 0).mean()
    assert abs(ink_fake - ink_real) < 0.08, (ink_fake, ink_real)
    flat = x.reshape(len(x), -1)
    spread = np.linalg.norm(flat[:, None] - flat[None], axis=2).mean()
    assert spread > 5.0  # not one image repeated (mode collapse)
