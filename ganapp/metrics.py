"""Sample-quality metrics, as plain functions returning plain dicts.

Mode metrics for the 2D Gaussian mixtures follow the protocol of VEEGAN (Srivastava et al. 2017, Sec. 5.1) and
PacGAN (Lin et al. 2018, Sec. 5.1 and Table 1): a generated sample is *high quality* when it lies within 3 standard
deviations of its nearest mode's mean; a mode is *covered* when at least one high-quality sample is nearest to it;
the reverse KL is KL(p̂ ‖ uniform) of the histogram of high-quality samples over the modes.
"""

from __future__ import annotations

import numpy as np

from .data import Mixture


def mode_metrics(samples: np.ndarray, mixture: Mixture) -> dict[str, float]:
    """PacGAN's mode metrics of generated 2D points against a Gaussian mixture.

    Args:
        samples: (N, 2) generated points in data coordinates (PacGAN scores N = 2,500).
        mixture: the true mixture (e.g. ``ganapp.data.ring8()``).
    Returns:
        ``{"modes": modes covered (0..K), "n_modes": K, "high_quality": fraction of high-quality samples in [0, 1],
        "reverse_kl": KL(p̂ ‖ uniform) in nats (inf when no sample is high quality)}``.
    Raises:
        ValueError: samples is not (N, 2) with N ≥ 1.
    """
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim != 2 or samples.shape[1] != 2 or len(samples) == 0:
        raise ValueError(f"samples has shape {samples.shape}: expected (N, 2) with N >= 1")
    dist = np.linalg.norm(samples[:, None, :] - mixture.means[None, :, :], axis=2)  # (N, K)
    nearest = dist.argmin(axis=1)
    high_quality = dist[np.arange(len(samples)), nearest] <= 3 * mixture.std
    k = len(mixture.means)
    counts = np.bincount(nearest[high_quality], minlength=k)
    if counts.sum() == 0:
        reverse_kl = float("inf")
    else:
        p = counts / counts.sum()
        nz = p > 0
        reverse_kl = float(np.sum(p[nz] * np.log(p[nz] * k)))
    return {"modes": int((counts > 0).sum()), "n_modes": k, "high_quality": float(high_quality.mean()),
            "reverse_kl": reverse_kl}
