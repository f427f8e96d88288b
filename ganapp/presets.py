"""The classroom preset: the sizes a 2D run takes while a whole class shares the server. The lessons' settings are
in :mod:`ganapp.lessons`.
"""

from __future__ import annotations

from typing import Any

from .config import GANConfig

# The sizes of a 2D run while a class shares the server (the registry's classroom mode). Measured on 2 cores (README,
# "Many users, one server"): 30 ring8 runs stacked into one step take 18 steps/s each at width 128 and batch 256,
# the single-visitor default, and 92 steps/s each at width 64 and batch 128; a width-64, batch-128 ring8 run covers
# all 8 modes in 7,000 steps (66.7% high quality without the lr decay). Width 32 also covered 8, with reverse KL 0.45.
CLASSROOM_2D: dict[str, Any] = {"g_width": 64, "d_width": 64, "batch_size": 128}


def classroom_config(config: GANConfig) -> GANConfig:
    """``config`` with :data:`CLASSROOM_2D`'s sizes when it is a 2D run at its dataset's default sizes; otherwise
    ``config`` unchanged (images, or sizes a visitor chose)."""
    if not config.is_2d:
        return config
    default = GANConfig.default_for(config.dataset, data_path=config.data_path or "-")
    if any(getattr(config, k) != getattr(default, k) for k in CLASSROOM_2D):
        return config
    return config.replace(**CLASSROOM_2D)
