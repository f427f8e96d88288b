"""One frozen, validated configuration for a GAN run.

A :class:`GANConfig` is built once, validated in ``__post_init__``, and never mutated: a change is a new config made
with :meth:`GANConfig.replace`. Its :meth:`GANConfig.to_dict` goes into every checkpoint, so that a checkpoint alone
rebuilds its G.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

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
ACTIVATIONS = ("relu", "leaky_relu", "tanh")  # an MLP's hidden activation (LeakyReLU's slope is 0.2)
OPTIMIZERS = ("adam", "sgd")  # sgd: SGD with momentum β1
NOISES = ("gaussian", "uniform")  # z ~ N(0, I), or z ~ U[−1, 1]^z_dim
MAX_HIDDEN_LAYERS = 4
HIDDEN_RANGE = (1, 2048)  # neurons in one hidden layer of an MLP given by g_hidden / d_hidden


class Range(NamedTuple):
    """A numeric setting's allowed values: from ``low`` to ``high``, each end included or not, whole numbers only
    when ``integer``."""

    low: float
    high: float
    low_inclusive: bool = True
    high_inclusive: bool = True
    integer: bool = False


@dataclass(frozen=True)
class Setting:
    """One setting's facts, kept once in :class:`GANConfig`'s field metadata: the command line's flags, the Train
    tab's widgets, the validation and its messages, and the controls' order are all made from these.

    Attributes:
        name: the config field (filled in from the field).
        label: the widget's label and the name error messages use, ``{"en": ..., "zh": ...}``.
        help: one line on what it does, ``{"en": ..., "zh": ...}``: the CLI's ``--help``, and the widget's ``info``
            in the Train tab's Advanced box.
        range: for numbers, their :class:`Range`; else None.
        choices: the allowed values of a choice; else None.
        live: a running Trainer takes a new value without rebuilding its networks (see ``Trainer.update``).
        widget: how the Train tab shows it: ``dropdown``, ``number``, ``integer``, ``checkbox``, ``text``, or None for a
            setting the page does not offer (its reason in ``page_note``).
        row: widgets with the same row name sit side by side; None: a line of its own.
        advanced: inside the Train tab's Advanced box.
        cli: ``python -m ganapp train`` has a flag for it (``--`` and the name with dashes).
        page_note: why a setting has no widget, or how the page sets it instead.
        type: the field's type, ``str``, ``int``, ``float`` or ``bool`` (filled in from the field).
    """

    label: dict[str, str]
    help: dict[str, str]
    range: Range | None = None
    choices: tuple | None = None
    live: bool = False
    widget: str | None = None
    row: str | None = None
    advanced: bool = False
    cli: bool = True
    page_note: str = ""
    name: str = ""
    type: str = ""

    @property
    def flag(self) -> str:
        """The command line's flag, e.g. ``--lr-g``."""
        return "--" + self.name.replace("_", "-")

    @property
    def integer(self) -> bool:
        """True for whole-number settings (an integer range, or choices that are all ints)."""
        if self.range is not None:
            return self.range.integer
        return bool(self.choices) and all(isinstance(c, int) and not isinstance(c, bool) for c in self.choices)


def _setting(default: Any, en: str, zh: str, help_en: str, help_zh: str, **facts: Any) -> Any:
    """A dataclass field whose metadata holds its :class:`Setting`."""
    return field(default=default, metadata={"setting": Setting({"en": en, "zh": zh}, {"en": help_en, "zh": help_zh},
                                                               **facts)})


def _int(lo: int, hi: int) -> Range:
    return Range(lo, hi, True, True, True)


def _num(lo: float, hi: float, lo_inclusive: bool = True, hi_inclusive: bool = True) -> Range:
    return Range(lo, hi, lo_inclusive, hi_inclusive, False)


def range_text(name: str, allowed: Range | None = None) -> str:
    """The allowed range of numeric field ``name`` (or ``allowed``, when given) in interval notation, e.g.
    ``"(0, 10]"`` or ``"1..512"``."""
    lo, hi, lo_inc, hi_inc, integer = allowed if allowed is not None else RANGES[name]
    if integer:
        return f"{int(lo)}..{int(hi)}"
    return f"{'[' if lo_inc else '('}{lo:g}, {hi:g}{']' if hi_inc else ')'}"


