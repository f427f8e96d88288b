"""Each lesson shows its phenomenon, measured with the app's own live metric over the lesson's window, and the
defaults do not show it. The rows come from :func:`ganapp.run.lessons.watch_rows`: the publisher that draws the live
view, one row per second at the lesson's pace. Deselected by default; run with ``pytest -m quality``."""

import time

import numpy as np
import pytest
import torch

from ganapp.gan.config import GANConfig
from ganapp.gan.metrics import MNISTJudge
from ganapp.gan.trainer import Trainer
from ganapp.run.lessons import LESSONS, watch_rows

pytestmark = pytest.mark.quality


def _window(rows: list[dict], lesson) -> list[dict]:
    first, last = lesson.window_steps
    return [r for r in rows if first <= r["step"] <= last]


def _mean(rows: list[dict], key: str) -> float:
    return float(np.nanmean([r[key] for r in rows]))


def test_mode_collapse_lesson_covers_at_most_40_percent_for_70_percent_of_its_two_minutes_with_the_alert_on():
    lesson = LESSONS["mode_collapse"]
    assert lesson.window_s == 120.0
    rows = _window(watch_rows(lesson.config(), lesson.window_steps[1], int(lesson.steps_per_s)), lesson)
    low = [r for r in rows if r["modes"] <= 0.4 * r["n_modes"]]
    assert len(low) >= 0.7 * len(rows), [r["modes"] for r in rows]
    assert sum(bool(r["alert"]) for r in low) >= 0.9 * len(low)  # the alert stays on while it does
    assert any(r["modes"] <= lesson.pause.at_most for r in rows)  # its key moment comes within the window


def test_grid25_defaults_do_not_collapse_and_hold_95_percent_coverage_at_the_window_s_end():
    lesson = LESSONS["mode_collapse"]
    rows = _window(watch_rows(GANConfig.default_for("grid25"), lesson.window_steps[1], 25), lesson)
    assert sum(r["modes"] <= 0.4 * r["n_modes"] for r in rows) <= 0.1 * len(rows)
    end = [r for r in rows if r["step"] >= lesson.window_steps[1] - 500]
    modes = [r["modes"] / r["n_modes"] for r in end]
    assert np.mean(modes) >= 0.95 and min(modes) >= 0.9, [r["modes"] for r in end]


def test_saturation_lesson_minimax_gradient_is_a_tenth_of_the_non_saturating_one_in_the_first_300_steps():
    lesson = LESSONS["saturation"]
    a = watch_rows(lesson.config(), 300, 10)
    b = watch_rows(lesson.run_b_config(), 300, 10)
    assert _mean(a, "g_grad") <= 0.1 * _mean(b, "g_grad"), (_mean(a, "g_grad"), _mean(b, "g_grad"))
    assert _mean(a[-10:], "d_g_z") <= 0.05  # because D rejects the fakes: D(G(z)) → 0
    default = watch_rows(GANConfig.default_for("ring8"), 300, 10)
    assert min(r["d_g_z"] for r in default) >= 0.3  # the defaults' D never gets that confident


def test_strong_d_lesson_drives_d_to_certainty_and_g_s_arrows_to_nothing():
    lesson = LESSONS["strong_d"]
    a = _window(watch_rows(lesson.config(), lesson.window_steps[1], 10), lesson)
    b = _window(watch_rows(lesson.run_b_config(), lesson.window_steps[1], 10), lesson)
    assert _mean(a, "d_x") >= 0.95 and _mean(a, "d_g_z") <= 0.05
    assert _mean(a, "g_grad") <= 0.05 * _mean(b, "g_grad"), (_mean(a, "g_grad"), _mean(b, "g_grad"))
    assert 0.3 <= _mean(b, "d_g_z") and _mean(b, "d_x") <= 0.8  # the balanced run B stays in the game


def test_wgan_lesson_critic_pulls_far_fakes_where_the_saturated_d_is_flat():
    lesson = LESSONS["wgan_smooth"]
    a = _window(watch_rows(lesson.config(), lesson.window_steps[1], 10), lesson)
    b = _window(watch_rows(lesson.run_b_config(), lesson.window_steps[1], 10), lesson)
    far_a, far_b = _mean(a, "g_grad_far"), _mean(b, "g_grad_far")
    assert far_a >= 0.5 and far_a >= 10 * far_b, (far_a, far_b)


def _fd_after(config: GANConfig, seconds: float) -> tuple[float, int]:
    """(FD of G after ``seconds`` of training alone on one thread, steps taken)."""
    trainer = Trainer(config, download=False)
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        trainer.train_step()
    fd = MNISTJudge().score_generator(trainer.G_shown, config.z_dim)["frechet_distance"]
    return fd, trainer.step_count


def test_mlp_vs_dcgan_lesson_the_dcgan_wins_on_fd_in_the_same_minutes():
    lesson = LESSONS["mlp_vs_dcgan"]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # each run of the lesson gets about one of the server's two cores
    try:
        fd_dcgan, steps_dcgan = _fd_after(lesson.config(), 90)
        fd_mlp, steps_mlp = _fd_after(lesson.run_b_config(), 90)
    finally:
        torch.set_num_threads(threads)
    assert steps_mlp > steps_dcgan  # the MLP takes more steps in the same time ...
    assert fd_dcgan < 0.8 * fd_mlp, (fd_dcgan, fd_mlp)  # ... and still loses on FD
