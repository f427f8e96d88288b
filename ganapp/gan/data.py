"""Real data for the GAN: image datasets held on the training device, and 2D distributions sampled on the fly.

Images come out as float32 in [-1, 1] with shape (B, C, S, S), matching G's Tanh output, after conversion to the
config's channels C (1 or 3) and size S (28, 32 or 64). 2D points come out as float32 with shape (B, 2), in data
coordinates.

Datasets:
    - ``mnist_10k``: the first 10,000 MNIST training digits, shipped compressed inside the package (works offline).
    - ``mnist``, ``fashion_mnist`` and ``cifar10``: their training sets through ``torchvision.datasets``; downloaded
      when the network allows, else read from ``$GANAPP_DATA_DIR``; when neither works, the error names the folder
      searched and the files expected.
    - ``folder``: a user's folder or .zip of images (non-images are skipped), resized and centre-cropped.
    - ``ring8``, ``grid25``, ``spiral``, ``moons``, ``gaussian`` and ``drawn``: the 2D distributions of
      :mod:`ganapp.gan.points2d`.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .config import DATASETS, NATIVE_SHAPE, _rebuild_error, is_2d
from .points2d import DRAWN_JITTER, sample_2d
from .uploads import IMAGE_SUFFIXES, MAX_FOLDER_IMAGES, ImageTooLarge, image_sources, open_header, pixel_limit

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
MNIST_10K_PATH = ASSETS_DIR / "mnist_10k.npz"
MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
               "t10k-labels-idx1-ubyte")


class DatasetUnavailableError(FileNotFoundError):
    """A dataset's files are absent and could not be downloaded, or hold no usable image. The message names the
    folder and the files.

    Attributes:
        reason: a stable key for the UI's translated message: ``missing`` (a torchvision dataset's files are not
            there; params: dataset, folder, files), ``not_folder`` (path), ``image_too_large`` (every image was over
            :func:`ganapp.gan.uploads.pixel_limit`; path, limit in pixels), ``no_images`` (path) or ``bad_drawing``
            (path).
        params: the values the message names (paths, names and numbers: the same in every language).
        limit: for ``image_too_large``, the most pixels an image may have; else None.
    """

    def __init__(self, message: str, reason: str = "missing", **params: Any):
        super().__init__(message)
        self.reason, self.params, self.limit = reason, params, params.get("limit")

    def __reduce__(self):  # pickled whole (see ConfigError.__reduce__)
        return _rebuild_error, (type(self), (str(self), self.reason), self.params)


def data_dir() -> Path:
    """Root folder for downloadable datasets: ``$GANAPP_DATA_DIR``, else ``~/.cache/ganapp/data``."""
    env = os.environ.get("GANAPP_DATA_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "ganapp" / "data"


def load_mnist_10k() -> tuple[np.ndarray, np.ndarray]:
    """The shipped 10,000 MNIST digits: images (10000, 28, 28) uint8 in 0..255 and labels (10000,) uint8 in 0..9."""
    with np.load(MNIST_10K_PATH) as f:
        return f["images"], f["labels"]


# torchvision class, its folder under the data root, and the files it needs there, per downloadable dataset.
TORCHVISION = {
    "mnist": ("MNIST", "MNIST/raw", MNIST_FILES),
    "fashion_mnist": ("FashionMNIST", "FashionMNIST/raw", MNIST_FILES),
    "cifar10": ("CIFAR10", "cifar-10-batches-py",
                ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch",
                 "batches.meta")),
}


def files_present(name: str, root: Path | None = None) -> bool:
    """Whether the files of ``mnist``, ``fashion_mnist`` or ``cifar10`` (TORCHVISION) are all in their folder under
    ``root`` (default :func:`data_dir`)."""
    _, folder, files = TORCHVISION[name]
    base = (Path(root) if root is not None else data_dir()) / folder
    return all((base / f).is_file() for f in files)


def on_server(name: str, download: bool, root: Path | None = None) -> bool:
    """Whether this server can load dataset ``name``: the shipped, 2D and visitors' own datasets always; ``mnist``,
    ``fashion_mnist`` and ``cifar10`` when their files are under ``root`` (default :func:`data_dir`) or ``download``
    is allowed (see :func:`downloads_allowed`). False for an unknown name."""
    if name not in DATASETS:
        return False
    return name not in TORCHVISION or download or files_present(name, root)


def load_torchvision(name: str, root: Path | None = None, download: bool = True, train: bool = True
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The training set (or, with ``train=False``, the test set) of ``mnist``, ``fashion_mnist`` or ``cifar10`` through
    torchvision.

    Reads ``root`` (default :func:`data_dir`), downloading the files first when ``download`` and they are absent.

    Returns:
        images: (N, H, W) uint8 for the grey datasets, (N, H, W, 3) uint8 for cifar10; labels: (N,) uint8.
    Raises:
        DatasetUnavailableError: the files are absent and the download failed or was not allowed; the message names
            the folder searched and the files expected.
    """
    import torchvision.datasets

    cls_name, folder, files = TORCHVISION[name]
    root = Path(root) if root is not None else data_dir()
    try:
        ds = getattr(torchvision.datasets, cls_name)(root=str(root), train=train, download=download)
    except (RuntimeError, OSError) as e:
        why = f"the download failed ({str(e).splitlines()[0] if str(e) else type(e).__name__})" if download \
            else "downloading is off"
        raise DatasetUnavailableError(
            f"{cls_name} was not found in {root / folder} (expected files: {', '.join(files)}) and {why}. Put the "
            f"files there, or set GANAPP_DATA_DIR to a folder holding {folder}/.",
            dataset=cls_name, folder=str(root / folder), files=", ".join(files)) from e
    images = ds.data.numpy() if isinstance(ds.data, torch.Tensor) else np.asarray(ds.data)
    labels = ds.targets.numpy() if isinstance(ds.targets, torch.Tensor) else np.asarray(ds.targets)
    return images, labels.astype(np.uint8)


