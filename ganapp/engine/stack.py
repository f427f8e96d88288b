"""Many GANs of one shape trained as one: stacked parameters and one vectorised step.

K :class:`~ganapp.gan.trainer.Trainer` s whose networks have the same shape (the same :func:`stack_key`) train together.
Their parameters are stacked along a new leading dimension of size K. Each Linear layer of the K MLPs is one batched
matrix product (``torch.baddbmm``), the grouped-bmm form of ``torch.func.vmap`` over ``functional_call``, with far
fewer Python calls per step than vmap makes: the engine thread's Python time is time no other thread of its process
(the worker's server, or the web server when it trains in-process) can run, and a class's runs all step through
it. One backward of the summed losses gives every member
its own gradients: the members share no parameter, so the sum separates. Adam (or SGD with momentum, the stack's
optimizer) then runs on the stacked tensors (``torch._foreach_*``) with each member's own learning rates, betas (or
momentum) and step counts.

Each member keeps its own data stream, z generator, seed, step count and hyperparameters, so a stacked step gives
each member the update that its lone :meth:`Trainer.train_step` would give (to float tolerance; a test checks it).

While a trainer is in a stack, the stack holds its live weights and Adam moments. :meth:`StackedTrainer.write_back`
copies one member's slice back into its own modules and optimisers, and :meth:`StackedTrainer.read_in` copies them
into the stack again (after a rollback, say). Nothing here knows about threads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import vmap

from ..gan.models import MLPDiscriminator, MLPGenerator
from ..gan.trainer import Trainer

ADAM_EPS = 1e-8  # torch.optim.Adam's default, which Trainer uses


class StackKey(NamedTuple):
    """What must agree for trainers to share a stacked step (see :func:`stack_key`)."""

    sample_shape: tuple[int, ...]
    z_dim: int
    g_width: int
    d_width: int
    loss: str
    n_critic: int
    batch_size: int
    r1: bool  # R1 on (γ > 0): γ and r1_every may differ
    gp: bool  # WGAN-GP's gradient penalty on (λ > 0): λ may differ
    device: str
    g_layers: tuple[int, ...]  # g_hidden's sizes, () for the classic layers of g_width
    d_layers: tuple[int, ...]
    g_activation: str
    d_activation: str
    optimizer: str  # adam or sgd: one stacked optimiser for all
    noise: str  # each member draws its own z, but from the same prior
    g_steps: int


def stack_key(trainer: Trainer) -> StackKey | None:
    """What must agree for trainers to share a stacked step, or None when this trainer can only train alone.

    Shape means the model and its widths, hidden layers and activations, z_dim, the data's sample shape, the loss,
    the optimizer, the noise, n_critic and g_steps, the batch size, whether R1 or the gradient penalty is on, and the
    device. Learning rates, betas, γ, λ, r1_every, the lr decay
    and the seed may differ within a stack. DCGANs (BatchNorm statistics), conditional models, G's moving average
    and bf16 train alone.
    """
    cfg = trainer.config
    if cfg.model != "mlp" or cfg.conditional or cfg.g_ema > 0 or cfg.bf16:
        return None
    try:
        _plans(trainer)
    except ValueError:
        return None
    return StackKey(trainer.data.sample_shape, cfg.z_dim, cfg.g_width, cfg.d_width, cfg.loss, cfg.n_critic,
                    cfg.batch_size, cfg.r1_gamma > 0, trainer.loss.gradient_penalty and cfg.gp_lambda > 0,
                    str(trainer.device), cfg.g_layers, cfg.d_layers, cfg.g_activation, cfg.d_activation, cfg.optimizer,
                    cfg.noise, cfg.g_steps)


def _plan(items: list[tuple[str, nn.Module]], names: list[str]) -> list[tuple]:
    """The layers of an MLP as steps: ("linear", weight index, bias index), ("relu",), ("leaky", slope) or
    ("tanh",), the indices into the module's ``named_parameters()`` order.

    Raises:
        ValueError: a layer other than Linear (with bias), ReLU, LeakyReLU or Tanh.
    """
    plan: list[tuple] = []
    for prefix, m in items:
        if isinstance(m, nn.Linear) and m.bias is not None:
            plan.append(("linear", names.index(prefix + "weight"), names.index(prefix + "bias")))
        elif isinstance(m, nn.ReLU):
            plan.append(("relu",))
        elif isinstance(m, nn.LeakyReLU):
            plan.append(("leaky", m.negative_slope))
        elif isinstance(m, nn.Tanh):
            plan.append(("tanh",))
        else:
            raise ValueError(f"a stacked MLP cannot hold a {type(m).__name__} layer")
    return plan


def _plans(trainer: Trainer) -> tuple[list[tuple], list[tuple]]:
    """G's and D's layer plans (see :func:`_plan`) for an unconditional MLP GAN.

    Raises:
        ValueError: the networks are not ganapp's unconditional MLPs.
    """
    G, D = trainer.G, trainer.D
    if not isinstance(G, MLPGenerator) or not isinstance(D, MLPDiscriminator) or G.n_classes or D.projection:
        raise ValueError("only unconditional MLP GANs stack")
    g_names = [n for n, _ in G.named_parameters()]
    d_names = [n for n, _ in D.named_parameters()]
    g_plan = _plan([(f"net.{i}.", m) for i, m in enumerate(G.net)], g_names)
    d_plan = _plan([(f"features.{i}.", m) for i, m in enumerate(D.features)] + [("head.", D.head)], d_names)
    return g_plan, d_plan


def _run(plan: list[tuple], params: Sequence[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """K MLPs at once: x (K, B, F_in) → (K, B, F_out); a Linear layer is x·Wᵀ + b per member, one baddbmm."""
    for step in plan:
        if step[0] == "linear":
            w, b = params[step[1]], params[step[2]]  # (K, F_out, F_in), (K, F_out)
            x = torch.baddbmm(b.unsqueeze(1), x, w.transpose(1, 2))  # (K, B, F_in) -> (K, B, F_out)
        elif step[0] == "relu":
            x = torch.relu(x)
        elif step[0] == "leaky":
            x = F.leaky_relu(x, step[1])
        else:
            x = torch.tanh(x)
    return x


class _StackedAdam:
    """Adam (Kingma & Ba 2015, Algorithm 1) on stacked tensors (K, *shape), with per-member lr, betas and step.

    The arithmetic of ``torch.optim.Adam``'s single-tensor path (no weight decay, no amsgrad), so a member's update
    matches a lone Adam's to float tolerance.
    """

    def __init__(self, params: list[torch.Tensor]):
        self.params = params
        self.exp_avg = [torch.zeros_like(p) for p in params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in params]
        self.device = params[0].device  # every tensor below lives beside the parameters (CUDA included)
        self.steps = torch.zeros(params[0].shape[0], dtype=torch.float64, device=self.device)  # (K,) steps per member

    @torch.no_grad()
    def step(self, grads: Sequence[torch.Tensor], lr: Sequence[float], beta1: Sequence[float],
             beta2: Sequence[float]) -> None:
        self.steps += 1
        b1 = torch.tensor(beta1, dtype=torch.float64, device=self.device)
        b2 = torch.tensor(beta2, dtype=torch.float64, device=self.device)
        lr_t = torch.tensor(lr, dtype=torch.float64, device=self.device)
        step_size = lr_t / (1 - b1 ** self.steps)  # (K,) lr / bias_correction1
        bc2_sqrt = (1 - b2 ** self.steps).sqrt()  # (K,)
        dtype = self.params[0].dtype

        def each(v: torch.Tensor) -> list[torch.Tensor]:  # (K,) → one (K, 1, ...) view per parameter
            v = v.to(dtype)
            return [v.view(-1, *([1] * (p.ndim - 1))) for p in self.params]

        # one call per operation for all parameters: the engine thread's Python time (its hold on the GIL) stays small
        torch._foreach_lerp_(self.exp_avg, grads, each(1 - b1))  # m ← β1·m + (1 − β1)·g
        squares = torch._foreach_mul(grads, grads)
        torch._foreach_mul_(squares, each(1 - b2))
        torch._foreach_mul_(self.exp_avg_sq, each(b2))
        torch._foreach_add_(self.exp_avg_sq, squares)  # v ← β2·v + (1 − β2)·g²
        denom = torch._foreach_sqrt(self.exp_avg_sq)
        torch._foreach_div_(denom, each(bc2_sqrt))
        torch._foreach_add_(denom, ADAM_EPS)
        update = torch._foreach_div(self.exp_avg, denom)
        torch._foreach_mul_(update, each(step_size))
        torch._foreach_sub_(self.params, update)  # θ ← θ − lr·m̂ / (√v̂ + ε)

    def keep(self, params: list[torch.Tensor], index: torch.Tensor) -> None:
        """Keep only the members at ``index`` ((K',) long), in that order; ``params`` are the stack's new
        parameters, already cut the same way."""
        self.params = params
        self.exp_avg = [m.index_select(0, index) for m in self.exp_avg]
        self.exp_avg_sq = [v.index_select(0, index) for v in self.exp_avg_sq]
        self.steps = self.steps.index_select(0, index)

    def grow(self, params: list[torch.Tensor], n: int) -> None:
        """Make room for ``n`` more members at the end (zero moments, no steps; see :meth:`load_member`);
        ``params`` are the stack's new parameters, already grown."""
        self.params = params
        self.exp_avg = [torch.cat([m, m.new_zeros((n, *m.shape[1:]))]) for m in self.exp_avg]
        self.exp_avg_sq = [torch.cat([v, v.new_zeros((n, *v.shape[1:]))]) for v in self.exp_avg_sq]
        self.steps = torch.cat([self.steps, self.steps.new_zeros(n)])

    def load_member(self, k: int, opt: torch.optim.Optimizer, params: Sequence[torch.nn.Parameter]) -> None:
        """Take member ``k``'s moments and step from its own optimiser (zeros when it has none yet)."""
        steps = 0.0
        with torch.no_grad():
            for i, p in enumerate(params):
                state = opt.state.get(p, {})
                if "exp_avg" in state:
                    self.exp_avg[i][k].copy_(state["exp_avg"])
                    self.exp_avg_sq[i][k].copy_(state["exp_avg_sq"])
                    steps = float(state["step"])
                else:
                    self.exp_avg[i][k].zero_()
                    self.exp_avg_sq[i][k].zero_()
        self.steps[k] = steps

    def store_member(self, k: int, opt: torch.optim.Optimizer, params: Sequence[torch.nn.Parameter]) -> None:
        """Give member ``k``'s moments and step back to its own optimiser."""
        steps = float(self.steps[k])
        for i, p in enumerate(params):
            if steps == 0:
                opt.state.pop(p, None)
                continue
            opt.state[p] = {"step": torch.tensor(steps), "exp_avg": self.exp_avg[i][k].clone(),
                            "exp_avg_sq": self.exp_avg_sq[i][k].clone()}


class _StackedSGD:
    """SGD with momentum on stacked tensors (K, *shape), with per-member lr and momentum (β1): PyTorch's form
    v ← β1·v + g, θ ← θ − lr·v (``torch.optim.SGD`` without dampening, Nesterov or weight decay; its first step
    sets v to g, as v = 0 here gives). The interface of :class:`_StackedAdam`.
    """

    def __init__(self, params: list[torch.Tensor]):
        self.params = params
        self.buf = [torch.zeros_like(p) for p in params]
        # (K,) steps taken per member, beside the parameters (an index on their device selects from it)
        self.steps = torch.zeros(params[0].shape[0], dtype=torch.float64, device=params[0].device)

    @torch.no_grad()
    def step(self, grads: Sequence[torch.Tensor], lr: Sequence[float], beta1: Sequence[float],
             beta2: Sequence[float]) -> None:
        self.steps += 1
        dtype = self.params[0].dtype

        def each(values: Sequence[float]) -> list[torch.Tensor]:  # (K,) → one (K, 1, ...) view per parameter
            v = torch.tensor(values, dtype=dtype, device=self.params[0].device)
            return [v.view(-1, *([1] * (p.ndim - 1))) for p in self.params]

        torch._foreach_mul_(self.buf, each(beta1))
        torch._foreach_add_(self.buf, grads)  # v ← β1·v + g
        torch._foreach_sub_(self.params, torch._foreach_mul(self.buf, each(lr)))  # θ ← θ − lr·v
        # a member without momentum keeps no buffer (PyTorch's SGD starts one afresh when momentum is turned on)
        torch._foreach_mul_(self.buf, each([float(b != 0) for b in beta1]))

    def keep(self, params: list[torch.Tensor], index: torch.Tensor) -> None:
        """As :meth:`_StackedAdam.keep`."""
        self.params = params
        self.buf = [v.index_select(0, index) for v in self.buf]
        self.steps = self.steps.index_select(0, index)

    def grow(self, params: list[torch.Tensor], n: int) -> None:
        """As :meth:`_StackedAdam.grow`."""
        self.params = params
        self.buf = [torch.cat([v, v.new_zeros((n, *v.shape[1:]))]) for v in self.buf]
        self.steps = torch.cat([self.steps, self.steps.new_zeros(n)])

    def load_member(self, k: int, opt: torch.optim.Optimizer, params: Sequence[torch.nn.Parameter]) -> None:
        """Take member ``k``'s momentum buffers from its own SGD (zeros where it has none)."""
        with torch.no_grad():
            for i, p in enumerate(params):
                buf = opt.state.get(p, {}).get("momentum_buffer")
                if buf is None:
                    self.buf[i][k].zero_()
                else:
                    self.buf[i][k].copy_(buf)
        self.steps[k] = 0.0

    def store_member(self, k: int, opt: torch.optim.Optimizer, params: Sequence[torch.nn.Parameter]) -> None:
        """Give member ``k``'s momentum buffers back to its own SGD (none without momentum)."""
        momentum = opt.param_groups[0]["momentum"]
        for i, p in enumerate(params):
            if momentum == 0 or (self.steps[k] == 0 and "momentum_buffer" not in opt.state.get(p, {})):
                opt.state.pop(p, None)
                continue
            opt.state[p] = {"momentum_buffer": self.buf[i][k].clone()}


class StackedTrainer:
    """K trainers of one :func:`stack_key`, trained by one vectorised :meth:`train_step`.

    Args:
        members: the trainers, all with the same non-None :func:`stack_key`. Their weights, Adam moments and R1
            values are read in; from then on the stack holds them until :meth:`write_back`.

    Raises:
        ValueError: fewer than one member, or members whose keys differ or are None.
    """

    def __init__(self, members: Sequence[Trainer]):
        if not members:
            raise ValueError("a stack needs at least one trainer")
        keys = {stack_key(t) for t in members}
        if len(keys) != 1 or None in keys:
            raise ValueError("these trainers cannot share a stacked step: their stack keys are "
                             f"{sorted(map(str, keys))}")
        self.key = keys.pop()
        self.members = list(members)
        first = members[0]
        self.device = first.device
        self.loss = first.loss
        self._g_names = [n for n, _ in first.G.named_parameters()]
        self._d_names = [n for n, _ in first.D.named_parameters()]
        with torch.no_grad():
            self.g_params = [torch.stack([dict(t.G.named_parameters())[n] for t in members]).requires_grad_(True)
                             for n in self._g_names]  # each (K, *param_shape)
            self.d_params = [torch.stack([dict(t.D.named_parameters())[n] for t in members]).requires_grad_(True)
                             for n in self._d_names]
        optimizer = _StackedSGD if self.key.optimizer == "sgd" else _StackedAdam
        self.adam_g = optimizer(self.g_params)  # Adam's or SGD's state, by the key's optimizer
        self.adam_d = optimizer(self.d_params)
        self.last_r1 = torch.zeros(len(members), device=self.device)  # (K,)
        for k in range(len(members)):
            self._read_optim(k)
        self._g_plan, self._d_plan = _plans(first)
        self._out_shape = first.G.out_shape
        self._d_loss = vmap(self.loss.d_loss)  # (K, B), (K, B) -> (K,)
        self._g_loss = vmap(self.loss.g_loss)  # (K, B) -> (K,)

    def __len__(self) -> int:
        return len(self.members)

    # ----- moving one member's state between its Trainer and the stack -----

    def _pairs(self, k: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """(stacked parameter, member ``k``'s own parameter) for every weight of G, then of D."""
        t = self.members[k]
        return list(zip(self.g_params + self.d_params, [*t.G.parameters(), *t.D.parameters()], strict=True))

    def _read_optim(self, k: int) -> None:
        t = self.members[k]
        self.adam_g.load_member(k, t.opt_g, list(t.G.parameters()))
        self.adam_d.load_member(k, t.opt_d, list(t.D.parameters()))
        self.last_r1[k] = t.last_r1

    def read_in(self, k: int) -> None:
        """Copy member ``k``'s weights, Adam moments and R1 value from its Trainer into the stack (after its
        Trainer's weights were changed from outside, e.g. rolled back)."""
        with torch.no_grad():
            for stacked, p in self._pairs(k):
                stacked[k].copy_(p)
        self._read_optim(k)

    def write_back(self, k: int) -> None:
        """Copy member ``k``'s weights, Adam moments and R1 value from the stack into its own Trainer, so that the
        Trainer alone is its current state."""
        t = self.members[k]
        with torch.no_grad():
            for stacked, p in self._pairs(k):
                p.copy_(stacked[k])
        self.adam_g.store_member(k, t.opt_g, list(t.G.parameters()))
        self.adam_d.store_member(k, t.opt_d, list(t.D.parameters()))
        t.last_r1 = self.last_r1[k].clone()

    def write_back_all(self) -> None:
        """:meth:`write_back` for every member: the stack can then be dropped."""
        for k in range(len(self.members)):
            self.write_back(k)

    # ----- members joining and leaving: the others' rows stay as they are -----

    def remove(self, trainer: Trainer) -> None:
        """Write ``trainer``'s state back to it and take it out of the stack; the other members' weights, Adam
        moments and R1 values stay in the stack untouched. A class's runs pause, reset and start at any moment:
        written back and rebuilt whole, each of those cost about one stacked step of the whole class.

        Raises:
            ValueError: ``trainer`` is not a member, or is the last one (drop the stack instead).
        """
        k = self.members.index(trainer)
        if len(self.members) == 1:
            raise ValueError("the last member of a stack cannot leave it: write it back and drop the stack")
        self.write_back(k)
        index = torch.tensor([i for i in range(len(self.members)) if i != k], device=self.device)
        with torch.no_grad():
            self.g_params = [p.detach().index_select(0, index).requires_grad_(True) for p in self.g_params]
            self.d_params = [p.detach().index_select(0, index).requires_grad_(True) for p in self.d_params]
        self.adam_g.keep(self.g_params, index)
        self.adam_d.keep(self.d_params, index)
        self.last_r1 = self.last_r1.index_select(0, index)
        del self.members[k]

    def add(self, trainers: Sequence[Trainer]) -> None:
        """Take ``trainers`` in as members at the end (their weights, Adam moments and R1 values read in); the
        members already in the stack keep their rows.

        Raises:
            ValueError: a trainer's :func:`stack_key` differs from the stack's, or it is a member already.
        """
        if any(stack_key(t) != self.key for t in trainers):
            raise ValueError(f"these trainers cannot join a stack of {self.key}: their stack keys differ")
        if any(t in self.members for t in trainers) or len(set(map(id, trainers))) < len(trainers):
            raise ValueError("a trainer cannot be in a stack twice")
        first = len(self.members)
        with torch.no_grad():
            self.g_params = [torch.cat([p.detach(), torch.stack([dict(t.G.named_parameters())[n] for t in trainers])])
                             .requires_grad_(True) for p, n in zip(self.g_params, self._g_names)]
            self.d_params = [torch.cat([p.detach(), torch.stack([dict(t.D.named_parameters())[n] for t in trainers])])
                             .requires_grad_(True) for p, n in zip(self.d_params, self._d_names)]
        self.adam_g.grow(self.g_params, len(trainers))
        self.adam_d.grow(self.d_params, len(trainers))
        self.last_r1 = torch.cat([self.last_r1, self.last_r1.new_zeros(len(trainers))])
        self.members += list(trainers)
        for k in range(first, len(self.members)):
            self._read_optim(k)

    # ----- the step -----

    def _G(self, params: Sequence[torch.Tensor], z: torch.Tensor) -> torch.Tensor:
        """z (K, B, z_dim) → samples (K, B, *sample_shape)."""
        out = _run(self._g_plan, params, z)  # (K, B, out_dim)
        return out.view(*out.shape[:2], *self._out_shape)

    def _D(self, params: Sequence[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        """samples (K, B, *sample_shape) → logits (K, B)."""
        return _run(self._d_plan, params, x.flatten(2)).squeeze(2)  # (K, B, in_dim) -> (K, B, 1) -> (K, B)

    def _noise(self) -> torch.Tensor:
        """(K, B, z_dim) z, each member's from its own generator, in the order its lone step draws them."""
        return torch.stack([t._noise()[0] for t in self.members])

    def _grad_norms(self, x: torch.Tensor, params: Sequence[torch.Tensor] | None = None) -> torch.Tensor:
        """‖∇ₓ D_k(x_k)‖₂ per member and sample, (K', B), with the graph kept (see ganapp.gan.losses._grad_norms).

        ``x`` is (K', B, *sample_shape), and ``params`` D's stacked parameters for those K' members (default: all
        K, ``self.d_params``)."""
        x = x.detach().requires_grad_(True)
        params = tuple(self.d_params) if params is None else tuple(params)
        (grad,) = torch.autograd.grad(self._D(params, x).sum(), x, create_graph=True)
        return grad.flatten(2).norm(2, dim=2)

    def _r1(self, real: torch.Tensor, due: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """R1 = E‖∇ₓ D(x)‖² (Mescheder et al. 2018, Eq. 9) of the members that are ``due`` (a (K,) bool tensor),
        on their ``real`` batches (K, B, *shape). Returns (indices of the due members (K',), their R1 (K',), with the
        graph kept).

        Only the due members pay for it. Members start at different times, so in a class of 30 with r1_every 8
        nearly every step has some member due: computing all K members' R1 then would cost R1 at every step,
        against the 1/r1_every that lazy regularisation is for. Indexing D's stacked parameters keeps the gradient
        exact: the rows of the due members get their R1 gradient, the others none."""
        idx = due.nonzero().squeeze(1)  # (K',)
        if len(idx) == len(due):
            return idx, self._grad_norms(real).pow(2).mean(1)
        params = [p.index_select(0, idx) for p in self.d_params]  # (K', *param_shape) each, differentiable
        return idx, self._grad_norms(real.index_select(0, idx), params).pow(2).mean(1)

    def _d_update(self, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One D update of every member against ``fake`` (K, B, *shape). Returns per member (K,) d_loss with
        penalties (reported as Trainer._d_update reports it), and the real and fake logits (K, B)."""
        members = self.members
        cfgs = [t.config for t in members]
        real = torch.stack([t.data.next_labelled(c.batch_size)[0] for t, c in zip(members, cfgs)])  # (K, B, *shape)
        # (1) Update D: maximise log D(x) + log(1 - D(G(z)))
        params = tuple(self.d_params)
        real_logits = self._D(params, real)  # (K, B)
        fake_logits = self._D(params, fake.detach())  # (K, B)
        d_loss = self._d_loss(real_logits, fake_logits)  # (K,)
        if self.key.gp:  # WGAN-GP: ε from each member's own generator, as its lone step draws it
            eps = torch.stack([torch.rand((c.batch_size,) + (1,) * (real.ndim - 2), generator=t.rng,
                                          device=self.device) for t, c in zip(members, cfgs)])  # (K, B, 1...)
            x_hat = eps * real + (1 - eps) * fake.detach()
            gp = (self._grad_norms(x_hat) - 1).pow(2).mean(1)  # (K,)
            d_loss = d_loss + torch.tensor([c.gp_lambda for c in cfgs], device=self.device) * gp
        objective = d_loss
        if self.key.r1:  # lazy R1 (StyleGAN2 Sec. 3.1): members whose D-update count is a multiple of r1_every
            due = torch.tensor([t.d_updates % c.r1_every == 0 for t, c in zip(members, cfgs)], device=self.device)
            if bool(due.any()):
                idx, r1 = self._r1(real, due)  # (K',), (K',)
                weight = torch.tensor([0.5 * c.r1_gamma * c.r1_every for c in cfgs], device=self.device)
                objective = d_loss.index_add(0, idx, weight.index_select(0, idx) * r1)
                self.last_r1 = self.last_r1.index_copy(0, idx, r1.detach())
        grads = torch.autograd.grad(objective.sum(), self.d_params)
        self.adam_d.step(grads, [c.lr_d * t.lr_scale for t, c in zip(members, cfgs)],
                         [c.beta1 for c in cfgs], [c.beta2 for c in cfgs])
        for t in members:
            t.d_updates += 1
        if self.key.r1:
            gamma = torch.tensor([c.r1_gamma for c in cfgs], device=self.device)
            d_loss = d_loss + 0.5 * gamma * self.last_r1
        return d_loss.detach(), real_logits.detach(), fake_logits.detach()

    def train_step(self) -> torch.Tensor:
        """One step of every member: n_critic D updates, then g_steps G updates (as :meth:`Trainer.train_step`).

        Returns:
            (K, 4) float32 on the device: per member d_loss, g_loss, D(x), D(G(z)) as Trainer.train_step reports
            them. Each member's ``step_count`` and ``d_updates`` are advanced.
        """
        for _ in range(self.key.n_critic):
            fake = self._G(tuple(self.g_params), self._noise())  # (K, B, *sample_shape)
            d_loss, real_logits, fake_logits = self._d_update(fake)
        cfgs = [t.config for t in self.members]
        for i in range(self.key.g_steps):
            if i:  # a further G update: fresh z, as the lone step draws it
                fake = self._G(tuple(self.g_params), self._noise())
            # (2) Update G on the last fakes: minimise g_loss(D(G(z)))
            g_loss = self._g_loss(self._D(tuple(self.d_params), fake))  # (K,)
            grads = torch.autograd.grad(g_loss.sum(), self.g_params)
            self.adam_g.step(grads, [c.lr_g * t.lr_scale for t, c in zip(self.members, cfgs)],
                             [c.beta1 for c in cfgs], [c.beta2 for c in cfgs])
        for t in self.members:
            t.step_count += 1
        with torch.no_grad():
            score = self.loss.score
            return torch.stack([d_loss, g_loss.detach(), score(real_logits).mean(1), score(fake_logits).mean(1)], 1)