def _rebuild_error(cls: type, args: tuple, params: dict[str, Any]) -> Exception:
    """An error with keyword params, as unpickled (see ConfigError.__reduce__)."""
    return cls(*args, **params)


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

    def __reduce__(self):  # pickled whole: the training worker's errors reach the page with their code
        return _rebuild_error, (type(self), (self.field, self.code, str(self)), self.params)


def check_range(name: str, value: Any, allowed: Range | None = None) -> None:
    """Raise :class:`ConfigError` (a ``ValueError``) naming ``name``, ``value`` and the allowed range unless
    ``value`` lies in ``RANGES[name]``, or in ``allowed`` when given (a value that is not a setting, such as a
    page's step count, checked the same way).

    NaN and infinity are always rejected, and so are ``True``/``False``; integer fields reject non-integers.
    """
    lo, hi, lo_inc, hi_inc, integer = allowed if allowed is not None else RANGES[name]
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    try:  # an int beyond a float's range (10**400, sent as JSON) is out of every range, not an OverflowError
        ok = ok and math.isfinite(value) and (not integer or float(value).is_integer())
    except OverflowError:
        ok = False
    if ok:
        ok = (value >= lo if lo_inc else value > lo) and (value <= hi if hi_inc else value < hi)
    if not ok:
        kind = "an integer in" if integer else "a number in"
        raise ConfigError(name, "out_of_range", f"{name}={value!r} is out of range: it must be {kind} "
                          f"{range_text(name, allowed)}", value=value, range=range_text(name, allowed),
                          integer=integer)


def _check_choice(name: str, value: Any, choices: tuple) -> None:
    if isinstance(value, bool) or value not in choices:
        listed = ", ".join(map(str, choices))
        raise ConfigError(name, "not_allowed", f"{name}={value!r} is not allowed: choose one of {listed}",
                          value=value, choices=listed)


def hidden_layers(name: str, value: Any) -> tuple[int, ...]:
    """The hidden layers' sizes that ``g_hidden`` or ``d_hidden`` (``name``) gives: ``"128,64"`` → (128, 64);
    ``""`` → () (the classic layers made from g_width / d_width). Spaces around the numbers are allowed.

    Raises:
        ConfigError: code ``bad_layers`` (params: value, layers ``"1..4"``, range ``"1..2048"``) unless ``value`` is
            "" or 1 to :data:`MAX_HIDDEN_LAYERS` whole numbers in :data:`HIDDEN_RANGE`, separated by commas.
    """
    lo, hi = HIDDEN_RANGE
    if isinstance(value, str) and not value.strip():
        return ()
    parts = value.split(",") if isinstance(value, str) else []
    sizes = [int(p) for p in parts if p.strip().isascii() and p.strip().isdigit()]
    if not sizes or len(sizes) != len(parts) or len(sizes) > MAX_HIDDEN_LAYERS or not all(lo <= n <= hi for n in sizes):
        raise ConfigError(name, "bad_layers", f"{name}={value!r} is not allowed: give 1 to {MAX_HIDDEN_LAYERS} "
                          f"layer sizes, each an integer in {lo}..{hi}, separated by commas (e.g. 128,128), or "
                          f"nothing for the classic layers", value=value, layers=f"1..{MAX_HIDDEN_LAYERS}",
                          range=f"{lo}..{hi}")
    return tuple(sizes)


def is_2d(dataset: str) -> bool:
    """True for the 2D point datasets (samples of shape (2,)), False for image datasets."""
    return dataset in DATASETS_2D


