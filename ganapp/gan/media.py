"""Turning G's outputs into pictures: image grids as uint8 arrays, strips, and GIFs written with Pillow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image


def to_grid(images: torch.Tensor, nrow: int = 8, padding: int = 2) -> np.ndarray:
    """Tile images into one picture with torchvision's ``make_grid``.

    Args:
        images: (N, C, H, W) float in [-1, 1] (G's Tanh range); C is 1 or 3.
        nrow: images per row.
        padding: white pixels between images.
    Returns:
        (H', W', 3) uint8 array in 0..255.
    """
    from torchvision.utils import make_grid  # torchvision takes ~2 s to import: not at app start-up

    grid = make_grid(images.detach().float().cpu() * 0.5 + 0.5, nrow=nrow, padding=padding, pad_value=1.0)
    return (grid.clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()


def points_image(points: dict[str, np.ndarray], bounds: tuple[float, float, float, float],
                 size: int = 96) -> np.ndarray:
    """2D points drawn as pixels on white, real ones grey and fakes orange, y upwards: a thumbnail or a time-lapse
    frame of a 2D run.

    Args:
        points: ``{"real": (N, 2), "fake": (M, 2)}`` in data coordinates (either may be missing).
        bounds: (x0, x1, y0, y1), the data window drawn.
        size: the picture's side in pixels.
    Returns:
        (size, size, 3) uint8.
    """
    image = np.full((size, size, 3), 255, dtype=np.uint8)
    x0, x1, y0, y1 = bounds
    for key, colour in (("real", (170, 170, 170)), ("fake", (230, 120, 20))):
        p = np.asarray(points.get(key, np.zeros((0, 2))), dtype=np.float64).reshape(-1, 2)
        p = p[np.isfinite(p).all(axis=1)]
        col = ((p[:, 0] - x0) / (x1 - x0) * (size - 1)).round().astype(int)
        row = ((y1 - p[:, 1]) / (y1 - y0) * (size - 1)).round().astype(int)
        inside = (col >= 0) & (col < size) & (row >= 0) & (row < size)
        image[row[inside], col[inside]] = colour
    return image


def upscale(image: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour upscaling of an (H, W, C) uint8 image by an integer ``factor`` ≥ 1, for crisp pixels."""
    if factor < 1:
        raise ValueError(f"factor={factor} is out of range: it must be ≥ 1")
    return image.repeat(factor, axis=0).repeat(factor, axis=1)


def save_gif(frames: list[np.ndarray], path: str | Path, fps: float = 8.0, loop: int = 0) -> Path:
    """Write (H, W, 3) uint8 frames as an animated GIF with Pillow.

    Args:
        frames: at least one frame, all the same size.
        path: where to write.
        fps: frames per second, in (0, 50].
        loop: 0 loops forever.
    Raises:
        ValueError: no frames, mismatched sizes, or fps out of range.
    """
    if not frames:
        raise ValueError("frames is empty: a GIF needs at least one frame")
    if not 0 < fps <= 50:
        raise ValueError(f"fps={fps} is out of range: it must be in (0, 50]")
    if len({f.shape for f in frames}) != 1:
        raise ValueError(f"frames differ in size: {sorted({f.shape for f in frames})}")
    images = [Image.fromarray(f) for f in frames]
    path = Path(path)
    images[0].save(path, save_all=True, append_images=images[1:], duration=int(round(1000 / fps)), loop=loop,
                   optimize=False)
    return path


def strip(samples: torch.Tensor, scale: int = 3) -> np.ndarray:
    """Image samples (N, C, H, W) in [-1, 1] side by side in one row, upscaled: (H', W', 3) uint8."""
    return upscale(to_grid(samples, nrow=len(samples)), scale)


def save_samples_gif(samples: torch.Tensor, path: str | Path, fps: float, scale: int = 6) -> Path:
    """Image samples (N, C, H, W) in [-1, 1] as an N-frame GIF, each frame one sample upscaled ``scale``×.

    Raises:
        ValueError: as :func:`save_gif`.
    """
    return save_gif([upscale(to_grid(s[None], nrow=1, padding=0), scale) for s in samples], path, fps=fps)
