"""The classic GAN lessons as ready-made settings. Each preset is a dataset and the changes from its defaults that
make the lesson visible in the 2D view within a minute or two on a CPU; the app explains each in English and 简体中文
(``ganapp.ui.i18n``: ``preset_<name>`` and ``preset_<name>_text``).
"""

from __future__ import annotations

from typing import Any

from .config import GANConfig

# The lessons show the plain GAN of the papers they come from: Adam with β = (0.5, 0.999) as in DCGAN (Radford et
# al. 2016) and no R1, whatever a dataset's default adds to train it well (R1 would smooth the very D they show)
CLASSIC: dict[str, Any] = {"beta1": 0.5, "beta2": 0.999, "r1_gamma": 0.0, "lr_decay": 0.0}

PRESETS: dict[str, tuple[str, dict[str, Any]]] = {
    # grid25 without R1, with the saturating minimax loss and a narrow G and D: G crowds onto a few modes at a time
    # and hops between them as D chases it (measured: coverage 6, 16, 16, 15, 21, 9 of 25 at steps 500..3000)
    "mode_collapse": ("grid25", {**CLASSIC, "loss": "minimax", "seed": 1, "g_width": 32, "d_width": 32}),
    # ring8 with the minimax G loss: early on D rejects fakes confidently and log(1 − D(G(z))) saturates; run it
    # side by side with non_saturating to see the difference in the first few hundred steps
    "saturation": ("ring8", {**CLASSIC, "loss": "minimax", "lr_d": 2e-3}),
    # D learns 10× faster and takes 5 steps per G step: its decision map turns into a cliff and G's arrows vanish
    "strong_d": ("ring8", {**CLASSIC, "lr_d": 1e-2, "n_critic": 5}),
    # WGAN-GP: a smooth critic whose gradients point every fake towards the data, even far from it
    "wgan_smooth": ("ring8", {**CLASSIC, "loss": "wgan_gp", "n_critic": 5, "beta1": 0.0, "beta2": 0.9, "lr_d": 1e-3}),
}


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


def preset_config(name: str) -> GANConfig:
    """The config of preset ``name``.

    Raises:
        ValueError: an unknown preset.
    """
    if name not in PRESETS:
        raise ValueError(f"preset={name!r} is not allowed: choose one of {', '.join(PRESETS)}")
    dataset, changes = PRESETS[name]
    return GANConfig.default_for(dataset, **changes)
