"""G and D networks. Pure ``nn.Module``s: no I/O, no training logic. D always outputs logits, shape (B,).

- ``mlp``: the fully connected G and D of the classic GAN (Goodfellow et al. 2014), for 2D points and flattened
  28×28 images; 1 to 4 hidden layers of any size and the activation are the config's (g_hidden, g_activation ...).
- ``dcgan``: a transposed-convolution G with BatchNorm, ReLU and Tanh, and a strided-convolution D with LeakyReLU
  (Radford et al. 2016, "Unsupervised Representation Learning with Deep Convolutional GANs", Sec. 3), for 28×28,
  32×32 and 64×64 images with 1 or 3 channels.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import nn

from .config import GANConfig


ACTIVATION_LAYERS = {"relu": lambda: nn.ReLU(inplace=True), "leaky_relu": lambda: nn.LeakyReLU(0.2, inplace=True),
                     "tanh": nn.Tanh}  # an MLP's hidden activation by its config name (GANConfig.g_activation)


def label_vector(y: torch.Tensor | None, n_classes: int, batch: int, device: torch.device) -> torch.Tensor | None:
    """Labels as (B, n_classes) float vectors: one-hot from (B,) int64 class indices, or soft labels passed through
    (rows that mix classes let G interpolate between them). None for unconditional models (n_classes 0).

    Raises:
        ValueError: a conditional model got no labels, or labels of the wrong shape or range.
    """
    if n_classes == 0:
        return None
    if y is None:
        raise ValueError(f"this generator is class-conditional: pass labels y of shape ({batch},) in "
                         f"0..{n_classes - 1}")
    if y.dtype in (torch.int64, torch.int32):
        if y.shape != (batch,) or y.min() < 0 or y.max() >= n_classes:
            raise ValueError(f"labels y must be ({batch},) integers in 0..{n_classes - 1}")
        return F.one_hot(y.long(), n_classes).float().to(device)
    if y.shape != (batch, n_classes):
        raise ValueError(f"soft labels y must have shape ({batch}, {n_classes}), got {tuple(y.shape)}")
    return y.float().to(device)


class MLPGenerator(nn.Module):
    """z (B, z_dim) float32 [and labels y] → samples (B, *out_shape). Images end in Tanh (values in [-1, 1]); 2D
    points are linear.

    Hidden widths: ``hidden`` when given (1 to 4 sizes), else the classic width, 2·width, 4·width (images) or
    width ×3 (2D points); each followed by ``activation`` (a key of :data:`ACTIVATION_LAYERS`, ReLU by default). A
    conditional G (n_classes > 0) reads the one-hot label concatenated to z (Mirza & Osindero 2014, Sec. 3.2).
    """

    def __init__(self, z_dim: int, out_shape: tuple[int, ...], width: int, n_classes: int = 0,
                 hidden: tuple[int, ...] = (), activation: str = "relu"):
        super().__init__()
        self.out_shape = tuple(out_shape)
        self.n_classes = n_classes
        out_dim = math.prod(out_shape)
        image = len(out_shape) == 3
        widths = list(hidden) or ([width, 2 * width, 4 * width] if image else [width, width, width])
        self.head_features = widths[0]  # width of head()'s output
        layers: list[nn.Module] = []
        d = z_dim + n_classes
        for w in widths:
            layers += [nn.Linear(d, w), ACTIVATION_LAYERS[activation]()]
            d = w
        layers.append(nn.Linear(d, out_dim))
        if image:
            layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)

    def head(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """The first hidden layer's activations, (B, width): where GANSpace finds its directions."""
        onehot = label_vector(y, self.n_classes, z.shape[0], z.device)
        h = z if onehot is None else torch.cat([z, onehot], dim=1)  # (B, z_dim + n_classes)
        return self.net[:2](h)  # -> (B, width)

    def tail(self, h: torch.Tensor) -> torch.Tensor:
        """The rest of G: first-layer activations (B, width) → samples (B, *out_shape)."""
        return self.net[2:](h).view(-1, *self.out_shape)  # (B, out_dim) -> (B, *out_shape)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.tail(self.head(z, y))


