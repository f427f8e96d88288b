"""The training loop's one step, and nothing about threads or widgets.

:class:`Trainer` owns G, D, their optimisers (Adam, or SGD with momentum), the real-data stream, a fixed_z and the
step count. One :meth:`Trainer.step` is n_critic D updates then g_steps G updates (one by default), in the style of
pytorch/examples dcgan/main.py.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

import torch
from torch import nn

from .config import LIVE_FIELDS, GANConfig
from .checkpoints import Checkpoint
from .data import DataStream, derived_generator
from .latent import draw_z
from .losses import get_loss, gradient_penalty, r1_penalty
from .models import build_discriminator, build_generator, eval_mode, generate

METRIC_NAMES = ("d_loss", "g_loss", "d_x", "d_g_z")

# Weight init draws from torch's global CPU RNG; this lock keeps two runs that build models at once from
# interleaving their seeded draws.
_INIT_LOCK = threading.Lock()


def lr_factor(progress: float, decay: float) -> float:
    """The learning-rate multiplier at ``progress`` through a run: 1 until the last ``decay`` of it, then falling
    linearly to 0 at its end. The schedule of CycleGAN (Zhu et al. 2017, "Unpaired Image-to-Image Translation using
    Cycle-Consistent Adversarial Networks", Sec. 4: the same rate for the first 100 epochs, then linear decay to zero
    over the next 100), with the decaying share as a parameter.

    Args:
        progress: the share of the run done, in [0, 1] (values outside are clipped).
        decay: the final share of the run that decays, in [0, 1]; 0 means no decay (always 1).
    Returns:
        The multiplier in [0, 1].
    Raises:
        ValueError: ``decay`` is outside [0, 1].
    """
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"lr_decay={decay!r} is out of range: it must be a number in [0, 1]")
    if decay == 0.0:
        return 1.0
    return min(1.0, max(0.0, (1.0 - progress) / decay))


_AUTO_DEVICE: list[str] = []  # set_auto_device's choice, when a host made one


def set_auto_device(name: str | None) -> None:
    """Make ``auto`` mean ``name`` in this process (None: pick as :func:`resolve_device` says). On a ZeroGPU Space
    runs live on the CPU and only their chunks see CUDA (:mod:`ganapp.engine.zerogpu`), though ``spaces`` makes CUDA
    look available everywhere."""
    _AUTO_DEVICE[:] = [name] if name is not None else []


def resolve_device(name: str) -> torch.device:
    """The torch device for a config's ``device`` field: ``auto`` picks cuda, then mps, then cpu (or what
    :func:`set_auto_device` chose).

    Raises:
        ValueError: ``cuda`` or ``mps`` was asked for but is not available on this machine.
    """
    if name == "auto" and _AUTO_DEVICE:
        return torch.device(_AUTO_DEVICE[0])
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' is not available on this machine: use device='auto' or 'cpu'")
    if name == "mps" and not (getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()):
        raise ValueError("device='mps' is not available on this machine: use device='auto' or 'cpu'")
    return torch.device(name)


def build_models(config: GANConfig, device: torch.device | str = "cpu") -> tuple[nn.Module, nn.Module]:
    """G and D for ``config``, initialised from ``config.seed`` (independently of the global RNG state)."""
    with _INIT_LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        g = build_generator(config)
        d = build_discriminator(config)
    return g.to(device), d.to(device)


def make_fixed_z(config: GANConfig, device: torch.device | str = "cpu") -> torch.Tensor:
    """fixed_z: (n_fixed, z_dim) float32 from the config's noise (N(0, I) or U[−1, 1]), the same for the same seed on
    every device."""
    g = torch.Generator().manual_seed(config.seed)
    return draw_z(config.noise, config.n_fixed, config.z_dim, g).to(device)


def make_optimizer(config: GANConfig, params: Any, lr: float, device: torch.device) -> torch.optim.Optimizer:
    """The config's optimiser of ``params`` at learning rate ``lr``: Adam with betas (β1, β2) (fused on CUDA), or SGD
    with momentum β1 (PyTorch's form: v ← β1·v + g, θ ← θ − lr·v; Sutskever et al. 2013)."""
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=config.beta1)
    return torch.optim.Adam(params, lr=lr, betas=(config.beta1, config.beta2), fused=device.type == "cuda")


