"""The GAN Lab view on 2D data: decision map, gradient arrows, manifold, grid divergences, drawn data, lessons,
Step D / Step G and slow motion."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from conftest import tiny_2d, wait_until
from ganapp.gan.config import GANConfig
from ganapp.gan.data import DataStream
from ganapp.gan.losses import get_loss
from ganapp.gan.metrics import collapse_alert, mode_metrics
from ganapp.gan.points2d import BOUNDS_2D, grid25, points_from_drawing, ring8, save_drawing
from ganapp.gan.trainer import Trainer
from ganapp.gan.view2d import decision_map, g_gradients, grid_divergences, grid_points, manifold, scale_arrows
from ganapp.run.lessons import LESSONS, lesson_config
from ganapp.run.run import Run


class Identity2D(nn.Module):
    """A 'generator' that returns z itself: its manifold must be the z grid."""

    def __init__(self):
        super().__init__()
        self.w = nn.Linear(2, 2, bias=False)
        nn.init.eye_(self.w.weight)

    def forward(self, z, y=None):
        return self.w(z)


def test_heatmap_values_are_d_outputs_on_the_grid():
    t = Trainer(tiny_2d())
    bounds = BOUNDS_2D["ring8"]
    xs, ys, values = decision_map(t.D, bounds, probabilities=True, n=16)
    assert values.shape == (16, 16) and xs[0] > bounds[0] and xs[-1] < bounds[1]
    with torch.no_grad():
        for i, j in ((0, 0), (3, 11), (15, 7)):
            expected = torch.sigmoid(t.D(torch.tensor([[xs[j], ys[i]]]))).item()
            assert values[i, j] == pytest.approx(expected, abs=1e-6)
    _, _, raw = decision_map(t.D, bounds, probabilities=False, n=16)
    np.testing.assert_allclose(1 / (1 + np.exp(-raw)), values, atol=1e-6)
    assert grid_points(bounds, 4)[2].shape == (16, 2)


@pytest.mark.parametrize("loss_name", ["non_saturating", "minimax", "wgan_gp"])
def test_arrows_point_along_minus_the_gradient_of_each_samples_g_loss(loss_name):
    t = Trainer(tiny_2d(loss=loss_name))
    loss = get_loss(loss_name)
    fake = torch.randn(5, 2)
    arrows = g_gradients(t.D, fake, loss)
    for i in range(5):
        x = fake[i:i + 1].clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(loss.g_loss(t.D(x)), x)
        torch.testing.assert_close(arrows[i], -grad[0])
    # finite differences agree too: a small move along the arrow lowers that sample's G loss
    eps = 1e-3
    with torch.no_grad():
        for i in range(5):
            step = arrows[i] / (arrows[i].norm() + 1e-12) * eps
            before, after = loss.g_loss(t.D(fake[i:i + 1])), loss.g_loss(t.D(fake[i:i + 1] + step))
            assert after <= before + 1e-7
    scaled = scale_arrows(arrows.numpy(), BOUNDS_2D["ring8"])
    cos = (scaled * arrows.numpy()).sum(1) / (np.linalg.norm(scaled, axis=1) * arrows.norm(dim=1).numpy())
    np.testing.assert_allclose(cos, 1.0, atol=1e-5)  # scaling keeps every direction


def test_manifold_of_an_identity_g_is_the_z_grid():
    lines = manifold(Identity2D(), z_dim=2, lines=5, points=9, span=2.0)
    assert lines.shape == (10, 9, 2)
    t = np.linspace(-2, 2, 9)
    np.testing.assert_allclose(lines[0][:, 0], t, atol=1e-6)  # first family: z₁ runs, z₂ fixed at −2
    np.testing.assert_allclose(lines[0][:, 1], -2.0, atol=1e-6)
    np.testing.assert_allclose(lines[5][:, 1], t, atol=1e-6)  # second family: z₂ runs, z₁ fixed at −2
    np.testing.assert_allclose(lines[5][:, 0], -2.0, atol=1e-6)
    assert manifold(Identity2D(), z_dim=3) is None


def test_mode_metrics_on_hand_made_samples():
    rng = np.random.default_rng(0)
    for mixture in (ring8(), grid25()):
        k = len(mixture.means)
        everywhere = np.repeat(mixture.means, 100, axis=0) + mixture.std * rng.standard_normal((100 * k, 2))
        m = mode_metrics(everywhere, mixture)
        assert m["modes"] == k and m["high_quality"] > 0.95 and m["reverse_kl"] < 0.01
        one = mixture.means[[0]] + mixture.std * rng.standard_normal((500, 2))
        m = mode_metrics(one, mixture)
        assert m["modes"] == 1 and m["reverse_kl"] == pytest.approx(math.log(k), rel=1e-6)
        between = (mixture.means[[0]] + mixture.means[[1]]) / 2 + np.zeros((50, 2))
        m = mode_metrics(between, mixture)
        assert m["high_quality"] == 0.0 and m["modes"] == 0 and m["reverse_kl"] == float("inf")


def test_grid_divergences_are_zero_for_equal_sets_and_large_for_disjoint_ones():
    bounds = (-2.0, 2.0, -2.0, 2.0)
    a = np.random.default_rng(0).uniform(-1, 1, (4000, 2))
    same = grid_divergences(a, a, bounds)
    assert same["kl"] == pytest.approx(0.0, abs=1e-9) and same["js"] == pytest.approx(0.0, abs=1e-9)
    left, right = a * 0.4 - [1.2, 0], a * 0.4 + [1.2, 0]
    apart = grid_divergences(left, right, bounds)
    assert apart["js"] == pytest.approx(math.log(2), abs=1e-3) and apart["kl"] > 5
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        grid_divergences(a[:, :1], a, bounds)


def test_collapse_alert():
    row = lambda step, modes: {"step": step, "modes": modes, "n_modes": 25}  # noqa: E731
    assert collapse_alert([row(s, 25) for s in range(0, 1000, 100)]) is None
    falling = [row(s, 24) for s in range(0, 500, 100)] + [row(s, 12) for s in range(500, 1000, 100)]
    assert collapse_alert(falling) == "falling"
    low = [row(s, 6) for s in range(500, 1100, 100)]
    assert collapse_alert(low) == "low"
    assert collapse_alert(low[:3]) is None  # too few readings to say
    assert collapse_alert([{"step": 1, "kl": 0.1}] * 10) is None  # no mode metrics (not ring8 or grid25)


def test_a_drawn_stroke_becomes_points_on_the_stroke(tmp_path):
    image = np.full((100, 200, 3), 255, np.uint8)
    image[40:43, 50:150] = 0  # a horizontal black stroke on white
    pts = points_from_drawing(image, n=500, bounds=(-2.0, 2.0, -1.0, 1.0))
    assert pts.shape == (500, 2)
    assert ((pts[:, 0] >= -1.0) & (pts[:, 0] <= 1.0)).all()  # columns 50..150 of 200 → x in [−1, 1]
    assert ((pts[:, 1] <= 1 - 2 * 40 / 100) & (pts[:, 1] >= 1 - 2 * 43 / 100)).all()  # rows 40..43 of 100
    rgba = np.zeros((64, 64, 4), np.uint8)
    rgba[10:50, 30:33, 3] = 255  # a vertical stroke on a transparent pad
    vertical = points_from_drawing(rgba, n=200)
    assert np.ptp(vertical[:, 0]) < 0.2 and np.ptp(vertical[:, 1]) > 2.0
    with pytest.raises(ValueError, match="draw a shape"):
        points_from_drawing(np.full((64, 64), 255, np.uint8))
    path = save_drawing(image, tmp_path / "d.npy")
    stream = DataStream("drawn", data_path=str(path))
    batch = stream.next(64)
    assert batch.shape == (64, 2) and (batch[:, 1].abs() < 2).all()
    with pytest.raises(ValueError, match="data_path"):
        GANConfig.default_for("drawn")


def test_lessons_build_valid_configs():
    for name, lesson in LESSONS.items():
        config = lesson_config(name)
        assert config.r1_gamma == 0 or lesson.dataset == "mnist_10k"  # the plain GAN, not the tuned default
        assert config.is_2d == (lesson.metric != "fd")
    assert lesson_config("strong_d").beta1 == 0.5 and lesson_config("wgan_smooth").beta2 == 0.9
    assert lesson_config("mode_collapse").loss == "minimax" and lesson_config("mode_collapse").r1_gamma == 0
    with pytest.raises(ValueError, match="lesson"):
        lesson_config("nope")


def test_step_d_changes_only_d_and_step_g_only_g():
    t = Trainer(tiny_2d())
    snapshot = lambda m: [p.detach().clone() for p in m.parameters()]  # noqa: E731
    g0, d0 = snapshot(t.G), snapshot(t.D)
    t.d_step()
    assert all(torch.equal(a, b) for a, b in zip(g0, snapshot(t.G)))
    assert any(not torch.equal(a, b) for a, b in zip(d0, snapshot(t.D)))
    g1, d1 = snapshot(t.G), snapshot(t.D)
    step = t.step_count
    t.g_step()
    assert all(torch.equal(a, b) for a, b in zip(d1, snapshot(t.D)))
    assert any(not torch.equal(a, b) for a, b in zip(g1, snapshot(t.G)))
    assert t.step_count == step + 1


def test_session_publishes_the_view_and_steps_phases():
    s = Run(tiny_2d(), publish_every_s=0.05, grid_every_s=0.05)
    try:
        snap = s.snapshot(None)
        assert snap.view is not None and snap.view.decision.shape == (64, 64)
        assert snap.view.arrows.shape == (16, 2) and snap.view.manifold.shape == (22, 41, 2)  # n_fixed 16, z_dim 2
        assert {"kl", "js", "modes", "high_quality", "reverse_kl"} <= set(snap.view_metrics[-1])
        before = snap.view.decision.copy()
        s.phase_step("d")
        after = s.snapshot(None)
        assert after.step == 0 and not np.array_equal(after.view.decision, before)  # D moved, G did not step
        s.phase_step("g")
        s.phase_step("both")
        assert s.snapshot(None).step == 2 and list(s.history()["step"]) == [2]
        s.set_slow_motion(0.3)
        s.step(1)
        assert wait_until(lambda: s.snapshot(None).phase in ("d", "g"), 5)
        assert wait_until(lambda: s.snapshot(None).step == 3 and s.state == "paused", 10)
        assert s.snapshot(None).phase == ""
        with pytest.raises(ValueError, match="slow_motion_s"):
            s.set_slow_motion(9)
        s.start()
        with pytest.raises(RuntimeError, match="pause"):
            s.phase_step("d")
    finally:
        s.stop()


def test_view_frames_and_metric_rows_follow_training():
    """A view frame and a metrics row per grid refresh (speed is measured by benchmarks/view2d.py, not here)."""
    s = Run(tiny_2d(), publish_every_s=0.02, grid_every_s=0.02)
    try:
        s.step(200)
        assert wait_until(lambda: s.snapshot(None).step == 200, 30)
        assert len(s.snapshot(None).view_metrics) >= 2
    finally:
        s.stop()


def test_live_2d_metrics_rows_are_thinned_not_unbounded(monkeypatch):
    import ganapp.run.publisher as publisher_module

    monkeypatch.setattr(publisher_module, "MAX_VIEW_ROWS", 10)
    s = Run(tiny_2d(), publish_every_s=0.0, grid_every_s=0.0)
    try:
        s.step(60)
        assert wait_until(lambda: s.snapshot(None).step == 60 and s.state == "paused", 30)
        rows = s.snapshot(None).view_metrics
        steps = [r["step"] for r in rows]
        assert len(rows) <= 10 and steps == sorted(steps) and steps[0] == 0 and steps[-1] == 60
    finally:
        s.stop()