class Projection(nn.Module):
    """The projection discriminator's label term ⟨embed(y), h⟩ (Miyato & Koyama 2018, "cGANs with Projection
    Discriminator", Eq. 3): features h (B, F) and labels y (B,) int64 → (B,)."""

    def __init__(self, n_classes: int, features: int):
        super().__init__()
        self.embed = nn.Embedding(n_classes, features)

    def forward(self, h: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        if y is None or y.dtype not in (torch.int64, torch.int32):
            raise ValueError("this discriminator is class-conditional: pass integer labels y of shape (B,)")
        return (self.embed(y.long()) * h).sum(dim=1)


class MLPDiscriminator(nn.Module):
    """samples (B, *in_shape) float32 [and labels y (B,) int64] → logits (B,). Hidden widths ``hidden`` when given
    (1 to 4 sizes), else the classic 4·width, 2·width, width (images) or width ×3 (2D points), each followed by
    ``activation`` (LeakyReLU(0.2) by default); a conditional D adds a :class:`Projection` of the label onto the last
    features."""

    def __init__(self, in_shape: tuple[int, ...], width: int, n_classes: int = 0, hidden: tuple[int, ...] = (),
                 activation: str = "leaky_relu"):
        super().__init__()
        in_dim = math.prod(in_shape)
        image = len(in_shape) == 3
        widths = list(hidden) or ([4 * width, 2 * width, width] if image else [width, width, width])
        layers: list[nn.Module] = []
        d = in_dim
        for w in widths:
            layers += [nn.Linear(d, w), ACTIVATION_LAYERS[activation]()]
            d = w
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(d, 1)
        self.projection = Projection(n_classes, d) if n_classes else None

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = self.features(x.flatten(1))  # (B, *in_shape) -> (B, in_dim) -> (B, F)
        logits = self.head(h).squeeze(1)  # (B,)
        return logits if self.projection is None else logits + self.projection(h, y)


def _dcgan_plan(image_size: int) -> tuple[int, int]:
    """(start side, number of ×2 steps): 28 = 7·2², 32 = 4·2³, 64 = 4·2⁴."""
    return (7, 2) if image_size == 28 else (4, {32: 3, 64: 4}[image_size])


class DCGANGenerator(nn.Module):
    """z (B, z_dim) float32 [and labels y] → images (B, C, S, S) in [-1, 1], S in {28, 32, 64}.

    Project and reshape to 2ⁿ·width channels at 7×7 (S = 28) or 4×4 (S = 32, 64), then n stride-2 transposed
    convolutions, each halving the channels, with BatchNorm and ReLU between and Tanh at the end (Radford et al.
    2016, Fig. 1, scaled to the image size). A conditional G reads the one-hot label beside z.
    """

    def __init__(self, z_dim: int, channels: int, width: int, n_classes: int = 0, image_size: int = 28):
        super().__init__()
        self.start, n_up = _dcgan_plan(image_size)
        self.top = width * 2 ** n_up  # channels at the start: 4w for 28 and 32... 8w for 32, 16w for 64
        self.n_classes = n_classes
        self.head_features = self.top * self.start ** 2  # width of head()'s output
        self.project = nn.Sequential(
            nn.Linear(z_dim + n_classes, self.top * self.start ** 2, bias=False),
            nn.BatchNorm1d(self.top * self.start ** 2),
            nn.ReLU(inplace=True),
        )
        layers: list[nn.Module] = []
        c = self.top
        for _ in range(n_up - 1):
            layers += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c // 2), nn.ReLU(True)]
            c //= 2  # each step doubles the side and halves the channels
        layers += [nn.ConvTranspose2d(c, channels, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def head(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """The projected activations, flat: (B, top·s·s), where GANSpace finds its directions."""
        onehot = label_vector(y, self.n_classes, z.shape[0], z.device)
        z = z if onehot is None else torch.cat([z, onehot], dim=1)  # (B, z_dim + n_classes)
        return self.project(z)  # -> (B, top·s·s)

    def tail(self, h: torch.Tensor) -> torch.Tensor:
        """The rest of G: projected activations (B, top·s·s) → images (B, C, S, S)."""
        return self.net(h.view(-1, self.top, self.start, self.start))  # -> (B, top, s, s) -> (B, C, S, S)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.tail(self.head(z, y))


class DCGANDiscriminator(nn.Module):
    """images (B, C, S, S) float32 [and labels y (B,) int64] → logits (B,), S in {28, 32, 64}.

    n stride-2 convolutions (S → 7 or 4) doubling the channels from 2·width, with LeakyReLU(0.2); BatchNorm after
    every convolution but the first (none on D's input layer, as Radford et al. 2016 advise), then a linear layer to
    one logit. With ``batchnorm=False`` the norm is layer normalisation (GroupNorm with one group), as WGAN-GP's
    critic must be (Gulrajani et al. 2017, Sec. 4). A conditional D adds a :class:`Projection` of the label.
    """

    def __init__(self, channels: int, width: int, batchnorm: bool = True, n_classes: int = 0, image_size: int = 28):
        super().__init__()
        end, n_down = _dcgan_plan(image_size)
        layers: list[nn.Module] = [nn.Conv2d(channels, 2 * width, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True)]
        c = 2 * width
        for _ in range(n_down - 1):
            norm = nn.BatchNorm2d(2 * c) if batchnorm else nn.GroupNorm(1, 2 * c)
            layers += [nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False), norm, nn.LeakyReLU(0.2, inplace=True)]
            c *= 2  # each step halves the side and doubles the channels
        self.net = nn.Sequential(*layers)
        features = c * end * end
        self.head = nn.Linear(features, 1)
        self.projection = Projection(n_classes, features) if n_classes else None

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = self.net(x).flatten(1)  # (B, C, S, S) -> (B, c·e·e)
        logits = self.head(h).squeeze(1)  # (B,)
        return logits if self.projection is None else logits + self.projection(h, y)


@torch.no_grad()
def generate(G: nn.Module, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
    """G(z[, y]) on G's own device, without gradients, returned as a float32 CPU tensor. G's train/eval mode is left
    as it is (wrap the call in :func:`eval_mode` for BatchNorm's running statistics).

    Args:
        z: (N, z_dim) noise, any float dtype and device.
        y: for a conditional G, (N,) int64 labels or (N, n_classes) soft labels; None otherwise.
    Returns:
        (N, 2) points or (N, C, H, W) images in [-1, 1], float32, on the CPU.
    """
    device = next(G.parameters()).device
    return G(z.to(device, torch.float32), None if y is None else y.to(device)).float().cpu()


@contextlib.contextmanager
def eval_mode(module: nn.Module) -> Iterator[nn.Module]:
    """Run ``module`` in eval mode (BatchNorm uses, and does not update, its running statistics) inside the block,
    then put its train/eval mode back as it was."""
    was_training = module.training
    module.eval()
    try:
        yield module
    finally:
        module.train(was_training)


def dcgan_init(module: nn.Module) -> None:
    """DCGAN weight init (Radford et al. 2016, Sec. 4): conv and linear weights ~ N(0, 0.02), BatchNorm γ ~ N(1, 0.02),
    biases 0. Apply with ``model.apply(dcgan_init)``."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d, nn.GroupNorm)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def sample_shape(config: GANConfig) -> tuple[int, ...]:
    """Shape of one real or fake sample for ``config``: (2,) for 2D datasets, (channels, size, size) for images."""
    return (2,) if config.is_2d else (config.channels, config.image_size, config.image_size)


def build_generator(config: GANConfig) -> nn.Module:
    """A freshly initialised G for ``config`` (weights drawn from torch's global RNG)."""
    shape = sample_shape(config)
    if config.model == "dcgan":
        g = DCGANGenerator(config.z_dim, shape[0], config.g_width, config.n_classes, config.image_size)
        g.apply(dcgan_init)
        return g
    return MLPGenerator(config.z_dim, shape, config.g_width, config.n_classes, config.g_layers, config.g_activation)


def build_discriminator(config: GANConfig) -> nn.Module:
    """A freshly initialised D for ``config`` (weights drawn from torch's global RNG)."""
    shape = sample_shape(config)
    if config.model == "dcgan":
        d = DCGANDiscriminator(shape[0], config.d_width, batchnorm=config.d_batchnorm, n_classes=config.n_classes,
                               image_size=config.image_size)
        d.apply(dcgan_init)
        return d
    return MLPDiscriminator(shape, config.d_width, config.n_classes, config.d_layers, config.d_activation)
