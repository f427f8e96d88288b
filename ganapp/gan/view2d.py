"""What GAN Lab shows on 2D data, computed from G and D: D's decision map, G's gradient on each fake sample, the image
of a z grid under G (its manifold), and grid estimates of KL and JS between the real and generated distributions.

Kahng et al. 2018, "GAN Lab: Understanding Complex Deep Generative Models using Interactive Visual Experimentation"
(IEEE VIS), Sec. 4: the layered 2D view. Everything here is plain tensors and NumPy: no plotting, no widgets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .losses import Loss
from .models import eval_mode, generate

MAP_SIZE = 64
N_ARROWS = 200
MANIFOLD_LINES = 11
MANIFOLD_POINTS = 41
MANIFOLD_Z = 2.5  # the manifold's z grid spans [−2.5, 2.5]², which holds 98.8% of N(0, 1) per axis
MANIFOLD_SPAN = {"gaussian": MANIFOLD_Z, "uniform": 1.0}  # by the run's noise: U[−1, 1]'s grid is the whole cube
HIST_BINS = 32


@dataclass
class View2D:
    """One frame of the 2D view. Arrays are float32 unless said otherwise.

    Attributes:
        xs, ys: (MAP_SIZE,) the decision map's cell centres along x and y, in data coordinates.
        decision: (MAP_SIZE, MAP_SIZE) D's output at (ys[i], xs[j]): the probability "real" σ(D(x)) for the
            sigmoid losses, the raw score otherwise (``probabilities`` says which).
        probabilities: whether ``decision`` holds probabilities.
        arrows_from: (A, 2) fake samples; arrows: (A, 2) −∇ₓ g_loss at each, the direction G's update moves it.
        manifold: for z_dim ≤ 2, polylines (L, P, 2): G's image of the z grid lines; None for larger z_dim.
        g_grad: the arrows' mean true length, mean ‖∇ₓ g_loss‖ over the fakes (loss per unit of x, ≥ 0): how hard
            G's loss pulls its samples. It vanishes when D saturates (Goodfellow et al. 2014, Sec. 3; Arjovsky &
            Bottou 2017, "Towards Principled Methods for Training GANs", Sec. 2.2).
        arrow_norms: (A,) each arrow's true length ‖∇ₓ g_loss‖ (its mean is ``g_grad``).
    """

    xs: np.ndarray
    ys: np.ndarray
    decision: np.ndarray
    probabilities: bool
    arrows_from: np.ndarray
    arrows: np.ndarray
    manifold: np.ndarray | None
    arrow_norms: np.ndarray

    @property
    def g_grad(self) -> float:
        """The arrows' mean true length (see the class)."""
        return float(self.arrow_norms.mean()) if len(self.arrow_norms) else 0.0


def grid_points(bounds: tuple[float, float, float, float], n: int = MAP_SIZE) -> tuple[torch.Tensor, ...]:
    """Cell centres of an n×n grid over ``bounds`` = (x0, x1, y0, y1): xs (n,), ys (n,), points (n·n, 2), row-major
    with y outer (points[i·n + j] = (xs[j], ys[i]))."""
    x0, x1, y0, y1 = bounds
    xs = x0 + (torch.arange(n, dtype=torch.float32) + 0.5) * (x1 - x0) / n
    ys = y0 + (torch.arange(n, dtype=torch.float32) + 0.5) * (y1 - y0) / n
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return xs, ys, torch.stack([gx.flatten(), gy.flatten()], dim=1)