def cycled_labels(n: int, n_classes: int) -> torch.Tensor:
    """(n,) int64 labels 0, 1, ..., n_classes−1, 0, 1, ...: a grid with n_classes columns shows one class each."""
    return torch.arange(n) % n_classes


def make_fixed_y(config: GANConfig, device: torch.device | str = "cpu") -> torch.Tensor | None:
    """fixed_y: :func:`cycled_labels` for a conditional model's n_fixed samples, else None."""
    if not config.conditional:
        return None
    return cycled_labels(config.n_fixed, config.n_classes).to(device)


class Trainer:
    """One GAN and its training step.

    Args:
        config: the run's :class:`~ganapp.gan.config.GANConfig`.
        download: whether a downloadable dataset may be fetched.

    Attributes:
        G, D: the networks (D outputs logits).
        G_ema: the moving average of G's weights when ``config.g_ema`` > 0, else None; see :attr:`G_shown`.
        opt_g, opt_d: the optimisers (see :func:`make_optimizer`).
        data: the :class:`~ganapp.gan.data.DataStream` of real batches.
        fixed_z: (n_fixed, z_dim) float32 noise for the sample grid.
        fixed_y: (n_fixed,) int64 labels for the grid of a conditional model, else None.
        step_count: steps done so far (a step: n_critic D updates, then g_steps G updates; or one lone phase).
        d_updates: D updates done so far (n_critic per step); R1 is computed when it is a multiple of r1_every.
        lr_scale: the multiplier on lr_g and lr_d that :meth:`set_progress` last set (1 until then).

    Raises:
        ValueError: the config's device is unavailable.
        ganapp.gan.data.DatasetUnavailableError: the dataset cannot be read or downloaded.
    """

    def __init__(self, config: GANConfig, download: bool = True):
        self.config = config
        self.device = resolve_device(config.device)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True
        self.G, self.D = build_models(config, self.device)
        self.data = DataStream(config.dataset, self.device, seed=config.seed, download=download,
                               image_size=config.image_size, channels=config.channels, data_path=config.data_path)
        self.rng = torch.Generator(device=self.device).manual_seed(config.seed + 1)  # z, fake labels, GP ε
        self.fixed_z = make_fixed_z(config, self.device)
        self.fixed_y = make_fixed_y(config, self.device)
        self.opt_g = make_optimizer(config, self.G.parameters(), config.lr_g, self.device)
        self.opt_d = make_optimizer(config, self.D.parameters(), config.lr_d, self.device)
        self.loss = get_loss(config.loss)
        self.step_count = 0
        self.d_updates = 0
        self.last_r1 = torch.zeros((), device=self.device)  # the R1 penalty at the last update that computed it
        self.lr_scale = 1.0
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False) if config.g_ema > 0 else None

    def train_step(self) -> torch.Tensor:
        """One step, without a host sync: n_critic D updates, then g_steps G updates (the first on the last D
        update's fakes, each further one on fresh z).

        Returns:
            (4,) float32 tensor on the training device: d_loss (penalties included), g_loss (of the last G update),
            D(x), D(G(z)). D(x) and D(G(z)) come from the last D update (D(G(z)) measured before that update, as
            D_G_z1 in pytorch/examples dcgan): mean probabilities σ(logit) for the sigmoid losses, mean raw scores for
            the others.
        """
        cfg, loss = self.config, self.loss
        for _ in range(cfg.n_critic):
            z, y_fake = self._noise()
            with self._autocast():
                fake = self.G(z, y_fake)  # (B, *sample_shape)
            d_loss, real_logits, fake_logits = self._d_update(fake, y_fake)
        for i in range(cfg.g_steps):
            if i:  # a further G update: fresh z
                z, y_fake = self._noise()
                with self._autocast():
                    fake = self.G(z, y_fake)
            # (2) Update G on the last fakes: minimise g_loss(D(G(z)))
            self.opt_g.zero_grad(set_to_none=True)
            with self._autocast():
                g_loss = loss.g_loss(self.D(fake, y_fake).float())
            g_loss.backward()
            self.opt_g.step()
            if self.G_ema is not None:
                self._update_ema()
        self.step_count += 1
        with torch.no_grad():
            return torch.stack([d_loss.detach(), g_loss.detach(), self._score(real_logits), self._score(fake_logits)])

    def _autocast(self) -> torch.autocast:
        """The forward passes' precision: bfloat16 autocast when the config's ``bf16`` is on, else a no-op. Backward
        passes run outside it, and the losses are taken in float32 (as PyTorch's AMP recipe advises)."""
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.config.bf16)

    def _noise(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """A batch of z (B, z_dim) from the config's noise and, for a conditional G, random labels (B,) int64."""
        cfg = self.config
        z = draw_z(cfg.noise, cfg.batch_size, cfg.z_dim, self.rng, self.device)
        y = (torch.randint(cfg.n_classes, (cfg.batch_size,), generator=self.rng, device=self.device)
             if cfg.conditional else None)
        return z, y

    def _d_update(self, fake: torch.Tensor, y_fake: torch.Tensor | None
                  ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One D update on a fresh real batch against ``fake`` (detached here). Returns (d_loss with penalties,
        real logits (B,), fake logits (B,)). With a lazy R1 (``r1_every`` > 1) the reported d_loss carries R1 at its
        average weight γ/2 and its most recently computed value, so the curve does not jump every r1_every steps."""
        cfg, loss = self.config, self.loss
        real, y_real = self.data.next_labelled(cfg.batch_size)  # (B, *sample_shape), (B,) or None
        # (1) Update D: maximise log D(x) + log(1 - D(G(z)))
        self.opt_d.zero_grad(set_to_none=True)
        with self._autocast():
            real_logits = self.D(real, y_real).float()  # (B,)
            fake_logits = self.D(fake.detach(), y_fake).float()  # (B,)
            d_loss = loss.d_loss(real_logits, fake_logits)
            critic = self.D if not cfg.conditional else (lambda x, y=y_real: self.D(x, y))
            if loss.gradient_penalty and cfg.gp_lambda > 0:
                # x̂ mixes a real and a fake of (usually) different classes; the real labels condition D there
                d_loss = d_loss + cfg.gp_lambda * gradient_penalty(critic, real, fake.detach(), self.rng)
            objective = d_loss
            if cfg.r1_gamma > 0 and self.d_updates % cfg.r1_every == 0:  # lazy R1: every r1_every-th update, ×r1_every
                r1 = r1_penalty(critic, real)
                objective = d_loss + 0.5 * cfg.r1_gamma * cfg.r1_every * r1
                self.last_r1 = r1.detach()
        objective.backward()
        self.opt_d.step()
        self.d_updates += 1
        if cfg.r1_gamma > 0:  # report R1's average weight, with its most recent value
            d_loss = d_loss + 0.5 * cfg.r1_gamma * self.last_r1
        return d_loss, real_logits, fake_logits

    # ----- single phases, for a teacher's "Step D" / "Step G" and slow motion -----

    def _score(self, logits: torch.Tensor) -> torch.Tensor:
        return self.loss.score(logits).mean()

    def d_step(self) -> torch.Tensor:
        """Exactly one D update (whatever n_critic says) on a fresh real batch and fresh fakes; G is not touched.

        Returns:
            (4,) float32: d_loss (penalties included), g_loss of those fakes before the update, D(x), D(G(z)) (as in
            :meth:`train_step`).
        """
        z, y_fake = self._noise()
        with torch.no_grad(), self._autocast():
            fake = self.G(z, y_fake)
        d_loss, real_logits, fake_logits = self._d_update(fake, y_fake)
        with torch.no_grad():
            return torch.stack([d_loss.detach(), self.loss.g_loss(fake_logits.detach()), self._score(real_logits),
                                self._score(fake_logits)])

    def g_step(self) -> torch.Tensor:
        """Exactly one G update on fresh z; D's weights are not touched (its gradients are computed and dropped).

        Returns:
            (4,) float32: NaN (no D loss measured), g_loss, NaN (no D(x) measured), D(G(z)) before the update.
        """
        z, y_fake = self._noise()
        # (2) Update G: minimise g_loss(D(G(z)))
        self.opt_g.zero_grad(set_to_none=True)
        with self._autocast():
            fake_logits = self.D(self.G(z, y_fake), y_fake).float()
            g_loss = self.loss.g_loss(fake_logits)
        g_loss.backward()
        self.D.zero_grad(set_to_none=True)
        self.opt_g.step()
        if self.G_ema is not None:
            self._update_ema()
        self.step_count += 1
        nan = torch.tensor(float("nan"), device=self.device)
        with torch.no_grad():
            return torch.stack([nan, g_loss.detach(), nan, self._score(fake_logits)])

    @torch.no_grad()
    def _update_ema(self) -> None:
        """G_ema ← decay·G_ema + (1 − decay)·G for parameters; buffers (BatchNorm statistics) are copied."""
        ema_params = list(self.G_ema.parameters())
        torch._foreach_lerp_(ema_params, [p.detach() for p in self.G.parameters()], 1.0 - self.config.g_ema)
        for b_ema, b in zip(self.G_ema.buffers(), self.G.buffers()):
            b_ema.copy_(b)

    @property
    def G_shown(self) -> nn.Module:
        """The G to show, explore and save: G_ema when averaging is on, else G."""
        return self.G_ema if self.G_ema is not None else self.G

    def step(self) -> dict[str, float]:
        """One step (see :meth:`train_step`), with its metrics as plain floats: d_loss, g_loss, d_x, d_g_z."""
        return dict(zip(METRIC_NAMES, self.train_step().tolist()))

    @torch.no_grad()
    def sample(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """G(z[, y]) in eval mode (BatchNorm running statistics), returned on the CPU; G_ema when averaging is on.

        Args:
            z: (N, z_dim) float32.
            y: for a conditional G, (N,) int64 labels or (N, n_classes) soft labels; None picks fixed_y's pattern.
        Returns:
            (N, 2) points or (N, 1, 28, 28) images in [-1, 1], float32, CPU.
        """
        if y is None and self.config.conditional:
            y = cycled_labels(len(z), self.config.n_classes)
        with eval_mode(self.G_shown) as G:
            return generate(G, z, y)

    def update(self, **changes: Any) -> tuple[list[str], list[str]]:
        """Apply hyperparameter changes to the running trainer where that is possible.

        Learning rates, betas, n_critic, g_steps, loss, batch size, gp_lambda and r1_gamma apply at the next step. Any
        other change (dataset, model, z_dim, widths, hidden layers, activations, optimizer, noise, seed, device,
        n_fixed, and a DCGAN's switch to or from wgan_gp, whose critic has no BatchNorm) would need new networks: it
        is not applied and is reported.

        Returns:
            (applied, needs_reset): the names of the fields applied now, and of those that need a reset.
        Raises:
            ValueError: a value is invalid (nothing is applied then).
        """
        new = self.config.replace(**changes)
        changed = self.config.diff(new)
        rebuild_d = self.config.model == "dcgan" and new.d_batchnorm != self.config.d_batchnorm
        applied = [k for k in changed if k in LIVE_FIELDS and not (k == "loss" and rebuild_d)]
        needs_reset = [k for k in changed if k not in applied]
        live = self.config.replace(**{k: getattr(new, k) for k in applied})
        for opt in (self.opt_g, self.opt_d):
            for group in opt.param_groups:
                if "betas" in group:
                    group["betas"] = (live.beta1, live.beta2)
                else:  # SGD's momentum is β1
                    group["momentum"] = live.beta1
        self.loss = get_loss(live.loss)
        self.config = live
        self._apply_lr()
        return applied, needs_reset

    def set_progress(self, progress: float | None) -> float:
        """Scale lr_g and lr_d for ``progress`` ∈ [0, 1] through a run of known length by :func:`lr_factor` with the
        config's lr_decay; ``None`` (an open-ended run) restores the configured rates.

        Returns:
            The multiplier now in effect (``lr_scale``).
        """
        scale = 1.0 if progress is None else lr_factor(progress, self.config.lr_decay)
        if scale != self.lr_scale:
            self.lr_scale = scale
            self._apply_lr()
        return scale

    def _apply_lr(self) -> None:
        for opt, lr in ((self.opt_g, self.config.lr_g), (self.opt_d, self.config.lr_d)):
            for group in opt.param_groups:
                group["lr"] = lr * self.lr_scale

    def weights(self) -> dict[str, dict[str, torch.Tensor]]:
        """Detached clones of the state dicts: ``{"G": ..., "D": ...}``, plus ``"G_ema"`` when averaging is on."""
        nets = [("G", self.G), ("D", self.D)] + ([("G_ema", self.G_ema)] if self.G_ema is not None else [])
        return {name: {k: v.detach().clone() for k, v in net.state_dict().items()} for name, net in nets}

    def load_weights(self, weights: dict[str, dict[str, torch.Tensor]], reset_optimizers: bool = True) -> None:
        """Load weights from :meth:`weights` (or a checkpoint). ``reset_optimizers`` clears Adam's moments, which may
        hold the non-finite values that made a rollback necessary."""
        self.G.load_state_dict(weights["G"])
        if "D" in weights:
            self.D.load_state_dict(weights["D"])
        if self.G_ema is not None:
            self.G_ema.load_state_dict(weights.get("G_ema", weights["G"]))
        self.last_r1 = torch.zeros((), device=self.device)  # lazy R1's last value belonged to the old weights
        if reset_optimizers:
            self.opt_g.state.clear()
            self.opt_d.state.clear()

    def start_from(self, checkpoint: Checkpoint) -> None:
        """Continue a run from a :class:`~ganapp.gan.checkpoints.Checkpoint` (fine-tuning): its G, its D when it holds
        one (else D stays fresh), its step count, and its fixed_z when the shapes agree. Adam starts afresh.

        Raises:
            ValueError: the checkpoint's weights do not fit this trainer's networks (the message is the first line
                of PyTorch's).
        """
        try:
            self.load_weights({"G": checkpoint.G.state_dict(),
                               **({"D": checkpoint.d_state} if checkpoint.d_state else {})})
        except RuntimeError as e:
            raise ValueError(str(e).strip().splitlines()[0]) from None
        self.step_count = checkpoint.step
        if checkpoint.fixed_z is not None and checkpoint.fixed_z.shape == self.fixed_z.shape:
            self.fixed_z = checkpoint.fixed_z.to(self.device)

    def state(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """Everything a run needs to go on exactly where it is, as copies on the CPU: (tensors, meta).

        Tensors: ``G.*``, ``D.*``, ``G_ema.*`` (state dicts), ``opt_g.<i>.<name>`` and ``opt_d.<i>.<name>`` (Adam's
        step, exp_avg and exp_avg_sq of parameter i, or SGD's momentum_buffer), ``fixed_z`` (n_fixed, z_dim),
        ``rng`` (the generator's uint8 state), ``last_r1`` (scalar) and ``data.*`` (see :meth:`DataStream.state`).
        Meta: ``step_count``, ``d_updates`` (ints), ``lr_scale`` (float) and ``data``.
        """
        tensors = {f"{net}.{k}": v.cpu() if v.device.type != "cpu" else v
                   for net, sd in self.weights().items() for k, v in sd.items()}  # weights() already copies
        for name, opt in (("opt_g", self.opt_g), ("opt_d", self.opt_d)):
            for i, st in opt.state_dict()["state"].items():
                tensors.update({f"{name}.{i}.{k}": v.detach().to("cpu", copy=True) for k, v in st.items()
                                if v is not None})  # SGD without momentum keeps a None buffer
        tensors["fixed_z"] = self.fixed_z.detach().to("cpu", copy=True)
        tensors["rng"] = self.rng.get_state().clone()
        tensors["last_r1"] = self.last_r1.detach().to("cpu", copy=True)
        data_tensors, data_meta = self.data.state()
        tensors.update({f"data.{k}": v for k, v in data_tensors.items()})
        return tensors, {"step_count": self.step_count, "d_updates": self.d_updates, "lr_scale": self.lr_scale,
                         "data": data_meta}

    def load_state(self, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
        """Go on from :meth:`state`'s output (of a trainer with the same config's networks).

        Raises:
            ValueError: the tensors do not fit this trainer's networks or optimisers (the first line of PyTorch's
                message); the trainer may then be half-loaded and should be dropped.
        """
        def part(prefix: str) -> dict[str, torch.Tensor]:
            return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}

        try:
            weights = {net: part(f"{net}.") for net in ("G", "D", "G_ema") if part(f"{net}.")}
            self.load_weights(weights, reset_optimizers=True)
            for name, opt in (("opt_g", self.opt_g), ("opt_d", self.opt_d)):
                state: dict[int, dict[str, torch.Tensor]] = {}
                for key, v in part(f"{name}.").items():
                    i, field = key.split(".", 1)
                    state.setdefault(int(i), {})[field] = v
                sd = opt.state_dict()
                sd["state"] = state
                opt.load_state_dict(sd)  # moves moments to the parameters' device
            self.fixed_z = tensors["fixed_z"].to(self.device)
            self.rng.set_state(tensors["rng"])
            self.last_r1 = tensors["last_r1"].to(self.device)
            self.data.load_state(part("data."), meta["data"])
        except (RuntimeError, KeyError, ValueError) as e:
            raise ValueError(str(e).strip().splitlines()[0] if str(e).strip() else repr(e)) from None
        self.step_count, self.d_updates = int(meta["step_count"]), int(meta["d_updates"])
        self.lr_scale = float(meta.get("lr_scale", 1.0))
        self._apply_lr()

    def to(self, device: torch.device | str) -> None:
        """Move the whole run to ``device`` between steps: G, D, G_ema, Adam's moments, fixed_z and fixed_y, the data
        stream (:meth:`DataStream.to`) and the z generator (a new one on ``device`` seeded from the old, see
        :func:`~ganapp.gan.data.derived_generator`). The optimisers keep their parameters (``Module.to`` moves them in
        place) and their kind: a trainer built on the CPU steps with the unfused Adam on CUDA too. What ZeroGPU's
        chunks do (:mod:`ganapp.engine.zerogpu`): a run lives on the CPU between chunks. Nothing happens when the
        trainer is on ``device`` already."""
        device = torch.device(device)
        if device.type == self.device.type and None in (device.index, self.device.index) or device == self.device:
            return
        for net in (self.G, self.D, self.G_ema):
            if net is not None:
                net.to(device)
        for opt in (self.opt_g, self.opt_d):
            fused = bool(opt.defaults.get("fused"))  # the fused Adam keeps its step count beside the moments
            for st in opt.state.values():  # the unfused one on the CPU
                st.update({k: v.to(device) for k, v in st.items()
                           if v is not None and (k != "step" or fused)})  # SGD without momentum keeps None
        self.fixed_z = self.fixed_z.to(device)
        self.fixed_y = self.fixed_y.to(device) if self.fixed_y is not None else None
        self.last_r1 = self.last_r1.to(device)
        self.data.to(device)
        self.rng = derived_generator(self.rng, device)
        self.device = device

    def weights_finite(self) -> bool:
        """True when every parameter and buffer of G and D is finite (one host sync)."""
        nets = (self.G, self.D) + ((self.G_ema,) if self.G_ema is not None else ())
        flags = [torch.isfinite(t).all() for net in nets for t in net.state_dict().values() if t.is_floating_point()]
        return bool(torch.stack(flags).all())
