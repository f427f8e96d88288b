"""Project an image back to z: the z (and, for a conditional G, the label) whose G(z) matches a target best.

GAN inversion by optimisation (Zhu et al. 2016, "Generative Visual Manipulation on the Natural Image Manifold":
z* = argmin_z L(G(z), x), the projection onto the manifold; Creswell & Bharath 2018, "Inverting the Generator of a
Generative Adversarial Network": a batch of starts inverted at once, the best kept). :func:`project` minimises

    L(z) = mean((G(z) − x)²)  +  λ_prior · (‖z‖ / √z_dim − 1)²  [ + λ_feat · mean((f(G(z)) − f(x))²) ]

with Adam over a batch of random starts (for a conditional G, every label in the same batch), and clips z to the
box [−Z_BOX, Z_BOX] after each step, as Zhu et al. clip z to the prior's support. The prior keeps ‖z‖ near √z_dim,
where nearly all of N(0, I)'s mass lies (the sphere that Menon et al. 2020, PULSE, keep z on), so
that the z found is one the G was trained on rather than an off-manifold z that happens to fit. The optional
feature term compares activations of a fixed network ``f`` (the project's MNIST classifier's features); whether it
helps is measured in ``benchmarks/projection.py``.

Pure functions, no threads: a caller shows progress through the ``progress`` callback.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .config import Range, check_range
from .latent import Z_SLIDER_LIMIT, draw_z

MAX_STEPS = 500
MAX_STARTS = 64
Z_BOX = Z_SLIDER_LIMIT["gaussian"]  # z is clipped to the Explore tab's sliders' range: [−3, 3], 99.7 % of N(0, 1)
PROJECTION_RANGES = {"steps": Range(1, MAX_STEPS, integer=True), "n_starts": Range(1, MAX_STARTS, integer=True),
                     "lr": Range(0.0, 1.0, low_inclusive=False), "prior_weight": Range(0.0, 10.0),
                     "feature_weight": Range(0.0, 10.0)}
PRUNE_AT = 0.25  # after this share of the steps, a conditional G keeps only its best labels' starts
KEEP_LABELS = 2


@dataclass(frozen=True)
class Projection:
    """What :func:`project` found.

    Attributes:
        z: (z_dim,) float32, inside the sliders' range of the G's noise (``Z_SLIDER_LIMIT``: ±3 or ±1).
        label: the label found for a conditional G (0..n_classes − 1), else None.
        image: G(z[, label]), (C, H, W) float32 in [−1, 1].
        distance: mean squared pixel error of ``image`` against the target, both in [−1, 1] (0: identical, at
            most 4).
        random_distance: the same for a random z: the mean over the random starts before any step (the
            reference that ``distance`` is judged against).
    """

    z: torch.Tensor
    label: int | None
    image: torch.Tensor
    distance: float
    random_distance: float


def check_target(target: torch.Tensor, shape: tuple[int, ...]) -> None:
    """Refuse a target that G cannot be matched to.

    Args:
        target: the image to match, float (C, H, W) in [−1, 1].
        shape: G's sample shape (C, H, W).
    Raises:
        ConfigError (a ValueError), field ``target``: a tensor of another shape, with NaN or infinity, or values
            outside [−1, 1].
    """
    from .config import ConfigError

    if not isinstance(target, torch.Tensor) or tuple(target.shape) != tuple(shape):
        got = tuple(target.shape) if isinstance(target, torch.Tensor) else type(target).__name__
        raise ConfigError("target", "wrong_shape", f"target has shape {got}: G makes images of shape {tuple(shape)}",
                          value=got, shape=tuple(shape))
    if not bool(torch.isfinite(target).all()):
        raise ConfigError("target", "not_finite", "target holds NaN or infinite values: they must be in [-1, 1]")
    if float(target.min()) < -1.0 - 1e-6 or float(target.max()) > 1.0 + 1e-6:
        raise ConfigError("target", "out_of_range", "target values must lie in [-1, 1]", value=float(target.max()),
                          range="[-1, 1]", integer=False)


def _loss_rows(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """(B,) mean squared error of each of ``out`` (B, C, H, W) against ``target`` (C, H, W)."""
    return (out - target).pow(2).flatten(1).mean(1)


def project(G: nn.Module, target: torch.Tensor, z_dim: int, n_classes: int = 0, *, steps: int = 60,
            n_starts: int = 4, lr: float = 0.1, prior_weight: float = 0.05, feature_weight: float = 0.0,
            features: nn.Module | None = None, seed: int = 0, noise: str = "gaussian",
            progress: Callable[[int, int], None] | None = None) -> Projection:
    """The z (and label) whose G(z[, label]) is closest to ``target``; see the module for the loss and the papers.

    Args:
        G: the generator (a frozen copy in eval mode is optimised through, on G's device; G is not changed).
        target: (C, H, W) float in [−1, 1], G's sample shape.
        z_dim: G's z size. n_classes: > 0 for a conditional G: every label is tried in the same batch, and after
            PRUNE_AT of the steps only the starts of the KEEP_LABELS labels that fit best so far go on.
        steps: Adam steps, 1..MAX_STEPS. n_starts: random starts per label, 1..MAX_STARTS.
        lr: Adam's step size on z, in (0, 1]. prior_weight: λ_prior in [0, 10]. feature_weight: λ_feat in [0, 10]
            (used only with ``features``, a module mapping G's images (B, C, H, W) to (B, F) features).
        seed: the starts' seed: the same arguments give the same result.
        noise: the prior G was trained on (``gaussian`` or ``uniform``, see :func:`~ganapp.gan.latent.draw_z`): the
            starts are drawn from it, z stays in its sliders' range, and the prior term pulls ‖z‖ towards its
            expected length (√z_dim, or √(z_dim / 3) for uniform).
        progress: called as ``progress(done_steps, steps)`` after each step.
    Returns:
        a :class:`Projection`.
    Raises:
        ConfigError (a ValueError) naming the field and its allowed range: a bad target (see :func:`check_target`),
            or steps, n_starts, lr, prior_weight or feature_weight out of range.
    """
    for name, value in (("steps", steps), ("n_starts", n_starts), ("lr", lr), ("prior_weight", prior_weight),
                        ("feature_weight", feature_weight)):
        check_range(name, value, PROJECTION_RANGES[name])
    # a frozen copy in eval mode: G may be shared by other readers (the shipped default) or be a run's, and is
    # neither switched to eval nor given gradients here
    G = copy.deepcopy(G).eval().requires_grad_(False)
    device = next(G.parameters()).device
    with torch.no_grad():
        probe = G(torch.zeros(1, z_dim, device=device), torch.zeros(1, dtype=torch.long, device=device)
                  if n_classes else None)
    check_target(target, tuple(probe.shape[1:]))
    x = target.to(device, torch.float32)
    gen = torch.Generator().manual_seed(seed)
    n_labels = max(n_classes, 1)
    box = Z_SLIDER_LIMIT[noise] if noise in Z_SLIDER_LIMIT else Z_BOX
    z = draw_z(noise, n_labels * n_starts, z_dim, gen).clamp_(-box, box).to(device)  # (B, z_dim)
    y = (torch.arange(n_labels).repeat_interleave(n_starts).to(device) if n_classes else None)  # (B,) labels
    use_features = features is not None and feature_weight > 0
    fx = None
    if use_features:
        with torch.no_grad():
            fx = features(x[None])  # (1, F)
    z, y, rows, out, random_distance = _descend(G, x, z, y, steps, n_starts, n_labels, lr, prior_weight,
                                               feature_weight if use_features else 0.0, features, fx, progress,
                                               box, math.sqrt(z_dim / 3) if noise == "uniform" else math.sqrt(z_dim))
    best = int(rows.argmin())
    return Projection(z[best].cpu(), None if y is None else int(y[best]), out[best].float().cpu(),
                      float(rows[best]), random_distance)


def _descend(G: nn.Module, x: torch.Tensor, z: torch.Tensor, y: torch.Tensor | None, steps: int, n_starts: int,
             n_labels: int, lr: float, prior_weight: float, feature_weight: float, features: nn.Module | None,
             fx: torch.Tensor | None, progress: Callable[[int, int], None] | None, box: float = Z_BOX,
             radius: float | None = None) -> tuple:
    """:func:`project`'s Adam steps on the batch of starts z (B, z_dim) [with labels y (B,)]. Returns the final
    (z, y, each row's pixel MSE (B,), G(z, y) (B, C, H, W), the starts' mean MSE before any step); z stays in
    [−box, box] and the prior pulls ‖z‖ towards ``radius`` (default √z_dim)."""
    radius = math.sqrt(z.shape[1]) if radius is None else radius
    with torch.no_grad():
        random_distance = float(_loss_rows(G(z, y), x).mean())
    z.requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    prune_step = math.ceil(steps * PRUNE_AT) if n_labels > KEEP_LABELS else -1
    for step in range(steps):
        if step == prune_step:  # a conditional G: the labels that fit worst so far are dropped
            with torch.no_grad():
                rows = _loss_rows(G(z, y), x).view(n_labels, n_starts).min(1).values  # (n_labels,)
                keep = torch.isin(y, rows.argsort()[:KEEP_LABELS])
            z = z.detach()[keep].requires_grad_(True)
            y = y[keep]
            opt = torch.optim.Adam([z], lr=lr)
        out = G(z, y)  # (B, C, H, W)
        loss = _loss_rows(out, x) + prior_weight * (z.norm(dim=1) / radius - 1.0).pow(2)
        if feature_weight > 0:
            loss = loss + feature_weight * (features(out) - fx).pow(2).mean(1)
        opt.zero_grad(set_to_none=True)
        loss.sum().backward()  # each row's z has its own loss: summing keeps their gradients apart
        opt.step()
        with torch.no_grad():
            z.clamp_(-box, box)
        if progress is not None:
            progress(step + 1, steps)
    with torch.no_grad():
        z = z.detach()
        out = G(z, y)
        return z, y, _loss_rows(out, x), out, random_distance


def target_from_image(image: np.ndarray, size: int, channels: int) -> torch.Tensor:
    """An uploaded image as a target for :func:`project`: resized to ``size``×``size``, grey (or RGB), in [−1, 1].

    Args:
        image: (H, W) grey, (H, W, 3) RGB or (H, W, 4) RGBA uint8 (RGBA is laid on black).
        size: G's image side. channels: 1 (grey) or 3.
    Returns:
        (channels, size, size) float32 in [−1, 1].
    Raises:
        ValueError: an array of another shape or dtype.
    """
    from PIL import Image

    image = _rgb(image)
    pil = Image.fromarray(image).convert("L" if channels == 1 else "RGB").resize((size, size), Image.LANCZOS)
    a = np.asarray(pil, dtype=np.float32).reshape(size, size, channels)
    return torch.from_numpy(a).permute(2, 0, 1).div(127.5).sub(1.0).clamp(-1.0, 1.0).contiguous()


def target_from_drawing(image: np.ndarray, size: int, channels: int, box: float = 20 / 28) -> torch.Tensor:
    """A drawing on the pad as a target, the way MNIST's digits were made (LeCun et al. 1998: each digit's box
    scaled to fit 20×20, centred in 28×28): the ink is light on black, cropped to its bounding box, scaled so that
    its longer side is ``box`` of ``size`` and centred.

    Args:
        image: (H, W, 4) RGBA uint8 (ink where opaque, when the background is transparent), or (H, W) / (H, W, 3)
            strokes darker than the background.
        size: G's image side. channels: 1 or 3 (the grey ink copied to each).
    Returns:
        (channels, size, size) float32 in [−1, 1].
    Raises:
        ValueError: an array of another shape, or nothing drawn.
    """
    from PIL import Image

    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 4 and (image[..., 3] < 255).any():
        ink = image[..., 3].astype(np.float32) / 255.0
    else:
        grey = _rgb(image).astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        ink = 1.0 - grey / 255.0
    rows, cols = np.nonzero(ink > 0.5)
    if len(rows) == 0:
        raise ValueError("the drawing is empty: draw a digit first")
    crop = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    h, w = crop.shape
    side = max(1, round(box * size))
    scale = side / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    small = np.asarray(Image.fromarray((crop * 255).astype(np.uint8)).resize((nw, nh), Image.LANCZOS),
                       dtype=np.float32) / 255.0
    canvas = np.zeros((size, size), dtype=np.float32)
    top, left = (size - nh) // 2, (size - nw) // 2
    canvas[top:top + nh, left:left + nw] = small
    t = torch.from_numpy(canvas * 2.0 - 1.0).clamp(-1.0, 1.0)
    return t[None].expand(channels, size, size).contiguous()


def _rgb(image: np.ndarray) -> np.ndarray:
    """(H, W) or (H, W, 3) uint8 as is; (H, W, 4) RGBA laid on black as (H, W, 3). Raises ValueError otherwise."""
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise ValueError(f"the image has shape {image.shape} and dtype {image.dtype}: expected uint8 (H, W), "
                         "(H, W, 3) or (H, W, 4)")
    if image.ndim == 3 and image.shape[2] == 4:
        alpha = image[..., 3:].astype(np.float32) / 255.0
        return (image[..., :3].astype(np.float32) * alpha).round().astype(np.uint8)
    return image
