"""Sample-quality metrics, as plain functions returning plain dicts.

Mode metrics for the 2D Gaussian mixtures follow the protocol of VEEGAN (Srivastava et al. 2017, Sec. 5.1) and
PacGAN (Lin et al. 2018, Sec. 5.1 and Table 1): a generated sample is *high quality* when it lies within 3 standard
deviations of its nearest mode's mean; a mode is *covered* when at least one high-quality sample is nearest to it;
the reverse KL is KL(p̂ ‖ uniform) of the histogram of high-quality samples over the modes.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from .classifier import ClassifierFeatures, as_input, load_classifier
from .data import load_mnist_10k
from .latent import seed_to_z
from .models import generate
from .points2d import Mixture
from .trainer import cycled_labels

log = logging.getLogger("ganapp")


def kl_from_uniform(p: np.ndarray) -> float:
    """KL(p ‖ uniform) = Σ p log(p·K) in nats, for a (K,) histogram of shares summing to 1; 0 when even, log K when
    all mass is on one bin."""
    p = np.asarray(p, dtype=np.float64)
    nz = p > 0
    return float(np.sum(p[nz] * np.log(p[nz] * len(p))))


def mode_metrics(samples: np.ndarray, mixture: Mixture) -> dict[str, float]:
    """PacGAN's mode metrics of generated 2D points against a Gaussian mixture.

    Args:
        samples: (N, 2) generated points in data coordinates (PacGAN scores N = 2,500).
        mixture: the true mixture (e.g. ``ganapp.gan.points2d.ring8()``).
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
    reverse_kl = kl_from_uniform(counts / counts.sum()) if counts.sum() > 0 else float("inf")
    return {"modes": int((counts > 0).sum()), "n_modes": k, "high_quality": float(high_quality.mean()),
            "reverse_kl": reverse_kl}


def collapse_alert(rows: list[dict[str, Any]], window: int = 5, min_step: int = 500) -> str | None:
    """Whether live mode coverage says G is collapsing, from :func:`mode_metrics` rows (oldest first, each with
    ``step``, ``modes`` and ``n_modes``).

    Returns:
        ``"falling"`` when the last ``window`` rows all cover at least 25% fewer modes than the best so far (G has
        dropped modes it once had: mode collapse); ``"low"`` when, past ``min_step`` steps, the last ``window``
        rows (the newest at or past min_step) all cover fewer than half of the modes (G never spread out); else None.
    """
    rows = [r for r in rows if "modes" in r]
    if len(rows) < window:
        return None
    recent, best = rows[-window:], max(r["modes"] for r in rows)
    if all(r["modes"] <= 0.75 * best for r in recent):
        return "falling"
    if recent[-1]["step"] >= min_step and all(r["modes"] < 0.5 * r["n_modes"] for r in recent):
        return "low"
    return None


def frechet_distance(mu1: torch.Tensor, sigma1: torch.Tensor, mu2: torch.Tensor, sigma2: torch.Tensor) -> float:
    """The Fréchet distance between N(μ₁, Σ₁) and N(μ₂, Σ₂), ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^½) (Heusel et al. 2017,
    Eq. 6), with Tr((Σ₁Σ₂)^½) as the sum of the square roots of Σ₁Σ₂'s eigenvalues (as torchmetrics computes it).

    The statistics are checked before any matrix function sees them: LAPACK's eigen-solver, given a NaN, can crash
    the whole process (MKL's DGEBAL: "Parameter 3 was incorrect on entry", then a segfault) instead of raising, and
    one run's NaN samples must not take every other run of the server with them.

    Args:
        mu1, mu2: (F,) means. sigma1, sigma2: (F, F) covariances; float64 is best.
    Returns:
        The distance, a float ≥ 0 up to rounding.
    Raises:
        ValueError: a statistic, or the product Σ₁Σ₂, holds NaN or infinite values.
    """
    for name, t in (("mu1", mu1), ("sigma1", sigma1), ("mu2", mu2), ("sigma2", sigma2)):
        if not bool(torch.isfinite(t).all()):
            raise ValueError(f"{name} holds NaN or infinite values: the Fréchet distance is not defined for it")
    product = sigma1 @ sigma2
    if not bool(torch.isfinite(product).all()):
        raise ValueError("sigma1 @ sigma2 overflows: the Fréchet distance is not defined for these statistics")
    mean_term = (mu1 - mu2).square().sum()
    root_trace = torch.linalg.eigvals(product).sqrt().real.sum()
    return float(mean_term + sigma1.trace() + sigma2.trace() - 2 * root_trace)


