"""Checkpoints as safetensors files: G's (and optionally D's) weights, with the config, step and dataset in the
metadata, so that a checkpoint alone rebuilds its G. Writes are atomic; loading never unpickles anything.
"""

from __future__ import annotations

import functools
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save as safetensors_save
from torch import nn

from .config import DATASETS, GANConfig
from .models import build_discriminator, build_generator

FORMAT = "ganapp-checkpoint"
VERSION = "1"
MAX_BYTES = 512 * 1024 * 1024
# The shipped generators and the MNIST classifier: the repository's top-level checkpoints/ folder.
CHECKPOINT_DIR = Path(__file__).resolve().parents[2] / "checkpoints"


class CheckpointError(ValueError):
    """A file is not a usable ganapp checkpoint.

    Attributes:
        reason: a stable key for the UI's translated message: ``missing``, ``too_large``, ``not_safetensors``,
            ``not_ganapp``, ``bad_config``, ``bad_step``, ``bad_weights`` or ``non_finite``.
    """

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason

    def __reduce__(self):  # pickled whole (see ganapp.gan.config.ConfigError.__reduce__)
        return type(self), (self.reason, str(self))


@dataclass
class Checkpoint:
    """A loaded checkpoint.

    Attributes:
        G: the generator, in eval mode, on the CPU, with gradients off.
        config: the config it was trained with.
        step: G updates done when it was saved.
        dataset: name of the training dataset.
        d_state: D's state dict when it was saved, else None.
        fixed_z: the run's (n_fixed, z_dim) fixed_z when saved, else None.
    """

    G: nn.Module
    config: GANConfig
    step: int
    dataset: str
    d_state: dict[str, torch.Tensor] | None = None
    fixed_z: torch.Tensor | None = None


def save_checkpoint(path: str | Path, G: nn.Module, config: GANConfig, step: int, D: nn.Module | None = None,
                    fixed_z: torch.Tensor | None = None) -> Path:
    """Write G (and D, fixed_z when given) to ``path`` atomically: a temporary file in the same folder is written,
    flushed to disk, then renamed over ``path``, so a reader never sees a half-written checkpoint.

    Returns:
        The path written.
    Raises:
        OSError: the folder is not writable (nothing is left behind).
    """
    parts = checkpoint_parts(G.state_dict(), config, step, D.state_dict() if D is not None else None, fixed_z)
    return write_atomic(path, safetensors_save(*parts))


def checkpoint_parts(g_state: dict[str, torch.Tensor], config: GANConfig, step: int,
                     d_state: dict[str, torch.Tensor] | None = None, fixed_z: torch.Tensor | None = None,
                     dataset: str | None = None) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """A checkpoint as safetensors holds it: (tensors ``G.*``, ``D.*`` and ``fixed_z``, copied to the CPU; string
    metadata with the format, version, config, step and ``dataset``, the config's when None). The inverse of
    :func:`checkpoint_from_parts`."""
    tensors = {f"G.{k}": v.detach().cpu().contiguous().clone() for k, v in g_state.items()}
    tensors.update({f"D.{k}": v.detach().cpu().contiguous().clone() for k, v in (d_state or {}).items()})
    if fixed_z is not None:
        tensors["fixed_z"] = fixed_z.detach().cpu().contiguous().clone()
    metadata = {"format": FORMAT, "version": VERSION, "config": json.dumps(config.to_dict()), "step": str(int(step)),
                "dataset": dataset if dataset is not None else config.dataset}
    return tensors, metadata


