"""Where a new run trains on a cluster of engines: :func:`place`, the placement rule, and :func:`shape_key`.

The rule. A new run goes to an engine where a run of its shape (:func:`shape_key`) already trains, so that it joins
that engine's stack (one stacked step for them all, see :mod:`ganapp.engine.stack`); among several such engines, and
when there is none (or the run trains alone, key None), to the least-loaded engine: the fewest runs, ties broken by
the engine's name. :class:`ganapp.service.ray_service.RayService` places every new run, and every run that comes
back from its autosave after its engine died, by this rule.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping

from ..gan.config import GANConfig

__all__ = ["place", "shape_key"]


def shape_key(config: GANConfig) -> Hashable | None:
    """What must agree for two runs to share a stacked step, read from their configs before anything is built: the
    same fields as :func:`ganapp.engine.stack.stack_key` (the data's sample shape by its dataset, image size and
    channels; the model's widths, z_dim, the loss, n_critic, the batch size, whether R1 or the gradient penalty is
    on, the device). None for a run that trains alone (a DCGAN, a conditional model, G's moving average, bf16)."""
    if config.model != "mlp" or config.conditional or config.g_ema > 0 or config.bf16:
        return None
    return (config.dataset, config.image_size, config.channels, config.data_path, config.z_dim, config.g_width,
            config.d_width, config.loss, config.n_critic, config.batch_size, config.r1_gamma > 0,
            config.gp_lambda > 0, config.device)


def place(engines: Mapping[str, tuple[int, Collection[Hashable]]], key: Hashable | None) -> str:
    """The engine a new run of shape ``key`` goes to, by the module's rule.

    Args:
        engines: each live engine's name → (how many runs it holds, the shape keys of those runs).
        key: the new run's :func:`shape_key` (None: it trains alone).
    Raises:
        ValueError: ``engines`` is empty.
    """
    if not engines:
        raise ValueError("engines is empty: there is no engine to place a run on")
    sharing = [name for name, (_, keys) in engines.items() if key is not None and key in keys]
    return min(sharing or engines, key=lambda name: (engines[name][0], name))
