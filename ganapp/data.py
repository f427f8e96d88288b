"""Real data for the GAN: image datasets held on the training device, and 2D distributions sampled on the fly.

Images come out as float32 in [-1, 1] with shape (B, 1, 28, 28), matching G's Tanh output. 2D points come out as
float32 with shape (B, 2), in data coordinates.

Datasets:
    - ``mnist_10k``: the first 10,000 MNIST training digits, shipped compressed inside the package (works offline).
    - ``mnist``: the 60,000 MNIST training digits through ``torchvision.datasets.MNIST``; downloaded when the network
      allows, else read from ``$GANAPP_DATA_DIR/MNIST/raw``.
    - ``ring8`` and ``grid25``: the 2D mixtures of VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et al. 2018,
      Table 1): 8 Gaussians with means (cos 2πi/8, sin 2πi/8) and std 0.01; 25 Gaussians with means (−4+2i, −4+2j),
      i, j in 0..4, and std 0.05.
    - ``spiral``, ``moons`` and ``gaussian``: teaching shapes.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .config import DATASETS, is_2d

ASSETS_DIR = Path(__file__).with_name("assets")
MNIST_10K_PATH = ASSETS_DIR / "mnist_10k.npz"
MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
               "t10k-labels-idx1-ubyte")


class DatasetUnavailableError(FileNotFoundError):
    """A dataset's files are absent and could not be downloaded. The message names the folder and the files."""


def data_dir() -> Path:
    """Root folder for downloadable datasets: ``$GANAPP_DATA_DIR``, else ``~/.cache/ganapp/data``."""
    env = os.environ.get("GANAPP_DATA_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "ganapp" / "data"


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
}


def _sample_2d(name: str, n: int, generator: torch.Generator, device: torch.device) -> torch.Tensor:
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


def load_mnist_10k() -> tuple[np.ndarray, np.ndarray]:
    """The shipped 10,000 MNIST digits: images (10000, 28, 28) uint8 in 0..255 and labels (10000,) uint8 in 0..9."""
    with np.load(MNIST_10K_PATH) as f:
        return f["images"], f["labels"]


def load_mnist(root: Path | None = None, download: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The 60,000 MNIST training digits through torchvision: images (60000, 28, 28) uint8 and labels (60000,) uint8.

    Reads ``root/MNIST/raw`` (``root`` defaults to :func:`data_dir`), downloading the files first when ``download``
    and they are absent.

    Raises:
        DatasetUnavailableError: the files are absent and the download failed or was not allowed; the message names
            the folder searched and the files expected.
    """
    from torchvision.datasets import MNIST

    root = Path(root) if root is not None else data_dir()
    try:
        ds = MNIST(root=str(root), train=True, download=download)
    except (RuntimeError, OSError) as e:
        raw = root / "MNIST" / "raw"
        why = f"the download failed ({str(e).splitlines()[0] if str(e) else type(e).__name__})" if download \
            else "downloading is off"
        raise DatasetUnavailableError(
            f"MNIST was not found in {raw} (expected files: {', '.join(MNIST_FILES)}) and {why}. Put the files "
            f"there, or set GANAPP_DATA_DIR to a folder holding MNIST/raw/."
        ) from e
    return ds.data.numpy(), ds.targets.numpy().astype(np.uint8)


class DataStream:
    """An endless stream of real batches for one dataset, on one device.

    Image datasets live on the device as uint8 and are served in shuffled epochs; 2D datasets are sampled fresh for
    every batch. All randomness comes from a private ``torch.Generator`` seeded with ``seed``.

    Args:
        name: a dataset name from ``ganapp.config.DATASETS``.
        device: where batches are produced.
        seed: seed of the stream's generator.
        download: whether ``mnist`` may be downloaded.

    Raises:
        ValueError: unknown dataset name.
        DatasetUnavailableError: as :func:`load_mnist`.
    """

    def __init__(self, name: str, device: torch.device | str = "cpu", seed: int = 0, download: bool = True):
        if name not in DATASETS:
            raise ValueError(f"dataset={name!r} is not allowed: choose one of {', '.join(DATASETS)}")
        self.name = name
        self.device = torch.device(device)
        self.generator = torch.Generator(device=self.device).manual_seed(seed)
        self.is_2d = is_2d(name)
        self.images: torch.Tensor | None = None
        self.labels: torch.Tensor | None = None
        if not self.is_2d:
            images, labels = load_mnist_10k() if name == "mnist_10k" else load_mnist(download=download)
            self.images = torch.from_numpy(images).to(self.device).unsqueeze(1)  # (N, 1, 28, 28) uint8
            self.labels = torch.from_numpy(labels).to(self.device)
            self._perm = torch.randperm(len(self.images), generator=self.generator, device=self.device)
        self._pos = 0
        self.samples_seen = 0

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """Shape of one sample: (2,) for 2D data, (1, 28, 28) for images."""
        return (2,) if self.is_2d else tuple(self.images.shape[1:])

    @property
    def size(self) -> int | None:
        """Number of samples in an epoch, or None for 2D distributions (no epochs)."""
        return None if self.is_2d else len(self.images)

    @property
    def epoch(self) -> float | None:
        """Epochs served so far (fractional), or None for 2D data."""
        return None if self.is_2d else self.samples_seen / len(self.images)

    def next(self, batch_size: int) -> torch.Tensor:
        """The next real batch: (B, 2) float32, or (B, 1, 28, 28) float32 in [-1, 1]."""
        return self.next_labelled(batch_size)[0]

    def next_labelled(self, batch_size: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The next real batch and its labels: as :meth:`next`, with (B,) int64 class labels (None for 2D data)."""
        self.samples_seen += batch_size
        if self.is_2d:
            return _sample_2d(self.name, batch_size, self.generator, self.device), None
        n = len(self.images)
        if self._pos + batch_size > n:  # start a new epoch; a batch never straddles two permutations
            self._perm = torch.randperm(n, generator=self.generator, device=self.device)
            self._pos = 0
        idx = self._perm[self._pos:self._pos + batch_size]
        self._pos += batch_size
        return self.images[idx].float().div_(127.5).sub_(1.0), self.labels[idx].long()

    def sample(self, n: int, seed: int = 0) -> torch.Tensor:
        """``n`` real samples drawn with their own generator (for plots), leaving the training stream untouched."""
        g = torch.Generator(device=self.device).manual_seed(seed)
        if self.is_2d:
            return _sample_2d(self.name, n, g, self.device)
        idx = torch.randint(len(self.images), (n,), generator=g, device=self.device)
        return self.images[idx].float().div_(127.5).sub_(1.0)
