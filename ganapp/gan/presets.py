"""The classroom preset: the sizes a 2D run takes while a whole class shares the server, which runs count as the
class's peers in the engine's share, and which runs may be moved into the class's sizes. The lessons' settings are
in :mod:`ganapp.run.lessons`.
"""

from __future__ import annotations

import functools
from typing import Any

from .config import GANConfig

# The sizes of a 2D run while a class shares the server (the registry's classroom mode): 30 ring8 runs stacked into
# one step train several times faster each at width 64 and batch 128 than at the single-visitor default (width 128,
# batch 256), and a run of these sizes still covers all 8 modes (benchmarks/README.md, "The classroom sizes").
CLASSROOM_2D: dict[str, Any] = {"g_width": 64, "d_width": 64, "batch_size": 128}
# What a step costs, beside the sizes above: two runs that agree on these (and on the sizes) cost the same per step.
COST_FIELDS = ("model", "z_dim", "g_width", "d_width", "g_hidden", "d_hidden", "batch_size", "n_critic", "g_steps",
               "conditional", "g_ema", "bf16")
# A run that has trained less than this (pauses excluded) at the full sizes when the class arrives is young: it is
# moved into the class's sizes (see young_at_full_size). Students arrive over a minute or two, and the classroom mode
# switches on with the 4th page, so the runs started before it have trained for seconds, not minutes.
YOUNG_S = 120.0


def _default(config: GANConfig) -> GANConfig:
    return GANConfig.default_for(config.dataset, data_path=config.data_path or "-")


def classroom_config(config: GANConfig) -> GANConfig:
    """``config`` with :data:`CLASSROOM_2D`'s sizes when it is a 2D run at its dataset's default sizes; otherwise
    ``config`` unchanged (images, or sizes a visitor chose)."""
    if not config.is_2d:
        return config
    default = _default(config)
    if any(getattr(config, k) != getattr(default, k) for k in CLASSROOM_2D):
        return config
    return config.replace(**CLASSROOM_2D)


@functools.lru_cache(maxsize=512)
def peer_class(config: GANConfig) -> str | None:
    """``"2d"`` for a 2D run whose costs (:data:`COST_FIELDS`) are its dataset's defaults, full-size or at the
    classroom sizes; None for anything else (images, sizes or n_critic a visitor chose). Every 2D dataset has the same
    default networks, so these runs are what a class compares: the engine shares the machine among them by steps,
    not by time (see :mod:`ganapp.engine.engine`). Cached: the engine asks once per round and run."""
    if not config.is_2d:
        return None
    default = _default(config)
    for sizes in (default, default.replace(**CLASSROOM_2D)):
        if all(getattr(config, f) == getattr(sizes, f) for f in COST_FIELDS):
            return "2d"
    return None


def young_at_full_size(config: GANConfig, trained_s: float) -> bool:
    """Whether a run may be moved into the class's sizes: a 2D run at its dataset's default sizes (which
    :func:`classroom_config` would shrink) that has trained less than :data:`YOUNG_S` seconds. An older run keeps its
    networks and its progress; the engine's share by steps keeps it from being starved (see :func:`peer_class`)."""
    return trained_s < YOUNG_S and classroom_config(config) is not config and peer_class(config) is not None
