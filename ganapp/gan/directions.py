"""Semantic directions found without labels: GANSpace (Härkönen et al. 2020, "GANSpace: Discovering Interpretable GAN
Controls", Sec. 2).

Sample many z, take G's first-layer activations h = G.head(z), and run PCA on them. The principal axes v₁, v₂, ... are
the directions along which G's early features vary most; moving a sample's activations along one, h + α·σᵢ·vᵢ, and
running the rest of G often changes one aspect of the image (stroke width, slant, a digit's class). As GANSpace does
for StyleGAN's w, the edit is applied in the activation space itself, so the axes are exactly orthonormal and a slider
value α is in units of that axis's standard deviation σᵢ.

Directions belong to the G they were computed from: a G that trains on moves its features, so recompute them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save as safetensors_save
from torch import nn

from .checkpoints import write_atomic
from .latent import seed_to_z
from .trainer import cycled_labels

FORMAT = "ganapp-directions"
MAX_COMPONENTS = 16


@dataclass
class Directions:
    """Principal directions of one G's first-layer activations.

    Attributes:
        components: (k, F) float32, orthonormal rows vᵢ, by decreasing variance.
        stds: (k,) float32 standard deviation σᵢ of the samples' activations along each vᵢ.
        explained: (k,) float32 share of the activations' total variance along each vᵢ, in [0, 1].
        named: user-named directions, name → (F,) float32 vector in the same space (a unit vector times σ: moving
            by α adds α times it).
    """

    components: torch.Tensor
    stds: torch.Tensor
    explained: torch.Tensor
    named: dict[str, torch.Tensor] = field(default_factory=dict)

    @property
    def k(self) -> int:
        return len(self.components)

    def offset(self, alphas: list[float] | torch.Tensor, named: dict[str, float] | None = None) -> torch.Tensor:
        """Σ αᵢ·σᵢ·vᵢ (+ Σ amount·named vector): the (F,) float32 shift of the activations for slider values αᵢ.

        Raises:
            ValueError: more alphas than components, or an unknown named direction.
        """
        alphas = torch.as_tensor(alphas, dtype=torch.float32).flatten()
        if len(alphas) > self.k:
            raise ValueError(f"{len(alphas)} slider values for {self.k} directions")
        shift = (alphas * self.stds[:len(alphas)]) @ self.components[:len(alphas)]  # (F,)
        for name, amount in (named or {}).items():
            if name not in self.named:
                raise ValueError(f"direction {name!r} is not saved; saved: {', '.join(self.named) or 'none'}")
            shift = shift + float(amount) * self.named[name]
        return shift

    def name(self, name: str, alphas: list[float] | torch.Tensor) -> torch.Tensor:
        """Save the combination Σ αᵢ·σᵢ·vᵢ under ``name`` (replacing one of that name) and return it, (F,).

        Raises:
            ValueError: an empty or over-long name (1..40 characters), or all alphas zero.
        """
        name = name.strip()
        if not 1 <= len(name) <= 40:
            raise ValueError(f"name={name!r} must be 1..40 characters")
        vector = self.offset(alphas)
        if not bool(vector.abs().sum() > 0):
            raise ValueError("every direction slider is at 0: move at least one before naming the direction")
        self.named[name] = vector
        return vector


def _has_head(G: nn.Module) -> bool:
    return callable(getattr(G, "head", None)) and callable(getattr(G, "tail", None))


@torch.no_grad()
def principal_directions(G: nn.Module, z_dim: int, n_classes: int = 0, k: int = 8, n_samples: int = 2000,
                         seed: int = 0) -> Directions:
    """GANSpace's PCA of G's first-layer activations (Härkönen et al. 2020, Sec. 2.2).

    Args:
        G: a ganapp generator (with ``head`` and ``tail``), in eval mode.
        z_dim: its latent size. n_classes: its number of classes (0 for an unconditional G; labels are cycled).
        k: directions to keep, 1..16. n_samples: z drawn, ≥ 2k (2,000 take about a second on a small CPU).
        seed: seed of the z drawn.
    Returns:
        :class:`Directions` with k orthonormal components.
    Raises:
        ValueError: k or n_samples out of range, or G has no head/tail split.
    """
    if not 1 <= k <= MAX_COMPONENTS:
        raise ValueError(f"k={k} is out of range: it must be in 1..{MAX_COMPONENTS}")
    if n_samples < 2 * k:
        raise ValueError(f"n_samples={n_samples} is out of range: it must be ≥ 2k = {2 * k}")
    if not _has_head(G):
        raise ValueError(f"{type(G).__name__} has no head/tail split to find directions in")
    device = next(G.parameters()).device
    z = seed_to_z(seed, z_dim, n_samples).to(device)  # (N, z_dim)
    y = cycled_labels(n_samples, n_classes).to(device) if n_classes else None
    h = G.head(z, y).float().cpu()  # (N, F)
    h = h - h.mean(dim=0)
    k = min(k, *h.shape)
    # randomized PCA (Halko et al. 2011), seeded so the same G gives the same axes: a full SVD of (2000, 3136) takes
    # seconds on a small CPU, this a fraction of one, with the top axes the same to ~1e-4
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        _, s, v = torch.pca_lowrank(h, q=min(k + 10, *h.shape), center=False, niter=4)
    components = v[:, :k].T  # (k, F), orthonormal rows
    # an axis's sign is arbitrary: make each one's largest entry positive, so the same G gives the same sliders
    sign = torch.sign(components.gather(1, components.abs().argmax(dim=1, keepdim=True)))
    components = components * sign
    var = s[:k].square() / (n_samples - 1)
    total = h.square().sum() / (n_samples - 1)  # the trace of the covariance: all the variance
    return Directions(components.contiguous(), var.sqrt(), var / total)


@torch.no_grad()
def edit(G: nn.Module, z: torch.Tensor, shift: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
    """G.tail(G.head(z, y) + shift): samples with their first-layer activations moved.

    Args:
        z: (N, z_dim) float32. shift: (F,) float32 from :meth:`Directions.offset`. y: labels for a conditional G.
    Returns:
        (N, *sample_shape) float32 on the CPU; images in [-1, 1].
    """
    device = next(G.parameters()).device
    h = G.head(z.to(device), None if y is None else y.to(device))
    return G.tail(h + shift.to(device, h.dtype)).float().cpu()


def save_directions(path: str | Path, directions: Directions, source: str = "") -> Path:
    """Write the components, their σ and share of variance, and the named directions to a safetensors file,
    atomically. ``source`` (e.g. the checkpoint's name) goes into the metadata.

    Raises:
        OSError: the file cannot be written.
    """
    tensors = {"components": directions.components.contiguous(), "stds": directions.stds.contiguous(),
               "explained": directions.explained.contiguous()}
    tensors.update({f"named.{name}": v.contiguous() for name, v in directions.named.items()})
    return write_atomic(path, safetensors_save(tensors, metadata={"format": FORMAT, "source": source}))


def load_directions(path: str | Path) -> Directions:
    """Read a file written by :func:`save_directions`.

    Raises:
        ValueError: the file is missing, not safetensors, or not a ganapp directions file.
    """
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            if (f.metadata() or {}).get("format") != FORMAT:
                raise ValueError(f"{Path(path).name} is not a ganapp directions file")
            t = {key: f.get_tensor(key) for key in f.keys()}
    except (SafetensorError, OSError) as e:
        raise ValueError(f"{Path(path).name} could not be read as a directions file ({e})") from None
    named = {key[len("named."):]: v for key, v in t.items() if key.startswith("named.")}
    return Directions(t["components"], t["stds"], t["explained"], named)
