"""GAN losses as pure functions of D's logits, chosen by name from :data:`LOSSES`, and the two gradient penalties.

Each loss is a pair: ``d_loss(real_logits, fake_logits)`` and ``g_loss(fake_logits)``, both taking float tensors of
shape (B,) and returning a scalar tensor. For the sigmoid losses D(x) = σ(real_logits) and D(G(z)) = σ(fake_logits)
are probabilities that x is real; for the others D's raw output is a score. Every log-sigmoid is written with
``softplus`` (log σ(l) = −softplus(−l), log(1 − σ(l)) = −softplus(l)), which stays finite for any finite logit.

The penalties need D itself, not only its logits, so they are separate functions the trainer adds to D's loss:
:func:`gradient_penalty` (WGAN-GP) and :func:`r1_penalty` (R1, usable with any loss).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn


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


def lsgan_d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Least-squares D loss: ½E[(D(x) − 1)²] + ½E[D(G(z))²].

    Mao et al. 2017, "Least Squares Generative Adversarial Networks", Eq. 2 with a = 0 (fake), b = 1 (real). D's raw
    output is the score; at equilibrium D(x) = D(G(z)) = 0.5.
    """
    return 0.5 * (real_logits - 1).pow(2).mean() + 0.5 * fake_logits.pow(2).mean()


def lsgan_g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Least-squares G loss: ½E[(D(G(z)) − 1)²] (Mao et al. 2017, Eq. 2 with c = 1)."""
    return 0.5 * (fake_logits - 1).pow(2).mean()


def hinge_d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Hinge D loss: E[max(0, 1 − D(x))] + E[max(0, 1 + D(G(z)))].

    Lim & Ye 2017, "Geometric GAN"; in the form of Miyato et al. 2018, "Spectral Normalization for GANs", Eq. 16.
    """
    return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()


def critic_g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """G loss of the hinge and Wasserstein GANs: −E[D(G(z))] (Miyato et al. 2018, Eq. 17; Arjovsky et al. 2017,
    Eq. 3; Gulrajani et al. 2017, Algorithm 1, line 11)."""
    return -fake_logits.mean()


def wgan_d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Wasserstein critic loss without its penalty: E[D(G(z))] − E[D(x)].

    Arjovsky et al. 2017, "Wasserstein GAN", Eq. 3; Gulrajani et al. 2017, "Improved Training of Wasserstein GANs",
    Eq. 3 adds λ·:func:`gradient_penalty`. The critic's scores are unbounded: they are not probabilities.
    """
    return fake_logits.mean() - real_logits.mean()


def _grad_norms(D: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """‖∇ₓ D(x)‖₂ per sample, (B,), with the graph kept so the penalty can be back-propagated."""
    x = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x).sum(), x, create_graph=True)
    return grad.flatten(1).norm(2, dim=1)


def gradient_penalty(D: nn.Module, real: torch.Tensor, fake: torch.Tensor, generator: torch.Generator | None = None
                     ) -> torch.Tensor:
    """WGAN-GP's penalty E_x̂[(‖∇_x̂ D(x̂)‖₂ − 1)²], x̂ = εx + (1 − ε)G(z), ε ~ U[0, 1] per sample.

    Gulrajani et al. 2017, "Improved Training of Wasserstein GANs", Eq. 3 and Algorithm 1 (lines 4-7); multiply by λ.

    Args:
        D: the critic, (B, *shape) → (B,).
        real, fake: (B, *shape) float batches on the same device.
        generator: source of ε (for reproducibility).
    Returns:
        Scalar tensor ≥ 0.
    """
    eps = torch.rand((real.shape[0],) + (1,) * (real.ndim - 1), generator=generator, device=real.device,
                     dtype=real.dtype)
    x_hat = eps * real.detach() + (1 - eps) * fake.detach()
    return (_grad_norms(D, x_hat) - 1).pow(2).mean()


def r1_penalty(D: nn.Module, real: torch.Tensor) -> torch.Tensor:
    """R1 penalty E_x[‖∇ₓ D(x)‖²] on real data; multiply by γ/2.

    Mescheder et al. 2018, "Which Training Methods for GANs do actually Converge?", Eq. 9.
    """
    return _grad_norms(D, real).pow(2).mean()


@dataclass(frozen=True)
class Loss:
    """A named GAN loss.

    Attributes:
        d_loss: (real_logits (B,), fake_logits (B,)) → scalar loss D minimises.
        g_loss: fake_logits (B,) → scalar loss G minimises.
        probabilities: True when σ(logit) is a probability that x is real, so D(x) and D(G(z)) are shown as such;
            False when D's raw output is a score (a critic), shown unchanged.
        formula_tex: the objective in LaTeX, as rendered in the app.
        equilibrium: the value D(x) and D(G(z)) both reach when G matches the data, or None when there is none.
        gradient_penalty: True for WGAN-GP, whose D loss adds λ·gradient_penalty.
    """

    d_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    g_loss: Callable[[torch.Tensor], torch.Tensor]
    probabilities: bool
    formula_tex: str
    equilibrium: float | None = 0.5
    gradient_penalty: bool = False

    def score(self, logits: torch.Tensor) -> torch.Tensor:
        """D's output as the app shows it, elementwise: σ(logit) in (0, 1) for the losses with ``probabilities``,
        the raw score otherwise. Any shape; same shape back."""
        return torch.sigmoid(logits) if self.probabilities else logits


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
    "lsgan": Loss(
        lsgan_d_loss, lsgan_g_loss, False,
        r"\min_D \; \tfrac12\mathbb{E}_{x}[(D(x)-1)^2] + \tfrac12\mathbb{E}_{z}[D(G(z))^2], \quad "
        r"\min_G \; \tfrac12\mathbb{E}_{z}[(D(G(z))-1)^2]",
    ),
    "hinge": Loss(
        hinge_d_loss, critic_g_loss, False,
        r"\min_D \; \mathbb{E}_{x}[\max(0, 1-D(x))] + \mathbb{E}_{z}[\max(0, 1+D(G(z)))], \quad "
        r"\min_G \; -\mathbb{E}_{z}[D(G(z))]",
        equilibrium=None,
    ),
    "wgan_gp": Loss(
        wgan_d_loss, critic_g_loss, False,
        r"\min_D \; \mathbb{E}_{z}[D(G(z))] - \mathbb{E}_{x}[D(x)] + "
        r"\lambda\,\mathbb{E}_{\hat x}[(\lVert\nabla_{\hat x} D(\hat x)\rVert_2 - 1)^2], \quad "
        r"\min_G \; -\mathbb{E}_{z}[D(G(z))]",
        equilibrium=None, gradient_penalty=True,
    ),
}

R1_TEX = r"+ \tfrac{\gamma}{2}\,\mathbb{E}_{x}[\lVert\nabla_x D(x)\rVert^2]"


def get_loss(name: str) -> Loss:
    """The :class:`Loss` called ``name``. Raises ``ValueError`` naming the choices when it is unknown."""
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(f"loss={name!r} is not allowed: choose one of {', '.join(LOSSES)}") from None
