"""Latent-space tools: the noise z is drawn from, seed → z, truncation, lerp, slerp and interpolation paths. All work
on float32 tensors.

A run's noise (its config's ``noise``) is ``gaussian``, z ~ N(0, I), or ``uniform``, z ~ U[−1, 1]^z_dim: every z a
run's G is shown (fixed_z, the Explore tab's seeds and sliders, the metrics' samples) is drawn by :func:`draw_z` from
the same prior it was trained on. Truncation pulls z towards 0, the mean of both priors, so a truncated uniform z stays
in [−1, 1]; a lerp between two uniform z stays in the cube too, but a slerp may leave it (see :func:`interpolate`).
"""

from __future__ import annotations

import math

import torch

from .models import generate

MAX_SEED = 2**31 - 1
MAX_FRAMES = 256
# How far a slider of one z component reaches for each noise: ±3σ of N(0, 1), and the whole of U[−1, 1].
Z_SLIDER_LIMIT = {"gaussian": 3.0, "uniform": 1.0}


def draw_z(noise: str, n: int, z_dim: int, generator: torch.Generator | None = None,
           device: torch.device | str = "cpu") -> torch.Tensor:
    """(n, z_dim) float32 z from ``noise``'s prior, drawn with ``generator`` on ``device``.

    Args:
        noise: ``gaussian`` (z ~ N(0, I), ``torch.randn``) or ``uniform`` (z ~ U[−1, 1], ``2·torch.rand − 1``).
    Raises:
        ValueError: an unknown noise.
    """
    if noise == "gaussian":
        return torch.randn(n, z_dim, generator=generator, device=device)
    if noise == "uniform":
        return torch.rand(n, z_dim, generator=generator, device=device) * 2 - 1
    raise ValueError(f"noise={noise!r} is not allowed: choose one of gaussian, uniform")