def json_plain(value: Any) -> Any:
    """``json.dumps``'s ``default`` for saved state: NumPy and torch scalars and arrays as Python numbers and lists.

    Raises:
        TypeError: ``value`` is neither (as ``json.dumps`` expects of a ``default``).
    """
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def write_atomic(path: str | Path, blob: bytes) -> Path:
    """Write ``blob`` to ``path`` atomically: a temporary file in the same folder is written, flushed to disk, then
    renamed over ``path``, so a reader sees the old file or the new one, never half of one.

    Raises:
        OSError: the folder is not writable (nothing is left behind).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")  # same folder: the rename is atomic
    try:
        with open(tmp, "xb") as f:  # unlike mkstemp's 0600, this honours the umask like any saved file
            f.write(blob)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_safetensors(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Every tensor of a safetensors file (on the CPU) and its metadata; never unpickles.

    Raises:
        safetensors.SafetensorError, OSError, ValueError, RuntimeError: the file is unreadable or not safetensors.
    """
    with safe_open(str(path), framework="pt", device="cpu") as f:
        return {k: f.get_tensor(k) for k in f.keys()}, f.metadata() or {}


def list_checkpoints(folder: str | Path = CHECKPOINT_DIR) -> list[Path]:
    """The ganapp checkpoints in ``folder`` (not its other safetensors files, such as the MNIST classifier), sorted
    by name. Reads only each file's header."""
    found = []
    for path in sorted(Path(folder).glob("*.safetensors")):
        try:
            with safe_open(str(path), framework="pt", device="cpu") as f:
                if (f.metadata() or {}).get("format") == FORMAT:
                    found.append(path)
        except (SafetensorError, OSError):
            continue
    return found


# ----- checking a file before it costs anything -----
#
# A checkpoint is a visitor's file: its metadata may claim a model of any size, its JSON may nest without end, and
# its weights may be NaN. Everything that can be checked from the header (the metadata, and each tensor's dtype and
# shape against the networks the config builds) is checked before a tensor is read, and the weights are checked for
# non-finite values before any network uses them.

MAX_STEP = 10**12  # the largest step a checkpoint may claim: below 2**53, so every page and JSON reader holds it
MAX_CONFIG_CHARS = 16_384  # a config's JSON is about 600 characters
MAX_FIXED_Z = 256  # rows of fixed_z (the config's n_fixed range)
_STEP = re.compile(r"[0-9]{1,13}")
# safetensors' names of the dtypes a ganapp checkpoint holds
_DTYPE_NAMES = {torch.float32: "F32", torch.int64: "I64"}

Shapes = dict[str, tuple[str, tuple[int, ...]]]  # tensor name -> (safetensors dtype name, shape)


@functools.lru_cache(maxsize=64)
def network_shapes(config: GANConfig) -> Shapes:
    """Every tensor of the state dicts of ``config``'s G and D, as ``G.<name>`` and ``D.<name>`` → (dtype name as
    safetensors writes it, e.g. ``"F32"``; shape). The networks are built on the ``meta`` device, which allocates
    and initialises nothing, so a claimed width-2048 DCGAN at 64 px costs milliseconds."""
    with torch.device("meta"):
        nets = (("G", build_generator(config)), ("D", build_discriminator(config)))
    return {f"{net}.{k}": (_DTYPE_NAMES.get(v.dtype, str(v.dtype)), tuple(v.shape))
            for net, module in nets for k, v in module.state_dict().items()}


def tensor_shapes(tensors: dict[str, torch.Tensor]) -> Shapes:
    """Each tensor's (dtype name as safetensors writes it, shape), as :func:`read_header` gives them for a file."""
    return {k: (_DTYPE_NAMES.get(v.dtype, str(v.dtype)), tuple(v.shape)) for k, v in tensors.items()}


