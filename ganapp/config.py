"""One frozen, validated configuration for a GAN run.

A :class:`GANConfig` is built once, validated in ``__post_init__``, and never mutated: a change is a new config made
with :meth:`GANConfig.replace`. Its :meth:`GANConfig.to_dict` goes into every checkpoint, so that a checkpoint alone
rebuilds its G.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

DATASETS_2D = ("ring8", "grid25", "spiral", "moons", "gaussian", "drawn")  # drawn: a student's sketch, as points
DATASETS_IMAGE = ("mnist_10k", "mnist", "fashion_mnist", "cifar10", "folder")
DATASETS = DATASETS_IMAGE + DATASETS_2D
DATASETS_LABELLED = ("mnist_10k", "mnist", "fashion_mnist", "cifar10")  # with class labels, for conditional models
IMAGE_SIZES = (28, 32, 64)
CHANNELS = (1, 3)
# Each image dataset's own size and channels, used by GANConfig.default_for.
NATIVE_SHAPE = {"mnist_10k": (28, 1), "mnist": (28, 1), "fashion_mnist": (28, 1), "cifar10": (32, 3),
                "folder": (64, 3)}
N_CLASSES = 10
MODELS = ("mlp", "dcgan")
LOSSES = ("non_saturating", "minimax", "lsgan", "hinge", "wgan_gp")
DEVICES = ("auto", "cpu", "cuda", "mps")

# Numeric fields: (low, high, low_inclusive, high_inclusive, integer). The UI reads this table too, so its messages
# name the same ranges as the library's.
RANGES: dict[str, tuple[float, float, bool, bool, bool]] = {
    "z_dim": (1, 512, True, True, True),
    "batch_size": (1, 4096, True, True, True),
    "lr_g": (0.0, 1e6, False, True, False),
    "lr_d": (0.0, 1e6, False, True, False),
    "beta1": (0.0, 1.0, True, False, False),
    "beta2": (0.0, 1.0, True, False, False),
    "n_critic": (1, 20, True, True, True),
    "g_width": (4, 2048, True, True, True),
    "d_width": (4, 2048, True, True, True),
    "seed": (0, 2**31 - 1, True, True, True),
    "n_fixed": (1, 256, True, True, True),
    "gp_lambda": (0.0, 1000.0, True, True, False),
    "r1_gamma": (0.0, 1000.0, True, True, False),
    "r1_every": (1, 64, True, True, True),
    "g_ema": (0.0, 1.0, True, False, False),
    "lr_decay": (0.0, 1.0, True, True, False),
}

# Fields that a running Trainer can take without rebuilding its networks (see Trainer.update).
LIVE_FIELDS = ("lr_g", "lr_d", "beta1", "beta2", "n_critic", "loss", "batch_size", "gp_lambda", "r1_gamma",
               "r1_every", "lr_decay", "bf16")


def range_text(name: str) -> str:
    """The allowed range of numeric field ``name`` in interval notation, e.g. ``"(0, 10]"`` or ``"1..512"``."""
    lo, hi, lo_inc, hi_inc, integer = RANGES[name]
    if integer:
        return f"{int(lo)}..{int(hi)}"
    return f"{'[' if lo_inc else '('}{lo:g}, {hi:g}{']' if hi_inc else ')'}"


class ConfigError(ValueError):
    """A config value that is not allowed, with a code and fields so that a UI can say it in its reader's language.

    Attributes:
        field: the config field at fault (for two fields that conflict, the one to change).
        code: ``out_of_range`` (params: value, range, integer), ``not_allowed`` (value, choices), ``not_bool``
            (value), ``needs_data_path`` (dataset), ``needs_labels`` (dataset, labelled), ``needs_images``
            (dataset) or ``unknown_field`` (names).
        params: the values the message names.
    """

    def __init__(self, field: str, code: str, message: str, **params: Any):
        super().__init__(message)
        self.field, self.code, self.params = field, code, params


def check_range(name: str, value: Any) -> None:
    """Raise :class:`ConfigError` (a ``ValueError``) naming ``name``, ``value`` and the allowed range unless
    ``value`` lies in ``RANGES[name]``.

    NaN and infinity are always rejected; integer fields reject non-integers (``True``/``False`` included).
    """
    lo, hi, lo_inc, hi_inc, integer = RANGES[name]
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok and integer:
        ok = float(value).is_integer()
    if ok:
        ok = (value >= lo if lo_inc else value > lo) and (value <= hi if hi_inc else value < hi)
    if not ok:
        kind = "an integer in" if integer else "a number in"
        raise ConfigError(name, "out_of_range", f"{name}={value!r} is out of range: it must be {kind} "
                          f"{range_text(name)}", value=value, range=range_text(name), integer=integer)


def _check_choice(name: str, value: Any, choices: tuple) -> None:
    if isinstance(value, bool) or value not in choices:
        listed = ", ".join(map(str, choices))
        raise ConfigError(name, "not_allowed", f"{name}={value!r} is not allowed: choose one of {listed}",
                          value=value, choices=listed)


def is_2d(dataset: str) -> bool:
    """True for the 2D point datasets (samples of shape (2,)), False for image datasets."""
    return dataset in DATASETS_2D


@dataclass(frozen=True)
class GANConfig:
    """Everything that defines a GAN run. Frozen; validated on construction.

    Attributes:
        dataset: one of ``DATASETS``; ``mnist_10k`` (10,000 MNIST digits shipped in the package) is the default.
        model: ``mlp`` (fully connected, Goodfellow et al. 2014) or ``dcgan`` (Radford et al. 2016; images only).
        loss: ``non_saturating``, ``minimax``, ``lsgan``, ``hinge`` or ``wgan_gp`` (see :mod:`ganapp.losses`).
        z_dim: length of the latent vector z, 1..512.
        batch_size: real and fake samples per D update, 1..4096.
        lr_g, lr_d: Adam learning rates of G and D, in (0, 1e6] (deliberately wide: a class can watch a huge
            learning rate blow training up, and the session rolls back).
        beta1, beta2: Adam betas, in [0, 1).
        n_critic: D updates per G update, 1..20.
        g_width, d_width: width of G and D (hidden units of the first MLP layer, or base channels of a DCGAN).
        seed: seeds weight init, z and the data order; the same seed gives the same losses on the CPU.
        device: ``auto`` (cuda, then mps, then cpu), ``cpu``, ``cuda`` or ``mps``.
        n_fixed: number of fixed_z samples in the sample grid, 1..256.
        gp_lambda: λ of WGAN-GP's gradient penalty, in [0, 1000] (Gulrajani et al. 2017 use 10); wgan_gp only.
        r1_gamma: γ of the R1 penalty on real data, in [0, 1000]; 0 turns it off (any loss).
        r1_every: compute the R1 penalty on every ``r1_every``-th D update only, weighted by ``r1_every`` so that its
            average pull is unchanged, 1..64; 1 is every update. The "lazy regularisation" of StyleGAN2 (Karras et
            al. 2020, "Analyzing and Improving the Image Quality of StyleGAN", Sec. 3.1, who use 16): R1's double
            backward costs about a third of a small DCGAN's step, and paying it every 8th step keeps its effect.
        image_size: side of the (square) images in pixels: 28, 32 or 64; data are resized to it.
        channels: 1 (grey) or 3 (RGB); data are converted to it.
        data_path: the folder or .zip of images for ``dataset='folder'`` (ignored otherwise).
        g_ema: decay of an exponential moving average of G's weights, in [0, 1); 0 turns it off. When on, the
            averaged G is the one shown, explored and saved (Yazıcı et al. 2019, "The Unusual Effectiveness of
            Averaging in GAN Training"; Karras et al. 2018, Sec. 3).
        lr_decay: the final fraction of a run of known length, in [0, 1], over which lr_g and lr_d fall linearly to 0
            (see :func:`ganapp.trainer.lr_factor`); 0 keeps them constant. A run's length is known from the CLI's
            ``--steps``/``--minutes`` and the app's "stop after" minutes; an open-ended run keeps them constant.
        bf16: run the forward passes under bfloat16 autocast (``torch.autocast``): faster on recent GPUs, and
            supported on the CPU; backward passes and the losses stay float32.
        conditional: class-conditional G and D (labelled datasets only): G takes a one-hot label beside z (Mirza &
            Osindero 2014), D adds a projection of the label embedding (Miyato & Koyama 2018).

    Raises:
        ValueError: a field is out of range or a choice is unknown; the message names the field, the value and the
            allowed range. ``model='dcgan'`` with a 2D dataset is rejected too.
    """

    dataset: str = "mnist_10k"
    model: str = "dcgan"
    loss: str = "non_saturating"
    z_dim: int = 64
    batch_size: int = 64
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    n_critic: int = 1
    g_width: int = 16
    d_width: int = 16
    seed: int = 0
    device: str = "auto"
    n_fixed: int = 64
    gp_lambda: float = 10.0
    r1_gamma: float = 0.0
    r1_every: int = 1
    g_ema: float = 0.0
    lr_decay: float = 0.0
    bf16: bool = False
    conditional: bool = False
    image_size: int = 28
    channels: int = 1
    data_path: str = ""

    def __post_init__(self) -> None:
        _check_choice("dataset", self.dataset, DATASETS)
        _check_choice("model", self.model, MODELS)
        _check_choice("loss", self.loss, LOSSES)
        _check_choice("device", self.device, DEVICES)
        for name in RANGES:
            check_range(name, getattr(self, name))
            if RANGES[name][4]:
                object.__setattr__(self, name, int(getattr(self, name)))
            else:
                object.__setattr__(self, name, float(getattr(self, name)))
        _check_choice("image_size", self.image_size, IMAGE_SIZES)
        _check_choice("channels", self.channels, CHANNELS)
        if self.dataset == "folder" and not self.data_path:
            raise ConfigError("data_path", "needs_data_path", "dataset='folder' needs data_path: a folder or .zip of "
                              "images", dataset=self.dataset)
        if self.dataset == "drawn" and not self.data_path:
            raise ConfigError("data_path", "needs_data_path", "dataset='drawn' needs data_path: a .npy of (N, 2) "
                              "points (see ganapp.data.save_drawing)", dataset=self.dataset)
        for name in ("conditional", "bf16"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(name, "not_bool", f"{name}={getattr(self, name)!r} is not allowed: it must be True "
                                  f"or False", value=getattr(self, name))
        if self.conditional and self.dataset not in DATASETS_LABELLED:
            labelled = ", ".join(DATASETS_LABELLED)
            raise ConfigError("conditional", "needs_labels", f"conditional=True needs a labelled dataset "
                              f"({labelled}), but dataset={self.dataset!r} has no labels", dataset=self.dataset,
                              labelled=labelled)
        if self.model == "dcgan" and is_2d(self.dataset):
            raise ConfigError("model", "needs_images", f"model='dcgan' needs an image dataset, but "
                              f"dataset={self.dataset!r} is 2D: use model='mlp'", dataset=self.dataset)

    @property
    def n_classes(self) -> int:
        """Number of classes a conditional model is built for, or 0 for an unconditional one."""
        return N_CLASSES if self.conditional else 0

    @property
    def d_batchnorm(self) -> bool:
        """Whether a DCGAN D uses BatchNorm: not under WGAN-GP, whose per-sample gradient penalty BatchNorm would
        break (Gulrajani et al. 2017, Sec. 4: "No critic batch normalization")."""
        return self.loss != "wgan_gp"

    @classmethod
    def default_for(cls, dataset: str, **overrides: Any) -> "GANConfig":
        """The recommended config for ``dataset`` (2D data gets an MLP), with ``overrides`` applied on top.

        Raises:
            ValueError: as the constructor.
        """
        _check_choice("dataset", dataset, DATASETS)
        base: dict[str, Any] = {"dataset": dataset}
        if dataset in NATIVE_SHAPE:
            base["image_size"], base["channels"] = NATIVE_SHAPE[dataset]
        if dataset in ("cifar10", "folder"):  # colour images: a wider DCGAN
            base.update(g_width=32, d_width=32, z_dim=100)
        if is_2d(dataset):
            base.update(model="mlp", z_dim=2, batch_size=256, lr_g=1e-3, lr_d=1e-3, g_width=128, d_width=128,
                        beta1=0.5, n_fixed=256)
        if dataset in ("mnist", "mnist_10k"):  # measured in 5 minutes on a 2-core CPU (README, "Quality on MNIST"):
            # lazy R1 (γ 3, every 8th D step) took the old defaults from FD ~100 and class KL 0.12 to FD 44, KL 0.005;
            # lr 1e-3 with β = (0, 0.99) as in StyleGAN2, and the lr decay over a timed run's last 30%, to FD ~29
            base.update(lr_g=1e-3, lr_d=1e-3, beta1=0.0, beta2=0.99, r1_gamma=3.0, r1_every=8, lr_decay=0.3)
        if dataset == "ring8":  # G's clusters of the 8 tight modes (std 0.01) jitter; a light lazy R1 and the decay
            # over the last 30% put 97.4-98.0% of the samples on a mode in 2 minutes (7 runs), where the plain
            # settings gave 95.3-97.5% (README, "Quality on the 2D benchmarks"). β (0, 0.99) did as well at 2 minutes
            # but scattered G over the first few thousand steps, which the live view shows
            base.update(r1_gamma=0.03, r1_every=8, lr_decay=0.3)
        if dataset == "grid25":  # R1 keeps D smooth enough for G to reach all 25 modes; the lr decay over the last
            base.update(r1_gamma=0.1, lr_decay=0.3)  # 30% settles G's points onto them (measured: README)
        base.update(overrides)
        return cls(**base)

    @property
    def is_2d(self) -> bool:
        """True when the dataset is 2D points rather than images."""
        return is_2d(self.dataset)

    def replace(self, **changes: Any) -> "GANConfig":
        """A new validated config with ``changes`` applied. Raises ``ValueError`` for unknown fields or bad values."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            names = ", ".join(sorted(unknown))
            raise ConfigError(sorted(unknown)[0], "unknown_field", f"unknown config field(s): {names}", names=names)
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict of every field."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "GANConfig":
        """Rebuild a config from :meth:`to_dict` output; unknown keys are ignored (newer checkpoints).

        Raises:
            ValueError: a field is invalid.
        """
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def diff(self, other: "GANConfig") -> dict[str, tuple[Any, Any]]:
        """Fields whose values differ: ``{name: (self_value, other_value)}``."""
        a, b = self.to_dict(), other.to_dict()
        return {k: (a[k], b[k]) for k in a if a[k] != b[k]}