@torch.no_grad()
def decision_map(D: nn.Module, bounds: tuple[float, float, float, float], probabilities: bool,
                 n: int = MAP_SIZE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """D over an n×n grid: (xs (n,), ys (n,), values (n, n)); values are σ(logit) when ``probabilities``, else the
    raw critic score. D runs in eval mode (its BatchNorm statistics, if any, are not touched)."""
    xs, ys, pts = grid_points(bounds, n)
    device = next(D.parameters()).device
    with eval_mode(D):
        logits = D(pts.to(device)).float().cpu()  # (n·n,)
    values = torch.sigmoid(logits) if probabilities else logits
    return xs.numpy(), ys.numpy(), values.view(n, n).numpy()


def g_gradients(D: nn.Module, fake: torch.Tensor, loss: Loss) -> torch.Tensor:
    """−∇ₓ g_loss(D(x)) for each fake sample x: the direction in which G's update pushes it (G's parameters move so
    that G(z) follows these vectors, through the chain rule ∂g_loss/∂θ = Σ ∂g_loss/∂x · ∂x/∂θ).

    Args:
        D: the discriminator (logits). fake: (N, 2) float32 samples G(z).
        loss: the run's loss; its per-sample G loss is ``loss.g_loss`` of one logit.
    Returns:
        (N, 2) float32 on fake's device, not scaled: each row is −∂ℓ(D(xᵢ))/∂xᵢ for that sample's own loss ℓ.
    """
    x = fake.detach().clone().requires_grad_(True)
    with eval_mode(D):
        logits = D(x)  # (N,)
        # loss.g_loss averages over the batch; times N gives the sum of per-sample losses, whose gradient with
        # respect to xᵢ is that sample's own gradient
        (grad,) = torch.autograd.grad(loss.g_loss(logits) * len(x), x)
    return -grad.detach()


def scale_arrows(arrows: np.ndarray, bounds: tuple[float, float, float, float], fraction: float = 0.08) -> np.ndarray:
    """Arrows rescaled for display: the 95th-percentile length becomes ``fraction`` of the view's width, keeping
    every arrow's direction and their relative lengths."""
    lengths = np.linalg.norm(arrows, axis=1)
    ref = float(np.percentile(lengths, 95)) if len(lengths) else 0.0
    if not ref > 0 or not math.isfinite(ref):
        return np.zeros_like(arrows)
    return arrows * (fraction * (bounds[1] - bounds[0]) / ref)


@torch.no_grad()
def manifold(G: nn.Module, z_dim: int, lines: int = MANIFOLD_LINES, points: int = MANIFOLD_POINTS,
             span: float = MANIFOLD_Z) -> np.ndarray | None:
    """G's image of a z grid: for z_dim 2, ``lines`` lines of constant z₁ and as many of constant z₂ across
    [−span, span], each sampled at ``points`` points; for z_dim 1, the single line z ∈ [−span, span].

    Returns:
        (L, points, 2) float32 polylines in data coordinates (L = 2·lines for z_dim 2, 1 for z_dim 1); None when
        z_dim > 2 (a grid of z no longer covers the latent space).
    """
    if z_dim > 2:
        return None
    t = torch.linspace(-span, span, points)
    if z_dim == 1:
        zs = t[None, :, None]  # (1, P, 1)
    else:
        c = torch.linspace(-span, span, lines)
        rows = torch.stack([t.expand(lines, -1), c[:, None].expand(-1, points)], dim=2)  # z₂ fixed per line
        zs = torch.cat([rows, rows.flip(2)])  # and z₁ fixed per line: (2·lines, P, 2)
    with eval_mode(G):
        out = generate(G, zs.reshape(-1, z_dim))
    return out.view(zs.shape[0], points, 2).numpy()


def view(G: nn.Module, D: nn.Module, loss: Loss, z_dim: int, bounds: tuple[float, float, float, float],
         fake: torch.Tensor, n_arrows: int = N_ARROWS, noise: str = "gaussian") -> View2D:
    """Everything the 2D view draws for one frame (see :class:`View2D`); ``fake`` is (N, 2) samples of G, of which
    the first ``n_arrows`` get an arrow; the manifold's z grid spans the run's ``noise`` (:data:`MANIFOLD_SPAN`)."""
    xs, ys, values = decision_map(D, bounds, loss.probabilities)
    start = fake[:n_arrows]
    arrows = g_gradients(D, start, loss).cpu().numpy()
    return View2D(xs, ys, values, loss.probabilities, start.detach().cpu().numpy(),
                  scale_arrows(arrows, bounds), manifold(G, z_dim, span=MANIFOLD_SPAN[noise]),
                  np.linalg.norm(arrows, axis=1))


FAR_SHARE = 0.05  # "far from the data": farther than this share of the view's width from every real point


def g_grad_far(frame: View2D, real: np.ndarray, bounds: tuple[float, float, float, float]) -> float:
    """Mean ‖∇ₓ g_loss‖ over the frame's arrowed fakes that lie farther than FAR_SHARE of the view's width from
    every point of ``real`` (N, 2): how hard G's loss pulls the samples that have not reached the data. A saturated
    D is flat there (≈ 0: D(G(z)) ≈ 0 and σ′ vanishes); WGAN-GP's critic keeps a slope near 1 (Gulrajani et al.
    2017, Sec. 4, Proposition 1). NaN when no fake is that far."""
    nearest = np.sqrt(((frame.arrows_from[:, None, :] - real[None, :, :]) ** 2).sum(-1)).min(axis=1)  # (A,)
    far = nearest > FAR_SHARE * (bounds[1] - bounds[0])
    return float(frame.arrow_norms[far].mean()) if far.any() else float("nan")


def grid_divergences(real: np.ndarray, fake: np.ndarray, bounds: tuple[float, float, float, float],
                     bins: int = HIST_BINS, eps: float = 1e-6) -> dict[str, float]:
    """KL(p_real ‖ p_fake) and the Jensen–Shannon divergence between two 2D sample sets, estimated on a
    ``bins``×``bins`` histogram over ``bounds`` (as GAN Lab's KL and JS curves do, Kahng et al. 2018, Sec. 4.3).

    Each histogram gets ``eps`` added to every cell before normalising, so KL stays finite where G puts no mass.
    JS = ½KL(p ‖ m) + ½KL(q ‖ m) with m = ½(p + q) (Lin 1991), in nats: 0 for equal histograms, at most log 2.

    Args:
        real, fake: (N, 2) and (M, 2) points in data coordinates (points outside ``bounds`` are dropped).
    Returns:
        ``{"kl": float ≥ 0, "js": float in [0, log 2]}``.
    Raises:
        ValueError: an input is not (N, 2) with N ≥ 1.
    """
    hists = []
    for name, pts in (("real", real), ("fake", fake)):
        pts = np.asarray(pts, dtype=np.float64)
        if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) == 0:
            raise ValueError(f"{name} has shape {pts.shape}: expected (N, 2) with N >= 1")
        h, _, _ = np.histogram2d(pts[:, 0], pts[:, 1], bins=bins, range=[bounds[:2], bounds[2:]])
        h = h + eps
        hists.append(h / h.sum())
    p, q = hists
    m = 0.5 * (p + q)
    kl = float(np.sum(p * np.log(p / q)))
    js = float(0.5 * np.sum(p * np.log(p / m)) + 0.5 * np.sum(q * np.log(q / m)))
    return {"kl": kl, "js": js}
