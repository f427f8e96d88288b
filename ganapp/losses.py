"""GAN losses as pure functions of D's logits, chosen by name from :data:`LOSSES`.

Each loss is a pair: ``d_loss(real_logits, fake_logits)`` and ``g_loss(fake_logits)``, both taking float tensors of
shape (B,) and returning a scalar tensor. D(x) = σ(real_logits) and D(G(z)) = σ(fake_logits) are probabilities that x
is real. Every log-sigmoid is written with ``softplus`` (log σ(l) = −softplus(−l), log(1 − σ(l)) = −softplus(l)),
which stays finite for any finite logit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F


def minimax_d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """D's side of the minimax game: −(E[log D(x)] + E[log(1 − D(G(z)))]).

    Goodfellow et al. 2014, "Generative Adversarial Nets", Eq. 1: min_G max_D V(D, G) with
    V = E_x[log D(x)] + E_z[log(1 − D(G(z)))]. D ascends V, so its loss is −V.
    Shared by both sigmoid losses here (the non-saturating trick changes only G's loss).
    """
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def minimax_g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """G's side of the minimax game, exactly as in Eq. 1: E[log(1 − D(G(z)))], which G minimises.

    Goodfellow et al. 2014, Eq. 1. Its gradient vanishes when D confidently rejects fakes (D(G(z)) ≈ 0), which is
    why it "saturates" early in training (Sec. 3).
    """
    return -F.softplus(fake_logits).mean()


def non_saturating_g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The non-saturating G loss: −E[log D(G(z))], which G minimises.

    Goodfellow et al. 2014, Sec. 3: "Rather than training G to minimize log(1 − D(G(z))) we can train G to maximize
    log D(G(z))", which gives much stronger gradients early in learning. Same fixed point as the minimax game.
    """
    return F.softplus(-fake_logits).mean()


@dataclass(frozen=True)
class Loss:
    """A named GAN loss.

    Attributes:
        d_loss: (real_logits (B,), fake_logits (B,)) → scalar loss D minimises.
        g_loss: fake_logits (B,) → scalar loss G minimises.
        probabilities: True when σ(logit) is a probability that x is real, so D(x) and D(G(z)) are shown as such.
        formula_tex: the objective in LaTeX, as rendered in the app.
    """

    d_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    g_loss: Callable[[torch.Tensor], torch.Tensor]
    probabilities: bool
    formula_tex: str


LOSSES: dict[str, Loss] = {
    "minimax": Loss(
        minimax_d_loss, minimax_g_loss, True,
        r"\min_G \max_D \; \mathbb{E}_{x}[\log D(x)] + \mathbb{E}_{z}[\log(1 - D(G(z)))]",
    ),
    "non_saturating": Loss(
        minimax_d_loss, non_saturating_g_loss, True,
        r"\max_D \; \mathbb{E}_{x}[\log D(x)] + \mathbb{E}_{z}[\log(1 - D(G(z)))], \quad "
        r"\max_G \; \mathbb{E}_{z}[\log D(G(z))]",
    ),
}


def get_loss(name: str) -> Loss:
    """The :class:`Loss` called ``name``. Raises ``ValueError`` naming the choices when it is unknown."""
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(f"loss={name!r} is not allowed: choose one of {', '.join(LOSSES)}") from None
