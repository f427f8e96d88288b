"""The Train tab's settings column: its controls read into a validated :class:`~ganapp.gan.config.GANConfig`, runs built
from them, and the handlers that fill the controls (a dataset's defaults, a loss's, a checkpoint's settings, a
drawing). The controls' order is :data:`ganapp.ui.common.CONTROL_FIELDS`, made from the config's schema.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import logging
import math
import shutil
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np

from ..gan.checkpoints import CheckpointError, load_checkpoint
from ..gan.config import (DATASETS, DATASETS_LABELLED, LIVE_FIELDS, LOSSES, PAGE_FIELDS, SETTINGS, ConfigError,
                      GANConfig, is_2d)
from ..gan.data import DatasetUnavailableError, on_server
from ..gan.losses import R1_TEX, get_loss
from ..gan.points2d import MAX_DRAWING_SIDE, save_drawing
from ..gan.points_file import PointsFileError, read_points, save_points, scale_into_view
from ..gan.presets import CLASSROOM_2D, classroom_config, young_at_full_size
from ..gan.uploads import MAX_FOLDER_IMAGES, count_uploads, pixel_limit
from ..host.limits import LimitError, ServerFullError
from ..host.visitors import PageView, Visitor
from ..run.run import RUNNING, WAITING
from .base import TabHandlers
from .common import ERROR_TOAST_S, command, guarded, markdown_text, named
from .errors import checkpoint_error, config_error, dataset_error, limit_error
from .i18n import t

# The controls that choosing a dataset (or a drawing) fills with that dataset's recommended settings, in order; the
# upload box (shown only for ``folder``) follows them.
DATASET_DEFAULT_FIELDS = ("model", "z_dim", "batch_size", "lr_g", "lr_d", "beta1", "beta2", "g_width", "d_width",
                          "r1_gamma", "r1_every", "lr_decay", "conditional", "image_size", "channels")
# The controls of an MLP's own layers (see GANConfig.g_hidden): shown while the model is mlp, hidden for a DCGAN.
MLP_FIELDS = ("g_hidden", "d_hidden", "g_activation", "d_activation")
log = logging.getLogger("ganapp")


def reset_fields(running: GANConfig, wanted: GANConfig) -> list[str]:
    """The controls' fields (PAGE_FIELDS) in which ``wanted`` (what the controls say) describes another run than
    ``running``: those that only a Reset builds (not in :data:`ganapp.gan.config.LIVE_FIELDS`: the dataset, the model,
    its sizes, the seed ...). What no control shows (the device, the grid's size, where a folder's images were
    copied) does not count."""
    return [k for k in PAGE_FIELDS if k not in LIVE_FIELDS and getattr(running, k) != getattr(wanted, k)]


class SettingsHandlers(TabHandlers):
    """The Train tab's settings: reading them, building runs from them, and filling them in."""

    @staticmethod
    def page_value(field: str, value: Any) -> Any:
        """A control's value as the config takes it: a number box sends a float, and a menu of numbers may send
        text (an integer field's whole number becomes an int); a checkbox, a bool. Anything else as it came (the
        config's validation names what is wrong)."""
        setting = SETTINGS[field]
        if setting.integer and isinstance(value, (float, str)) and not isinstance(value, bool):
            with contextlib.suppress(ValueError, OverflowError):
                return int(value) if float(value).is_integer() else value
        elif setting.type == "bool":
            return bool(value)
        return value

    def read_config(self, lang: str, values: tuple, key: str = "local") -> GANConfig:
        """A validated GANConfig from the Train tab's controls (in CONTROL_FIELDS order); uploaded image files for
        the ``folder`` dataset become its data_path."""
        raw = named(values)
        for field in PAGE_FIELDS:
            raw[field] = self.page_value(field, raw[field])
        self.check_unlocked(lang, self.registry.visitor(key), {f: raw[f] for f in PAGE_FIELDS})
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
        return bool(self.registry.run_kwargs.get("download", True))

    def datasets_offered(self) -> list[str]:
        """The datasets this server can load now, in the schema's order (see :func:`ganapp.gan.data.on_server`)."""
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
        run = self.registry.visitor(key).run
        if not paths and run is not None and run.config.dataset == "folder":
            return run.config.data_path  # a reopened page's upload box is empty: the run keeps its images
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
            t(lang, "upload_part", n=f"{c.images:,}", name=markdown_text(c.name)) for c in counts))
            if total else t(lang, "upload_none")]
        if total >= MAX_FOLDER_IMAGES:
            lines.append(t(lang, "upload_more", n=f"{MAX_FOLDER_IMAGES:,}"))
        for c in counts:
            if c.other:
                lines.append(t(lang, "upload_other", name=markdown_text(c.name), n=f"{c.other:,}"))
            for name, width, height in c.too_large:
                shown = c.name if name == c.name else f"{c.name}/{name}"
                lines.append(t(lang, "upload_too_large", name=markdown_text(shown), width=f"{width:,}",
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

    def classroom_sizes(self, visitor: Visitor, config: GANConfig) -> tuple[GANConfig, list]:
        """In the registry's classroom mode, a 2D run at default sizes takes the classroom sizes. Returns the config
        and the updates of the CLASSROOM_2D controls (gr.skip() each when nothing changed)."""
        shared = classroom_config(config) if self.registry.classroom_mode() else config
        visitor.state.classroom = shared is not config
        if shared is config:
            return config, [gr.skip()] * len(CLASSROOM_2D)
        return shared, [getattr(shared, f) for f in CLASSROOM_2D]  # values the server sets fire no settings event

    def new_run(self, lang: str, key: str, config: GANConfig, controls: tuple = ()):
        visitor = self.registry.visitor(key)
        choice, init = self.start_point(lang, visitor, named(controls)["init"]) if controls else ("scratch", None)
        try:
            run = self.registry.new_run(key, config, init=init)
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
        visitor.state.moved_at_step = None
        visitor.state.gen += 1  # every page redraws everything
        visitor.state.built_from = choice
        run.set_slow_motion(visitor.state.slow_motion_s)
        visitor.state.built_step = run.step_count
        return run

    def join_class(self, lang: str, key: str, visitor: Visitor, run: Any, snap: Any) -> bool:
        """Move a young full-size run into the class's sizes, once the class has arrived (called by the page's
        tick with run A, ``run``, and its status-only snapshot ``snap``).

        A run built before the classroom mode switched on (fewer than 4 pages open) has the full default sizes,
        and the class's runs, at the classroom sizes, train as one stack: the engine then shares by steps (see
        :mod:`ganapp.engine.engine`), but each full-size step costs several classroom-size ones, and the class's
        median rate pays for it. A run that has trained for less than :data:`ganapp.gan.presets.YOUNG_S` at its
        dataset's default sizes is therefore rebuilt with the classroom sizes (fresh networks, its seed and every
        other setting kept; a timed run keeps the time it had left) and started again, between two steps: the
        class then trains as one stack, every run at the class's median rate. The status says why, in the
        visitor's language, and the page's size controls follow (:meth:`class_sizes_shown`). Runs that are
        older, paused, following a lesson, in slow motion, fine-tuned from a checkpoint, or compared with a run B
        are left as they are.

        Returns:
            True when it moved the run.
        """
        state = visitor.state
        if snap is None or snap.state not in (RUNNING, WAITING) or not young_at_full_size(snap.config, snap.elapsed_s):
            return False
        if visitor.run_b is not None or state.lesson or snap.lesson or state.slow_motion_s > 0 or \
                state.built_from not in (None, "scratch") or not self.registry.classroom_mode():
            return False
        with visitor.lock:  # a move is a command on the visitor's runs: one at a time with their own (and two tabs')
            if visitor.run is not run:
                return False
            try:
                self.new_run(lang, key, classroom_config(snap.config))
            except gr.Error as e:  # the old run is kept, as a refused Reset keeps it; the tick goes on
                log.warning("a young full-size run could not join the class's sizes: %s", e.message)
                return False
            visitor.run.start(run_s=snap.run_left_s)
            state.classroom, state.moved_at_step = True, snap.step
            state.class_moves += 1
        log.info("a young full-size run joined the class's sizes at step %d", snap.step)
        return True

    @guarded
    def class_sizes_shown(self, request: gr.Request, lang: str) -> list:
        """The page's size controls after the server moved run A into the class's sizes (:meth:`join_class`):
        the run's widths and batch size (gr.skip() each without a run). Values the server sets fire no settings
        event."""
        page = self._page(request)
        _, visitor = self._visitor(request)
        page.class_moves_shown = visitor.state.class_moves
        if visitor.run is None:
            return [gr.skip()] * len(CLASSROOM_2D)
        config = visitor.run.config
        return [getattr(config, f) for f in CLASSROOM_2D]

    def moved_sizes(self, page: PageView, visitor: Visitor, config: GANConfig) -> GANConfig:
        """``config`` read from a page that has not shown the server's latest move of run A yet (its size
        controls still at the full defaults the run had): with the run's class sizes instead, so that Start does
        not apply the old batch size to the moved run."""
        if page.class_moves_shown >= visitor.state.class_moves or classroom_config(config) is config:
            return config
        return classroom_config(config)

    def apply_controls(self, lang: str, visitor: Visitor, config: GANConfig) -> None:
        """Push the controls' values into the training run and remember what applied and what needs a reset."""
        run = visitor.run
        try:
            self.registry.limits.check(config)
        except LimitError as e:
            raise limit_error(lang, e) from None
        running = run.config
        if reset_fields(running, config):
            # the controls describe another run: none of them applies to this one (never a mix of two setups);
            # all that differs waits for Reset, which builds what they describe
            visitor.state.notice = ((), tuple(running.diff(config.replace(device=running.device))))
            return
        try:
            keep = {"device": running.device}
            if config.dataset == "folder" and running.dataset == "folder":
                keep["data_path"] = running.data_path  # a re-upload is a new copy of the same images
            applied, needs_reset = run.update(**config.to_dict() | keep)
        except ValueError as e:
            raise config_error(lang, e) from None
        # what needs a Reset is what differs now; what applied live stays on show until something else applies
        visitor.state.notice = (applied or visitor.state.notice[0], needs_reset)
        visitor.state.gen += 1  # every page redraws everything

    @command
    def settings_changed(self, request: gr.Request, lang: str, fields: Any, *values: Any) -> None:
        """The visitor changed settings on the page: one control (``fields`` = (its field,)), or the loss with the
        n_critic and β that choosing it filled in. Only these are sent: the page wires each control's ``input``
        event, which fires on the visitor's own edits, never on values the server sets (the classroom sizes, a
        reopened page's settings, a lesson, a dataset's defaults), so a training run never takes half a setup
        from the page. See :meth:`apply_changes`.

        Args:
            fields: names of PAGE_FIELDS, in the order of ``values``.
        """
        if not isinstance(fields, (tuple, list)) or len(fields) != len(values) or \
                any(f not in PAGE_FIELDS for f in fields):
            raise gr.Error(t(lang, "err_choice", field="fields", value=fields, choices=", ".join(PAGE_FIELDS)))
        _, visitor = self._visitor(request)
        self.check_unlocked(lang, visitor, dict(zip(fields, values)))
        if visitor.run is None:  # no run yet: the controls are read at Start
            return
        # a lesson the teacher offered fills the controls: until the student acts on it (Start, Reset), they describe
        # the lesson, not the run, and an edit among them belongs to the lesson too
        hold = self._page(request).offered is not None
        try:
            self.apply_changes(lang, visitor, {f: self.page_value(f, v) for f, v in zip(fields, values)}, hold=hold)
        except gr.Error as e:
            # A number box sends an event per key: typing 0.0005 sends 0 on the way, which is out of range. A failed
            # event makes Gradio drop the event queued behind it ("always_last"), and with it the value the visitor
            # meant; so a value that cannot apply is said in a warning (named, with its range), the run keeps its
            # own, and the next value still arrives.
            gr.Warning(html.escape(e.message, quote=False), duration=ERROR_TOAST_S)

    @command
    def set_setting(self, request: gr.Request, lang: str, field: str, value: float | int | str | bool) -> dict:
        """For API clients, what changing one control on the page does: ``field`` (a PAGE_FIELDS name) takes
        ``value`` in run A, live where it can (see :meth:`apply_changes`).

        Returns:
            ``{"applied": [fields applied live], "needs_reset": [fields that differ from the run until a Reset]}``,
            both empty without a run A (the controls are read at Start).
        Raises:
            gr.Error: an unknown field, a value out of its range, beyond this host's limits, or another value for
                a locked control (see :meth:`check_unlocked`).
        """
        if field not in PAGE_FIELDS:
            raise gr.Error(t(lang, "err_choice", field="field", value=field, choices=", ".join(PAGE_FIELDS)))
        _, visitor = self._visitor(request)
        self.check_unlocked(lang, visitor, {field: value})
        if visitor.run is None:
            return {"applied": [], "needs_reset": []}
        applied, needs_reset = self.apply_changes(lang, visitor, {field: self.page_value(field, value)})
        return {"applied": applied, "needs_reset": needs_reset}

    def apply_changes(self, lang: str, visitor: Visitor, changes: dict[str, Any], hold: bool = False
                      ) -> tuple[list[str], list[str]]:
        """Settings the visitor changed, into run A: live ones (:data:`ganapp.gan.config.LIVE_FIELDS`) apply at its next
        step, where it stands (a stacked run stays in its stack while its shape holds, see
        :meth:`ganapp.run.run.Run.update`); the others are noted as needing a Reset while they differ
        from the run's. The notes accumulate over one-field changes: two widths changed one after the other both
        need the Reset, and a width changed back no longer does. While a change that needs a Reset is pending (or
        ``hold``: the controls show a lesson offered), the controls describe another run than this one, so a live
        change waits for that Reset too: a run never trains on a mix of two setups.

        Returns:
            (fields applied now, every field that needs a Reset now).
        Raises:
            gr.Error: a value out of its range (named, in the visitor's language), or beyond the host's limits.
        """
        run = visitor.run
        current = run.config
        try:
            wanted = current.replace(**changes)
        except ConfigError as e:
            if e.field in changes and e.code in ("out_of_range", "not_allowed", "not_bool", "unknown_field"):
                raise config_error(lang, e) from None
            wanted = None  # a value that conflicts with the run's other settings (a dataset a DCGAN cannot take):
            # the whole page is checked when Reset builds it
        except ValueError as e:
            raise config_error(lang, e) from None
        if wanted is not None:
            try:
                self.registry.limits.check(wanted)
            except LimitError as e:
                raise limit_error(lang, e) from None
        live = {f: v for f, v in changes.items() if f in LIVE_FIELDS}
        other_shape = hold or any(f not in LIVE_FIELDS for f in visitor.state.notice[1] if f not in changes) or \
            any(f not in LIVE_FIELDS and v != getattr(current, f) for f, v in changes.items())
        if other_shape:
            wanted, live = None, {}  # noted below as needing the Reset, with the rest
        applied, needs_reset = [], []
        if live and wanted is not None:
            try:
                applied, needs_reset = run.update(**live)
            except ValueError as e:
                raise config_error(lang, e) from None
        needs_reset += [f for f, v in changes.items() if f not in live and v != getattr(current, f)]
        if wanted is None:
            needs_reset += [f for f in live if changes[f] != getattr(current, f)]
        pending = [f for f in visitor.state.notice[1] if f not in changes] + needs_reset
        visitor.state.notice = (tuple(applied) or visitor.state.notice[0], tuple(pending))
        return list(applied), pending

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
    def mlp_fields_shown(model: Any) -> list[dict]:
        """The MLP_FIELDS controls (hidden layers and activations): shown for model ``mlp`` only, as a DCGAN's
        layers are its own."""
        return [gr.update(visible=model == "mlp") for _ in MLP_FIELDS]

    @staticmethod
    def layers_shown(dataset: Any) -> dict:
        """The 2D view's layer picker: shown for 2D data only (on images it would do nothing)."""
        return gr.update(visible=dataset in DATASETS and is_2d(dataset))

    @guarded
    def use_drawing(self, request: gr.Request, lang: str, sketch: Any) -> list:
        """Turn the sketchpad's strokes into the ``drawn`` dataset: 2,000 points saved in the visitor's folder. A
        drawing wider or taller than MAX_DRAWING_SIDE is refused, naming its size (the page's pad,
        :class:`~ganapp.ui.sketchpad.BoundedSketchpad`, never decodes one).

        Returns:
            the dataset dropdown ("drawn"), then :meth:`dataset_defaults`' updates, then a note.
        """
        key, visitor = self._visitor(request)
        image = sketch.get("composite") if isinstance(sketch, dict) else sketch
        size = sketch.get("too_large") if isinstance(sketch, dict) else None  # (ui.sketchpad did not decode it)
        if size is None and np.ndim(image) >= 2 and max(np.shape(image)[:2]) > MAX_DRAWING_SIDE:
            size = np.shape(image)[1], np.shape(image)[0]
        if size is not None:
            raise gr.Error(t(lang, "err_drawing_too_large", width=size[0], height=size[1], max=MAX_DRAWING_SIDE))
        if image is None:
            raise gr.Error(t(lang, "err_no_drawing"))
        try:
            path = save_drawing(np.asarray(image), self._file(key, "drawn.npy"))
        except ValueError:
            raise gr.Error(t(lang, "err_no_drawing")) from None
        visitor.state.drawn_path = str(path)
        return ["drawn", *self.dataset_defaults("drawn"), t(lang, "drawing_saved", n=f"{len(np.load(path)):,}")]

    @guarded
    def use_points(self, request: gr.Request, lang: str, file: Any) -> list:
        """Turn an uploaded CSV or .npy of points into the ``drawn`` dataset, as a drawing becomes it: read and
        checked by :func:`ganapp.gan.points_file.read_points`, scaled into the view
        (:func:`~ganapp.gan.points_file.scale_into_view`) and saved in the visitor's folder. A file that cannot be
        used is refused with its reason in the visitor's language, and nothing changes: the dataset, the points a
        later Start trains on, and the training run.

        Returns:
            the dataset dropdown ("drawn"), then :meth:`dataset_defaults`' updates, then a note, then None for the
            upload box (emptied, ready for another file; the note names the one trained on).
        """
        key, visitor = self._visitor(request)
        path = Path(file if isinstance(file, str) else getattr(file, "name", "") or "")
        if not path.name:
            raise gr.Error(t(lang, "err_points_empty"))
        try:
            points = scale_into_view(read_points(path))
        except PointsFileError as e:
            params = {k: f"{v:,}" for k, v in e.params.items() if isinstance(v, int)} | \
                {k: v for k, v in e.params.items() if not isinstance(v, int)}
            raise gr.Error(t(lang, f"err_points_{e.reason}", **params)) from None
        saved = save_points(points, self._folder(key))
        visitor.state.drawn_path = str(saved)
        return ["drawn", *self.dataset_defaults("drawn"),
                t(lang, "points_saved", n=f"{len(points):,}", name=markdown_text(path.name)), None]

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

    # ----- locked controls (a link's lock=, a teacher's pushed link: see ganapp.ui.links) -----

    def locks(self, visitor: Visitor) -> dict[str, Any]:
        """The controls locked for ``visitor``, with the values they are kept at: those of the link their page
        opened (:attr:`~ganapp.host.visitors.VisitorState.locked`) and those of the link the teacher pushed
        (:meth:`~ganapp.host.classroom.Classroom.locked`), which win."""
        pushed = self.classroom.locked() if self.classroom is not None else {}
        return {**visitor.state.locked, **pushed}

    def check_unlocked(self, lang: str, visitor: Visitor, values: dict[str, Any]) -> None:
        """Refuse a value other than the locked one for a locked control, whatever sent it (the page, a forged
        event, the API): a disabled widget is not access control. Called by every handler that reads or changes
        settings (each control's change, ``set_setting``, and Start, Step, Reset and run B through
        :meth:`read_config`).

        Raises:
            gr.Error: naming the control and the value it is locked at, in ``lang``.
        """
        locked = self.locks(visitor)
        for field, value in values.items():
            if field in locked and self.page_value(field, value) != locked[field]:
                raise gr.Error(t(lang, "err_locked", field=t(lang, field), value=locked[field]))