def read_header(path: str | Path) -> tuple[dict[str, str], Shapes]:
    """A safetensors file's metadata and each tensor's (dtype name, shape), from its header alone: no tensor is
    read.

    Raises:
        CheckpointError: ``missing``, ``too_large`` (over MAX_BYTES) or ``not_safetensors``.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError("missing", f"checkpoint {path} does not exist")
    if path.stat().st_size > MAX_BYTES:
        raise CheckpointError("too_large", f"checkpoint {path.name} is over {MAX_BYTES // 2**20} MB")
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            metadata = f.metadata() or {}
            shapes = {}
            for k in f.keys():
                part = f.get_slice(k)
                shapes[k] = (str(part.get_dtype()), tuple(int(n) for n in part.get_shape()))
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise CheckpointError(
            "not_safetensors",
            f"{path.name} is not a safetensors file ({e}); ganapp loads only .safetensors checkpoints and never "
            f"unpickles .pt/.pth files") from None
    return metadata, shapes


def check_metadata(metadata: dict[str, str], name: str) -> tuple[GANConfig, int, str]:
    """The config, step and dataset a checkpoint's metadata claims, each checked: the format, a config that is a
    JSON object of valid settings (at most MAX_CONFIG_CHARS characters), a step that is an integer in
    0..MAX_STEP, and a known dataset. ``name`` names the file in errors.

    Raises:
        CheckpointError: ``not_ganapp``, ``bad_config`` or ``bad_step``.
    """
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT or "config" not in metadata:
        raise CheckpointError("not_ganapp", f"{name} is a safetensors file but not a ganapp checkpoint "
                                            f"(its metadata has no ganapp config)")
    text = metadata["config"]
    if not isinstance(text, str) or len(text) > MAX_CONFIG_CHARS:
        raise CheckpointError("bad_config", f"{name} holds an invalid config: it is not a JSON text of at most "
                                            f"{MAX_CONFIG_CHARS:,} characters")
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            kinds = {list: "an array", str: "a string", type(None): "null", bool: "a boolean"}
            raise TypeError(f"the config is {kinds.get(type(data), 'a number')}, not a JSON object of settings")
        config = GANConfig.from_dict(data)
        if not isinstance(config.data_path, str):  # the one setting without a range or choices
            raise TypeError(f"data_path={str(config.data_path)[:40]!r} is not text")
    except RecursionError:  # JSON nested deeper than the parser goes
        raise CheckpointError("bad_config", f"{name} holds an invalid config: its JSON nests too deeply") from None
    except (ValueError, TypeError, OverflowError) as e:
        detail = str(e) if len(str(e)) <= 300 else str(e)[:300] + "..."
        raise CheckpointError("bad_config", f"{name} holds an invalid config: {detail}") from None
    step_text = metadata.get("step", "0")
    if not isinstance(step_text, str) or not _STEP.fullmatch(step_text) or int(step_text) > MAX_STEP:
        raise CheckpointError("bad_step", f"{name} claims step {str(step_text)[:40]!r}: a checkpoint's step must be "
                                          f"an integer in 0..{MAX_STEP:,}")
    dataset = metadata.get("dataset", config.dataset)
    if dataset not in DATASETS:
        raise CheckpointError("bad_config", f"{name} names an unknown dataset {str(dataset)[:40]!r}")
    return config, int(step_text), dataset


def check_shapes(config: GANConfig, shapes: Shapes, name: str) -> None:
    """Check that the tensors a checkpoint holds (``shapes``: name → (dtype name, shape)) are exactly the state
    dict of ``config``'s G, optionally D's, and optionally a float32 fixed_z of shape (n, z_dim) with n in
    1..MAX_FIXED_Z. Other tensors are ignored (and never read).

    Raises:
        CheckpointError: ``bad_weights``, naming the first tensor that does not fit.
    """
    expected = network_shapes(config)
    for net, required in (("G", True), ("D", False)):
        want = {k: v for k, v in expected.items() if k.startswith(f"{net}.")}
        have = {k: v for k, v in shapes.items() if k.startswith(f"{net}.")}
        if not have and not required:
            continue
        for k in sorted(set(want) | set(have)):
            if want.get(k) != have.get(k):
                raise CheckpointError("bad_weights", f"{name}: its weights do not fit its config's model ({k} is "
                                                     f"{_describe(have.get(k))}, the model's is "
                                                     f"{_describe(want.get(k))})")
    if "fixed_z" in shapes:
        dtype, shape = shapes["fixed_z"]
        if dtype != "F32" or len(shape) != 2 or shape[1] != config.z_dim or not 1 <= shape[0] <= MAX_FIXED_Z:
            raise CheckpointError("bad_weights", f"{name}: its fixed_z is {_describe(shapes['fixed_z'])}, not F32 "
                                                 f"(n, {config.z_dim}) with n in 1..{MAX_FIXED_Z}")


def _describe(entry: tuple[str, tuple[int, ...]] | None) -> str:
    return "missing" if entry is None else f"{entry[0]} {list(entry[1])}"


def check_finite(tensors: dict[str, torch.Tensor], name: str) -> None:
    """Refuse weights with a NaN or an infinity: G's samples would be NaN, and a NaN reaching LAPACK (a matrix square
    root in the Fréchet distance) can crash the process rather than raise.

    Raises:
        CheckpointError: ``non_finite``, naming the first such tensor.
    """
    for k, v in tensors.items():
        if v.is_floating_point() and not bool(torch.isfinite(v).all()):
            raise CheckpointError("non_finite", f"{name}: {k} holds NaN or infinite values; ganapp does not load "
                                                f"weights that are not finite")


def inspect_checkpoint(path: str | Path) -> tuple[GANConfig, int, str]:
    """Check a checkpoint from its header alone, reading no tensor: (config, step, dataset). What
    :func:`load_checkpoint` checks first; it still checks the weights' values.

    Raises:
        CheckpointError: as :func:`load_checkpoint`, but never ``non_finite``.
    """
    path = Path(path)
    metadata, shapes = read_header(path)
    config, step, dataset = check_metadata(metadata, path.name)
    check_shapes(config, shapes, path.name)
    return config, step, dataset


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint`; never unpickles. Its header is checked first (see
    :func:`inspect_checkpoint`), so a file whose metadata lies costs no more than its header; then only G's, D's and
    fixed_z's tensors are read, and checked to be finite, before G is built.

    Raises:
        CheckpointError: the file is missing (``missing``), too large (``too_large``), not safetensors (a pickled
            ``.pt`` file, say; ``not_safetensors``), has no ganapp metadata (``not_ganapp``), holds an invalid config
            (``bad_config``) or step (``bad_step``), weights that do not fit the config's networks
            (``bad_weights``), or weights that are not finite (``non_finite``).
    """
    path = Path(path)
    metadata, shapes = read_header(path)
    config, step, dataset = check_metadata(metadata, path.name)
    check_shapes(config, shapes, path.name)
    wanted = [k for k in shapes if k.startswith(("G.", "D.")) or k == "fixed_z"]
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            tensors = {k: f.get_tensor(k) for k in wanted}
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise CheckpointError("not_safetensors", f"{path.name} could not be read ({e})") from None
    return _assemble(tensors, config, step, dataset, path.name)


