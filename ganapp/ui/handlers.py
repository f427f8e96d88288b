"""The app's event handlers: thin callbacks that validate input (raising ``gr.Error``), call one method of the
engine, and format the output. Each visitor's objects live in a :class:`~ganapp.registry.SessionRegistry`, keyed by
the visitor id a page attached to (:meth:`GanApp.attach`, from the token its browser keeps), else by the page's
``request.session_hash``; what one page shows is the registry's page record. Nothing here is shared between
visitors but the registry itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

import gradio as gr
import numpy as np

from ..checkpoints import CheckpointError, load_checkpoint
from ..config import (DATASETS, DATASETS_LABELLED, LIVE_FIELDS, LOSSES, PAGE_FIELDS, RANGES, SETTINGS, ConfigError,
                      GANConfig, check_range, is_2d)
from ..data import DatasetUnavailableError, save_drawing
from ..limits import LimitError, ServerFullError
from ..losses import R1_TEX, get_loss
from ..media import save_gif, upscale
from ..metrics import collapse_alert
from ..lessons import LESSONS
from ..presets import CLASSROOM_2D, classroom_config
from ..registry import REATTACHED, RESTORE_FAILED, RESTORED, SessionRegistry, Visitor
from ..session import ERROR, MAX_STEP_REQUEST, PAUSED, RUNNING, VIEW_SHARE, WAITING
from ..teacher import check_name
from . import curves, plots
from .common import CONTROL_FIELDS, guarded, named
from .explore import (DEFAULT_CHECKPOINT, DIRECTION_RANGE, N_DIRECTIONS, N_Z_SLIDERS, Z_SLIDER_RANGE,
                      ExploreHandlers)
from .errors import checkpoint_error, config_error, dataset_error, limit_error
from .i18n import t
from .lessons import LessonHandlers, lesson_for, lesson_markdown

__all__ = ["GanApp", "PollOutputs", "TickOutputs", "CONTROL_FIELDS", "DATASET_DEFAULT_FIELDS", "DEFAULT_CHECKPOINT", "DIRECTION_RANGE", "MAX_SMOOTHING",
           "N_DIRECTIONS", "N_Z_SLIDERS", "Z_SLIDER_RANGE", "guarded"]

log = logging.getLogger("ganapp")

# The controls that choosing a dataset (or a drawing) fills with that dataset's recommended settings, in order; the
# upload box (shown only for ``folder``) follows them.
DATASET_DEFAULT_FIELDS = ("model", "z_dim", "batch_size", "lr_g", "lr_d", "beta1", "beta2", "g_width", "d_width",
                          "r1_gamma", "r1_every", "lr_decay", "conditional", "image_size", "channels")
HISTORY_POINTS = 1000
DRAW_EVERY_S = 1.0  # the page redraws its plots at most this often (see GanApp.tick)
CLASSROOM_SETTLE_S = 3.0  # how long the change events of control values just set may lag (see _caught_up)
REATTACHED_NOTE_S = 15.0  # how long the status says that a reopened page found its run
MAX_SMOOTHING = 0.99  # the curves' EMA weight goes up to this (1 would be a flat line)
IDLE_POLL_S = 2.0  # a page whose runs do not train polls this often (GanApp.tick), not at the Timer's own rate
ACTIVE_AFTER_COMMAND_S = 5.0  # after a command, the page polls at the full rate for this long
MAX_RUN_MINUTES = 600  # the longest timed run the Train tab takes (10 hours)
# Settings a side-by-side run B may change (anything else would make the runs hard to compare on the same axes).
COMPARE_FIELDS = ("loss", "n_critic", "lr_d", "lr_g", "batch_size", "r1_gamma", "gp_lambda", "g_width", "d_width",
                  "z_dim", "seed", "beta1")


class TickOutputs(NamedTuple):
    """What :meth:`GanApp.tick` returns, by name; the page wires its outputs in this order."""

    status: Any  # the status line (markdown)
    frame: Any  # grows when there is something new to draw
    lesson_no: Any  # the teacher's latest lesson for this visitor
    timer: Any  # the Timer's next interval, in seconds


class PollOutputs(NamedTuple):
    """What :meth:`GanApp.poll` returns, by name (each a value, an update or ``gr.skip()``); the page wires its
    outputs in this order, and an API client reads them in it."""

    status: Any  # the status line (markdown)
    loss_plot: Any  # d_loss and g_loss, a whole figure (or skipped while deltas extend it)
    scores_plot: Any  # D(x) and D(G(z))
    grid: Any  # run A's fixed_z samples (image data)
    scatter: Any  # run A's 2D view (2D data)
    quality_plot: Any  # live MNIST scores
    quality_caption: Any
    metrics2d_plot: Any  # modes, KL, G's pull (2D data)
    alert: Any  # the mode-collapse alert
    scatter_b: Any  # run B's 2D view, beside run A's
    grid_b: Any  # run B's grid
    curve_delta: Any  # the curves' new points since the last whole figure (ganapp.ui.curves)


def format_elapsed(seconds: float) -> str:
    """``h:mm:ss`` or ``m:ss`` for a duration in seconds."""
    s = int(seconds)
    h, m = divmod(s // 60, 60)
    return f"{h}:{m:02d}:{s % 60:02d}" if h else f"{m}:{s % 60:02d}"


class GanApp(LessonHandlers, ExploreHandlers):
    """Handlers bound to one registry.

    Args:
        registry: the visitors' sessions.
        checkpoints_dir: folder of shipped ``.safetensors`` checkpoints offered in the Explore tab.
        classroom: the teacher's :class:`~ganapp.teacher.Classroom` (its lesson reaches every student), or None.
    """

    def __init__(self, registry: SessionRegistry, checkpoints_dir: str | Path, classroom: Any = None):
        self.registry = registry
        self.classroom = classroom  # a ganapp.teacher.Classroom when the host set a teacher token, else None
        self.poll_every_s = 0.5  # the page Timer's rate while a run trains (build_demo sets it)
        self.checkpoints_dir = Path(checkpoints_dir)
        self.files_dir = Path(tempfile.mkdtemp(prefix="ganapp-files-"))
        self._default = None  # the shipped default checkpoint, loaded on first use (False: none)

    # ----- helpers -----

    @staticmethod
    def _page_id(request: gr.Request | None) -> str:
        """The page's own id: Gradio's session_hash ("local" outside a request)."""
        return getattr(request, "session_hash", None) or "local"

    def _visitor(self, request: gr.Request | None) -> tuple[str, Visitor]:
        key = self.registry.key(self._page_id(request))
        return key, self.registry.visitor(key)

    def _page(self, request: gr.Request | None) -> dict[str, Any]:
        """What this page shows (two tabs of one visitor share runs, not these)."""
        return self.registry.page(self._page_id(request))

    def _folder(self, key: str) -> Path:
        """The visitor's folder of generated files, named by a hash: an id is never a path."""
        return self.files_dir / hashlib.sha256(key.encode()).hexdigest()[:32]

    def _file(self, key: str, name: str) -> Path:
        """A path for one of the visitor's generated files (GIFs, checkpoints), in a folder of their own."""
        folder = self._folder(key)
        folder.mkdir(parents=True, exist_ok=True)
        return folder / name

    @staticmethod
    def _number(lang: str, field: str, value: Any) -> int | float:
        """``value`` checked against ``RANGES[field]``, as an int or float; ``gr.Error`` naming the field if not."""
        try:
            check_range(field, value)
        except ConfigError as e:
            raise config_error(lang, e) from None
        return int(value) if RANGES[field][4] else float(value)

    def _config(self, lang: str, values: tuple, key: str = "local") -> GANConfig:
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

    def _data_path(self, lang: str, key: str, files: Any) -> str:
        """The uploaded images as one path: a single .zip as it is, or loose files copied into the visitor's folder."""
        paths = [Path(f if isinstance(f, str) else getattr(f, "name", "")) for f in (files or [])]
        paths = [p for p in paths if p.is_file()]
        session = self.registry.visitor(key).session
        if not paths and session is not None and session.config.dataset == "folder":
            return session.config.data_path  # a reopened page's upload box is empty: the run keeps its images
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

    def _init(self, lang: str, visitor: Visitor, choice: Any) -> tuple[str, Any]:
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

    def _classroom(self, visitor: Visitor, page: dict, config: GANConfig) -> tuple[GANConfig, list]:
        """In the registry's classroom mode, a 2D run at default sizes takes the classroom sizes. Returns the config
        and the updates of the CLASSROOM_2D controls (gr.skip() each when nothing changed)."""
        shared = classroom_config(config) if self.registry.classroom_mode() else config
        visitor.state.classroom = shared is not config
        if shared is config:
            return config, [gr.skip()] * len(CLASSROOM_2D)
        # the page applies the new values one control at a time, and each fires a change event
        self._sent(page, [(f, getattr(config, f), getattr(shared, f)) for f in CLASSROOM_2D])
        return shared, [getattr(shared, f) for f in CLASSROOM_2D]

    def _new_session(self, lang: str, key: str, config: GANConfig, controls: tuple = ()):
        visitor = self.registry.visitor(key)
        choice, init = self._init(lang, visitor, named(controls)["init"]) if controls else ("scratch", None)
        try:
            session = self.registry.new_session(key, config, init=init)
        except (LimitError, ServerFullError) as e:
            raise limit_error(lang, e) from None
        except DatasetUnavailableError as e:
            raise dataset_error(lang, e) from None
        except ValueError as e:
            if init is not None and not isinstance(e, ConfigError):
                raise gr.Error(t(lang, "err_init_mismatch", reason=str(e))) from None
            raise config_error(lang, e) from None
        visitor.state.notice = ((), ())
        visitor.state.lesson_note = None
        visitor.state.gen += 1  # every page redraws everything
        visitor.state.built_from = choice
        session.set_slow_motion(visitor.state.slow_motion_s)
        visitor.state.built_step = session.trainer.step_count
        return session

    def _apply_controls(self, lang: str, visitor: Visitor, config: GANConfig) -> None:
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

    # ----- Train tab -----

    @guarded
    def start(self, request: gr.Request, lang: str, run_minutes: Any, *controls: Any) -> list:
        """Start training (building a session from the controls on first use), or resume a paused one. A
        ``run_minutes`` above 0 makes it a timed run that pauses by itself after that much training, its learning
        rates decaying over the last ``lr_decay`` share of it; 0 trains until paused.

        Returns:
            The values of the CLASSROOM_2D controls (batch size and widths) when the classroom mode changed them,
            else gr.skip() each.
        """
        self.commanded(request)
        key, visitor = self._visitor(request)
        if not isinstance(run_minutes, (int, float)) or isinstance(run_minutes, bool) \
                or not math.isfinite(run_minutes) or not 0 <= run_minutes <= MAX_RUN_MINUTES:
            raise gr.Error(t(lang, "err_field", field=t(lang, "run_minutes"), value=run_minutes,
                             range=f"[0, {MAX_RUN_MINUTES}]", kind=t(lang, "kind_num")))
        config = self._config(lang, controls, key)
        session = visitor.session
        reshaped = session is not None and any(
            k not in LIVE_FIELDS for k in session.config.diff(config.replace(device=session.config.device)))
        new_start = (named(controls)["init"] or "scratch") != visitor.state.built_from
        # nothing trained yet (or it failed), or a new starting point was picked: build what the controls say
        shown = [gr.skip()] * len(CLASSROOM_2D)
        page = self._page(request)
        fresh = session is None or session.state == ERROR or new_start or (
            reshaped and session.trainer.step_count == visitor.state.built_step)
        if not fresh:
            config = self._config(lang, self._caught_up(page, controls), key)
        lesson = lesson_for(visitor.state.lesson, config)
        if fresh:
            if lesson is None:  # a lesson runs at its own sizes
                config, shown = self._classroom(visitor, page, config)
            self._new_session(lang, key, config, controls)
        else:
            self._apply_controls(lang, visitor, config)
        twin_config = self.start_lesson(visitor, lesson, config, fresh)
        if twin_config is not None:
            self._new_twin(lang, key, twin_config).set_lesson(lesson)
        visitor.session.start(run_s=60.0 * run_minutes)
        self._also_run_b(visitor, lambda b: b.start(run_s=60.0 * run_minutes))
        return shown

    @staticmethod
    def _also_run_b(visitor: Visitor, command, unless: tuple[str, ...] = (ERROR,)) -> None:
        """Give the side-by-side run B, if there is one, the command run A was just given, unless B is in one of
        the states ``unless``. The one place where the run buttons reach run B."""
        twin = visitor.twin
        if twin is not None and twin.state not in unless:
            command(twin)

    @guarded
    def pause(self, request: gr.Request, lang: str) -> None:
        _, visitor = self._visitor(request)
        self._session(lang, visitor).pause()
        self._also_run_b(visitor, lambda b: b.pause(), unless=())

    @guarded
    def resume(self, request: gr.Request, lang: str) -> None:
        self.commanded(request)
        _, visitor = self._visitor(request)
        session = self._session(lang, visitor)
        if session.state == ERROR:
            raise gr.Error(t(lang, "err_failed", reason=session.snapshot(None).message))
        session.resume()
        self._also_run_b(visitor, lambda b: b.resume())

    @guarded
    def stop(self, request: gr.Request, lang: str) -> None:
        _, visitor = self._visitor(request)
        self._session(lang, visitor).stop()
        self._also_run_b(visitor, lambda b: b.stop(), unless=())

    @guarded
    def step(self, request: gr.Request, lang: str, n: Any, *controls: Any) -> None:
        """Run exactly ``n`` steps then pause (building a session on first use)."""
        self.commanded(request)
        key, visitor = self._visitor(request)
        if not isinstance(n, (int, float)) or isinstance(n, bool) or not math.isfinite(n) \
                or not float(n).is_integer() or not 1 <= n <= MAX_STEP_REQUEST:
            raise gr.Error(t(lang, "err_field", field=t(lang, "step_n"), value=n, range=f"1..{MAX_STEP_REQUEST}",
                             kind=t(lang, "kind_int")))
        config = self._config(lang, controls, key)
        if visitor.session is None:
            self._new_session(lang, key, config, controls)
            self.start_lesson(visitor, lesson_for(visitor.state.lesson, config), config, fresh=False)
        session = visitor.session
        if session.state in (RUNNING, WAITING):
            raise gr.Error(t(lang, "err_running_step"))
        if session.state == ERROR:
            raise gr.Error(t(lang, "err_failed", reason=session.snapshot(None).message))
        session.step(int(n))
        self._also_run_b(visitor, lambda b: b.step(int(n)), unless=(RUNNING, WAITING, ERROR))

    @guarded
    def reset(self, request: gr.Request, lang: str, *controls: Any) -> list:
        """Start over: fresh networks from the controls' settings; the old session (and any side-by-side run) is
        stopped.

        Returns:
            the CLASSROOM_2D controls' values as :meth:`start` does, then the side-by-side note: that run B ended,
            or unchanged when there was none.
        """
        self.commanded(request)
        key, visitor = self._visitor(request)
        config, shown = self._classroom(visitor, self._page(request), self._config(lang, controls, key))
        self._new_session(lang, key, config, controls)
        had_twin = self.registry.drop_twin(key)
        return [*shown, t(lang, "compare_ended_by_reset") if had_twin else gr.skip()]

    @guarded
    def compare(self, request: gr.Request, lang: str, field: Any, value: Any, *controls: Any) -> str:
        """Two runs side by side: run A with the controls' settings and run B with ``field`` set to ``value``, both
        from fresh networks with the same seed and data, started together. Returns a note naming the difference.
        Both count towards the trainer cap."""
        self.commanded(request)
        key, visitor = self._visitor(request)
        config = self._config(lang, controls, key)
        if field not in COMPARE_FIELDS:
            raise gr.Error(t(lang, "err_choice", field=t(lang, "compare_field"), choices=", ".join(COMPARE_FIELDS),
                             value=field))
        if field == "loss":
            if value not in LOSSES:
                raise gr.Error(t(lang, "err_choice", field=t(lang, "loss"), choices=", ".join(LOSSES), value=value))
            new_value: Any = value
        else:
            try:
                number = float(str(value).strip())
            except ValueError:
                number = value
            new_value = self._number(lang, field, number)
        try:
            changed = config.replace(**{field: new_value})
        except ValueError as e:
            raise config_error(lang, e) from None
        if changed == config:
            raise gr.Error(t(lang, "err_compare_same", field=field, value=value))
        self._new_session(lang, key, config, tuple({**named(controls), "init": "scratch"}.values()))
        twin = self._new_twin(lang, key, changed)
        visitor.session.start()
        twin.start()
        return t(lang, "compare_note", field=field, a=getattr(config, field), b=new_value)

    def _new_twin(self, lang: str, key: str, config: GANConfig):
        """Build the visitor's run B with ``config`` (in the page's slow motion), or raise a gr.Error that says
        why not."""
        try:
            twin = self.registry.new_twin(key, config)
        except (LimitError, ServerFullError) as e:
            raise limit_error(lang, e) from None
        except DatasetUnavailableError as e:
            raise dataset_error(lang, e) from None
        except ValueError as e:
            raise config_error(lang, e) from None
        twin.set_slow_motion(self.registry.visitor(key).state.slow_motion_s)
        return twin

    @guarded
    def end_compare(self, request: gr.Request, lang: str) -> str:
        """Stop and drop run B; run A goes on as it was."""
        key, _ = self._visitor(request)
        return t(lang, "compare_ended" if self.registry.drop_twin(key) else "compare_none")

    @guarded
    def controls_changed(self, request: gr.Request, lang: str, *controls: Any) -> None:
        """A hyperparameter changed: apply it live if possible, else note that it needs a Reset."""
        key, visitor = self._visitor(request)
        if visitor.session is None:
            return
        self._apply_controls(lang, visitor, self._config(lang, self._caught_up(self._page(request), controls), key))

    @staticmethod
    def _sent(page: dict, changes) -> None:
        """Remember the control values the server is setting on this page, as (field, old, new), for
        :meth:`_caught_up`."""
        page["sent"] = ({f: (old, new) for f, old, new in changes if old != new},
                        time.monotonic() + CLASSROOM_SETTLE_S)

    @staticmethod
    def _caught_up(page: dict, controls: tuple) -> tuple:
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
        _, init = self._init(lang, visitor, choice)
        if init is None:
            return [gr.update()] * len(PAGE_FIELDS) + [t(lang, "init_scratch")]
        c = init.config
        values = [getattr(c, f) for f in PAGE_FIELDS]
        return values + [t(lang, "init_note", step=f"{init.step:,}", dataset=c.dataset, model=c.model,
                               d=t(lang, "init_with_d" if init.d_state else "init_fresh_d"))]

    @staticmethod
    def dataset_defaults(dataset: str) -> list[Any]:
        """The recommended settings of ``dataset`` as values of the DATASET_DEFAULT_FIELDS controls (conditional
        switched off for data without labels), then the upload box, shown only for ``folder``. An unknown dataset
        changes nothing."""
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

    def status_text(self, lang: str, visitor: Visitor, snap, page: dict | None = None) -> str:
        """The status markdown: state, step and speed, then notes (sharing, classroom, timed run, why it paused,
        settings applied or needing a reset, run B, and what a reopened page found)."""
        found = self._found(lang, snap, page or {})
        lesson = visitor.state.lesson_note
        lesson_line = [t(lang, "lesson_from_teacher", lesson=t(lang, f"preset_{lesson}"))] if lesson else []
        if snap is None:
            return "\n\n".join([t(lang, "state_none"), *lesson_line, *found])
        epoch = "—" if snap.epoch is None else f"{snap.epoch:.2f}"
        lines = [t(lang, "status_line", state=t(lang, f"state_{snap.state}"), step=f"{snap.step:,}", epoch=epoch,
                   it_s=snap.it_s, elapsed=format_elapsed(snap.elapsed_s), device=snap.device)]
        if snap.phase:  # slow motion: say which update is on screen
            lines[0] += f" · **{t(lang, 'phase_' + snap.phase)}**"
        if snap.state in (RUNNING, WAITING) and snap.sharing > 1:
            lines.append(t(lang, "sharing_note", n=snap.sharing))
        if visitor.state.classroom:
            lines.append(t(lang, "classroom_note", **CLASSROOM_2D))
        snap_b = visitor.twin.snapshot(None) if visitor.twin is not None else None
        lines += lesson_line + self.lesson_status(lang, snap, snap_b)
        if snap.run_left_s is not None:
            lines.append(t(lang, "run_left", left=format_elapsed(snap.run_left_s), scale=snap.lr_scale))
        if snap.run_over_s is not None:
            lines.append(t(lang, "run_over", minutes=f"{snap.run_over_s / 60:g}"))
        elif snap.step_limit is not None:
            lines.append(t(lang, "step_limit_reached", limit=f"{snap.step_limit:,}"))
        elif snap.rollback is not None:
            r = snap.rollback
            values = ", ".join(f"{n}={v:.4g}" for n, v in r.values.items())
            lines.append(t(lang, "paused_reason", reason=t(lang, "rollback", step=f"{r.step:,}", values=values,
                                                           to=f"{r.to_step:,}")))
        elif snap.message:
            lines.append(t(lang, "error_reason" if snap.state == ERROR else "paused_reason", reason=snap.message))
        applied, needs_reset = visitor.state.notice
        if applied:
            lines.append(t(lang, "applied_live", fields=", ".join(applied)))
        if needs_reset:
            lines.append(t(lang, "needs_reset", fields=", ".join(needs_reset)))
        if snap_b is not None:
            lines.append(t(lang, "twin_status", state=t(lang, f"state_{snap_b.state}"), step=f"{snap_b.step:,}",
                           it_s=snap_b.it_s, diff=self._twin_label(visitor)))
        return "\n\n".join(lines + found)

    @staticmethod
    def _found(lang: str, snap, page: dict) -> list[str]:
        """What a reopened page found, as a status line while it still holds: a run it re-attached to (for
        REATTACHED_NOTE_S), a run restored from its autosave (until it moves on), or one that could not be."""
        found = page.get("found")
        if found is None:
            return []
        kind, step, until = found
        if kind == REATTACHED and time.monotonic() < until:
            return [t(lang, "found_reattached")]
        if kind == RESTORED and snap is not None and snap.state == PAUSED and snap.step == step:
            return [t(lang, "found_restored", step=f"{step:,}")]
        if kind == RESTORE_FAILED and snap is None:
            return [t(lang, "found_restore_failed")]
        page.pop("found", None)
        return []

    @guarded
    def tick(self, request: gr.Request, lang: str) -> TickOutputs:
        """The Timer's tick, cheap enough for a class polling at 2 Hz: the status line, and a frame number that
        grows when there is something new to draw. The page redraws its plots (:meth:`poll`) when the frame number
        changes: at most once per ``DRAW_EVERY_S``, and less often while more than VIEW_SHARE runs share the server.
        Gradio builds a new component for every other output a poll skips, on its one event-loop thread (~0.8 ms
        each): a tick costs that once, where an 11-output poll cost it ten times.

        Returns:
            :class:`TickOutputs` (status markdown, frame number, lesson number, the Timer's next interval in
            seconds), the frame number
            unchanged when there is nothing new to draw; the lesson number is that of a lesson the teacher set that
            this visitor has not taken yet, else of the last one taken (its change makes the page take the lesson,
            see :meth:`take_lesson`). A page whose runs do not train polls every IDLE_POLL_S.
        """
        _, visitor = self._visitor(request)
        page = self._page(request)
        session = visitor.session
        lesson = self.classroom.lesson if self.classroom is not None else None
        lesson_no = lesson[1] if lesson is not None else 0
        training = any(s.state in (RUNNING, WAITING) for s in visitor.runs().values())
        every_s = self.poll_every_s if training or time.monotonic() < page.get("fast_until", 0.0) else \
            max(IDLE_POLL_S, self.poll_every_s)
        if session is None:
            return TickOutputs(self.status_text(lang, visitor, None, page), gr.skip(), lesson_no, every_s)
        snap = session.snapshot(None)
        status = self.status_text(lang, visitor, snap, page)
        snap_b = visitor.twin.snapshot(None) if visitor.twin is not None else None
        key = (snap.step, snap.grid_version, len(snap.scores), len(snap.view_metrics), snap.phase, lang,
               None if snap_b is None else (snap_b.step, snap_b.grid_version), page.get("layers"),
               visitor.state.gen)
        now = time.monotonic()
        if key == page.get("frame_key") or now < page.get("next_draw_s", 0.0):
            # the same number (no redraw) is cheaper than a skip
            return TickOutputs(status, page.get("frame", 0), lesson_no, every_s)
        page["frame_key"] = key
        page["next_draw_s"] = now + DRAW_EVERY_S * max(1.0, snap.sharing / VIEW_SHARE)
        page["frame"] = page.get("frame", 0) + 1
        return TickOutputs(status, page["frame"], lesson_no, every_s)

    def commanded(self, request: gr.Request) -> None:
        """A command was given on this page (Start, Resume, Step, Reset, a phase step, a comparison; each calls
        this): poll at the full rate for a while, so its effect shows at once even though the run was not training
        a moment ago."""
        self._page(request)["fast_until"] = time.monotonic() + ACTIVE_AFTER_COMMAND_S

    @guarded
    def poll(self, request: gr.Request, lang: str) -> PollOutputs:
        """Read the visitor's snapshot and redraw what changed (the page calls it when :meth:`tick` says so).

        Returns:
            :class:`PollOutputs`: the status markdown, loss plot, scores plot, grid image, 2D view plot, quality
            plot and its caption, 2D metrics plot, mode-collapse alert, run B's 2D view and grid, the curves' new
            points as a delta for :data:`ganapp.ui.curves.EXTEND_JS`; ``gr.skip()`` where unchanged. The curve plots are full figures
            only when the page has none of this run yet (see :func:`ganapp.ui.curves.poll_curves`). The quality plot shows only for MNIST
            runs with live scores, the 2D metrics and the alert only for 2D data.
        """
        _, visitor = self._visitor(request)
        page = self._page(request)
        session = visitor.session
        if session is None:
            return PollOutputs(self.status_text(lang, visitor, None, page), *[gr.skip()] * 11)
        snap = session.snapshot(None)  # the status only; plots read the downsampled history
        status = self.status_text(lang, visitor, snap, page)
        drawn = page.get("drawn", {})
        if drawn.get("gen") != visitor.state.gen:  # a new run, or new settings: redraw everything
            drawn = {}
        out_grid = out_scatter = gr.skip()
        twin = visitor.twin
        snap_b = twin.snapshot(None) if twin is not None else None
        smoothing = page.get("smoothing", plots.DEFAULT_SMOOTHING)
        signature = (visitor.state.gen, lang, smoothing, id(session), id(twin), snap.config.loss)
        out_loss, out_scores, out_delta = curves.poll_curves(lang, page, session, twin, snap.config.loss,
                                                              signature, smoothing, HISTORY_POINTS)
        if drawn.get("grid_version") != snap.grid_version or drawn.get("lang") != lang:
            # beside a run B, run A's view and grid say that they are run A's
            title_a = f"{t(lang, 'run_a')} · {t(lang, 'scatter')}" if twin is not None else None
            if snap.points is not None:  # 2D data: the view replaces the grid
                out_scatter = gr.update(value=self._view_figure(lang, page, snap, title_a), visible=True)
                out_grid = gr.update(visible=False) if drawn.get("kind") != "2d" else gr.skip()
            elif snap.grid is not None:
                label = t(lang, "grid") if twin is None else f"{t(lang, 'run_a')} · {t(lang, 'grid')}"
                relabel = {"label": label} if page.get("grid_label", t(lang, "grid")) != label else {}
                page["grid_label"] = label  # (an update with a label costs more to send: only when it changes)
                out_grid = gr.update(value=upscale(snap.grid, 2), visible=True, **relabel)
                out_scatter = gr.update(visible=False) if drawn.get("kind") != "image" else gr.skip()
        out_quality = out_caption = out_metrics2d = out_alert = gr.skip()
        if drawn.get("scores") != len(snap.scores) or drawn.get("lang") != lang:
            out_quality, out_caption = self._quality(lang, snap)
        if drawn.get("view_rows") != len(snap.view_metrics) or drawn.get("lang") != lang:
            out_metrics2d, out_alert = self._metrics2d(lang, snap, snap_b)
        out_twin_view = out_twin_grid = gr.skip()
        version_b = snap_b.grid_version if snap_b is not None else None
        if drawn.get("grid_version_b") != version_b or drawn.get("lang") != lang:
            out_twin_view, out_twin_grid = self._twin_views(lang, visitor, page, snap_b)
        kind = drawn.get("kind") if snap.points is None and snap.grid is None else \
            ("2d" if snap.points is not None else "image")
        page["drawn"] = {"gen": visitor.state.gen, "step": snap.step, "grid_version": snap.grid_version, "lang": lang, "kind": kind,
                                   "scores": len(snap.scores), "view_rows": len(snap.view_metrics),
                                   "grid_version_b": version_b}
        outputs = PollOutputs(status, out_loss, out_scores, out_grid, out_scatter, out_quality, out_caption,
                              out_metrics2d, out_alert, out_twin_view, out_twin_grid, out_delta)
        return PollOutputs(*(self._lean(page, name, out) for name, out in zip(PollOutputs._fields, outputs)))


    @staticmethod
    def _lean(page: dict, slot: str, out: Any) -> Any:
        """A poll output as cheap to send as it can be: an update that only repeats the visibility the page already
        shows becomes its plain value (or a skip). Gradio rebuilds a component's config, pydantic schema included, for
        every update, a skip included, on the one event-loop thread of the server (~0.8 ms each, benchmarks/poll_cost.py);
        a plain value or None costs ~0.1 ms."""
        if not (isinstance(out, dict) and out.get("__type__") == "update") or set(out) - {"__type__", "value",
                                                                                        "visible"}:
            return out
        shown = page.setdefault("visible", {})
        if "visible" in out and shown.get(slot) != out["visible"]:
            shown[slot] = out["visible"]
            return out
        if "value" in out:
            return out["value"]
        return None if shown.get(slot) is False else gr.skip()  # a hidden output: None is ~8x cheaper than a skip

    def _twin_views(self, lang: str, visitor: Visitor, page: dict, snap_b) -> tuple:
        """(2D view of run B, grid of run B): shown beside run A's while a side-by-side run exists."""
        if snap_b is None:
            return gr.update(visible=False), gr.update(visible=False)
        if snap_b.points is not None:
            fig = self._view_figure(lang, page, snap_b, t(lang, "run_b") + " · " + self._twin_label(visitor))
            return gr.update(value=fig, visible=True), gr.update(visible=False)
        grid = upscale(snap_b.grid, 2) if snap_b.grid is not None else None
        return gr.update(visible=False), gr.update(value=grid, visible=True, label=t(lang, "run_b") + " · "
                                                   + self._twin_label(visitor))

    @staticmethod
    def _twin_label(visitor: Visitor) -> str:
        diff = visitor.session.config.diff(visitor.twin.config) if visitor.session is not None else {}
        return ", ".join(f"{k} = {b}" for k, (_, b) in diff.items() if k != "device")

    @staticmethod
    def _view_figure(lang: str, page: dict, snap, title: str | None = None):
        layers = tuple(page.get("layers", plots.LAYERS))
        title = (title or t(lang, "scatter")) + (f" · {t(lang, 'phase_' + snap.phase)}" if snap.phase else "")
        labels = {k: t(lang, k) for k in ("real", "fake", "decision", "critic", "arrows", "manifold")}
        return plots.view2d_figure(snap.view, snap.points, snap.config.dataset, layers, title, labels)

    @staticmethod
    def _metrics2d(lang: str, snap, snap_b=None) -> tuple:
        """(2D metrics plot update, alert update): hidden for image data. Run B's G pull is drawn beside run A's."""
        if not snap.view_metrics:
            return gr.update(visible=False), gr.update(value="", visible=False)
        labels = {k: t(lang, "m2d_" + k) for k in ("kl", "js", "modes", "high_quality", "reverse_kl", "g_grad",
                                                    "g_grad_b")}
        rows_b = snap_b.view_metrics if snap_b is not None else None
        fig = plots.metrics2d_figure(snap.view_metrics, t(lang, "metrics2d_plot"), t(lang, "step_axis"), labels,
                                     rows_b)
        alert = collapse_alert(snap.view_metrics)
        last = snap.view_metrics[-1]
        text = t(lang, f"alert_{alert}", modes=last.get("modes"), n_modes=last.get("n_modes")) if alert else ""
        return gr.update(value=fig, visible=True), gr.update(value=text, visible=bool(alert))

    @guarded
    def set_layers(self, request: gr.Request, layers: Any) -> None:
        """Which layers the 2D view draws (any of plots.LAYERS); the next poll redraws it."""
        page = self._page(request)
        page["layers"] = tuple(x for x in (layers or ()) if x in plots.LAYERS)
        page.get("drawn", {}).pop("grid_version", None)
        page.get("drawn", {}).pop("grid_version_b", None)

    @guarded
    def set_smoothing(self, request: gr.Request, lang: str, weight: Any) -> None:
        """How much this page smooths its curves (an EMA weight in [0, 0.99]; 0: raw); the next poll redraws them."""
        if not isinstance(weight, (int, float)) or not math.isfinite(weight) or not 0 <= weight <= MAX_SMOOTHING:
            raise gr.Error(t(lang, "err_field", field=t(lang, "smoothing"), value=weight,
                             range=f"[0, {MAX_SMOOTHING}]", kind=t(lang, "kind_num")))
        page = self._page(request)
        page["smoothing"] = float(weight)  # a new smoothing is part of the curves' signature: full figures again

    @guarded
    def phase_step(self, request: gr.Request, lang: str, phase: str, *controls: Any) -> None:
        """Step D, Step G or Step both: exactly one update (or one of each), then a redraw. With no run yet, the
        controls' settings build one first (as Step does), following the picked lesson when they are its."""
        self.commanded(request)
        key, visitor = self._visitor(request)
        if phase not in ("d", "g", "both"):
            raise gr.Error(t(lang, "err_choice", field="phase", choices="d, g, both", value=phase))
        if visitor.session is None and controls:
            config = self._config(lang, controls, key)
            self._new_session(lang, key, config, controls)
            self.start_lesson(visitor, lesson_for(visitor.state.lesson, config), config, fresh=False)
        session = self._session(lang, visitor)
        if session.state in (RUNNING, WAITING):
            raise gr.Error(t(lang, "err_running_step"))
        if session.state == ERROR:
            raise gr.Error(t(lang, "err_failed", reason=session.snapshot(None).message))
        session.phase_step(phase)
        self._also_run_b(visitor, lambda b: b.phase_step(phase), unless=(RUNNING, WAITING, ERROR))

    @guarded
    def set_slow_motion(self, request: gr.Request, lang: str, seconds: Any) -> None:
        """Slow motion: hold each D and G update on screen for ``seconds`` (0: off)."""
        _, visitor = self._visitor(request)
        if not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or not 0 <= seconds <= 5:
            raise gr.Error(t(lang, "err_field", field=t(lang, "slow_motion"), value=seconds, range="0..5",
                             kind=t(lang, "kind_num")))
        visitor.state.slow_motion_s = float(seconds)
        if visitor.session is not None:
            visitor.session.set_slow_motion(float(seconds))
            self._also_run_b(visitor, lambda b: b.set_slow_motion(float(seconds)), unless=())

    @staticmethod
    def _quality(lang: str, snap) -> tuple:
        """(plot update, caption) for the live MNIST scores; both hidden while there are none."""
        rows = [r for r in snap.scores if "frechet_distance" in r]
        if not rows:
            return gr.update(visible=False), gr.update(value="", visible=False)
        last = rows[-1]
        fig = plots.quality_figure(rows, t(lang, "quality_plot"), t(lang, "step_axis"), t(lang, "fd"),
                                   t(lang, "fd_floor"), t(lang, "class_hist"))
        caption = t(lang, "quality_caption", step=f"{last['step']:,}", fd=last["frechet_distance"],
                    floor=last["fd_floor"], classes=last["classes"], kl=last["kl_uniform"],
                    confident=last["confident"], n=last["n"])
        if "label_accuracy" in last:  # a conditional G: does each digit match the label it was given?
            caption += " " + t(lang, "label_accuracy_note", accuracy=last["label_accuracy"])
        return gr.update(value=fig, visible=True), gr.update(value=caption, visible=True)

    @guarded
    def snapshot_api(self, request: gr.Request) -> dict:
        """JSON summary of this visitor's session for API clients: state, step, epoch, it/s, history rows, and a
        timed run's seconds left and learning-rate multiplier."""
        _, visitor = self._visitor(request)
        if visitor.session is None:
            return {"state": "none", "step": 0, "history_rows": 0}
        snap = visitor.session.snapshot(since=0)
        return {"state": snap.state, "step": snap.step, "epoch": snap.epoch, "it_s": snap.it_s,
                "elapsed_s": snap.elapsed_s, "device": snap.device, "message": snap.message,
                "history_rows": len(snap.metrics["step"]), "grid_version": snap.grid_version,
                "run_left_s": snap.run_left_s, "lr_scale": snap.lr_scale,
                "last": {k: v[-1] for k, v in snap.metrics.items()} if snap.metrics["step"] else None}

    @guarded
    def export_gif(self, request: gr.Request, lang: str) -> str:
        """The fixed_z time-lapse as a GIF file path."""
        key, visitor = self._visitor(request)
        frames = self._session(lang, visitor).frames()
        if not frames:
            raise gr.Error(t(lang, "err_no_frames"))
        return str(save_gif([upscale(f, 2) for f in frames], self._file(key, "timelapse.gif"), fps=8))

    @guarded
    def attach(self, request: gr.Request, lang: str, token: Any, *controls: Any) -> list:
        """A page opened (or was reloaded): find the visitor's runs by the token their browser keeps
        (``gr.BrowserState``), restoring them from their autosave after a restart, and show their settings. A new,
        malformed or forged token gets a new visitor.

        Args:
            token: what the browser stored (None on a first visit).
            controls: the page's control values (PAGE_FIELDS: CONTROL_FIELDS without data_files and init).
        Returns:
            [the token to store, then the run's settings for those controls (gr.skip() each when there is no run),
            then the slow-motion slider's value, the Explore tab's checkpoint note and generator source, the
            side-by-side note, and the visitor's display name].
        """
        token, found = self.registry.attach(self._page_id(request), token)
        _, visitor = self._visitor(request)
        page = self._page(request)
        session = visitor.session
        step = session.trainer.step_count if session is not None else 0
        page["found"] = (found, step, time.monotonic() + REATTACHED_NOTE_S)
        explore = [self._checkpoint_note(lang, visitor), visitor.state.source]
        if session is None:
            return [token, *[gr.skip()] * (len(PAGE_FIELDS) + 1), *explore, gr.skip(), visitor.state.name]
        values = [getattr(session.config, f) for f in PAGE_FIELDS]
        self._sent(page, zip(PAGE_FIELDS, controls, values))
        compare = ""
        if visitor.twin is not None:
            diff = {k: v for k, v in session.config.diff(visitor.twin.config).items() if k != "device"}
            field = next(iter(diff), None)
            compare = t(lang, "compare_note", field=field, a=diff[field][0], b=diff[field][1]) if field else ""
        return [token, *values, visitor.state.slow_motion_s, *explore, compare,
                visitor.state.name]

    @guarded
    def take_lesson(self, request: gr.Request, lang: str, number: Any, *controls: Any) -> list:
        """The teacher set a lesson (the tick's lesson number changed): put its settings in this page's controls,
        once per visitor, and say so in the status. The student still presses Start.

        Args:
            number: the lesson number the page now shows.
            controls: the page's control values (PAGE_FIELDS: CONTROL_FIELDS without data_files and init).
        Returns:
            the controls' new values, then the lesson menu's, the lesson text's, the slow-motion slider's and the
            run length's; gr.skip() each when there is no lesson to take.
        """
        _, visitor = self._visitor(request)
        lesson = self.classroom.lesson if self.classroom is not None else None
        if lesson is None or visitor.state.lesson_taken == lesson[1]:
            return [gr.skip()] * (len(PAGE_FIELDS) + 4)
        name, visitor.state.lesson_taken = lesson
        visitor.state.lesson = visitor.state.lesson_note = name
        c = LESSONS[name].config()
        values = [getattr(c, f) for f in PAGE_FIELDS]
        self._sent(self._page(request), zip(PAGE_FIELDS, controls, values))
        return [*values, name, lesson_markdown(lang, name), LESSONS[name].slow_motion_s, LESSONS[name].run_minutes]

    @guarded
    def set_name(self, request: gr.Request, lang: str, name: Any) -> str:
        """The student's display name, as their teacher sees it (plain text, 1 to 32 characters); an empty box
        removes it (the name is optional).

        Returns:
            the name as kept (trimmed), or "".
        """
        _, visitor = self._visitor(request)
        if name is None or (isinstance(name, str) and not name.strip()):
            visitor.state.name = ""
            return ""
        try:
            text = check_name(name)
        except ValueError:
            raise gr.Error(t(lang, "err_name")) from None
        visitor.state.name = text
        return text

    @guarded
    def attach_api(self, request: gr.Request, token: str | None = None) -> dict:
        """For API clients, what :meth:`attach` does for a page: act from now on for the visitor ``token`` names
        (a new one when it is None, malformed or forged), whose runs then outlive this connection and a restart.

        Returns:
            ``{"token": the token to keep (None when the server keeps no state), "found": new | reattached |
            restored | restore_failed, "step": run A's step (0 without one)}``.
        """
        token, found = self.registry.attach(self._page_id(request), token)
        _, visitor = self._visitor(request)
        step = visitor.session.trainer.step_count if visitor.session is not None else 0
        return {"token": token, "found": found, "step": step}

    def browser_secret(self) -> str | None:
        """The key ``gr.BrowserState`` encrypts the token with: kept across restarts with the state folder, else a
        fresh one (None)."""
        return self.registry.store.browser_secret() if self.registry.store is not None else None

    def unload(self, request: gr.Request) -> None:
        """The page closed or reloaded. A visitor who attached with a token keeps their runs (they train on until
        the registry's idle timeout, and a reload finds them); any other visitor's runs and files are freed."""
        page_id = getattr(request, "session_hash", None)
        if not page_id:
            return
        key = self.registry.key(page_id)
        self.registry.detach(page_id)
        if key not in self.registry:
            shutil.rmtree(self._folder(key), ignore_errors=True)