def seed_to_z(seed: int, z_dim: int, n: int = 1, noise: str = "gaussian") -> torch.Tensor:
    """The z for ``seed``: (n, z_dim) float32 from ``noise``'s prior (see :func:`draw_z`; N(0, I) by default) on
    the CPU, the same on every machine for the same seed.

    Raises:
        ValueError: seed outside 0..2**31−1, z_dim or n < 1, or an unknown noise.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed={seed!r} is out of range: it must be an integer in 0..{MAX_SEED}")
    if z_dim < 1 or n < 1:
        raise ValueError(f"z_dim={z_dim} and n={n} must both be ≥ 1")
    return draw_z(noise, n, z_dim, torch.Generator().manual_seed(seed))


def truncate(z: torch.Tensor, psi: float) -> torch.Tensor:
    """The truncation trick: pull z towards the prior's mean (0) by ψ, trading variety for typicality.

    z' = ψ·z (Karras et al. 2019, "A Style-Based Generator Architecture for GANs", Eq. in Sec. 3.2 / Appendix B,
    applied in z-space where the mean is 0; Brock et al. 2019, BigGAN, Sec. 3.1, introduced the trick).
    ψ = 1 leaves z unchanged; ψ = 0 gives the mean.

    Args:
        z: (..., z_dim) float tensor.
        psi: in [0, 1].
    Raises:
        ValueError: psi outside [0, 1] or not finite.
    """
    if not isinstance(psi, (int, float)) or not math.isfinite(psi) or not 0.0 <= psi <= 1.0:
        raise ValueError(f"truncation={psi!r} is out of range: it must be a number in [0, 1]")
    return z * psi


def lerp(z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor | float) -> torch.Tensor:
    """Linear interpolation (1 − t)·z0 + t·z1.

    Args:
        z0, z1: (z_dim,) float tensors.
        t: a float or a (T,) tensor of positions in [0, 1].
    Returns:
        (z_dim,) for a float t, else (T, z_dim).
    """
    t = torch.as_tensor(t, dtype=z0.dtype)
    tt = t.unsqueeze(-1) if t.ndim else t
    return (1 - tt) * z0 + tt * z1


def slerp(z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor | float, eps: float = 1e-6) -> torch.Tensor:
    """Spherical linear interpolation on the great circle through z0 and z1 (Shoemake 1985; for GAN latents, White
    2016, "Sampling Generative Networks", Sec. 2.2), with the norm interpolated linearly:

        slerp(z0, z1; t) = sin((1 − t)Ω)/sin Ω · z0 + sin(tΩ)/sin Ω · z1,  cos Ω = ⟨z0, z1⟩ / (|z0| |z1|).

    When z0 and z1 are (anti)parallel, or either is zero, sin Ω ≈ 0 and the great circle is undefined: it falls back
    to :func:`lerp`, which is then the natural path.

    Args, returns: as :func:`lerp`.
    """
    t = torch.as_tensor(t, dtype=z0.dtype)
    a, b = z0.double(), z1.double()  # float64: arccos is ill-conditioned near ±1
    n0, n1 = a.norm(), b.norm()
    if n0 < eps or n1 < eps:
        return lerp(z0, z1, t)
    cos = torch.clamp(torch.dot(a / n0, b / n1), -1.0, 1.0)
    if 1.0 - cos.abs() < eps:  # (anti)parallel: no unique great circle
        return lerp(z0, z1, t)
    omega = torch.arccos(cos)
    sin = torch.sin(omega)
    tt = (t.unsqueeze(-1) if t.ndim else t).double()
    out = (torch.sin((1 - tt) * omega) / sin) * a + (torch.sin(tt * omega) / sin) * b
    return out.to(z0.dtype)


def interpolate(z0: torch.Tensor, z1: torch.Tensor, n_frames: int, mode: str = "slerp",
                noise: str = "gaussian") -> torch.Tensor:
    """A path of ``n_frames`` points from z0 to z1 (both ends included exactly).

    Args:
        z0, z1: (z_dim,) float tensors.
        n_frames: 2..256.
        mode: ``lerp`` or ``slerp``.
        noise: the run's prior. For ``uniform`` the path is clipped to [−1, 1]: a slerp's arc can leave the cube
            (between (1, 1) and (1, −1) it passes (√2, 0)), where G never saw a z.
    Returns:
        (n_frames, z_dim) float tensor; row 0 is z0 and row n_frames−1 is z1.
    Raises:
        ValueError: bad n_frames, mode, or shapes.
    """
    if not isinstance(n_frames, int) or isinstance(n_frames, bool) or not 2 <= n_frames <= MAX_FRAMES:
        raise ValueError(f"n_frames={n_frames!r} is out of range: it must be an integer in 2..{MAX_FRAMES}")
    if mode not in ("lerp", "slerp"):
        raise ValueError(f"mode={mode!r} is not allowed: choose lerp or slerp")
    if z0.shape != z1.shape or z0.ndim != 1:
        raise ValueError(f"z0 and z1 must both be (z_dim,), got {tuple(z0.shape)} and {tuple(z1.shape)}")
    t = torch.linspace(0, 1, n_frames, dtype=z0.dtype)
    path = (slerp if mode == "slerp" else lerp)(z0, z1, t)
    if noise == "uniform":
        path = path.clamp(-1.0, 1.0)
    path[0], path[-1] = z0, z1  # exact ends, free of rounding
    return path


def label_path(y0: int, y1: int, n_classes: int, n_frames: int) -> torch.Tensor:
    """Soft labels moving linearly from class y0 to class y1, for a conditional G with z held fixed.

    Returns:
        (n_frames, n_classes) float32 rows summing to 1; row 0 is one-hot y0, the last row one-hot y1.
    Raises:
        ValueError: a label outside 0..n_classes−1, or n_frames outside 2..256.
    """
    for name, y in (("label0", y0), ("label1", y1)):
        if not isinstance(y, int) or isinstance(y, bool) or not 0 <= y < n_classes:
            raise ValueError(f"{name}={y!r} is out of range: it must be an integer in 0..{n_classes - 1}")
    if not isinstance(n_frames, int) or isinstance(n_frames, bool) or not 2 <= n_frames <= MAX_FRAMES:
        raise ValueError(f"n_frames={n_frames!r} is out of range: it must be an integer in 2..{MAX_FRAMES}")
    eye = torch.eye(n_classes)
    return lerp(eye[y0], eye[y1], torch.linspace(0, 1, n_frames))


@torch.no_grad()
def follow_z(generators: list[tuple[int, torch.nn.Module]], z: torch.Tensor,
             y: torch.Tensor | None = None) -> tuple[list[int], torch.Tensor]:
    """The same z (and label) through the generators a run saved along the way: one digit taking shape.

    Args:
        generators: (step, G) pairs, in any order; each G in eval mode, all with the same z_dim.
        z: (1, z_dim) or (z_dim,) float32. y: (1,) int64 label for conditional generators, else None.
    Returns:
        (steps sorted ascending, samples (T, *sample_shape) float32 on the CPU in step order).
    Raises:
        ValueError: no generators, or a G whose z_dim does not take z.
    """
    if not generators:
        raise ValueError("generators is empty: the time-lapse needs at least one saved generator")
    z = z.reshape(1, -1).float()
    steps, out = [], []
    for step, G in sorted(generators, key=lambda pair: pair[0]):
        try:
            out.append(generate(G, z, y))
        except RuntimeError as e:
            raise ValueError(f"the generator saved at step {step} does not take z of shape {tuple(z.shape)} "
                             f"({str(e).splitlines()[0]})") from None
        steps.append(int(step))
    return steps, torch.cat(out)
