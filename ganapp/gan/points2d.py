"""The 2D distributions a GAN learns in the plane, sampled on the fly: Gaussian mixtures, teaching shapes and
a visitor's drawing. Points are float32 (B, 2), in data coordinates.

- ``ring8`` and ``grid25``: the 2D mixtures of VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et al. 2018,
  Table 1): 8 Gaussians with means (cos 2πi/8, sin 2πi/8) and std 0.01; 25 Gaussians with means (−4+2i, −4+2j),
  i, j in 0..4, and std 0.05.
- ``spiral``, ``moons`` and ``gaussian``: teaching shapes.
- ``drawn``: points sampled along a sketch (:func:`points_from_drawing`), saved as a .npy (:func:`save_drawing`) and
  read back by ``ganapp.gan.data.load_drawing``.

:class:`ganapp.gan.data.DataStream` draws batches of all of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch


@dataclass(frozen=True)
class Mixture:
    """A mixture of isotropic 2D Gaussians with equal weights.

    Attributes:
        means: (K, 2) float array of component means, in data coordinates.
        std: standard deviation of every component.
    """

    means: np.ndarray
    std: float


def ring8() -> Mixture:
    """8 Gaussians on the unit circle, means (cos 2πi/8, sin 2πi/8), std 0.01 (PacGAN, Lin et al. 2018, Table 1)."""
    angles = 2 * math.pi * np.arange(8) / 8
    return Mixture(np.stack([np.cos(angles), np.sin(angles)], axis=1), 0.01)


def grid25() -> Mixture:
    """25 Gaussians on a 5x5 grid, means (−4+2i, −4+2j) for i, j in 0..4, std 0.05 (PacGAN, Table 1)."""
    ij = np.stack(np.meshgrid(np.arange(5), np.arange(5), indexing="ij"), axis=-1).reshape(-1, 2)
    return Mixture(-4.0 + 2.0 * ij, 0.05)


MIXTURES = {"ring8": ring8, "grid25": grid25}

# Axis limits (x_min, x_max, y_min, y_max) that frame each 2D dataset in plots.
BOUNDS_2D = {
    "ring8": (-1.5, 1.5, -1.5, 1.5),
    "grid25": (-6.0, 6.0, -6.0, 6.0),
    "spiral": (-1.5, 1.5, -1.5, 1.5),
    "moons": (-1.5, 2.5, -1.25, 1.75),
    "gaussian": (-2.0, 4.0, -2.0, 4.0),
    "drawn": (-2.0, 2.0, -2.0, 2.0),
}
MIN_INK_PIXELS = 10
MAX_DRAWING_SIDE = 2048  # pixels a side of a drawing (the page's pad is 800): larger ones are refused, not read
DRAWN_JITTER = 0.02  # std of the noise added to each drawn point a batch takes, in data units


def sample_2d(name: str, n: int, generator: torch.Generator, device: torch.device) -> torch.Tensor:
    """(n, 2) float32 points of 2D dataset ``name``, drawn with ``generator`` on ``device``."""
    def randn(*shape):
        return torch.randn(*shape, generator=generator, device=device)

    def rand(*shape):
        return torch.rand(*shape, generator=generator, device=device)

    if name in MIXTURES:
        mix = MIXTURES[name]()
        means = torch.as_tensor(mix.means, dtype=torch.float32, device=device)
        k = torch.randint(len(means), (n,), generator=generator, device=device)
        return means[k] + mix.std * randn(n, 2)
    if name == "spiral":
        t = rand(n)
        angle = 3 * math.pi * t
        r = 0.1 + 1.2 * t
        return torch.stack([r * torch.cos(angle), r * torch.sin(angle)], dim=1) + 0.03 * randn(n, 2)
    if name == "moons":
        upper = rand(n) < 0.5
        angle = math.pi * rand(n)
        upper_pts = torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)
        lower_pts = torch.stack([1 - torch.cos(angle), 0.5 - torch.sin(angle)], dim=1)
        return torch.where(upper[:, None], upper_pts, lower_pts) + 0.05 * randn(n, 2)
    if name == "gaussian":
        return torch.tensor([1.0, 1.0], device=device) + 0.5 * randn(n, 2)
    raise ValueError(f"dataset={name!r} is not a 2D dataset")


def points_from_drawing(image: np.ndarray, n: int = 2000, seed: int = 0,
                        bounds: tuple[float, float, float, float] = (-2.0, 2.0, -2.0, 2.0)) -> np.ndarray:
    """A 2D dataset from a sketch: ``n`` points sampled uniformly along the drawn pixels, scaled to ``bounds``.

    Args:
        image: (H, W) grey, (H, W, 3) RGB or (H, W, 4) RGBA uint8. Ink is where an RGBA image is opaque (its
            background transparent), else where the image is dark (luminance < 128, strokes on white).
        n: points to draw. seed: seed of the sampling.
        bounds: (x0, x1, y0, y1): the image's left edge maps to x0, its top edge to y1 (y grows upwards).
    Returns:
        (n, 2) float32 points, each inside a drawn pixel.
    Raises:
        ValueError: fewer than 10 drawn pixels ("draw something first"), an image of another shape, or one wider
            or taller than MAX_DRAWING_SIDE.
    """
    image = np.asarray(image)
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise ValueError(f"the drawing has shape {image.shape}: expected (H, W), (H, W, 3) or (H, W, 4)")
    if max(image.shape[:2]) > MAX_DRAWING_SIDE:
        raise ValueError(f"the drawing is {image.shape[1]} × {image.shape[0]} pixels: it must be at most "
                         f"{MAX_DRAWING_SIDE} × {MAX_DRAWING_SIDE}")
    if image.ndim == 3 and image.shape[2] == 4 and (image[..., 3] < 255).any():
        ink = image[..., 3] > 127
    else:
        grey = image if image.ndim == 2 else image[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114])
        ink = grey < 128
    rows, cols = np.nonzero(ink)
    if len(rows) < MIN_INK_PIXELS:
        raise ValueError(f"the drawing has {len(rows)} drawn pixels: draw a shape of at least {MIN_INK_PIXELS}")
    h, w = ink.shape
    rng = np.random.default_rng(seed)
    pick = rng.integers(len(rows), size=n)
    u = (cols[pick] + rng.random(n)) / w  # in [0, 1) across the image, left to right
    v = (rows[pick] + rng.random(n)) / h  # top to bottom
    x0, x1, y0, y1 = bounds
    return np.stack([x0 + u * (x1 - x0), y1 - v * (y1 - y0)], axis=1).astype(np.float32)


def save_drawing(image: np.ndarray, path: str | Path, n: int = 2000, seed: int = 0) -> Path:
    """:func:`points_from_drawing` on the ``drawn`` dataset's bounds, saved as a .npy for ``data_path``.

    Raises:
        ValueError: as :func:`points_from_drawing`. OSError: the file cannot be written.
    """
    points = points_from_drawing(image, n, seed, BOUNDS_2D["drawn"])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, points)
    return path
