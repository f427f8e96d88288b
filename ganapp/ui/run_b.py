"""Side by side: run B, a second run with one setting changed, trained beside run A on the same data and seed."""

from __future__ import annotations

from typing import Any

import gradio as gr

from ..gan.config import LOSSES, GANConfig
from ..gan.data import DatasetUnavailableError
from ..host.limits import LimitError, ServerFullError
from ..host.visitors import Visitor
from ..run.run import ERROR, RunRefusedError
from .base import Shared, TabHandlers
from .common import command, named
from .errors import config_error, dataset_error, limit_error
from .i18n import field_label, t

# Settings a side-by-side run B may change (anything else would make the runs hard to compare on the same axes).
COMPARE_FIELDS = ("loss", "n_critic", "lr_d", "lr_g", "batch_size", "r1_gamma", "gp_lambda", "g_width", "d_width",
                  "z_dim", "seed", "beta1")


def also_run_b(visitor: Visitor, act, unless: tuple[str, ...] = (ERROR,)) -> None:
    """Give the side-by-side run B, if there is one, the command run A was just given, unless B is in one of
    the states ``unless``. The one place where the run buttons reach run B. A run B that refuses it (at its own
    step limit) is left as it is: its status line says why."""
    run_b = visitor.run_b
    if run_b is not None and run_b.state not in unless:
        try:
            act(run_b)
        except RunRefusedError:
            pass


def run_b_label(visitor: Visitor, lang: str = "en") -> str:
    """How run B differs from run A, each setting by its label in ``lang`` ("Loss = minimax"), or "" without both.
    Reads each run once: another tab may end the comparison meanwhile."""
    run, run_b = visitor.run, visitor.run_b
    if run is None or run_b is None:
        return ""
    diff = run.config.diff(run_b.config)
    return t(lang, "list_sep").join(f"{field_label(lang, k)} = {b}" for k, (_, b) in diff.items() if k != "device")


class RunBHandlers(TabHandlers):
    """Run B's handlers, over the settings (run A is rebuilt from the controls)."""

    def __init__(self, shared: Shared, settings: Any):
        super().__init__(shared)
        self.settings = settings

    @command
    def compare(self, request: gr.Request, lang: str, field: Any, value: Any, *controls: Any) -> str:
        """Two runs side by side: run A with the controls' settings and run B with ``field`` set to ``value``, both
        from fresh networks with the same seed and data, started together. Returns a note naming the difference.
        Both count towards the trainer cap. A ``field`` that a link or the teacher locked is refused for run B as
        for run A (``gr.Error`` naming it and its locked value), before either run is built."""
        self.commanded(request)
        key, visitor = self._visitor(request)
        config = self.settings.read_config(lang, controls, key)
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
        self.settings.check_unlocked(lang, visitor, {field: new_value})  # run B may not change a locked control
        try:
            changed = config.replace(**{field: new_value})
        except ValueError as e:
            raise config_error(lang, e) from None
        if changed == config:
            raise gr.Error(t(lang, "err_compare_same", field=field, value=value))
        self.settings.new_run(lang, key, config, tuple({**named(controls), "init": "scratch"}.values()))
        run_b = self.new_run_b(lang, key, changed)
        visitor.run.start()
        run_b.start()
        return t(lang, "compare_note", field=field_label(lang, field), a=getattr(config, field), b=new_value)

    def new_run_b(self, lang: str, key: str, config: GANConfig):
        """Build the visitor's run B with ``config`` (in the page's slow motion), or raise a gr.Error that says
        why not."""
        try:
            run_b = self.registry.new_run_b(key, config)
        except (LimitError, ServerFullError) as e:
            raise limit_error(lang, e) from None
        except DatasetUnavailableError as e:
            raise dataset_error(lang, e) from None
        except ValueError as e:
            raise config_error(lang, e) from None
        run_b.set_slow_motion(self.registry.visitor(key).state.slow_motion_s)
        return run_b

    @command
    def end_compare(self, request: gr.Request, lang: str) -> str:
        """Stop and drop run B; run A goes on as it was."""
        key, _ = self._visitor(request)
        return t(lang, "compare_ended" if self.registry.drop_run_b(key) else "compare_none")
