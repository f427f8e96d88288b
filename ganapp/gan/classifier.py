"""A small MNIST classifier: the offline judge of generated digits.

FID needs Inception weights from the internet; TF-GAN's ``mnist_frechet_distance`` and ``mnist_score`` use an MNIST
classifier instead, and so does ganapp. The classifier is trained by ``python -m ganapp train-classifier`` on the
60,000 MNIST training digits, never on generated ones, and its weights ship in ``checkpoints/``. Its 128 penultimate
activations are the features of the Fréchet distance (see :mod:`ganapp.gan.metrics`).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors import SafetensorError, safe_open
from safetensors.torch import save as safetensors_save
from torch import nn
from tqdm import tqdm

from .checkpoints import CHECKPOINT_DIR, write_atomic

CLASSIFIER_PATH = CHECKPOINT_DIR / "mnist_classifier.safetensors"
FORMAT = "ganapp-mnist-classifier"
N_FEATURES = 128


class MNISTClassifier(nn.Module):
    """images (B, 1, 28, 28) float32 in [-1, 1] → class logits (B, 10).

    Two 5×5 convolutions (32 and 64 channels), each with ReLU and 2×2 max-pooling, then a 128-unit hidden layer
    (:meth:`features`) and a linear layer to 10 logits: the classic LeNet-style MNIST net.
    """

    num_features = N_FEATURES  # read by torchmetrics' FrechetInceptionDistance

    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(2),  # -> (B, 32, 14, 14)
            nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(2),  # -> (B, 64, 7, 7)
        )
        self.hidden = nn.Sequential(nn.Flatten(), nn.Linear(64 * 7 * 7, N_FEATURES), nn.ReLU(inplace=True))
        self.dropout = nn.Dropout(0.3)
        self.out = nn.Linear(N_FEATURES, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, 28, 28) float32 in [-1, 1] → (B, 128) float32 non-negative features."""
        return self.hidden(self.conv(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.dropout(self.features(x)))


class ClassifierFeatures(nn.Module):
    """The classifier's :meth:`MNISTClassifier.features` as a module of its own, for torchmetrics' Fréchet distance
    (which calls its ``feature`` module on images and reads ``num_features``)."""

    num_features = N_FEATURES

    def __init__(self, classifier: MNISTClassifier):
        super().__init__()
        self.classifier = classifier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier.features(x)


def as_input(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8 (N, 28, 28) or (N, 1, 28, 28) in 0..255 → float32 (N, 1, 28, 28) in [-1, 1]."""
    x = torch.as_tensor(images)
    x = x.unsqueeze(1) if x.ndim == 3 else x
    return x.float().div(127.5).sub(1.0)


@torch.no_grad()
def accuracy(classifier: MNISTClassifier, images: np.ndarray | torch.Tensor, labels: np.ndarray | torch.Tensor,
             batch_size: int = 1000) -> float:
    """Fraction of ``images`` (uint8, (N, 28, 28), 0..255) classified as ``labels`` ((N,) ints), in [0, 1]."""
    classifier.eval()
    x, y = as_input(images), torch.as_tensor(labels).long()
    correct = sum(int((classifier(x[i:i + batch_size]).argmax(1) == y[i:i + batch_size]).sum())
                  for i in range(0, len(x), batch_size))
    return correct / len(x)


def train_classifier(train_images: np.ndarray, train_labels: np.ndarray, epochs: int = 3, batch_size: int = 128,
                     lr: float = 1e-3, seed: int = 0, progress: bool = True) -> MNISTClassifier:
    """Train :class:`MNISTClassifier` with Adam and cross-entropy on digits shifted by up to 2 pixels.

    Args:
        train_images: (N, 28, 28) uint8 in 0..255. train_labels: (N,) ints in 0..9.
        epochs: passes over the data (3 reach ~99% test accuracy).
    Returns:
        The trained classifier, in eval mode, on the CPU.
    Raises:
        ValueError: shapes that do not match, or epochs < 1.
    """
    if epochs < 1:
        raise ValueError(f"epochs={epochs} is out of range: it must be ≥ 1")
    if len(train_images) != len(train_labels) or tuple(train_images.shape[1:]) != (28, 28):
        raise ValueError(f"train_images must be (N, 28, 28) with N labels; got {tuple(train_images.shape)} and "
                         f"{len(train_labels)} labels")
    g = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = MNISTClassifier()
    x, y = as_input(train_images), torch.as_tensor(train_labels).long()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * -(-len(x) // batch_size))
    model.train()
    for epoch in range(epochs):
        order = torch.randperm(len(x), generator=g)
        bar = tqdm(range(0, len(x), batch_size), desc=f"classifier epoch {epoch + 1}/{epochs}", disable=not progress)
        for i in bar:
            idx = order[i:i + batch_size]
            dx, dy = torch.randint(-2, 3, (2,), generator=g).tolist()  # a small random shift per batch
            xb = torch.roll(x[idx], shifts=(dy, dx), dims=(2, 3))
            loss = F.cross_entropy(model(xb), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            bar.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
    return model.eval()


def save_classifier(path: str | Path, classifier: MNISTClassifier, test_accuracy: float, seconds: float) -> Path:
    """Write the classifier's weights to ``path`` (safetensors, atomically) with its test accuracy in the metadata.

    Raises:
        OSError: the file cannot be written.
    """
    tensors = {k: v.detach().cpu().contiguous() for k, v in classifier.state_dict().items()}
    metadata = {"format": FORMAT, "test_accuracy": f"{test_accuracy:.4f}", "train_seconds": f"{seconds:.0f}"}
    return write_atomic(path, safetensors_save(tensors, metadata=metadata))


_CACHE: dict[str, MNISTClassifier] = {}


def load_classifier(path: str | Path = CLASSIFIER_PATH) -> MNISTClassifier:
    """The classifier saved at ``path`` (default: the shipped one), in eval mode on the CPU, gradients off. Cached per
    path: callers share one instance and must not train it.

    Raises:
        ValueError: the file is missing or is not a ganapp MNIST classifier.
    """
    key = str(Path(path).resolve())
    if key in _CACHE:
        return _CACHE[key]
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            if (f.metadata() or {}).get("format") != FORMAT:
                raise ValueError(f"{path} is not a ganapp MNIST classifier")
            state = {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, OSError) as e:
        raise ValueError(f"the MNIST classifier could not be read from {path} ({e}); train one with "
                         f"`python -m ganapp train-classifier`") from None
    model = MNISTClassifier()
    model.load_state_dict(state)
    _CACHE[key] = model.eval().requires_grad_(False)
    return _CACHE[key]


def classifier_info(path: str | Path = CLASSIFIER_PATH) -> dict[str, str]:
    """The metadata saved with a classifier (format, test_accuracy, train_seconds)."""
    with safe_open(str(path), framework="pt", device="cpu") as f:
        return dict(f.metadata() or {})


def train_and_save(out: Path, data_root: Path | None, epochs: int, seed: int) -> dict[str, float]:
    """Train on the MNIST training set, score on the test set (both read through torchvision from ``data_root``),
    save to ``out``. Returns ``{"test_accuracy", "train_seconds"}``.

    Raises:
        ganapp.gan.data.DatasetUnavailableError: MNIST is not in ``data_root`` and cannot be downloaded.
    """
    from .data import load_mnist, load_mnist_test

    images, labels = load_mnist(data_root)
    t0 = time.perf_counter()
    model = train_classifier(images, labels, epochs=epochs, seed=seed)
    seconds = time.perf_counter() - t0
    test_images, test_labels = load_mnist_test(data_root)
    acc = accuracy(model, test_images, test_labels)
    save_classifier(out, model, acc, seconds)
    return {"test_accuracy": acc, "train_seconds": round(seconds, 1)}
