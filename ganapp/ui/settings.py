"""The Train tab's settings column: its controls read into a validated :class:`~ganapp.config.GANConfig`, runs built
from them, and the handlers that fill the controls (a dataset's defaults, a loss's, a checkpoint's settings, a
drawing). The controls' order is :data:`ganapp.ui.common.CONTROL_FIELDS`, made from the config's schema.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import logging
import math
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np

from ..checkpoints import CheckpointError, load_checkpoint
from ..config import DATASETS, DATASETS_LABELLED, LOSSES, PAGE_FIELDS, SETTINGS, ConfigError, GANConfig, is_2d
from ..data import DatasetUnavailableError, on_server
from ..points2d import save_drawing
from ..limits import LimitError, ServerFullError
from ..losses import R1_TEX, get_loss
from ..presets import CLASSROOM_2D, classroom_config
from ..registry import Visitor
from ..uploads import MAX_FOLDER_IMAGES, count_uploads, pixel_limit
from .base import TabHandlers
from .common import guarded, named
from .errors import checkpoint_error, config_error, dataset_error, limit_error
from .i18n import t

# The controls that choosing a dataset (or a drawing) fills with that dataset's recommended settings, in order; the
# upload box (shown only for ``folder``) follows them.
DATASET_DEFAULT_FIELDS = ("model", "z_dim", "batch_size", "lr_g", "lr_d", "beta1", "beta2", "g_width", "d_width",
                          "r1_gamma", "r1_every", "lr_decay", "conditional", "image_size", "channels")
log = logging.getLogger("ganapp")
CLASSROOM_SETTLE_S = 3.0  # how long the change events of control values just set may lag (see caught_up)


class SettingsHandlers(TabHandlers):
    """The Train tab's settings: reading them, building runs from them, and filling them in."""

    def read_config(self, lang: str, values: tuple, key: str = "local") -> GANConfig:
        """A validated GANConfig from the Train tab's controls (in CONTROL_FIELDS order); uploaded image files for
        the ``folder`` dataset become its data_path."""
        raw = named(values)
        for field in PAGE_FIELDS:  # a number box sends a float, and a menu of numbers may send text
            setting, value = SETTINGS[field], raw[field]
            if setting.integer and isinstance(value, (float, str)):
                with contextlib.suppress(ValueError, OverflowError):
                    raw[field] = int(value) if float(value).is_integer() else value
            elif setting.type == "bool":
                raw[field] = bool(value)
        raw.pop("init")
        files = raw.pop("data_files")
        if raw["dataset"] in DATASETS and not on_server(raw["dataset"], self.downloads):  # refused before anything
            raise gr.Error(t(lang, "err_dataset_not_here", dataset=raw["dataset"],
                             offered=", ".join(self.datasets_offered())))
        raw["data_path"] = self._data_path(lang, key, files) if raw["dataset"] == "folder" else ""
        # the schema checks every value, naming the field and its range in the visitor's language
        if raw["dataset"] == "drawn":
            raw["data_path"] = self.registry.visitor(key).state.drawn_path
            if not raw["data_path"] or not Path(raw["data_path"]).is_file():
                raise gr.Error(t(lang, "err_drawn_missing"))
        try:
            return GANConfig(**raw)
        except ValueError as e:
            raise config_error(lang, e) from None

    @property
    def downloads(self) -> bool:
        """Whether this server's runs may download a dataset whose files it lacks (the registry's setting)."""
        return bool(self.registry.session_kwargs.get("download", True))

    def datasets_offered(self) -> list[str]:
        """The datasets this server can load now, in the schema's order (see :func:`ganapp.data.on_server`)."""
        return [d for d in DATASETS if on_server(d, self.downloads)]

    def dataset_menu(self) -> dict:
        """The dataset menu's choices as the page opens: only what this server can load (mnist, fashion_mnist and
        cifar10 only with their files or a download allowed), so that a choice is never refused after the fact."""
        return gr.update(choices=self.datasets_offered())

    @staticmethod
    def _uploads(files: Any) -> list[Path]:
        """The upload box's files that are there, in upload order."""
        paths = [Path(f if isinstance(f, str) else getattr(f, "name", "")) for f in (files or [])]
        return [p for p in paths if p.is_file()]

    def _data_path(self, lang: str, key: str, files: Any) -> str:
        """The uploaded files (.zip files and images, any mix) as one folder of the visitor's, which the folder
        dataset reads whole, each .zip's images included. The folder is named after the uploads, so the same
        uploads (read again at each control change and each Start) are copied once, and a run training on them
        never sees its folder rewritten."""
        paths = self._uploads(files)
        session = self.registry.visitor(key).session
        if not paths and session is not None and session.config.dataset == "folder":
            return session.config.data_path  # a reopened page's upload box is empty: the run keeps its images
        if not paths:
            raise gr.Error(t(lang, "err_no_images"))
        stat = [(p.name, p.stat().st_size, p.stat().st_mtime_ns, str(p)) for p in paths]
        folder = self._file(key, "images-" + hashlib.sha256(repr(stat).encode()).hexdigest()[:16])
        if not folder.is_dir():  # copied aside, then renamed whole: a run never reads a half-copied folder
            part = Path(tempfile.mkdtemp(dir=folder.parent, prefix=folder.name + ".", suffix=".part"))
            for i, p in enumerate(paths):
                shutil.copy(p, part / f"{i:05d}_{p.name}")
            with contextlib.suppress(OSError):  # another request copied the same uploads first: theirs is whole
                part.rename(folder)
            shutil.rmtree(part, ignore_errors=True)
        runs = self.registry.visitor(key).runs().values()
        keep = {folder, *(Path(r.config.data_path) for r in runs if r.config.dataset == "folder")}
        for old in folder.parent.glob("images-*"):  # earlier uploads that no run trains on
            if old not in keep and not old.name.endswith(".part"):
                shutil.rmtree(old, ignore_errors=True)
        return str(folder)

    @guarded
    def upload_note(self, lang: str, files: Any) -> str:
        """What the folder dataset will train on, from the upload box's files: "**25 images** to train on: 24 from
        shapes.zip, 1 from red.png", and what is left out (files that are not images, images too large); "" for an
        empty box. Reads image headers only, so an 8,000 × 8,000 picture is named at once."""
        paths = self._uploads(files)
        if not paths:
            return ""
        counts = count_uploads(paths)  # Gradio keeps a file's uploaded name as the last part of its path
        total = sum(c.images for c in counts)
        lines = [t(lang, "upload_total", n=f"{total:,}", parts=t(lang, "list_sep").join(
            t(lang, "upload_part", n=f"{c.images:,}", name=_plain(c.name)) for c in counts))
            if total else t(lang, "upload_none")]
        if total >= MAX_FOLDER_IMAGES:
            lines.append(t(lang, "upload_more", n=f"{MAX_FOLDER_IMAGES:,}"))
        for c in counts:
            if c.other:
                lines.append(t(lang, "upload_other", name=_plain(c.name), n=f"{c.other:,}"))
            for name, width, height in c.too_large:
                shown = c.name if name == c.name else f"{c.name}/{name}"
                lines.append(t(lang, "upload_too_large", name=_plain(shown), width=f"{width:,}",
                               height=f"{height:,}", limit=f"{pixel_limit():,}"))
        return "\n\n".join(lines)

    def start_point(self, lang: str, visitor: Visitor, choice: Any) -> tuple[str, Any]:
        """The Train tab's "start from" choice (the ``init`` control) and its checkpoint (None for "scratch")."""
        choice = choice or "scratch"
        if choice == "scratch":
            return choice, None
        if choice == "uploaded":
            if visitor.checkpoint is None:
                raise gr.Error(t(lang, "err_no_upload_to_tune"))
            return choice, visitor.checkpoint
        if choice not in self.shipped_checkpoints():
            raise gr.Error(t(lang, "err_choice", field=t(lang, "init"), value=choice,
                             choices=", ".join(["scratch", "uploaded", *self.shipped_checkpoints()])))
        try:
            return choice, load_checkpoint(self.checkpoints_dir / choice)
        except CheckpointError as e:
            raise checkpoint_error(lang, e) from None

    def classroom_sizes(self, visitor: Visitor, page: dict, config: GANConfig) -> tuple[GANConfig, list]:
        """In the registry's classroom mode, a 2D run at default sizes takes the classroom sizes. Returns the config
        and the updates of the CLASSROOM_2D controls (gr.skip() each when nothing changed)."""
        shared = classroom_config(config) if self.registry.classroom_mode() else config
        visitor.state.classroom = shared is not config
        if shared is config:
            return config, [gr.skip()] * len(CLASSROOM_2D)
        # the page applies the new values one control at a time, and each fires a change event
        self.sent(page, [(f, getattr(config, f), getattr(shared, f)) for f in CLASSROOM_2D])
        return shared, [getattr(shared, f) for f in CLASSROOM_2D]

    def new_session(self, lang: str, key: str, config: GANConfig, controls: tuple = ()):
        visitor = self.registry.visitor(key)
        choice, init = self.start_point(lang, visitor, named(controls)["init"]) if controls else ("scratch", None)
        try:
            session = self.registry.new_session(key, config, init=init)
        except (LimitError, ServerFullError) as e:
            raise limit_error(lang, e) from None
        except DatasetUnavailableError as e:
            raise dataset_error(lang, e) from None
        except ValueError as e:
            if init is not None and not isinstance(e, ConfigError):
                log.info("start point refused: %s", e)
                raise gr.Error(t(lang, "err_init_mismatch")) from None
            raise config_error(lang, e) from None
        visitor.state.notice = ((), ())
        visitor.state.lesson_note = None
        visitor.state.gen += 1  # every page redraws everything
        visitor.state.built_from = choice
        session.set_slow_motion(visitor.state.slow_motion_s)
        visitor.state.built_step = session.step_count
        return session

    def apply_controls(self, lang: str, visitor: Visitor, config: GANConfig) -> None:
        """Push the controls' values into the running session and remember what applied and what needs a reset."""
        session = visitor.session
        try:
            self.registry.limits.check(config)
        except LimitError as e:
            raise limit_error(lang, e) from None
        try:
            keep = {"device": session.config.device}
            if config.dataset == "folder" and session.config.dataset == "folder":
                keep["data_path"] = session.config.data_path  # a re-upload is a new copy of the same images
            applied, needs_reset = session.update(**config.to_dict() | keep)
        except ValueError as e:
            raise config_error(lang, e) from None
        # what needs a Reset is what differs now; what applied live stays on show until something else applies
        visitor.state.notice = (applied or visitor.state.notice[0], needs_reset)
        visitor.state.gen += 1  # every page redraws everything

    @guarded
    def controls_changed(self, request: gr.Request, lang: str, *controls: Any) -> None:
        """A hyperparameter changed: apply it live if possible, else note that it needs a Reset."""
        key, visitor = self._visitor(request)
        if visitor.session is None:
            return
        self.apply_controls(lang, visitor, self.read_config(lang, self.caught_up(self._page(request), controls), key))

    @staticmethod
    def sent(page: dict, changes) -> None:
        """Remember the control values the server is setting on this page, as (field, old, new), for
        :meth:`caught_up`."""
        page["sent"] = ({f: (old, new) for f, old, new in changes if old != new},
                        time.monotonic() + CLASSROOM_SETTLE_S)

    @staticmethod
    def caught_up(page: dict, controls: tuple) -> tuple:
        """The controls as the page will show them. Setting controls from the server (the classroom sizes, a
        reopened page's run settings) fires one change event per control, each carrying the values of the moment it
        fired, and they run concurrently, in any order (seen in Chromium: all new, then g_width alone new, then two
        of three). For CLASSROOM_SETTLE_S after the values were sent, a control that still shows its old value is
        read as the new one."""
        sent = page.get("sent")
        if not sent:
            return controls
        fields, until = sent
        if time.monotonic() > until:
            page.pop("sent", None)
            return controls
        values = named(controls)
        for field, (old, new) in fields.items():
            values[field] = new if values[field] == old else values[field]
        return tuple(values.values())

    @guarded
    def init_selected(self, request: gr.Request, lang: str, choice: Any) -> list:
        """"Start from" changed: a checkpoint's settings fill the controls (dataset, model, loss, sizes, learning
        rates ...), so that Start fine-tunes exactly the networks it holds; "scratch" leaves them as they are.

        Returns:
            updates for the PAGE_FIELDS controls, then a note.
        """
        _, visitor = self._visitor(request)
        _, init = self.start_point(lang, visitor, choice)
        if init is None:
            return [gr.update()] * len(PAGE_FIELDS) + [t(lang, "init_scratch")]
        c = init.config
        values = [getattr(c, f) for f in PAGE_FIELDS]
        return values + [t(lang, "init_note", step=f"{init.step:,}", dataset=c.dataset, model=c.model,
                               d=t(lang, "init_with_d" if init.d_state else "init_fresh_d"))]

    @staticmethod
    def dataset_defaults(dataset: str) -> list[Any]:
        """The recommended settings of ``dataset`` as values of the DATASET_DEFAULT_FIELDS controls (conditional
        switched off for data without labels), then the upload box with its note (one column), shown only for
        ``folder``. An unknown dataset changes nothing."""
        if dataset not in DATASETS:
            return [gr.update()] * (len(DATASET_DEFAULT_FIELDS) + 1)
        c = GANConfig.default_for(dataset, data_path="-" if dataset in ("folder", "drawn") else "")
        values = [getattr(c, f) for f in DATASET_DEFAULT_FIELDS]
        # 2D data and folders have no labels; a labelled dataset keeps the user's choice
        values[DATASET_DEFAULT_FIELDS.index("conditional")] = gr.update() if dataset in DATASETS_LABELLED else False
        return values + [gr.update(visible=dataset == "folder")]

    @staticmethod
    def layers_shown(dataset: Any) -> dict:
        """The 2D view's layer picker: shown for 2D data only (on images it would do nothing)."""
        return gr.update(visible=dataset in DATASETS and is_2d(dataset))

    @guarded
    def use_drawing(self, request: gr.Request, lang: str, sketch: Any) -> list:
        """Turn the sketchpad's strokes into the ``drawn`` dataset: 2,000 points saved in the visitor's folder.

        Returns:
            the dataset dropdown ("drawn"), then :meth:`dataset_defaults`' updates, then a note.
        """
        key, visitor = self._visitor(request)
        image = sketch.get("composite") if isinstance(sketch, dict) else sketch
        if image is None:
            raise gr.Error(t(lang, "err_no_drawing"))
        try:
            path = save_drawing(np.asarray(image), self._file(key, "drawn.npy"))
        except ValueError:
            raise gr.Error(t(lang, "err_no_drawing")) from None
        visitor.state.drawn_path = str(path)
        return ["drawn", *self.dataset_defaults("drawn"), t(lang, "drawing_saved", n=f"{len(np.load(path)):,}")]

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
    def loss_defaults(loss: str, dataset: str | None = None) -> list[Any]:
        """n_critic, β1 and β2 that suit ``loss`` on ``dataset``: WGAN-GP's are Gulrajani et al. 2017's (5, 0,
        0.9); any other loss gets the dataset's own (MNIST's β = (0, 0.99) stays when the loss goes from hinge back
        to non-saturating)."""
        if loss == "wgan_gp":
            return [5, 0.0, 0.9]
        if loss in LOSSES:
            c = GANConfig.default_for(dataset if dataset in DATASETS else GANConfig().dataset, data_path="-")
            return [c.n_critic, c.beta1, c.beta2]
        return [gr.update()] * 3


def _plain(text: str) -> str:
    """A visitor's file name as plain text inside markdown: no HTML, no markdown markup."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~>])", r"\\\1", html.escape(text, quote=False))