def checkpoint_from_parts(tensors: dict[str, torch.Tensor], metadata: dict[str, str], name: str) -> Checkpoint:
    """The :class:`Checkpoint` that :func:`checkpoint_parts` holds (G rebuilt, frozen, on the CPU), checked as
    :func:`load_checkpoint` checks a file. ``name`` names it in errors.

    Raises:
        CheckpointError: ``not_ganapp``, ``bad_config``, ``bad_step``, ``bad_weights`` or ``non_finite``.
    """
    config, step, dataset = check_metadata(metadata, name)
    check_shapes(config, tensor_shapes(tensors), name)
    return _assemble({k: v for k, v in tensors.items() if k.startswith(("G.", "D.")) or k == "fixed_z"}, config,
                     step, dataset, name)


def _assemble(tensors: dict[str, torch.Tensor], config: GANConfig, step: int, dataset: str, name: str) -> Checkpoint:
    """A Checkpoint from checked tensors: refused when not finite; G built on the meta device and given the file's
    tensors (nothing is allocated or initialised twice)."""
    check_finite(tensors, name)
    g_state = {k[2:]: v for k, v in tensors.items() if k.startswith("G.")}
    d_state = {k[2:]: v for k, v in tensors.items() if k.startswith("D.")} or None
    with torch.device("meta"):
        G = build_generator(config)
    G.load_state_dict(g_state, assign=True)  # the shapes were checked: this cannot fail
    return Checkpoint(G.eval().requires_grad_(False), config, step, dataset, d_state, tensors.get("fixed_z"))