@dataclass(frozen=True)
class GANConfig:
    """Everything that defines a GAN run. Frozen; validated on construction.

    Attributes:
        dataset: one of ``DATASETS``; ``mnist_10k`` (10,000 MNIST digits shipped in the package) is the default.
        model: ``mlp`` (fully connected, Goodfellow et al. 2014) or ``dcgan`` (Radford et al. 2016; images only).
        loss: ``non_saturating``, ``minimax``, ``lsgan``, ``hinge`` or ``wgan_gp`` (see :mod:`ganapp.gan.losses`).
        z_dim: length of the latent vector z, 1..512.
        batch_size: real and fake samples per D update, 2..4096 (BatchNorm needs two samples to normalise).
        lr_g, lr_d: Adam learning rates of G and D, in (0, 1e6] (deliberately wide: a class can watch a huge
            learning rate blow training up, and the run rolls back).
        beta1, beta2: Adam betas, in [0, 1).
        n_critic: D updates per G update, 1..20.
        g_steps: G updates per step, after its n_critic D updates, 1..20; the first G update uses the last D
            update's fakes (as with 1), each further one fresh z.
        g_width, d_width: width of G and D (hidden units of the first MLP layer, or base channels of a DCGAN).
            An MLP whose g_hidden / d_hidden is set ignores its width.
        g_hidden, d_hidden: an MLP's hidden layers, as text: 1 to 4 sizes in 1..2048 separated by commas, e.g.
            ``"128,128"`` (normalised to no spaces); ``""`` (the default) keeps the classic layers made from the
            width (three: width, 2·width, 4·width for images, width ×3 for 2D points; D's mirrored). DCGAN: ignored.
        g_activation, d_activation: the MLP's hidden activation, ``relu``, ``leaky_relu`` (slope 0.2) or ``tanh``;
            by default ReLU in G and LeakyReLU in D (as before these settings existed). DCGAN: ignored.
        optimizer: ``adam`` (Kingma & Ba 2015) or ``sgd`` (SGD with momentum β1, PyTorch's form
            v ← β1·v + g, θ ← θ − lr·v), for G and D both.
        noise: the prior of z: ``gaussian`` N(0, I) or ``uniform`` U[−1, 1] (Goodfellow et al. 2014 drew z
            uniformly); fixed_z, the Explore tab's z and the metrics' z follow it.
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
            (see :func:`ganapp.gan.trainer.lr_factor`); 0 keeps them constant. A run's length is known from the CLI's
            ``--steps``/``--minutes`` and the app's "stop after" minutes; an open-ended run keeps them constant.
        bf16: run the forward passes under bfloat16 autocast (``torch.autocast``): faster on recent GPUs, and
            supported on the CPU; backward passes and the losses stay float32.
        conditional: class-conditional G and D (labelled datasets only): G takes a one-hot label beside z (Mirza &
            Osindero 2014), D adds a projection of the label embedding (Miyato & Koyama 2018).

    Raises:
        ValueError: a field is out of range or a choice is unknown; the message names the field, the value and the
            allowed range. ``model='dcgan'`` with a 2D dataset is rejected too.
    """

    # The fields' order is the Train tab's order of controls.
    dataset: str = _setting(
        "mnist_10k", "Dataset", "数据集", "the data G learns to imitate: images, or 2D points",
        "G 要模仿的数据：图像或二维点", choices=DATASETS, widget="dropdown")
    model: str = _setting(
        "dcgan", "Model", "模型", "mlp: fully connected G and D; dcgan: convolutional (images only)",
        "mlp：全连接的 G 和 D；dcgan：卷积网络（仅用于图像）", choices=MODELS, widget="dropdown")
    loss: str = _setting(
        "non_saturating", "Loss", "损失函数", "the game G and D play (see ganapp.gan.losses)",
        "G 与 D 所玩的博弈（见 ganapp.gan.losses）", choices=LOSSES, live=True, widget="dropdown")
    z_dim: int = _setting(
        64, "z_dim (latent size)", "z_dim（潜在维度）", "length of the latent vector z", "潜在向量 z 的长度",
        range=_int(1, 512), widget="integer", row="shape")
    batch_size: int = _setting(
        64, "Batch size", "批大小", "real and fake samples per D update", "每次 D 更新使用的真实样本与假样本数",
        range=_int(2, 4096), live=True, widget="integer", row="shape")
    lr_g: float = _setting(
        2e-4, "Learning rate of G", "G 的学习率", "Adam's learning rate for G", "G 的 Adam 学习率",
        range=_num(0.0, 1e6, False), live=True, widget="number", row="lr")
    lr_d: float = _setting(
        2e-4, "Learning rate of D", "D 的学习率", "Adam's learning rate for D", "D 的 Adam 学习率",
        range=_num(0.0, 1e6, False), live=True, widget="number", row="lr")
    beta1: float = _setting(
        0.5, "Adam β1", "Adam β1", "Adam's first-moment decay (momentum); 0 turns momentum off",
        "Adam 一阶矩的衰减（动量）；0 表示不用动量", range=_num(0.0, 1.0, True, False), live=True, widget="number",
        row="betas", advanced=True)
    beta2: float = _setting(
        0.999, "Adam β2", "Adam β2", "Adam's second-moment decay", "Adam 二阶矩的衰减",
        range=_num(0.0, 1.0, True, False), live=True, widget="number", row="betas", advanced=True)
    n_critic: int = _setting(
        1, "n_critic (D steps per G step)", "n_critic（每步 G 对应的 D 步数）", "D updates per G update",
        "每次 G 更新前 D 的更新次数", range=_int(1, 20), live=True, widget="integer", row="run")
    g_steps: int = _setting(
        1, "G steps per D step", "每步 D 对应的 G 步数", "G updates after the n_critic D updates of each step",
        "每一步在 n_critic 次 D 更新之后 G 的更新次数", range=_int(1, 20), live=True, widget="integer", row="run")
    seed: int = _setting(
        0, "Seed", "随机种子", "seeds the weights, z and the data order: the same seed repeats a run on the CPU",
        "决定初始权重、z 和数据顺序：在 CPU 上相同的种子会重现同一次训练", range=_int(0, 2**31 - 1),
        widget="integer", row="run")
    g_width: int = _setting(
        16, "Width of G", "G 的宽度", "hidden units of G's first layer (MLP) or its base channels (DCGAN)",
        "G 第一层的隐藏单元数（MLP）或基础通道数（DCGAN）", range=_int(4, 2048), widget="integer", row="width",
        advanced=True)
    d_width: int = _setting(
        16, "Width of D", "D 的宽度", "hidden units of D's first layer (MLP) or its base channels (DCGAN)",
        "D 第一层的隐藏单元数（MLP）或基础通道数（DCGAN）", range=_int(4, 2048), widget="integer", row="width",
        advanced=True)
    g_hidden: str = _setting(
        "", "G's hidden layers (MLP)", "G 的隐藏层（MLP）",
        "neurons per hidden layer, 1 to 4 layers, e.g. 128,128; empty: three layers made from the width",
        "每个隐藏层的神经元数，1 到 4 层，例如 128,128；留空：由宽度得出的三层", widget="text", row="layers",
        advanced=True)
    d_hidden: str = _setting(
        "", "D's hidden layers (MLP)", "D 的隐藏层（MLP）",
        "neurons per hidden layer, 1 to 4 layers, e.g. 128,128; empty: three layers made from the width",
        "每个隐藏层的神经元数，1 到 4 层，例如 128,128；留空：由宽度得出的三层", widget="text", row="layers",
        advanced=True)
    g_activation: str = _setting(
        "relu", "G's activation (MLP)", "G 的激活函数（MLP）", "the nonlinearity after each hidden layer of G",
        "G 每个隐藏层之后的非线性函数", choices=ACTIVATIONS, widget="dropdown", row="activation", advanced=True)
    d_activation: str = _setting(
        "leaky_relu", "D's activation (MLP)", "D 的激活函数（MLP）",
        "the nonlinearity after each hidden layer of D (leaky_relu: slope 0.2)",
        "D 每个隐藏层之后的非线性函数（leaky_relu：斜率 0.2）", choices=ACTIVATIONS, widget="dropdown",
        row="activation", advanced=True)
    optimizer: str = _setting(
        "adam", "Optimizer", "优化器", "adam, or sgd: SGD with momentum β1 (for G and D)",
        "adam，或 sgd：动量为 β1 的 SGD（G 和 D 都用）", choices=OPTIMIZERS, widget="dropdown", row="optim",
        advanced=True)
    noise: str = _setting(
        "gaussian", "Noise z", "噪声 z", "the prior of z: gaussian N(0, I) or uniform in [−1, 1]",
        "z 的先验分布：高斯 N(0, I) 或 [−1, 1] 上的均匀分布", choices=NOISES, widget="dropdown", row="optim",
        advanced=True)
    gp_lambda: float = _setting(
        10.0, "WGAN-GP λ (gradient penalty)", "WGAN-GP λ（梯度惩罚）",
        "weight of WGAN-GP's gradient penalty (wgan_gp only; Gulrajani et al. 2017 use 10)",
        "WGAN-GP 梯度惩罚的权重（仅 wgan_gp；Gulrajani 等 2017 用 10）", range=_num(0.0, 1000.0), live=True,
        widget="number", row="penalty", advanced=True)
    r1_gamma: float = _setting(
        0.0, "R1 γ (0 = off)", "R1 γ（0 = 关闭）", "weight of the R1 penalty on D's gradient at real data (any loss)",
        "对 D 在真实数据处梯度的 R1 惩罚权重（任何损失）", range=_num(0.0, 1000.0), live=True, widget="number",
        row="penalty", advanced=True)
    r1_every: int = _setting(
        1, "R1 every N D steps (lazy R1)", "每 N 次 D 更新计算一次 R1（惰性 R1）",
        "compute R1 on every N-th D update only, weighted by N (StyleGAN2's lazy regularisation)",
        "只在每第 N 次 D 更新时计算 R1，并乘以 N（StyleGAN2 的惰性正则化）", range=_int(1, 64), live=True,
        widget="integer", row="penalty", advanced=True)
    g_ema: float = _setting(
        0.0, "Average of G's weights, decay (0 = off)", "G 权重的滑动平均衰减（0 = 关闭）",
        "decay of a moving average of G's weights; the average is what is shown, explored and saved",
        "G 权重滑动平均的衰减；显示、探索和保存的都是这个平均", range=_num(0.0, 1.0, True, False),
        widget="number", row="schedule", advanced=True)
    lr_decay: float = _setting(
        0.0, "Learning-rate decay: last share of a timed run (0 = off)", "学习率衰减：定时训练的最后占比（0 = 关闭）",
        "over this last share of a run of known length, the learning rates fall linearly to 0",
        "在已知长度的训练的最后这一段里，学习率线性降到 0", range=_num(0.0, 1.0), live=True, widget="number",
        row="schedule", advanced=True)
    conditional: bool = _setting(
        False, "Class-conditional G and D (labelled data)", "类别条件 G 与 D（需要带标签的数据）",
        "G takes a class label beside z, and D judges the pair (labelled datasets only)",
        "G 在 z 之外还接收类别标签，D 判断二者是否相符（仅限带标签的数据集）", widget="checkbox", row="flags",
        advanced=True)
    bf16: bool = _setting(
        False, "bfloat16 autocast (faster on a recent GPU)", "bfloat16 自动混合精度（在较新的 GPU 上更快）",
        "forward passes under bfloat16 autocast; backward passes and the losses stay float32",
        "前向计算使用 bfloat16 自动混合精度；反向传播与损失保持 float32", live=True, widget="checkbox",
        row="flags", advanced=True)
    image_size: int = _setting(
        28, "Image size (pixels)", "图像尺寸（像素）", "side of the square images; the data are resized to it",
        "正方形图像的边长；数据会缩放到这个尺寸", choices=IMAGE_SIZES, widget="dropdown", row="image",
        advanced=True)
    channels: int = _setting(
        1, "Channels (1 grey, 3 colour)", "通道数（1 灰度，3 彩色）", "1 (grey) or 3 (RGB); the data are converted",
        "1（灰度）或 3（RGB）；数据会随之转换", choices=CHANNELS, widget="dropdown", row="image", advanced=True)
    device: str = _setting(
        "auto", "Device", "设备", "where training runs: auto picks cuda, then mps, then the CPU",
        "训练在哪里进行：auto 依次选择 cuda、mps、CPU", choices=DEVICES,
        page_note="the server picks the device for everyone")
    n_fixed: int = _setting(
        64, "Samples in the grid", "网格中的样本数", "how many fixed_z samples the saved grid shows",
        "保存的网格显示多少个 fixed_z 样本", range=_int(1, 256), page_note="the page's grid size is fixed")
    data_path: str = _setting(
        "", "Data path", "数据路径", "folder or .zip of images (dataset folder), or a .npy of points (dataset drawn)",
        "图像文件夹或 .zip（数据集 folder），或点的 .npy（数据集 drawn）",
        page_note="the page takes an upload (dataset folder) or a drawing (dataset drawn) instead")

    def __post_init__(self) -> None:
        for name, setting in SETTINGS.items():  # each field by its Setting, in the controls' order
            value = getattr(self, name)
            if setting.choices is not None:
                _check_choice(name, value, setting.choices)
            elif setting.range is not None:
                check_range(name, value)
                object.__setattr__(self, name, int(value) if setting.integer else float(value))
            elif setting.type == "bool" and not isinstance(value, bool):
                raise ConfigError(name, "not_bool", f"{name}={value!r} is not allowed: it must be True or False",
                                  value=value)
            elif name in ("g_hidden", "d_hidden"):
                object.__setattr__(self, name, ",".join(map(str, hidden_layers(name, value))))
        if self.dataset == "folder" and not self.data_path:
            raise ConfigError("data_path", "needs_data_path", "dataset='folder' needs data_path: a folder or .zip of "
                              "images", dataset=self.dataset)
        if self.dataset == "drawn" and not self.data_path:
            raise ConfigError("data_path", "needs_data_path", "dataset='drawn' needs data_path: a .npy of (N, 2) "
                              "points (see ganapp.gan.points2d.save_drawing)", dataset=self.dataset)
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
    def g_layers(self) -> tuple[int, ...]:
        """G's hidden layer sizes from ``g_hidden`` (an MLP's), () for the classic layers made from g_width."""
        return hidden_layers("g_hidden", self.g_hidden)

    @property
    def d_layers(self) -> tuple[int, ...]:
        """D's hidden layer sizes from ``d_hidden`` (an MLP's), () for the classic layers made from d_width."""
        return hidden_layers("d_hidden", self.d_hidden)

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
        if dataset in ("mnist", "mnist_10k"):  # lazy R1 (every 8th D step) and lr 1e-3 with β = (0, 0.99) as in
            # StyleGAN2, and the lr decay over a timed run's last 30%, gave the best FD and class balance in a few
            # minutes on a 2-core CPU (benchmarks/README.md, "Quality on MNIST, judged offline")
            base.update(lr_g=1e-3, lr_d=1e-3, beta1=0.0, beta2=0.99, r1_gamma=3.0, r1_every=8, lr_decay=0.3)
        if dataset == "ring8":  # G's clusters of the 8 tight modes (std 0.01) jitter; a light lazy R1 and the decay
            # over the last 30% put more samples on a mode than the plain settings (benchmarks/README.md, "Quality on
            # the 2D benchmarks"). β (0, 0.99) did as well but scattered G over the first few thousand steps, which
            # the live view shows
            base.update(r1_gamma=0.03, r1_every=8, lr_decay=0.3)
        if dataset == "grid25":  # R1 keeps D smooth enough for G to reach all 25 modes; the lr decay over the last
            base.update(r1_gamma=0.1, lr_decay=0.3)  # 30% settles G's points onto them (benchmarks/README.md)
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


def _settings() -> dict[str, Setting]:
    out = {}
    for f in dataclasses.fields(GANConfig):
        if "setting" not in f.metadata:
            raise TypeError(f"GANConfig.{f.name} has no Setting in its metadata: every field needs one")
        out[f.name] = dataclasses.replace(f.metadata["setting"], name=f.name, type=str(f.type))
    return out


# Every setting, in the Train tab's order (GANConfig's field order).
SETTINGS: dict[str, Setting] = _settings()
# Numeric fields: (low, high, low_inclusive, high_inclusive, integer). The UI reads this table too, so its messages
# name the same ranges as the library's.
RANGES: dict[str, Range] = {n: s.range for n, s in SETTINGS.items() if s.range}
# Fields that a running Trainer can take without rebuilding its networks (see Trainer.update).
LIVE_FIELDS = tuple(n for n, s in SETTINGS.items() if s.live)
# The settings the Train tab shows, in its order; the command line's flags.
PAGE_FIELDS = tuple(n for n, s in SETTINGS.items() if s.widget)
CLI_FIELDS = tuple(n for n, s in SETTINGS.items() if s.cli)