def load_mnist(root: Path | None = None, download: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The 60,000 MNIST training digits: images (60000, 28, 28) uint8 and labels (60000,) uint8. See
    :func:`load_torchvision`."""
    return load_torchvision("mnist", root, download)


def load_mnist_test(root: Path | None = None, download: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The 10,000 MNIST test digits: images (10000, 28, 28) uint8 and labels (10000,) uint8. See
    :func:`load_torchvision`."""
    return load_torchvision("mnist", root, download, train=False)


def load_image_folder(path: str | Path, image_size: int, channels: int) -> np.ndarray:
    """Every image in a folder (searched recursively, a .zip in it included) or a .zip, resized so the shorter side
    is ``image_size`` and centre-cropped to a square, in grey (1 channel) or RGB (3). Files that are not images are
    skipped, and so are images over :func:`ganapp.gan.uploads.pixel_limit` pixels, which are never decoded.

    Returns:
        (N, channels, image_size, image_size) uint8, N ≤ 50,000.
    Raises:
        DatasetUnavailableError: the path does not exist or holds no readable image.
    """
    from PIL import UnidentifiedImageError
    from torchvision.transforms import v2

    path = Path(path)
    if not path.is_dir() and not (path.is_file() and zipfile.is_zipfile(path)):
        raise DatasetUnavailableError(f"data_path {path} is neither a folder nor a .zip file", reason="not_folder",
                                      path=str(path))
    prepare = v2.Compose([v2.Resize(image_size, antialias=True), v2.CenterCrop(image_size), v2.PILToTensor()])
    mode = "L" if channels == 1 else "RGB"
    images, too_large = [], 0
    for _, opener in image_sources(path):
        if len(images) >= MAX_FOLDER_IMAGES:
            break
        try:
            with opener() as f, open_header(f) as im:
                im.draft(mode, (image_size, image_size))  # a JPEG decodes at a fraction of its size
                images.append(prepare(im.convert(mode)))
        except ImageTooLarge:  # an 8,000 × 8,000 picture would take seconds and 190 MB: left out, and said
            too_large += 1
        except (UnidentifiedImageError, OSError, ValueError, EOFError, zipfile.BadZipFile):
            pass  # not an image (or a broken one): skipped
    if not images and too_large:
        limit = pixel_limit()
        raise DatasetUnavailableError(f"every image in {path} is larger than {limit:,} pixels",
                                      reason="image_too_large", path=str(path), limit=limit)
    if not images:
        raise DatasetUnavailableError(f"no readable images in {path} (looked for {', '.join(IMAGE_SUFFIXES)} and "
                                      f"anything else Pillow opens)", reason="no_images", path=str(path))
    return torch.stack(images).numpy()


def _to_shape(images: torch.Tensor, image_size: int, channels: int) -> torch.Tensor:
    """(N, C, H, W) uint8 → (N, channels, image_size, image_size) uint8: grey↔RGB, then an antialiased resize."""
    from torchvision.transforms.v2 import functional as TF

    if images.shape[1] == 1 and channels == 3:
        images = images.expand(-1, 3, -1, -1)
    elif images.shape[1] == 3 and channels == 1:
        images = TF.rgb_to_grayscale(images)
    if images.shape[-1] != image_size or images.shape[-2] != image_size:
        images = TF.resize(images, [image_size, image_size], antialias=True)
    return images.contiguous()


def load_images(name: str, image_size: int, channels: int, data_path: str = "", download: bool = True
                ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """An image dataset as uint8 (N, channels, image_size, image_size) and its (N,) uint8 labels (None for folder).

    Raises:
        DatasetUnavailableError: as :func:`load_torchvision` and :func:`load_image_folder`.
    """
    if name == "folder":
        return torch.from_numpy(load_image_folder(data_path, image_size, channels)), None
    images, labels = load_mnist_10k() if name == "mnist_10k" else load_torchvision(name, download=download)
    x = torch.from_numpy(images)
    x = x.unsqueeze(1) if x.ndim == 3 else x.permute(0, 3, 1, 2)  # (N, C, H, W)
    return _to_shape(x, image_size, channels), torch.from_numpy(labels)


def load_drawing(path: str | Path) -> np.ndarray:
    """The (N, 2) float32 points saved by :func:`save_drawing`.

    Raises:
        DatasetUnavailableError: the file is missing or holds no (N, 2) array.
    """
    try:
        points = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise DatasetUnavailableError(f"the drawn points could not be read from {path} ({e})", reason="bad_drawing",
                                      path=str(path)) from None
    if points.ndim != 2 or points.shape[1] != 2 or len(points) == 0:
        raise DatasetUnavailableError(f"{path} holds an array of shape {points.shape}, not (N, 2) points",
                                      reason="bad_drawing", path=str(path))
    return points.astype(np.float32)


def derived_generator(generator: torch.Generator, device: torch.device | str) -> torch.Generator:
    """A generator on ``device`` seeded by one draw from ``generator`` (which advances): how a stream's randomness
    follows it to another device, deterministically, since a torch.Generator lives on one device for good."""
    seed = int(torch.randint(2 ** 62, (1,), generator=generator, device=generator.device).item())
    return torch.Generator(device=device).manual_seed(seed)


class DataStream:
    """An endless stream of real batches for one dataset, on one device.

    Image datasets live on the device as uint8 and are served in shuffled epochs; 2D datasets are sampled fresh for
    every batch. All randomness comes from a private ``torch.Generator`` seeded with ``seed``.

    Args:
        name: a dataset name from ``ganapp.gan.config.DATASETS``.
        device: where batches are produced.
        seed: seed of the stream's generator.
        download: whether a torchvision dataset may be downloaded.
        image_size, channels: the shape images are converted to (default: the dataset's own).
        data_path: the folder or .zip for ``folder``.

    Raises:
        ValueError: unknown dataset name.
        DatasetUnavailableError: as :func:`load_images`.
    """

    def __init__(self, name: str, device: torch.device | str = "cpu", seed: int = 0, download: bool = True,
                 image_size: int | None = None, channels: int | None = None, data_path: str = ""):
        if name not in DATASETS:
            raise ValueError(f"dataset={name!r} is not allowed: choose one of {', '.join(DATASETS)}")
        self.name = name
        self.device = torch.device(device)
        self.generator = torch.Generator(device=self.device).manual_seed(seed)
        self.is_2d = is_2d(name)
        self.images: torch.Tensor | None = None
        self.labels: torch.Tensor | None = None
        self.points = torch.from_numpy(load_drawing(data_path)).to(self.device) if name == "drawn" else None
        if not self.is_2d:
            native_size, native_channels = NATIVE_SHAPE[name]
            images, labels = load_images(name, image_size or native_size, channels or native_channels, data_path,
                                         download)
            self.images = images.to(self.device)  # (N, C, S, S) uint8
            self.labels = labels.to(self.device) if labels is not None else None
            self._perm = torch.randperm(len(self.images), generator=self.generator, device=self.device)
        self._pos = 0
        self.samples_seen = 0

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """Shape of one sample: (2,) for 2D data, (C, S, S) for images."""
        return (2,) if self.is_2d else tuple(self.images.shape[1:])

    @property
    def size(self) -> int | None:
        """Number of samples in an epoch, or None for 2D distributions (no epochs)."""
        return None if self.is_2d else len(self.images)

    @property
    def epoch(self) -> float | None:
        """Epochs served so far (fractional), or None for 2D data."""
        return None if self.is_2d else self.samples_seen / len(self.images)

    def state(self) -> tuple[dict[str, torch.Tensor], dict[str, int]]:
        """Where the stream is, as CPU copies: tensors ``rng`` (the generator's uint8 state) and, for images,
        ``perm`` ((N,) int64, this epoch's order); meta ``pos`` and ``samples_seen``. See :meth:`load_state`."""
        tensors = {"rng": self.generator.get_state().clone()}
        if not self.is_2d:
            tensors["perm"] = self._perm.to("cpu", copy=True)
        return tensors, {"pos": self._pos, "samples_seen": self.samples_seen}

    def load_state(self, tensors: dict[str, torch.Tensor], meta: dict[str, int]) -> None:
        """Go on from :meth:`state`'s output, so the next batches are those the saved stream would have served.

        Raises:
            ValueError: the saved order does not fit this dataset's size.
        """
        if not self.is_2d:
            perm = tensors["perm"]
            if perm.shape != (len(self.images),):
                raise ValueError(f"the saved data order has {perm.numel()} samples, the dataset {len(self.images)}")
            self._perm = perm.to(self.device)
        self.generator.set_state(tensors["rng"])
        self._pos, self.samples_seen = int(meta["pos"]), int(meta["samples_seen"])

    def to(self, device: torch.device | str) -> None:
        """Serve batches on ``device`` from now on: the dataset and this epoch's order move there, and the stream's
        generator is replaced by one on ``device`` seeded from it (a generator cannot change device), so the same
        moves from the same state give the same batches. Nothing happens when the stream is on ``device``."""
        device = torch.device(device)
        if device == self.device:
            return
        self.device = device
        self.generator = derived_generator(self.generator, device)
        if self.points is not None:
            self.points = self.points.to(device)
        if self.images is not None:
            self.images = self.images.to(device)
            self.labels = self.labels.to(device) if self.labels is not None else None
            self._perm = self._perm.to(device)

    def next(self, batch_size: int) -> torch.Tensor:
        """The next real batch: (B, 2) float32, or (B, C, S, S) float32 in [-1, 1]."""
        return self.next_labelled(batch_size)[0]

    def next_labelled(self, batch_size: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The next real batch and its labels: as :meth:`next`, with (B,) int64 class labels (None for 2D data and
        folders)."""
        self.samples_seen += batch_size
        if self.is_2d:
            return self._sample_2d(batch_size, self.generator), None
        n = len(self.images)
        if self._pos + batch_size > n:  # start a new epoch; a batch never straddles two permutations
            self._perm = torch.randperm(n, generator=self.generator, device=self.device)
            self._pos = 0
        idx = self._perm[self._pos:self._pos + batch_size]
        self._pos += batch_size
        labels = self.labels[idx].long() if self.labels is not None else None
        return self.images[idx].float().div_(127.5).sub_(1.0), labels

    def _sample_2d(self, n: int, generator: torch.Generator) -> torch.Tensor:
        if self.points is None:
            return sample_2d(self.name, n, generator, self.device)
        idx = torch.randint(len(self.points), (n,), generator=generator, device=self.device)
        noise = torch.randn(n, 2, generator=generator, device=self.device)
        return self.points[idx] + DRAWN_JITTER * noise

    def sample(self, n: int, seed: int = 0) -> torch.Tensor:
        """``n`` real samples drawn with their own generator (for plots), leaving the training stream untouched."""
        g = torch.Generator(device=self.device).manual_seed(seed)
        if self.is_2d:
            return self._sample_2d(n, g)
        idx = torch.randint(len(self.images), (n,), generator=g, device=self.device)
        return self.images[idx].float().div_(127.5).sub_(1.0)
