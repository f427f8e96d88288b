"""Projecting an image back to z follows the prior its G was trained on: for uniform noise, z stays in [−1, 1]."""

from __future__ import annotations

import torch

from conftest import tiny_image
from ganapp.gan.models import build_generator
from ganapp.gan.projection import project


def test_a_uniform_noise_g_is_projected_inside_its_prior_where_a_gaussian_one_leaves_it():
    torch.manual_seed(0)
    config = tiny_image(z_dim=8)
    G = build_generator(config).eval()
    target = torch.rand(1, 28, 28, generator=torch.Generator().manual_seed(3)) * 2 - 1
    uniform = project(G, target, config.z_dim, steps=30, n_starts=4, seed=1, noise="uniform")
    gaussian = project(G, target, config.z_dim, steps=30, n_starts=4, seed=1)
    assert uniform.z.abs().max() <= 1.0 < gaussian.z.abs().max()
    assert uniform.distance <= uniform.random_distance
