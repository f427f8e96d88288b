"""How much memory a run of a config takes, estimated from the config alone, before anything is built: a host's
limit (:class:`ganapp.host.limits.Limits`' ``max_model_mb``) refuses a model at once instead of after minutes of
allocating.

G and D are built on PyTorch's ``meta`` device, which records shapes and allocates nothing, so even a width-2048
DCGAN at 64 px costs milliseconds; one forward pass of a single sample on that device counts each layer's output.
The estimate, in float32 bytes (4 per number), is

    4 · [ 4·(P_G + P_D)                    weights, their gradients, and Adam's two moments
          + (1 + e + S)·P_G                copies of G: the readers' published G, the moving average (e = 1 when
                                           g_ema > 0), and up to S = 24 time-lapse snapshots kept over a run
          + 2·B·(A_G + (2 + r)·A_D) ]      activations at batch size B: G's once, D's on the real and the fake
                                           batch, and once more (r = 1) for R1's or WGAN-GP's double backward;
                                           ×2 for the gradients flowing back through them

with P the parameters and buffers of a network, and A its layers' outputs for one sample (in-place activations
excluded: they reuse their input). The data themselves (the dataset's images as uint8) are not the model's and are
not counted. ``tests/security/test_security_memory.py`` checks the estimate against the peak memory of real
training steps.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch
from torch import nn

from .config import GANConfig
from .models import build_discriminator, build_generator, sample_shape

BYTES_PER_NUMBER = 4  # float32 weights, moments and activations
G_COPIES = 24 + 1  # the time-lapse snapshots a run keeps (ganapp.run.publisher.MAX_G_SNAPSHOTS) and the readers' G
MB = 1024 * 1024


@dataclass(frozen=True)
class ModelMemory:
    """A run's memory, estimated (see the module's formula), in MB.

    Attributes:
        params_g, params_d: parameters and buffers of G and D, in numbers.
        activations_g, activations_d: the layers' outputs for one sample, in numbers.
        weights_mb: weights, gradients and Adam's moments of G and D.
        copies_mb: the copies of G the run keeps (readers', moving average, time-lapse snapshots).
        activations_mb: one training step's activations and their gradients at the batch size.
    """

    params_g: int
    params_d: int
    activations_g: int
    activations_d: int
    weights_mb: float
    copies_mb: float
    activations_mb: float

    @property
    def total_mb(self) -> float:
        """All of it, in MB."""
        return self.weights_mb + self.copies_mb + self.activations_mb

    @property
    def g_copy_mb(self) -> float:
        """One copy of G's weights, in MB."""
        return BYTES_PER_NUMBER * self.params_g / MB

    @property
    def step_mb(self) -> float:
        """What one training step holds at its peak (weights, moments and activations; no copies of G), in MB."""
        return self.weights_mb + self.activations_mb


def _count(module: nn.Module) -> int:
    return sum(t.numel() for t in module.state_dict().values())


def _outputs(module: nn.Module, *inputs: torch.Tensor) -> int:
    """Numbers in the outputs of ``module``'s layers for ``inputs`` (on the meta device), in-place layers excluded."""
    total = [0]

    def hook(layer: nn.Module, args: tuple, out: object) -> None:
        if isinstance(out, torch.Tensor) and not getattr(layer, "inplace", False):
            total[0] += out.numel()

    layers = [m for m in module.modules() if not list(m.children())]
    handles = [m.register_forward_hook(hook) for m in layers]
    try:
        with torch.no_grad():
            module(*inputs)
    finally:
        for h in handles:
            h.remove()
    return total[0]


# The fields that shape G and D (the rest of a config, learning rates or the seed, changes no tensor's size).
SHAPE_FIELDS = ("dataset", "model", "loss", "z_dim", "g_width", "d_width", "g_hidden", "d_hidden", "conditional",
                "image_size", "channels")


@functools.lru_cache(maxsize=256)
def _shape_costs(shape: tuple) -> tuple[int, int, int, int]:
    """(P_G, P_D, A_G, A_D) of the networks of a config with the SHAPE_FIELDS values ``shape``."""
    config = GANConfig(**dict(zip(SHAPE_FIELDS, shape)), data_path="-")  # a folder's or drawing's path shapes nothing
    y = torch.zeros(1, dtype=torch.int64) if config.conditional else None
    with torch.device("meta"):
        G, D = build_generator(config).eval(), build_discriminator(config).eval()  # one sample: no batch statistics
        a_g = _outputs(G, torch.empty(1, config.z_dim), y)
        a_d = _outputs(D, torch.empty(1, *sample_shape(config)), y)
    return _count(G), _count(D), a_g, a_d


def model_memory(config: GANConfig) -> ModelMemory:
    """The memory a run of ``config`` takes, estimated without building anything (see the module's formula).

    Returns:
        A :class:`ModelMemory`; its ``total_mb`` is what a host's ``max_model_mb`` is compared with.
    """
    p_g, p_d, a_g, a_d = _shape_costs(tuple(getattr(config, f) for f in SHAPE_FIELDS))
    double_backward = 1 if config.r1_gamma > 0 or (config.loss == "wgan_gp" and config.gp_lambda > 0) else 0
    weights = 4 * (p_g + p_d)
    copies = (G_COPIES + (1 if config.g_ema > 0 else 0)) * p_g
    activations = 2 * config.batch_size * (a_g + (2 + double_backward) * a_d)
    return ModelMemory(p_g, p_d, a_g, a_d, *(BYTES_PER_NUMBER * n / MB for n in (weights, copies, activations)))


def round_mb(mb: float) -> int:
    """An estimate as a whole number of MB for a message (at least 1)."""
    return max(1, math.ceil(mb))
