"""The app's event handlers: thin callbacks that validate input (raising ``gr.Error``), call one method of the
engine, and format the output. Each visitor's objects live in a :class:`~ganapp.registry.SessionRegistry` keyed by
``request.session_hash``; nothing here is shared between visitors but the registry itself.
"""

from __future__ import annotations

import functools
import logging
import math
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable

import gradio as gr
import numpy as np
import torch

from ..checkpoints import CheckpointError, list_checkpoints, load_checkpoint
from ..config import (CHANNELS, DATASETS, DATASETS_LABELLED, IMAGE_SIZES, LIVE_FIELDS, LOSSES, MODELS, RANGES,
                      GANConfig, check_range, is_2d, range_text)
from ..data import DatasetUnavailableError
from ..latent import interpolate, label_path, seed_to_z, truncate
from ..losses import R1_TEX, get_loss
from ..media import save_gif, to_grid, upscale
from ..registry import SessionRegistry, Visitor
from ..session import ERROR, MAX_STEP_REQUEST, RUNNING, WAITING
from . import plots
from .i18n import t

log = logging.getLogger("ganapp")

# Order of the Train tab's hyperparameter controls; every handler that reads them takes them in this order.
CONTROL_FIELDS = ("dataset", "model", "loss", "z_dim", "batch_size", "lr_g", "lr_d", "beta1", "beta2", "n_critic",
                  "seed", "g_width", "d_width", "gp_lambda", "r1_gamma", "g_ema", "conditional", "image_size",
                  "channels", "data_files")
N_Z_SLIDERS = 8
Z_SLIDER_RANGE = 3.0
HISTORY_POINTS = 1000
N_EXPLORE_CLOUD = 512
DEFAULT_CHECKPOINT = "mnist_10k_dcgan.safetensors"


def guarded(fn: Callable) -> Callable:
    """Turn any unexpected exception into a ``gr.Error`` in the visitor's language, so the browser never shows a
    stack trace and the session (and any running training) lives on. ``gr.Error`` passes through unchanged."""
    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        try:
            return fn(self, *args, **kwargs)
        except gr.Error:
            raise
        except Exception as e:  # the last line of defence for the browser
            log.exception("handler %s failed", fn.__name__)
            lang = next((a for a in args[:2] if isinstance(a, str) and a in ("en", "zh")), "en")
            raise gr.Error(t(lang, "err_internal", reason=f"{type(e).__name__}: {e}")) from None
    return wrapper