def _gaussian(features_sum: torch.Tensor, cov_sum: torch.Tensor, n: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean (F,), unbiased covariance (F, F)) from running sums of features x and of x xᵀ over n samples, as
    torchmetrics' FrechetInceptionDistance keeps them."""
    mean = features_sum / n
    return mean, (cov_sum - n * torch.outer(mean, mean)) / (n - 1)


# ----- MNIST digits, judged by the shipped classifier -----

MNIST_LIKE = ("mnist", "mnist_10k")  # datasets whose samples the MNIST classifier can judge
N_REFERENCE = 5000  # real digits in the reference set, and the most in the real-vs-real floor
COVERED_SHARE = 0.01  # a class is covered when at least 1% of the samples are classified as it
CONFIDENT_P = 0.9


def scores_mnist(config) -> bool:
    """True when the MNIST classifier can score samples of ``config`` (a 28×28 grey MNIST dataset)."""
    return config.dataset in MNIST_LIKE and config.image_size == 28 and config.channels == 1


class MNISTJudge:
    """Scores sets of generated digits with the shipped MNIST classifier (:mod:`ganapp.gan.classifier`).

    - ``frechet_distance``: the Fréchet distance between Gaussians fitted to classifier features of the samples and
      of ``N_REFERENCE`` real digits, ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^½) (Heusel et al. 2017, "GANs Trained by a Two
      Time-Scale Update Rule...", Eq. 6), with the classifier's 128 penultimate features in place of Inception's, as
      TF-GAN's ``mnist_frechet_distance`` does. The features' statistics are gathered by torchmetrics'
      ``FrechetInceptionDistance`` with the classifier as its custom feature extractor, and the distance is
      :func:`frechet_distance`, which refuses statistics that are not finite.
    - ``fd_floor``: the same distance between as many *other* real digits and the reference: what a perfect G
      would score with this many samples (the distance is biased upwards for small sets).
    - ``class_hist``: the share of samples the classifier assigns to each digit, (10,) summing to 1.
    - ``kl_uniform``: KL(class_hist ‖ uniform) in nats; 0 for perfectly even classes, log 10 ≈ 2.30 for one class.
    - ``classes``: digits with at least 1% of the samples (``COVERED_SHARE``).
    - ``confident``: share of samples whose top class has probability ≥ 0.9, a proxy for "recognisable".
    - ``label_accuracy`` (samples of a conditional G only): share the classifier assigns to the label G was given,
      the "classification accuracy" check of conditional GANs (as in Ravuri & Vinyals 2019, "Classification
      Accuracy Score for Conditional Generative Models", with the classifier trained on real data).

    The reference and floor digits are the shipped ``mnist_10k`` (the first 10,000 MNIST training digits): the
    first 5,000 are the reference, the next 5,000 the floor's. Thread-safe; one instance may serve every run.

    Args:
        classifier: an :class:`~ganapp.gan.classifier.MNISTClassifier`; the shipped one when None.
    Raises:
        ValueError: the shipped classifier cannot be read.
    """

    def __init__(self, classifier=None):
        self.classifier = classifier if classifier is not None else load_classifier()
        self._lock = threading.Lock()
        self._fid = None
        self._floor: dict[int, float] = {}

    def _metric(self):
        """torchmetrics' FID with the classifier's features, holding the reference's statistics (callers hold the
        lock). torchmetrics is imported here: it takes seconds, and only scoring needs it."""
        if self._fid is None:
            from torchmetrics.image.fid import FrechetInceptionDistance

            self._real = as_input(load_mnist_10k()[0])  # (10000, 1, 28, 28) in [-1, 1]
            fid = FrechetInceptionDistance(feature=ClassifierFeatures(self.classifier), normalize=True,
                                           reset_real_features=False)
            with torch.no_grad():
                for i in range(0, N_REFERENCE, 1000):
                    fid.update(self._real[i:i + 1000], real=True)
            self._fid = fid
        return self._fid

    def _distance(self, fake) -> float:
        fid = self._metric()
        fid.reset()  # keeps the reference's statistics
        with torch.no_grad():
            for i in range(0, len(fake), 1000):
                fid.update(fake[i:i + 1000], real=False)
            stats = [_gaussian(fid.real_features_sum, fid.real_features_cov_sum, fid.real_features_num_samples),
                     _gaussian(fid.fake_features_sum, fid.fake_features_cov_sum, fid.fake_features_num_samples)]
            return frechet_distance(*stats[0], *stats[1])

    def floor(self, n: int) -> float:
        """Real-vs-real Fréchet distance for ``n`` samples (2 ≤ n ≤ 5000): held-out real digits vs the reference."""
        if not 2 <= n <= N_REFERENCE:
            raise ValueError(f"n={n} is out of range: it must be in 2..{N_REFERENCE}")
        with self._lock:
            if n not in self._floor:
                self._metric()
                self._floor[n] = self._distance(self._real[N_REFERENCE:N_REFERENCE + n])
            return self._floor[n]

    def score(self, samples, labels=None) -> dict[str, float | int | list[float]]:
        """Scores of generated digits.

        Args:
            samples: (N, 1, 28, 28) float32 images in [-1, 1], 2 ≤ N ≤ 5000.
            labels: for samples of a conditional G, the (N,) int64 labels it was given; adds ``label_accuracy``.
        Returns:
            ``{"frechet_distance", "fd_floor", "kl_uniform", "classes", "confident": float or int,
            "class_hist": list of 10 floats, "n": N}``, plus ``"label_accuracy"`` when labels are given.
        Raises:
            ValueError: samples of another shape or count, samples that are not finite, or labels of another length.
        """
        samples = torch.as_tensor(samples).float()
        if samples.ndim != 4 or tuple(samples.shape[1:]) != (1, 28, 28) or not 2 <= len(samples) <= N_REFERENCE:
            raise ValueError(f"samples has shape {tuple(samples.shape)}: expected (N, 1, 28, 28) with N in "
                             f"2..{N_REFERENCE}")
        if not bool(torch.isfinite(samples).all()):
            raise ValueError("samples hold NaN or infinite values: G's output is not finite, so there is nothing to "
                             "score")
        if labels is not None and len(labels) != len(samples):
            raise ValueError(f"labels has {len(labels)} entries for {len(samples)} samples")
        floor = self.floor(len(samples))
        with self._lock:
            fd = self._distance(samples)
            with torch.no_grad():
                probs = torch.cat([self.classifier(samples[i:i + 1000]).softmax(1)
                                   for i in range(0, len(samples), 1000)])  # (N, 10)
        top_p, pred = probs.max(dim=1)
        hist = np.bincount(pred.numpy(), minlength=10) / len(samples)
        scores = {"frechet_distance": fd, "fd_floor": floor,
                  "kl_uniform": kl_from_uniform(hist),
                  "classes": int((hist >= COVERED_SHARE).sum()),
                  "confident": float((top_p >= CONFIDENT_P).float().mean()),
                  "class_hist": [float(h) for h in hist], "n": len(samples)}
        if labels is not None:
            scores["label_accuracy"] = float((pred == torch.as_tensor(labels).cpu()).float().mean())
        return scores

    def score_generator(self, G, z_dim: int, n_classes: int = 0, n: int = 2000, seed: int = 0) -> dict[str, Any]:
        """:meth:`score` of n samples of G (eval mode) for the seed's z; a conditional G gets the labels 0..9 in
        turn, so its class histogram and ``label_accuracy`` measure how well it honours them.

        Raises:
            ValueError: n outside 2..5000, or G's samples are not 28×28 grey digits.
        """
        if not 2 <= n <= N_REFERENCE:
            raise ValueError(f"n={n} is out of range: it must be in 2..{N_REFERENCE}")
        z = seed_to_z(seed, z_dim, n)
        y = cycled_labels(n, n_classes) if n_classes else None
        x = torch.cat([generate(G, z[i:i + 500], None if y is None else y[i:i + 500]) for i in range(0, n, 500)])
        return self.score(x, y)


_JUDGE: dict[str, MNISTJudge | None] = {}
_JUDGE_LOCK = threading.Lock()


def shared_judge() -> MNISTJudge | None:
    """One :class:`MNISTJudge` with the shipped classifier for the whole process, or None when the classifier file
    is missing or unreadable (scores are then simply not shown)."""
    with _JUDGE_LOCK:
        if "judge" not in _JUDGE:
            try:
                _JUDGE["judge"] = MNISTJudge()
            except ValueError as e:
                log.warning("no MNIST scores: %s", e)
                _JUDGE["judge"] = None
        return _JUDGE["judge"]


def live_scorer(config, n: int = 2000) -> Callable | None:
    """For a training run: a function G → scores of n samples (see :meth:`MNISTJudge.score_generator`) when
    ``config`` is an MNIST-like run and the classifier is there, else None."""
    if not scores_mnist(config):
        return None
    judge = shared_judge()
    if judge is None:
        return None
    return functools.partial(judge.score_generator, z_dim=config.z_dim, n_classes=config.n_classes, n=n)
