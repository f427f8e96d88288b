"""Checkpoints as safetensors files: G's (and optionally D's) weights, with the config, step and dataset in the
metadata, so that a checkpoint alone rebuilds its G. Writes are atomic; loading never unpickles anything.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save as safetensors_save
from torch import nn

from .config import GANConfig
from .models import build_discriminator, build_generator

FORMAT = "ganapp-checkpoint"
VERSION = "1"
MAX_BYTES = 512 * 1024 * 1024
# The shipped generators and the MNIST classifier: the repository's top-level checkpoints/ folder.
CHECKPOINT_DIR = Path(__file__).resolve().parent.parent / "checkpoints"


class CheckpointError(ValueError):
    """A file is not a usable ganapp checkpoint.

    Attributes:
        reason: a stable key for the UI's translated message: ``missing``, ``too_large``, ``not_safetensors``,
            ``not_ganapp``, ``bad_config`` or ``bad_weights``.
    """

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason

    def __reduce__(self):  # pickled whole (see ganapp.config.ConfigError.__reduce__)
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


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint`; never unpickles.

    Raises:
        CheckpointError: the file is missing, too large, not safetensors (a pickled ``.pt`` file, say), has no ganapp
            metadata, holds an invalid config, or holds weights that do not fit the config's G.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError("missing", f"checkpoint {path} does not exist")
    if path.stat().st_size > MAX_BYTES:
        raise CheckpointError("too_large", f"checkpoint {path.name} is over {MAX_BYTES // 2**20} MB")
    try:
        tensors, metadata = read_safetensors(path)
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise CheckpointError(
            "not_safetensors",
            f"{path.name} is not a safetensors file ({e}); ganapp loads only .safetensors checkpoints and never "
            f"unpickles .pt/.pth files") from None
    return checkpoint_from_parts(tensors, metadata, path.name)


def checkpoint_from_parts(tensors: dict[str, torch.Tensor], metadata: dict[str, str], name: str) -> Checkpoint:
    """The :class:`Checkpoint` that :func:`checkpoint_parts` holds (G rebuilt, frozen, on the CPU; D's weights
    checked against the config's D). ``name`` names it in errors.

    Raises:
        CheckpointError: no ganapp metadata (``not_ganapp``), an invalid config (``bad_config``), or weights that do
            not fit the config's networks (``bad_weights``).
    """
    if metadata.get("format") != FORMAT or "config" not in metadata:
        raise CheckpointError("not_ganapp", f"{name} is a safetensors file but not a ganapp checkpoint "
                                            f"(its metadata has no ganapp config)")
    try:
        config = GANConfig.from_dict(json.loads(metadata["config"]))
        step = int(metadata.get("step", "0"))
    except (ValueError, TypeError) as e:
        raise CheckpointError("bad_config", f"{name} holds an invalid config: {e}") from None
    g_state = {k[2:]: v for k, v in tensors.items() if k.startswith("G.")}
    d_state = {k[2:]: v for k, v in tensors.items() if k.startswith("D.")} or None
    G = build_generator(config)
    try:
        G.load_state_dict(g_state)
        if d_state is not None:
            build_discriminator(config).load_state_dict(d_state)
    except RuntimeError as e:
        first = str(e).strip().splitlines()[0]
        raise CheckpointError("bad_weights", f"{name}: its weights do not fit its config's model ({first})") \
            from None
    fixed_z = tensors.get("fixed_z")
    return Checkpoint(G.eval().requires_grad_(False), config, step, metadata.get("dataset", config.dataset), d_state,
                      fixed_z)