def format_elapsed(seconds: float) -> str:
    """``h:mm:ss`` or ``m:ss`` for a duration in seconds."""
    s = int(seconds)
    h, m = divmod(s // 60, 60)
    return f"{h}:{m:02d}:{s % 60:02d}" if h else f"{m}:{s % 60:02d}"


class GanApp:
    """Handlers bound to one registry.

    Args:
        registry: the visitors' sessions.
        checkpoints_dir: folder of shipped ``.safetensors`` checkpoints offered in the Explore tab.
    """

    def __init__(self, registry: SessionRegistry, checkpoints_dir: str | Path):
        self.registry = registry
        self.checkpoints_dir = Path(checkpoints_dir)
        self.files_dir = Path(tempfile.mkdtemp(prefix="ganapp-files-"))
        self._default = None  # the shipped default checkpoint, loaded on first use (False: none)

    # ----- helpers -----

    def _visitor(self, request: gr.Request | None) -> tuple[str, Visitor]:
        key = getattr(request, "session_hash", None) or "local"
        return key, self.registry.visitor(key)

    def _folder(self, key: str) -> Path:
        return self.files_dir / ("".join(c for c in key if c.isalnum())[:64] or "local")

    def _file(self, key: str, name: str) -> Path:
        """A path for one of the visitor's generated files (GIFs, checkpoints), in a folder of their own."""
        folder = self._folder(key)
        folder.mkdir(parents=True, exist_ok=True)
        return folder / name

    @staticmethod
    def _number(lang: str, field: str, value: Any) -> int | float:
        """``value`` checked against ``RANGES[field]``, as an int or float; ``gr.Error`` naming the field if not."""
        integer = RANGES[field][4]
        try:
            check_range(field, value)
        except ValueError:
            raise gr.Error(t(lang, "err_field", field=t(lang, field), value=value, range=range_text(field),
                             kind=t(lang, "kind_int" if integer else "kind_num"))) from None
        return int(value) if integer else float(value)

    def _config(self, lang: str, values: tuple, key: str = "local") -> GANConfig:
        """A validated GANConfig from the Train tab's controls (in CONTROL_FIELDS order); uploaded image files for
        the ``folder`` dataset become its data_path."""
        raw = dict(zip(CONTROL_FIELDS, values, strict=True))
        for field, choices in (("dataset", DATASETS), ("model", MODELS), ("loss", LOSSES)):
            if raw[field] not in choices:
                raise gr.Error(t(lang, "err_choice", field=t(lang, field), choices=", ".join(choices),
                                 value=raw[field]))
        for field in CONTROL_FIELDS[3:CONTROL_FIELDS.index("conditional")]:
            raw[field] = self._number(lang, field, raw[field])
        for field, choices in (("image_size", IMAGE_SIZES), ("channels", CHANNELS)):
            try:
                raw[field] = int(raw[field])
            except (TypeError, ValueError):
                pass
            if raw[field] not in choices:
                raise gr.Error(t(lang, "err_choice", field=t(lang, field), choices=", ".join(map(str, choices)),
                                 value=raw[field]))
        raw["conditional"] = bool(raw["conditional"])
        if raw["conditional"] and raw["dataset"] not in DATASETS_LABELLED:
            raise gr.Error(t(lang, "err_conditional", dataset=raw["dataset"], labelled=", ".join(DATASETS_LABELLED)))
        if raw["model"] == "dcgan" and is_2d(raw["dataset"]):
            raise gr.Error(t(lang, "err_dcgan_2d", dataset=raw["dataset"]))
        files = raw.pop("data_files")
        raw["data_path"] = self._data_path(lang, key, files) if raw["dataset"] == "folder" else ""
        try:
            return GANConfig(**raw)
        except ValueError as e:
            raise gr.Error(str(e)) from None

    def _data_path(self, lang: str, key: str, files: Any) -> str:
        """The uploaded images as one path: a single .zip as it is, or loose files copied into the visitor's folder."""
        paths = [Path(f if isinstance(f, str) else getattr(f, "name", "")) for f in (files or [])]
        paths = [p for p in paths if p.is_file()]
        if not paths:
            raise gr.Error(t(lang, "err_no_images"))
        if len(paths) == 1 and paths[0].suffix.lower() == ".zip":
            return str(paths[0])
        folder = self._file(key, "images")
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for i, p in enumerate(paths):
            shutil.copy(p, folder / f"{i:05d}_{p.name}")
        return str(folder)

    def _session(self, lang: str, visitor: Visitor):
        if visitor.session is None:
            raise gr.Error(t(lang, "err_no_session"))
        return visitor.session

    def _new_session(self, lang: str, key: str, config: GANConfig):
        try:
            session = self.registry.new_session(key, config)
        except DatasetUnavailableError as e:
            raise gr.Error(t(lang, "err_dataset", reason=str(e))) from None
        except ValueError as e:
            raise gr.Error(str(e)) from None
        visitor = self.registry.visitor(key)
        visitor.extras.pop("notice", None)
        visitor.extras.pop("drawn", None)
        return session

    def _apply_controls(self, lang: str, visitor: Visitor, config: GANConfig) -> None:
        """Push the controls' values into the running session and remember what applied and what needs a reset."""
        session = visitor.session
        try:
            keep = {"device": session.config.device}
            if config.dataset == "folder" and session.config.dataset == "folder":
                keep["data_path"] = session.config.data_path  # a re-upload is a new copy of the same images
            applied, needs_reset = session.update(**config.to_dict() | keep)
        except ValueError as e:
            raise gr.Error(str(e)) from None
        notes = []
        if applied:
            notes.append(t(lang, "applied_live", fields=", ".join(applied)))
        if needs_reset:
            notes.append(t(lang, "needs_reset", fields=", ".join(needs_reset)))
        if notes:
            visitor.extras["notice"] = (applied, needs_reset)
        visitor.extras.pop("drawn", None)

    # ----- Train tab -----

    @guarded
    def start(self, request: gr.Request, lang: str, *controls: Any) -> None:
        """Start training (building a session from the controls on first use), or resume a paused one."""
        key, visitor = self._visitor(request)
        config = self._config(lang, controls, key)
        session = visitor.session
        reshaped = session is not None and any(
            k not in LIVE_FIELDS for k in session.config.diff(config.replace(device=session.config.device)))
        # nothing trained yet (or it failed): build what the controls say, nothing is lost
        if session is None or session.state == ERROR or (reshaped and session.trainer.step_count == 0):
            self._new_session(lang, key, config)
        else:
            self._apply_controls(lang, visitor, config)
        visitor.session.start()

    @guarded
    def pause(self, request: gr.Request, lang: str) -> None:
        _, visitor = self._visitor(request)
        self._session(lang, visitor).pause()

    @guarded
    def resume(self, request: gr.Request, lang: str) -> None:
        _, visitor = self._visitor(request)
        session = self._session(lang, visitor)
        if session.state == ERROR:
            raise gr.Error(t(lang, "err_failed", reason=session.snapshot(None).message))
        session.resume()

    @guarded
    def stop(self, request: gr.Request, lang: str) -> None:
        _, visitor = self._visitor(request)
        self._session(lang, visitor).stop()

    @guarded
    def step(self, request: gr.Request, lang: str, n: Any, *controls: Any) -> None:
        """Run exactly ``n`` steps then pause (building a session on first use)."""
        key, visitor = self._visitor(request)
        if not isinstance(n, (int, float)) or isinstance(n, bool) or not math.isfinite(n) \
                or not float(n).is_integer() or not 1 <= n <= MAX_STEP_REQUEST:
            raise gr.Error(t(lang, "err_field", field=t(lang, "step_n"), value=n, range=f"1..{MAX_STEP_REQUEST}",
                             kind=t(lang, "kind_int")))
        config = self._config(lang, controls, key)
        if visitor.session is None:
            self._new_session(lang, key, config)
        session = visitor.session
        if session.state in (RUNNING, WAITING):
            raise gr.Error(t(lang, "err_running_step"))
        if session.state == ERROR:
            raise gr.Error(t(lang, "err_failed", reason=session.snapshot(None).message))
        session.step(int(n))

    @guarded
    def reset(self, request: gr.Request, lang: str, *controls: Any) -> None:
        """Start over: fresh networks from the controls' settings; the old session is stopped."""
        key, _ = self._visitor(request)
        self._new_session(lang, key, self._config(lang, controls, key))

    @guarded
    def controls_changed(self, request: gr.Request, lang: str, *controls: Any) -> None:
        """A hyperparameter changed: apply it live if possible, else note that it needs a Reset."""
        key, visitor = self._visitor(request)
        if visitor.session is None:
            return
        self._apply_controls(lang, visitor, self._config(lang, controls, key))

    @staticmethod
    def dataset_defaults(dataset: str) -> list[Any]:
        """Recommended model, z_dim, batch size, learning rates, β1 and widths for ``dataset``, as control values,
        conditional switched off for data without labels, the dataset's image size and channels, and the upload box
        shown only for ``folder``."""
        if dataset not in DATASETS:
            return [gr.update()] * 12
        c = GANConfig.default_for(dataset, data_path="-" if dataset == "folder" else "")
        conditional = gr.update() if dataset in DATASETS_LABELLED else False  # 2D data and folders have no labels
        return [c.model, c.z_dim, c.batch_size, c.lr_g, c.lr_d, c.beta1, c.g_width, c.d_width, conditional,
                c.image_size, c.channels, gr.update(visible=dataset == "folder")]

    @staticmethod
    def formula(lang: str, loss: str, r1_gamma: Any = 0.0) -> str:
        """The loss's objective in LaTeX (with the R1 term when γ > 0) and a line on what its curves should do."""
        if loss not in LOSSES:
            return ""
        r1 = isinstance(r1_gamma, (int, float)) and math.isfinite(r1_gamma) and r1_gamma > 0
        tex = get_loss(loss).formula_tex + (f" \\; \\text{{(D: }} {R1_TEX}\\text{{)}}" if r1 else "")
        note = t(lang, "formula_note_" + loss) + (" " + t(lang, "formula_note_r1") if r1 else "")
        return f"$${tex}$$\n\n{note}"

    @staticmethod
    def loss_defaults(loss: str) -> list[Any]:
        """n_critic, β1 and β2 that suit ``loss``: WGAN-GP's are Gulrajani et al. 2017's (5, 0, 0.9)."""
        if loss == "wgan_gp":
            return [5, 0.0, 0.9]
        if loss in LOSSES:
            return [1, 0.5, 0.999]
        return [gr.update()] * 3

    def status_text(self, lang: str, visitor: Visitor, snap) -> str:
        if snap is None:
            return t(lang, "state_none")
        epoch = "—" if snap.epoch is None else f"{snap.epoch:.2f}"
        lines = [t(lang, "status_line", state=t(lang, f"state_{snap.state}"), step=f"{snap.step:,}", epoch=epoch,
                   it_s=snap.it_s, elapsed=format_elapsed(snap.elapsed_s), device=snap.device)]
        if snap.state == WAITING and snap.queue_position is not None:
            lines.append(t(lang, "queue_note", max_running=self.registry.slots.max_running,
                           position=snap.queue_position))
        if snap.message:
            lines.append(t(lang, "error_reason" if snap.state == ERROR else "paused_reason", reason=snap.message))
        applied, needs_reset = visitor.extras.get("notice", ((), ()))
        if applied:
            lines.append(t(lang, "applied_live", fields=", ".join(applied)))
        if needs_reset:
            lines.append(t(lang, "needs_reset", fields=", ".join(needs_reset)))
        return "\n\n".join(lines)

    @guarded
    def poll(self, request: gr.Request, lang: str) -> tuple:
        """The Timer's tick: read the visitor's snapshot and redraw what changed.

        Returns:
            (status markdown, loss plot, scores plot, grid image, 2D scatter plot); ``gr.skip()`` where unchanged.
        """
        _, visitor = self._visitor(request)
        session = visitor.session
        if session is None:
            return t(lang, "state_none"), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        snap = session.snapshot(None)  # the status only; plots read the downsampled history
        status = self.status_text(lang, visitor, snap)
        drawn = visitor.extras.get("drawn", {})
        out_loss = out_scores = out_grid = out_scatter = gr.skip()
        if drawn.get("step") != snap.step or drawn.get("lang") != lang:
            history = session.history(HISTORY_POINTS)
            out_loss = plots.loss_figure(history, t(lang, "losses_plot"), t(lang, "step_axis"))
            loss = get_loss(snap.config.loss)
            out_scores = plots.scores_figure(
                history, t(lang, "scores_plot" if loss.probabilities else "critic_scores_plot"), t(lang, "step_axis"),
                t(lang, "equilibrium"), loss.probabilities, loss.equilibrium)
        if drawn.get("grid_version") != snap.grid_version or drawn.get("lang") != lang:
            if snap.points is not None:
                out_scatter = plots.scatter_figure(snap.points["real"], snap.points["fake"], snap.config.dataset,
                                                   t(lang, "scatter"), t(lang, "real"), t(lang, "fake"))
            elif snap.grid is not None:
                out_grid = upscale(snap.grid, 2)
        visitor.extras["drawn"] = {"step": snap.step, "grid_version": snap.grid_version, "lang": lang}
        return status, out_loss, out_scores, out_grid, out_scatter

    @guarded
    def snapshot_api(self, request: gr.Request) -> dict:
        """JSON summary of this visitor's session for API clients: state, step, epoch, it/s, history rows."""
        _, visitor = self._visitor(request)
        if visitor.session is None:
            return {"state": "none", "step": 0, "history_rows": 0}
        snap = visitor.session.snapshot(since=0)
        return {"state": snap.state, "step": snap.step, "epoch": snap.epoch, "it_s": snap.it_s,
                "elapsed_s": snap.elapsed_s, "device": snap.device, "message": snap.message,
                "history_rows": len(snap.metrics["step"]), "grid_version": snap.grid_version,
                "last": {k: v[-1] for k, v in snap.metrics.items()} if snap.metrics["step"] else None}

    @guarded
    def export_gif(self, request: gr.Request, lang: str) -> str:
        """The fixed_z time-lapse as a GIF file path."""
        key, visitor = self._visitor(request)
        frames = self._session(lang, visitor).frames()
        if not frames:
            raise gr.Error(t(lang, "err_no_frames"))
        return str(save_gif([upscale(f, 2) for f in frames], self._file(key, "timelapse.gif"), fps=8))

    # ----- Explore tab -----

    def _explore_g(self, lang: str, visitor: Visitor, source: str) -> tuple[torch.nn.Module, GANConfig]:
        if source == "checkpoint" and visitor.checkpoint is not None:
            return visitor.checkpoint.G, visitor.checkpoint.config
        if visitor.session is not None:
            return visitor.session.generator(), visitor.session.config
        if visitor.checkpoint is not None:
            return visitor.checkpoint.G, visitor.checkpoint.config
        default = self.default_checkpoint()
        if default is not None:  # a first-time visitor explores the shipped generator straight away
            return default.G, default.config
        raise gr.Error(t(lang, "err_no_generator"))

    def default_checkpoint(self):
        """The shipped generator a new visitor explores before training (``DEFAULT_CHECKPOINT`` in the checkpoints
        folder), loaded once and shared read-only; None when it is absent or unreadable."""
        if self._default is None:
            path = self.checkpoints_dir / DEFAULT_CHECKPOINT
            try:
                self._default = load_checkpoint(path) if path.is_file() else False
            except CheckpointError:
                log.warning("could not load the default checkpoint %s", path)
                self._default = False
        return self._default or None

    def _label(self, lang: str, config: GANConfig, label: Any, field: str = "label") -> torch.Tensor | None:
        """(1,) int64 label for a conditional generator (gr.Error naming the field if out of range), else None."""
        if not config.conditional:
            return None
        if not isinstance(label, (int, float)) or isinstance(label, bool) or not float(label).is_integer() \
                or not 0 <= label < config.n_classes:
            raise gr.Error(t(lang, "err_field", field=t(lang, field), value=label,
                             range=f"0..{config.n_classes - 1}", kind=t(lang, "kind_int")))
        return torch.tensor([int(label)])

    def _z(self, lang: str, seed: Any, z_dim: int, sliders: tuple, psi: Any) -> torch.Tensor:
        seed = self._number(lang, "seed", seed)
        if not isinstance(psi, (int, float)) or not math.isfinite(psi) or not 0 <= psi <= 1:
            raise gr.Error(t(lang, "err_field", field=t(lang, "truncation"), value=psi, range="[0, 1]",
                             kind=t(lang, "kind_num")))
        z = seed_to_z(seed, z_dim)[0]
        for i, v in enumerate(sliders[:z_dim]):
            if v is not None and isinstance(v, (int, float)) and math.isfinite(v):
                z[i] = float(v)
        return truncate(z, float(psi))

    @staticmethod
    def _render(G: torch.nn.Module, config: GANConfig, z: torch.Tensor, lang: str, y: torch.Tensor | None = None):
        """(image update, plot update) for G(z, y); z is (N, z_dim), y (N,) labels or (N, n_classes) soft labels."""
        device = next(G.parameters()).device
        with torch.no_grad():
            out = G(z.to(device), None if y is None else y.to(device)).float().cpu()
        if is_2d(config.dataset):
            cloud = G(seed_to_z(1, config.z_dim, N_EXPLORE_CLOUD).to(device)).detach().float().cpu().numpy()
            fig = plots.scatter_figure(None, cloud, config.dataset, t(lang, "explore_image"), t(lang, "real"),
                                       t(lang, "fake"), highlight=out.numpy())
            return gr.update(visible=False), gr.update(value=fig, visible=True)
        image = upscale(to_grid(out, nrow=len(out), padding=0 if len(out) == 1 else 2), 8 if len(out) == 1 else 3)
        return gr.update(value=image, visible=True), gr.update(visible=False)

    @guarded
    def explore(self, request: gr.Request, lang: str, source: str, seed: Any, psi: Any, label: Any, *sliders: Any):
        """G(z) for the seed's z with its first dimensions set by the sliders, after truncation (and with the
        chosen label, for a conditional G)."""
        _, visitor = self._visitor(request)
        G, config = self._explore_g(lang, visitor, source)
        z = self._z(lang, seed, config.z_dim, sliders, psi)
        return self._render(G, config, z[None], lang, self._label(lang, config, label))

    @guarded
    def seed_to_sliders(self, request: gr.Request, lang: str, source: str, seed: Any, psi: Any, label: Any) -> list:
        """Set the sliders to the seed's z (hiding those beyond z_dim), show the label picker for a conditional G,
        and render it."""
        _, visitor = self._visitor(request)
        G, config = self._explore_g(lang, visitor, source)
        z_seed = seed_to_z(self._number(lang, "seed", seed), config.z_dim)[0]
        sliders = [gr.update(value=round(float(np.clip(z_seed[i], -Z_SLIDER_RANGE, Z_SLIDER_RANGE)), 2),
                             visible=True) if i < config.z_dim else gr.update(visible=False)
                   for i in range(N_Z_SLIDERS)]
        values = [round(float(np.clip(z_seed[i], -Z_SLIDER_RANGE, Z_SLIDER_RANGE)), 2)
                  for i in range(min(N_Z_SLIDERS, config.z_dim))]
        z = self._z(lang, seed, config.z_dim, tuple(values), psi)
        y = self._label(lang, config, label)
        return [*sliders, gr.update(visible=config.conditional), *self._render(G, config, z[None], lang, y)]

    @guarded
    def random_seed(self) -> int:
        return secrets.randbelow(2**31 - 1)

    @guarded
    def interpolate(self, request: gr.Request, lang: str, source: str, seed0: Any, seed1: Any, mode: str,
                    n_frames: Any, psi: Any, label0: Any = 0, label1: Any = 1):
        """A lerp or slerp path from z(seed0) to z(seed1) (a conditional G keeps label0); or, in ``label`` mode,
        z(seed0) held fixed while the label moves from label0 to label1. Returns (strip image, plot, GIF path)."""
        key, visitor = self._visitor(request)
        G, config = self._explore_g(lang, visitor, source)
        if not isinstance(n_frames, (int, float)) or not float(n_frames).is_integer() or not 2 <= n_frames <= 64:
            raise gr.Error(t(lang, "err_field", field=t(lang, "n_frames"), value=n_frames, range="2..64",
                             kind=t(lang, "kind_int")))
        if mode not in ("lerp", "slerp", "label"):
            raise gr.Error(t(lang, "err_choice", field=t(lang, "mode"), choices="lerp, slerp, label", value=mode))
        if mode == "label" and not config.conditional:
            raise gr.Error(t(lang, "err_label_mode"))
        n = int(n_frames)
        z0 = self._z(lang, seed0, config.z_dim, (), psi)
        y0 = self._label(lang, config, label0, "label0")
        if mode == "label":
            y1 = self._label(lang, config, label1, "label1")
            path = z0.expand(n, -1)  # z held fixed
            labels = label_path(int(y0), int(y1), config.n_classes, n)  # (n, n_classes) soft labels
        else:
            path = interpolate(z0, self._z(lang, seed1, config.z_dim, (), psi), n, mode)  # (n, z_dim)
            labels = None if y0 is None else y0.expand(n)
        image, fig = self._render(G, config, path, lang, labels)
        if is_2d(config.dataset):
            return image, fig, None
        device = next(G.parameters()).device
        with torch.no_grad():
            frames = G(path.to(device), None if labels is None else labels.to(device)).float().cpu()
        gif = save_gif([upscale(to_grid(f[None], nrow=1, padding=0), 6) for f in frames],
                       self._file(key, "interpolation.gif"), fps=10)
        return image, fig, str(gif)

    @guarded
    def save_current(self, request: gr.Request, lang: str) -> str:
        """Save this session's current G and D as a checkpoint file to download."""
        key, visitor = self._visitor(request)
        session = self._session(lang, visitor)
        snap = session.snapshot(None)
        path = self._file(key, f"ganapp_{snap.config.dataset}_{snap.config.model}_step{snap.step}.safetensors")
        for old in path.parent.glob("ganapp_*.safetensors"):  # one download per visitor on disk
            old.unlink(missing_ok=True)
        session.save_checkpoint(path)
        return str(path)

    def shipped_checkpoints(self) -> list[str]:
        """Names of the ``.safetensors`` files in the checkpoints folder."""
        return [p.name for p in list_checkpoints(self.checkpoints_dir)]

    def _load(self, lang: str, visitor: Visitor, path: Path) -> tuple:
        try:
            ckpt = load_checkpoint(path)
        except CheckpointError as e:
            raise gr.Error(t(lang, f"err_ckpt_{e.reason}") + f" ({e})") from None
        visitor.checkpoint = ckpt
        c = ckpt.config
        note = t(lang, "ckpt_loaded", name=path.name, model=c.model, dataset=c.dataset, step=ckpt.step,
                 z_dim=c.z_dim)
        return note, gr.update(value="checkpoint")

    @guarded
    def upload_checkpoint(self, request: gr.Request, lang: str, file: Any) -> tuple:
        """Load an uploaded checkpoint for exploring. Returns (note, source radio update)."""
        _, visitor = self._visitor(request)
        if not file:
            raise gr.Error(t(lang, "err_no_file"))
        return self._load(lang, visitor, Path(file if isinstance(file, str) else file.name))

    @guarded
    def load_shipped(self, request: gr.Request, lang: str, name: Any) -> tuple:
        """Load one of the checkpoints folder's files by name."""
        _, visitor = self._visitor(request)
        if not name or name not in self.shipped_checkpoints():
            raise gr.Error(t(lang, "err_no_file"))
        return self._load(lang, visitor, self.checkpoints_dir / name)

    def unload(self, request: gr.Request) -> None:
        """The visitor closed the page: stop and free their session and files."""
        key = getattr(request, "session_hash", None)
        if key:
            self.registry.remove(key)
            shutil.rmtree(self._folder(key), ignore_errors=True)
