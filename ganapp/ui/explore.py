"""The Explore tab's handlers: z sliders, seeds, truncation, interpolation, GANSpace directions, the time-lapse
across a run's saved generators, and checkpoints; ``app.explore`` of :class:`ganapp.ui.handlers.GanApp`, over the
shared registry (:class:`~ganapp.ui.base.TabHandlers`).
"""

from __future__ import annotations

import logging
import math
import secrets
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import torch

from ..gan.checkpoints import CheckpointError, load_checkpoint
from ..gan.config import GANConfig, Range, is_2d
from ..gan.directions import (MAX_COMPONENTS, Directions, direction_grid, edit, grid_z, n_edit_layers,
                              principal_directions, save_directions)
from ..gan.latent import MAX_SEED, Z_SLIDER_LIMIT, follow_z, interpolate, label_path, seed_to_z, truncate
from ..gan.media import save_samples_gif, strip, to_grid, upscale
from ..gan.models import generate
from ..gan.points2d import MAX_DRAWING_SIDE
from ..gan.projection import project, target_from_drawing, target_from_image
from ..gan.uploads import ImageTooLarge, open_header, pixel_limit
from ..host.visitors import Visitor
from . import plots
from .base import CONTROL_RANGES, Shared, TabHandlers
from .common import guarded
from .errors import checkpoint_error
from .i18n import t

log = logging.getLogger("ganapp")

N_Z_SLIDERS = 8
Z_SLIDER_RANGE = 3.0
N_EXPLORE_CLOUD = 512
DEFAULT_CHECKPOINT = "mnist_cond_dcgan.safetensors"
N_DIRECTIONS = 6  # sliders; find_directions computes MAX_COMPONENTS (20) for the 9-seed view
MAX_TIMELAPSE_FILES = 32
# finding an image's z: Adam steps and random starts per label (benchmarks/projection.py: ≤ 3 s on 2 cores)
PROJECT_STEPS = 40
PROJECT_STARTS = 3


def _slider_values(alphas: tuple) -> list[float]:
    """The direction sliders as floats; an empty or non-finite slider counts as 0."""
    return [float(a) if isinstance(a, (int, float)) and math.isfinite(a) else 0.0 for a in alphas]


