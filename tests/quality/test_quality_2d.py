"""Longer checks that training really learns. Deselected by default; run with ``pytest -m quality``."""

import os

import numpy as np
import pytest
import torch

from ganapp.engine.stack import StackedTrainer
from ganapp.gan.config import GANConfig
from ganapp.gan.latent import seed_to_z
from ganapp.gan.metrics import mode_metrics
from ganapp.gan.points2d import grid25, ring8
from ganapp.gan.presets import classroom_config
from ganapp.gan.trainer import Trainer

pytestmark = pytest.mark.quality


def test_default_ring8_run_covers_every_mode_early():
    """3,000 steps (~15 s on 2 cores) reach all 8 modes. G's clusters are still loose then (with the default's R1,
    22-69% of the samples within 3 std over steps 1,000-3,000); the target test below asserts where they end."""
    t = Trainer(GANConfig.default_for("ring8"))
    for _ in range(3000):
        t.train_step()
    z = torch.randn(2500, t.config.z_dim, generator=torch.Generator().manual_seed(1))
    m = mode_metrics(t.sample(z).numpy(), ring8())
    assert m["modes"] == 8 and m["high_quality"] > 0.2, m


def test_a_class_of_stacked_ring8_runs_each_covers_every_mode_within_3_minutes_at_40_steps_per_s():
    """Issue 11's classroom target: every student's ring8 run covers all 8 modes within 3 minutes at 40 steps/s
    (7,200 steps; PacGAN's protocol on 2,500 samples). 10 runs at the classroom sizes, seeds 0..9, their R1 phases
    apart as when students press Start at different moments, trained as the engine trains a class: one stacked
    step. About a minute on 2 cores."""
    config = classroom_config(GANConfig.default_for("ring8"))
    trainers = [Trainer(config.replace(seed=i)) for i in range(10)]
    for i, t in enumerate(trainers):
        t.d_updates = i
    stack = StackedTrainer(trainers)
    for _ in range(7_200):
        stack.train_step()
    stack.write_back_all()
    scores = [mode_metrics(t.sample(seed_to_z(0, 2, 2500)).numpy(), ring8()) for t in trainers]
    assert all(m["modes"] == 8 for m in scores), scores


def _modes_after_a_run_of_known_length(dataset: str, n_steps: int) -> dict:
    """PacGAN's scores (2,500 samples) of a default run of ``n_steps``, its lr decay following the run's progress."""
    t = Trainer(GANConfig.default_for(dataset))
    for i in range(n_steps):
        t.set_progress(i / n_steps)
        t.train_step()
    return mode_metrics(t.sample(seed_to_z(0, 2, 2500)).numpy(), ring8() if dataset == "ring8" else grid25())


def test_default_ring8_run_of_known_length_meets_the_record_targets():
    """Issue 3's ring8 target (8 modes, ≥ 97% high quality, reverse KL ≤ 0.05; PacGAN's protocol on 2,500 samples)
    for a run of 18,000 steps, about 2 minutes on a 2-core CPU, with the default lr decay over its last 30%."""
    m = _modes_after_a_run_of_known_length("ring8", 18_000)
    assert m["modes"] == 8 and m["high_quality"] >= 0.97 and m["reverse_kl"] <= 0.05, m


def test_default_grid25_run_of_known_length_meets_the_record_targets():
    """Issue 3's grid25 target (25 modes, ≥ 95% high quality, reverse KL ≤ 0.04; PacGAN's protocol on 2,500 samples)
    for a run of 12,000 steps, about 2 minutes on a 2-core CPU, with the default lr decay over its last 30%."""
    m = _modes_after_a_run_of_known_length("grid25", 12_000)
    assert m["modes"] == 25 and m["high_quality"] >= 0.95 and m["reverse_kl"] <= 0.04, m


def test_default_mnist_10k_dcgan_learns_digit_like_samples():
    t = Trainer(GANConfig.default_for("mnist_10k"))
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


def test_default_mnist_dcgan_after_5_minutes_draws_every_digit_in_even_proportions(shared_mnist_root, monkeypatch):
    """Issue 3's MNIST target: the default DCGAN on the full MNIST training set, trained for 5 minutes of wall time
    on every core (as ``python -m ganapp train --dataset mnist --minutes 5``, lr decay included), then judged by the
    shipped classifier on 5,000 samples: all 10 digits, each 5-15% of the samples (KL from uniform <= 0.03), and a
    Fréchet distance within 15x the real-vs-real floor (the 5-minute run of the old defaults scored 32x, KL 0.12)."""
    import time

    from ganapp.gan.metrics import shared_judge

    monkeypatch.setenv("GANAPP_DATA_DIR", str(shared_mnist_root))
    threads = torch.get_num_threads()
    torch.set_num_threads(os.cpu_count() or 1)  # conftest runs tests on one thread; the target is the whole CPU
    try:
        t = Trainer(GANConfig.default_for("mnist"))
        run_s, started = 300.0, time.monotonic()
        while (progress := (time.monotonic() - started) / run_s) < 1:
            t.set_progress(progress)
            t.train_step()
    finally:
        torch.set_num_threads(threads)
    scores = shared_judge().score_generator(t.G_shown.eval(), t.config.z_dim, n=5000)
    hist = np.array(scores["class_hist"])
    assert scores["classes"] == 10 and scores["kl_uniform"] <= 0.03, scores
    assert hist.min() >= 0.05 and hist.max() <= 0.15, scores
    assert scores["frechet_distance"] <= 15 * scores["fd_floor"], scores
