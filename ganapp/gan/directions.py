"""Semantic directions found without labels: GANSpace (Härkönen et al. 2020, "GANSpace: Discovering Interpretable GAN
Controls", Sec. 2).

Sample many z, take G's first-layer activations h = G.head(z), and run PCA on them. The principal axes v₁, v₂, ... are
the directions along which G's early features vary most; moving a sample's activations along one, h + α·σᵢ·vᵢ, and
running the rest of G often changes one aspect of the image (stroke width, slant, a digit's class). As GANSpace does
for StyleGAN's w, the edit is applied in the activation space itself, so the axes are exactly orthonormal and a slider
value α is in units of that axis's standard deviation σᵢ.

Directions belong to the G they were computed from: a G that trains on moves its features, so recompute them.

:func:`direction_grid` shows one direction on 9 seeds at once (−amount, unedited, +amount), so that a learner sees
what it means rather than what it does to one sample; :func:`edit_at_layer` lets the edit enter G at a later layer.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save as safetensors_save
from torch import nn

from .checkpoints import write_atomic
from .latent import MAX_SEED, seed_to_z
from .media import to_grid
from .models import DCGANGenerator, MLPGenerator
from .trainer import cycled_labels

FORMAT = "ganapp-directions"
MAX_COMPONENTS = 20  # the 9-seed view offers up to 20; a G with fewer first-layer features gives fewer


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
        k: directions to keep, 1..20 (fewer when G's first layer has fewer features F: PCA gives at most
            min(n_samples, F) axes). n_samples: z drawn, ≥ 2k (2,000 take about a second on a small CPU).
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


# --- one direction on many seeds -------------------------------------------------------------------------------------
#
# Where the edit enters G. GANSpace's layer-wise edits (Härkönen et al. 2020, Sec. 3) apply a shift of StyleGAN's w
# to a range of layers only, which works because every StyleGAN layer reads its own copy of w. The ganapp G's are
# plain chains (head → hidden blocks → output block) with no per-layer input: whatever is added at one layer reaches
# the image through every later one, so "apply at layers first..last" reduces to "enter at layer first". What a
# chain does offer is *where* the edit enters: layer 0 is GANSpace's own edit (the head's activations moved by
# α·σᵢ·vᵢ); a later layer l gets the same edit's average effect there, d_l = mean over reference samples of
# (edited − unedited activations of layer l), added to every sample alike. Entering late skips the earlier layers'
# per-sample response, so the change is closer to a fixed overlay of finer features: comparing layers shows how
# much of a direction's meaning the early, coarse layers make.

GRID_SIDE = 3  # a 3×3 grid of seeds
MAX_GRID_AMOUNT = 10.0  # |amount| in σ; beyond this the samples are far outside what G was trained on
N_REFERENCE = 256  # samples whose mean change at a later layer is the edit there
PANEL_GAP = 8  # white pixels between the −amount, unedited and +amount panels


def _stages(G: nn.Module) -> list[Callable[[torch.Tensor], torch.Tensor]]:
    """G.tail as a chain of blocks: the first takes head()'s flat (B, F) output; the hidden blocks' outputs are the
    layers an edit can enter at (layer l is the output of block l, layer 0 the head's); the last gives samples.

    A G of another kind gives its whole tail as one block: layer 0 is then its only choice.
    """
    if isinstance(G, DCGANGenerator):
        net, n_hidden = G.net, (len(G.net) - 2) // 3  # (ConvT, BN, ReLU) per hidden block, then ConvT, Tanh
        blocks: list[Callable] = [net[3 * i:3 * i + 3] for i in range(n_hidden)] + [net[3 * n_hidden:]]
        first = blocks[0]
        blocks[0] = lambda h: first(h.view(-1, G.top, G.start, G.start))  # (B, top·s·s) -> (B, top, s, s)
        return blocks
    if isinstance(G, MLPGenerator):
        net = G.net  # head = net[:2]; then (Linear, ReLU) blocks, then the output Linear (+ Tanh)
        n_hidden = (len(net) - 2 - (2 if len(G.out_shape) == 3 else 1)) // 2
        blocks = [net[2 + 2 * i:4 + 2 * i] for i in range(n_hidden)]
        last = net[2 + 2 * n_hidden:]
        return blocks + [lambda h: last(h).view(-1, *G.out_shape)]  # (B, out_dim) -> (B, *out_shape)
    return [G.tail]


def n_edit_layers(G: nn.Module) -> int:
    """How many layers an edit can enter G at: 1 + its hidden blocks after the head (1: no choice but the head)."""
    return len(_stages(G))


def _check(name: str, value, low: float, high: float, integer: bool) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (not integer or float(value).is_integer()) and low <= value <= high
    if not ok:
        allowed = f"{int(low)}..{int(high)}" if integer else f"[{low:g}, {high:g}]"
        raise ValueError(f"{name}={value!r} is out of range: it must be {'an integer' if integer else 'a number'} "
                         f"in {allowed}")


def grid_z(seed: int, z_dim: int, n: int = GRID_SIDE * GRID_SIDE) -> torch.Tensor:
    """The z of seeds seed, seed+1, ..., seed+n−1 (each as :func:`~ganapp.gan.latent.seed_to_z` gives it, so the
    first is the Explore tab's own sample; past the largest seed they wrap to 0): (n, z_dim) float32.

    Raises:
        ValueError: seed outside 0..2**31−1.
    """
    seed_to_z(seed, z_dim)  # checks the seed
    return torch.cat([seed_to_z((seed + i) % (MAX_SEED + 1), z_dim) for i in range(n)])


@torch.no_grad()
def edit_at_layer(G: nn.Module, z: torch.Tensor, shift: torch.Tensor, y: torch.Tensor | None = None,
                  layer: int = 0, n_classes: int = 0) -> torch.Tensor:
    """Samples with an edit entering G at ``layer`` (see the note above :data:`GRID_SIDE`).

    Args:
        z: (N, z_dim) float32. shift: (F,) float32, a move of the head's activations (:meth:`Directions.offset`).
        y: labels for a conditional G ((N,) int64). layer: 0..n_edit_layers(G) − 1; 0 is :func:`edit` itself.
        n_classes: G's classes, for the reference samples' labels at a later layer (0: unconditional).
    Returns:
        (N, *sample_shape) float32 on the CPU; images in [-1, 1].
    Raises:
        ValueError: ``layer`` out of range for this G.
    """
    stages = _stages(G)
    _check("layer", layer, 0, len(stages) - 1, integer=True)
    device = next(G.parameters()).device
    shift = shift.to(device)
    if layer == 0:
        return edit(G, z, shift, y)

    def upto(h: torch.Tensor) -> torch.Tensor:  # head's output -> layer `layer`'s
        for stage in stages[:int(layer)]:
            h = stage(h)
        return h

    # the edit's mean effect at this layer over a fixed reference batch: one vector for every sample, as a shift is
    zr = seed_to_z(0, z.shape[1], N_REFERENCE).to(device)
    yr = cycled_labels(N_REFERENCE, n_classes).to(device) if n_classes else None
    hr = G.head(zr, yr)
    delta = (upto(hr + shift) - upto(hr)).mean(dim=0)  # (*layer_shape,)
    h = upto(G.head(z.to(device), None if y is None else y.to(device))) + delta
    for stage in stages[int(layer):]:
        h = stage(h)
    return h.float().cpu()


@torch.no_grad()
def direction_grid_samples(G: nn.Module, directions: Directions, component: int, amount: float,
                           z: torch.Tensor, y: torch.Tensor | None = None, layer: int = 0,
                           n_classes: int = 0) -> torch.Tensor:
    """The same N samples moved by −amount, 0 and +amount along one principal direction.

    Args:
        G: the generator the directions were found in, in eval mode.
        directions: from :func:`principal_directions` on G.
        component: which direction, 1..directions.k (1 is the one of most variance).
        amount: in units of that direction's σ, in [-10, 10].
        z: (N, z_dim) float32, e.g. :func:`grid_z` (N = 9). y: (N,) int64 labels for a conditional G.
        layer: where the edit enters G, 0..n_edit_layers(G) − 1 (0: GANSpace's edit of the head's activations).
        n_classes: G's classes (0: unconditional).
    Returns:
        (3, N, *sample_shape) float32 on the CPU: [−amount, unedited (G(z) itself), +amount].
    Raises:
        ValueError: naming ``component``, ``amount``, ``layer`` or ``z`` and its allowed range, or directions of
            another width than G's head.
    """
    _check("component", component, 1, directions.k, integer=True)
    _check("amount", amount, -MAX_GRID_AMOUNT, MAX_GRID_AMOUNT, integer=False)
    _check("layer", layer, 0, n_edit_layers(G) - 1, integer=True)
    if z.ndim != 2 or len(z) == 0:
        raise ValueError(f"z must have shape (N, z_dim) with N ≥ 1, got {tuple(z.shape)}")
    if directions.components.shape[1] != getattr(G, "head_features", directions.components.shape[1]):
        raise ValueError(f"these directions have {directions.components.shape[1]} features and G's head "
                         f"{G.head_features}: they belong to another G")
    one = directions.stds[int(component) - 1] * directions.components[int(component) - 1]  # σᵢ·vᵢ, (F,)
    device = next(G.parameters()).device
    base = G.tail(G.head(z.to(device), None if y is None else y.to(device))).float().cpu()
    moved = [edit_at_layer(G, z, float(a) * one, y, int(layer), n_classes) for a in (-amount, amount)]
    return torch.stack([moved[0], base, moved[1]])


def direction_grid(G: nn.Module, directions: Directions, component: int, amount: float, z: torch.Tensor,
                   y: torch.Tensor | None = None, layer: int = 0, n_classes: int = 0) -> np.ndarray:
    """One direction on many seeds: three 3×3 grids of the same samples side by side, moved by −amount (left),
    unedited (middle) and moved by +amount (right), so that what changes in every sample alike is the direction's
    meaning, not one sample's accident (Härkönen et al. 2020 show their edits on many samples the same way).

    Args and Raises: as :func:`direction_grid_samples`; G must make images.
    Returns:
        (H, W, 3) uint8, 0..255: for N = 9 samples of side S, H = 3S + 8 and W = 3·(3S + 8) + 2·PANEL_GAP.
    """
    samples = direction_grid_samples(G, directions, component, amount, z, y, layer, n_classes)
    if samples.ndim != 5:
        raise ValueError(f"G makes samples of shape {tuple(samples.shape[2:])}: the grid is for images")
    panels = [to_grid(s, nrow=GRID_SIDE) for s in samples]  # each (h, w, 3)
    gap = np.full((panels[0].shape[0], PANEL_GAP, 3), 255, dtype=np.uint8)
    return np.concatenate([panels[0], gap, panels[1], gap, panels[2]], axis=1)


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
