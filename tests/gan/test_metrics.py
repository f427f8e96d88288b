import numpy as np
import pytest

from ganapp.gan.metrics import mode_metrics
from ganapp.gan.points2d import grid25, ring8


def test_samples_on_every_mode_score_perfectly():
    mix = ring8()
    samples = np.repeat(mix.means, 100, axis=0) + 0.005 * np.random.default_rng(0).standard_normal((800, 2))
    m = mode_metrics(samples, mix)
    assert m == {"modes": 8, "n_modes": 8, "high_quality": 1.0, "reverse_kl": pytest.approx(0.0, abs=1e-12)}


def test_one_mode_only_is_mode_collapse():
    mix = grid25()
    m = mode_metrics(np.tile(mix.means[7], (500, 1)), mix)
    assert m["modes"] == 1 and m["high_quality"] == 1.0
    assert m["reverse_kl"] == pytest.approx(np.log(25))


def test_no_high_quality_samples():
    m = mode_metrics(np.zeros((100, 2)), ring8())  # the ring's centre is 1 away from every mode
    assert m["modes"] == 0 and m["high_quality"] == 0.0 and m["reverse_kl"] == float("inf")


def test_bad_shape_is_rejected():
    with pytest.raises(ValueError, match=r"expected \(N, 2\)"):
        mode_metrics(np.zeros((3, 3)), ring8())