class ExploreHandlers(TabHandlers):
    """Handlers of the Explore tab."""

    def __init__(self, shared: Shared):
        super().__init__(shared)
        self._default = None  # the shipped default checkpoint, loaded on first use (False: none)

    @staticmethod
    def _explore_kind(visitor: Visitor, source: str) -> str:
        """Which generator the Explore tab shows for the radio's ``source``: ``checkpoint`` (the loaded one),
        ``run`` (the visitor's G as it trains) or ``default`` (the shipped one, before either exists)."""
        if visitor.checkpoint is not None and (source == "checkpoint" or visitor.run is None):
            return "checkpoint"
        return "run" if visitor.run is not None else "default"

    def _explore_g(self, lang: str, visitor: Visitor, source: str) -> tuple[torch.nn.Module, GANConfig]:
        kind = self._explore_kind(visitor, source)
        if kind == "checkpoint":
            return visitor.checkpoint.G, visitor.checkpoint.config
        if kind == "run":
            return visitor.run.generator(), visitor.run.config
        default = self.default_checkpoint()
        if default is not None:  # a first-time visitor explores the shipped generator straight away
            return default.G, default.config
        raise gr.Error(t(lang, "err_no_generator"))

    def _shown_note(self, lang: str, visitor: Visitor, source: str) -> str:
        """One line saying which generator the Explore tab shows (the radio alone can't: with no run yet, it
        shows the loaded or the shipped one)."""
        kind = self._explore_kind(visitor, source)
        if kind == "checkpoint":
            c = visitor.checkpoint
            return t(lang, "shown_checkpoint", model=c.config.model, dataset=c.config.dataset, step=f"{c.step:,}")
        if kind == "run":
            snap = visitor.run.status()
            return t(lang, "shown_run", model=snap.config.model, dataset=snap.config.dataset,
                     step=f"{snap.step:,}")
        return t(lang, "shown_default", name=DEFAULT_CHECKPOINT)

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
        label = self._number(lang, field, label, Range(0, config.n_classes - 1, integer=True))
        return torch.tensor([label])

    def _z(self, lang: str, seed: Any, z_dim: int, sliders: tuple, psi: Any,
           base: torch.Tensor | None = None, noise: str = "gaussian") -> torch.Tensor:
        """(z_dim,) z: ``base`` (default: the seed's z, from the prior G was trained on, ``noise``) with its first
        dimensions set by ``sliders``, truncated."""
        seed = self._number(lang, "seed", seed)
        psi = self._number(lang, "truncation", psi, CONTROL_RANGES["truncation"])
        z = seed_to_z(seed, z_dim, noise=noise)[0] if base is None else base.clone()
        for i, v in enumerate(sliders[:z_dim]):
            if v is not None and isinstance(v, (int, float)) and math.isfinite(v):
                z[i] = float(v)
        return truncate(z, float(psi))

    @staticmethod
    def _render(G: torch.nn.Module, config: GANConfig, z: torch.Tensor, lang: str, y: torch.Tensor | None = None,
                shift: torch.Tensor | None = None):
        """(image update, plot update) for G(z, y); z is (N, z_dim), y (N,) labels or (N, n_classes) soft labels;
        ``shift`` (F,) moves G's first-layer activations along GANSpace directions."""
        with torch.no_grad():
            out = edit(G, z, shift, y) if shift is not None else generate(G, z, y)
        if is_2d(config.dataset):
            cloud = generate(G, seed_to_z(1, config.z_dim, N_EXPLORE_CLOUD, config.noise)).numpy()
            fig = plots.scatter_figure(None, cloud, config.dataset, t(lang, "explore_image"), t(lang, "real"),
                                       t(lang, "fake"), highlight=out.numpy())
            return gr.update(visible=False), gr.update(value=fig, visible=True)
        image = upscale(to_grid(out, nrow=len(out), padding=0 if len(out) == 1 else 2), 8 if len(out) == 1 else 3)
        return gr.update(value=image, visible=True), gr.update(visible=False)

    def _shift(self, lang: str, visitor: Visitor, G: torch.nn.Module, alphas: tuple, named: Any,
               amount: Any) -> torch.Tensor | None:
        """The activation shift for the direction sliders, or None when there are no directions or all are at 0."""
        directions: Directions | None = visitor.state.directions
        values = _slider_values(alphas)
        amount = float(amount) if isinstance(amount, (int, float)) and math.isfinite(amount) else 0.0
        use_named = bool(named) and amount != 0.0
        if directions is None or (not any(values) and not use_named):
            return None
        if use_named and named not in directions.named:
            raise gr.Error(t(lang, "err_direction_unknown", name=named))
        shift = directions.offset(values[:directions.k], {named: amount} if use_named else None)
        if shift.numel() != G.head_features:
            raise gr.Error(t(lang, "err_directions_stale"))
        return shift

    @guarded
    def explore(self, request: gr.Request, lang: str, source: str, seed: Any, psi: Any, label: Any, *values: Any):
        """G(z) for the seed's z with its first dimensions set by the z sliders, after truncation (with the chosen
        label, for a conditional G), moved along the GANSpace direction sliders and the chosen saved direction.

        ``values``: the N_Z_SLIDERS z sliders, then the N_DIRECTIONS direction sliders (σ units), then the saved
        direction's name and amount.
        """
        _, visitor = self._visitor(request)
        G, config = self._explore_g(lang, visitor, source)
        z_values = values[:N_Z_SLIDERS]
        alphas = values[N_Z_SLIDERS:N_Z_SLIDERS + N_DIRECTIONS]
        named, amount = (values[N_Z_SLIDERS + N_DIRECTIONS:] + (None, 0.0))[:2]
        base = self._projected(visitor, source, seed, config.z_dim)
        z = self._z(lang, seed, config.z_dim, z_values, psi, base, config.noise)
        shift = None if is_2d(config.dataset) else self._shift(lang, visitor, G, alphas, named, amount)
        return self._render(G, config, z[None], lang, self._label(lang, config, label), shift)

    @guarded
    def find_directions(self, request: gr.Request, lang: str, source: str) -> list:
        """GANSpace's principal directions of the explored G's first layer: sets the direction sliders (labelled
        with each one's share of variance) to 0, and clears the saved ones (they belonged to the old directions)."""
        _, visitor = self._visitor(request)
        G, config = self._explore_g(lang, visitor, source)
        if is_2d(config.dataset):
            raise gr.Error(t(lang, "err_directions_2d"))
        # 20 components for the 9-seed view (2,000 samples are ≥ 2k); a G whose first layer has fewer features
        # gives fewer. The sliders move the first N_DIRECTIONS of them.
        directions = principal_directions(G, config.z_dim, config.n_classes, k=MAX_COMPONENTS, n_samples=2000)
        visitor.state.directions = directions
        shown = min(directions.k, N_DIRECTIONS)
        sliders = [gr.update(value=0.0, visible=True, label=t(lang, "direction_label", i=i + 1,
                                                              share=f"{float(directions.explained[i]):.1%}"))
                   for i in range(shown)]
        sliders += [gr.update(value=0.0, visible=False)] * (N_DIRECTIONS - shown)
        kind = self._explore_kind(visitor, source)
        where = {"run": t(lang, "source_training"), "checkpoint": t(lang, "source_checkpoint")}.get(
            kind, DEFAULT_CHECKPOINT)
        note = t(lang, "directions_found", k=directions.k, model=config.model, where=where, n=shown)
        return [*sliders, gr.update(choices=[], value=None), note]

    @guarded
    def name_direction(self, request: gr.Request, lang: str, name: Any, *alphas: Any) -> list:
        """Save the direction sliders' current combination under ``name``. Returns (saved-directions dropdown, note)."""
        _, visitor = self._visitor(request)
        directions: Directions | None = visitor.state.directions
        if directions is None:
            raise gr.Error(t(lang, "err_no_directions"))
        values = _slider_values(alphas)
        try:
            directions.name(str(name or ""), values[:directions.k])
        except ValueError:
            if not any(values):
                raise gr.Error(t(lang, "err_direction_zero")) from None
            raise gr.Error(t(lang, "err_field", field=t(lang, "direction_name"), value=name, range="1..40",
                             kind=t(lang, "kind_chars"))) from None
        name = str(name).strip()
        return [gr.update(choices=list(directions.named), value=name), t(lang, "direction_saved", name=name)]

    @guarded
    def direction_grid(self, request: gr.Request, lang: str, source: str, seed: Any, psi: Any, label: Any,
                       component: Any, amount: Any, layer: Any = 0) -> list:
        """One GANSpace direction on 9 seeds (the chosen one and the 8 next, after truncation, with the chosen label
        for a conditional G): the 3×3 grid moved by −amount, unedited and moved by +amount, side by side (see
        :func:`ganapp.gan.directions.direction_grid`). ``component`` is 1..k of the directions found (k ≤ 20),
        ``amount`` in σ within ±DIRECTION_RANGE, ``layer`` where the edit enters G (0..layers − 1; ignored for a G
        with one layer to choose). Returns (image update, note, layer slider update: its range, hidden with one)."""
        _, visitor = self._visitor(request)
        G, config = self._explore_g(lang, visitor, source)
        if is_2d(config.dataset):
            raise gr.Error(t(lang, "err_directions_2d"))
        directions: Directions | None = visitor.state.directions
        if directions is None:
            raise gr.Error(t(lang, "err_no_directions"))
        if directions.components.shape[1] != G.head_features:
            raise gr.Error(t(lang, "err_directions_stale"))
        component = self._number(lang, "grid_component", component, Range(1, directions.k, integer=True))
        amount = self._number(lang, "grid_amount", amount, CONTROL_RANGES["grid_amount"])
        n_layers = n_edit_layers(G)
        # a hidden layer slider (a G with one layer to choose) may still send its old value: it means layer 0
        layer = self._number(lang, "grid_layer", layer, Range(0, n_layers - 1, integer=True)) if n_layers > 1 else 0
        seed = self._number(lang, "seed", seed)
        psi = self._number(lang, "truncation", psi, CONTROL_RANGES["truncation"])
        y = self._label(lang, config, label)
        z = truncate(grid_z(seed, config.z_dim), float(psi))  # (9, z_dim)
        with torch.no_grad():
            image = direction_grid(G, directions, component, amount, z, None if y is None else y.expand(len(z)),
                                   layer, config.n_classes)
        where = (t(lang, "grid_at_layer", layer=layer, top=n_layers - 1) if n_layers > 1
                 else t(lang, "grid_one_layer"))
        note = t(lang, "grid_note", i=component, share=f"{float(directions.explained[component - 1]):.1%}",
                 first=seed, last=(seed + len(z) - 1) % (MAX_SEED + 1), amount=f"{amount:g}", where=where)
        return [gr.update(value=upscale(image, 3), visible=True), note,
                gr.update(maximum=max(n_layers - 1, 1), visible=n_layers > 1)]

    @guarded
    def download_directions(self, request: gr.Request, lang: str) -> str:
        """The visitor's directions (components and named ones) as a safetensors file to download."""
        key, visitor = self._visitor(request)
        directions: Directions | None = visitor.state.directions
        if directions is None:
            raise gr.Error(t(lang, "err_no_directions"))
        return str(save_directions(self._file(key, "ganapp_directions.safetensors"), directions))

    @guarded
    def timelapse(self, request: gr.Request, lang: str, source: str, seed: Any, label: Any, files: Any):
        """One z through the generators of a run: this run's (kept along the way) or uploaded checkpoints.
        Returns (strip image, caption, GIF path)."""
        key, visitor = self._visitor(request)
        seed = self._number(lang, "seed", seed)
        if source == "files":
            paths = [Path(f if isinstance(f, str) else getattr(f, "name", "")) for f in (files or [])]
            if not paths:
                raise gr.Error(t(lang, "err_no_file"))
            if len(paths) > MAX_TIMELAPSE_FILES:
                raise gr.Error(t(lang, "err_field", field=t(lang, "timelapse_files"), value=len(paths),
                                 range=f"1..{MAX_TIMELAPSE_FILES}", kind=t(lang, "kind_int")))
            try:
                ckpts = [load_checkpoint(p) for p in paths]
            except CheckpointError as e:
                raise checkpoint_error(lang, e) from None
            if len({(c.config.z_dim, c.config.n_classes, c.config.dataset) for c in ckpts}) > 1:
                raise gr.Error(t(lang, "err_timelapse_mixed"))
            generators, config = [(c.step, c.G) for c in ckpts], ckpts[0].config
        else:
            run = self._run(lang, visitor)
            generators, config = run.g_snapshots(), run.config
        if is_2d(config.dataset):
            raise gr.Error(t(lang, "err_timelapse_2d"))
        y = self._label(lang, config, label)
        try:
            steps, x = follow_z(generators, seed_to_z(seed, config.z_dim, noise=config.noise), y)
        except ValueError as e:
            log.info("time-lapse refused: %s", e)
            raise gr.Error(t(lang, "err_timelapse_mixed")) from None
        gif = save_samples_gif(x, self._file(key, "timelapse_z.gif"), fps=3)
        # the strip and the GIF are hidden until there is a time-lapse to show
        return (gr.update(value=strip(x), visible=True),
                t(lang, "timelapse_steps", steps=", ".join(f"{s:,}" for s in steps)),
                gr.update(value=str(gif), visible=True))

    @guarded
    def seed_to_sliders(self, request: gr.Request, lang: str, source: str, seed: Any, psi: Any, label: Any) -> list:
        """Set the sliders to the seed's z (hiding those beyond z_dim), show the label pickers (the label slider,
        interpolation's two labels and the time-lapse's) for a conditional G only, and render it."""
        _, visitor = self._visitor(request)
        G, config = self._explore_g(lang, visitor, source)
        visitor.state.source = source if source in ("training", "checkpoint") else "training"  # for a reload
        base = self._projected(visitor, source, seed, config.z_dim)
        if base is None:  # another seed or generator: the z found for an image is left behind
            visitor.state.projected = None
        z_seed = (seed_to_z(self._number(lang, "seed", seed), config.z_dim, noise=config.noise)[0] if base is None
                  else base)
        reach = Z_SLIDER_LIMIT[config.noise]  # the sliders span the run's prior: ±3 for N(0, 1), [−1, 1] for U
        values = [round(float(np.clip(z_seed[i], -reach, reach)), 2) for i in range(min(N_Z_SLIDERS, config.z_dim))]
        sliders = [gr.update(value=values[i], minimum=-reach, maximum=reach, visible=True) if i < config.z_dim
                   else gr.update(visible=False) for i in range(N_Z_SLIDERS)]
        z = self._z(lang, seed, config.z_dim, tuple(values), psi, base, config.noise)
        y = self._label(lang, config, label)
        # the direction sliders go back to 0: a new seed starts from G's own output
        directions = [gr.update(value=0.0)] * N_DIRECTIONS
        labels = [gr.update(visible=config.conditional)] * 4
        return [*sliders, *labels, *self._render(G, config, z[None], lang, y),
                *directions, self._shown_note(lang, visitor, source)]

    def _projected(self, visitor: Visitor, source: str, seed: Any, z_dim: int) -> torch.Tensor | None:
        """The z found for an image (:meth:`project_image`) when it was found at this seed for the generator shown
        now, else None (the seed's z applies)."""
        found = visitor.state.projected
        if found is None or found["seed"] != seed or found["g"] != self._g_key(visitor, source) \
                or found["z"].numel() != z_dim:
            return None
        return found["z"]

    def _g_key(self, visitor: Visitor, source: str) -> tuple[str, int]:
        """Which generator the tab shows: its kind, and the checkpoint or run object's identity (another checkpoint
        loaded, or a new run built, is another G)."""
        kind = self._explore_kind(visitor, source)
        return kind, id({"checkpoint": visitor.checkpoint, "run": visitor.run}.get(kind))

    def _project_target(self, lang: str, config: GANConfig, sketch: Any, file: Any) -> tuple[torch.Tensor, str]:
        """The image to find a z for, as G's (C, H, W) in [−1, 1], and where it came from (``upload`` or
        ``drawing``): the uploaded file when there is one (its header read first: one over the pixel limit, or
        not an image, is refused undecoded), else the pad's drawing."""
        size, channels = config.image_size, config.channels
        if file:
            path = Path(file if isinstance(file, str) else getattr(file, "name", ""))
            try:
                with open(path, "rb") as f, open_header(f) as image:
                    array = np.asarray(image.convert("RGBA"))
            except ImageTooLarge as e:
                raise gr.Error(t(lang, "err_project_too_large", width=f"{e.width:,}", height=f"{e.height:,}",
                                 limit=f"{pixel_limit():,}")) from None
            except Exception:  # not an image (Pillow raises several kinds) or unreadable
                raise gr.Error(t(lang, "err_project_not_image")) from None
            return target_from_image(array, size, channels), "upload"
        image = sketch.get("composite") if isinstance(sketch, dict) else sketch
        too_large = sketch.get("too_large") if isinstance(sketch, dict) else None  # (ui.sketchpad did not decode it)
        if too_large is None and np.ndim(image) >= 2 and max(np.shape(image)[:2]) > MAX_DRAWING_SIDE:
            too_large = np.shape(image)[1], np.shape(image)[0]
        if too_large is not None:
            raise gr.Error(t(lang, "err_drawing_too_large", width=too_large[0], height=too_large[1],
                             max=MAX_DRAWING_SIDE))
        if image is None:
            raise gr.Error(t(lang, "err_project_nothing"))
        try:
            return target_from_drawing(np.asarray(image), size, channels), "drawing"
        except ValueError:  # nothing drawn, or not an image array
            raise gr.Error(t(lang, "err_project_nothing")) from None

    @guarded
    def project_image(self, request: gr.Request, lang: str, source: str, seed: Any, sketch: Any, file: Any,
                      progress: gr.Progress = gr.Progress()) -> list:
        """Find the z (and, for a conditional G, the label) whose G(z) matches the uploaded image, or else the
        drawing (see :func:`ganapp.gan.projection.project`), with a progress bar; then set the z sliders, the
        label and truncation (1) to it, keep the whole z for the seed shown, and render it. The shown z's first
        dimensions are rounded as the sliders hold them (to 0.01), and its distance is measured after.

        Returns:
            the match (target | G(z) side by side), the note (distance, and a random z's), the N_Z_SLIDERS z
            sliders, truncation, the label slider, the Explore image and plot, the N_DIRECTIONS direction sliders
            (back to 0).
        Raises:
            gr.Error: a 2D G, no image, or an upload that is not an image or is too large (nothing changes).
        """
        _, visitor = self._visitor(request)
        G, config = self._explore_g(lang, visitor, source)
        if is_2d(config.dataset):
            raise gr.Error(t(lang, "err_project_2d"))
        seed = self._number(lang, "seed", seed)
        target, came_from = self._project_target(lang, config, sketch, file)
        progress((0, PROJECT_STEPS), desc=t(lang, "project_progress"))
        found = project(G, target, config.z_dim, config.n_classes, steps=PROJECT_STEPS, n_starts=PROJECT_STARTS,
                        seed=seed, noise=config.noise,
                        progress=lambda done, total: progress((done, total), desc=t(lang, "project_progress")))
        z = found.z.clone()
        n = min(N_Z_SLIDERS, config.z_dim)
        z[:n] = torch.round(z[:n] * 100) / 100  # what the sliders hold
        y = None if found.label is None else torch.tensor([found.label])
        with torch.no_grad():
            image = generate(G, z[None], y)[0]
        distance = float((image - target).pow(2).mean())
        visitor.state.projected = {"seed": seed, "g": self._g_key(visitor, source), "z": z}
        match = upscale(to_grid(torch.stack([target, image]), nrow=2, padding=2), 6)
        note = t(lang, "project_note", source=t(lang, f"project_from_{came_from}"), steps=PROJECT_STEPS,
                 starts=PROJECT_STARTS * max(config.n_classes, 1),
                 label="" if found.label is None else t(lang, "project_label", label=found.label),
                 distance=f"{distance:.3f}", random=f"{found.random_distance:.3f}",
                 held=t(lang, "project_held", and_label="" if found.label is None else t(lang, "project_and_label"),
                        rest="" if config.z_dim == n else t(lang, "project_rest", rest=config.z_dim - n)))
        sliders = [gr.update(value=float(z[i]), visible=True) if i < n else gr.update(visible=False)
                   for i in range(N_Z_SLIDERS)]
        label = gr.update(value=found.label) if found.label is not None else gr.update()
        return [gr.update(value=match, visible=True), note, *sliders, gr.update(value=1.0), label,
                *self._render(G, config, z[None], lang, y), *[gr.update(value=0.0)] * N_DIRECTIONS]

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
        n_frames = self._number(lang, "n_frames", n_frames, CONTROL_RANGES["n_frames"])
        if mode not in ("lerp", "slerp", "label"):
            raise gr.Error(t(lang, "err_choice", field=t(lang, "mode"), choices="lerp, slerp, label", value=mode))
        if mode == "label" and not config.conditional:
            raise gr.Error(t(lang, "err_label_mode"))
        n = int(n_frames)
        z0 = self._z(lang, seed0, config.z_dim, (), psi, noise=config.noise)
        y0 = self._label(lang, config, label0, "label0")
        if mode == "label":
            y1 = self._label(lang, config, label1, "label1")
            path = z0.expand(n, -1)  # z held fixed
            labels = label_path(int(y0), int(y1), config.n_classes, n)  # (n, n_classes) soft labels
        else:
            z1 = self._z(lang, seed1, config.z_dim, (), psi, noise=config.noise)
            path = interpolate(z0, z1, n, mode, config.noise)  # (n, z_dim)
            labels = None if y0 is None else y0.expand(n)
        image, fig = self._render(G, config, path, lang, labels)
        if is_2d(config.dataset):
            return image, fig, None
        frames = generate(G, path, labels)
        gif = save_samples_gif(frames, self._file(key, "interpolation.gif"), fps=10)
        return image, fig, str(gif)

    @guarded
    def save_current(self, request: gr.Request, lang: str) -> str:
        """Save this run's current G and D as a checkpoint file to download."""
        key, visitor = self._visitor(request)
        run = self._run(lang, visitor)
        snap = run.status()
        path = self._file(key, f"ganapp_{snap.config.dataset}_{snap.config.model}_step{snap.step}.safetensors")
        for old in path.parent.glob("ganapp_*.safetensors"):  # one download per visitor on disk
            old.unlink(missing_ok=True)
        run.save_checkpoint(path)
        return str(path)

    def _load(self, lang: str, visitor: Visitor, path: Path) -> tuple:
        try:
            ckpt = load_checkpoint(path)
        except CheckpointError as e:
            raise checkpoint_error(lang, e) from None
        visitor.checkpoint = ckpt
        visitor.state.checkpoint_name = path.name
        return self.loaded_note(lang, visitor), gr.update(value="checkpoint")

    @guarded
    def checkpoint_note(self, request: gr.Request, lang: str) -> str:
        """The loaded-checkpoint note in ``lang`` (the page's language switch calls it)."""
        _, visitor = self._visitor(request)
        return self.loaded_note(lang, visitor)

    @staticmethod
    def loaded_note(lang: str, visitor: Visitor) -> str:
        """What the Explore tab says of the visitor's loaded checkpoint ("no checkpoint loaded" without one)."""
        ckpt = visitor.checkpoint
        if ckpt is None:
            return t(lang, "no_ckpt_loaded")
        c = ckpt.config
        return t(lang, "ckpt_loaded", name=visitor.state.checkpoint_name, model=c.model, dataset=c.dataset,
                 step=ckpt.step, z_dim=c.z_dim)

    @guarded
    def upload_checkpoint(self, request: gr.Request, lang: str, file: Any) -> tuple:
        """Load an uploaded checkpoint for exploring. Returns (note, source radio update)."""
        _, visitor = self._visitor(request)
        if not file:
            raise gr.Error(t(lang, "err_no_file"))
        return self._load(lang, visitor, Path(file if isinstance(file, str) else file.name))

    @guarded
    def upload_checkpoint_page(self, request: gr.Request, lang: str, file: Any) -> tuple:
        """The page's upload: as :meth:`upload_checkpoint`, but a refused file becomes a warning toast and an
        emptied upload box, so that no output is marked as failed. Returns (note, source radio update, upload box
        update)."""
        try:
            note, source = self.upload_checkpoint(request, lang, file)
        except gr.Error as e:
            gr.Warning(e.message)
            return gr.skip(), gr.skip(), None
        return note, source, gr.skip()

    @guarded
    def load_shipped(self, request: gr.Request, lang: str, name: Any) -> tuple:
        """Load one of the checkpoints folder's files by name."""
        _, visitor = self._visitor(request)
        if not name or name not in self.shipped_checkpoints():
            raise gr.Error(t(lang, "err_no_file"))
        return self._load(lang, visitor, self.checkpoints_dir / name)
