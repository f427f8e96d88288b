"""The Train tab's run controls: Start, Pause, Resume, Stop, Step, Reset, Step D / Step G, slow motion, and what the
page draws (the 2D view's layers, the curves' smoothing, the time-lapse GIF). Every command reaches run B too, in
one place (:func:`ganapp.ui.run_b.also_run_b`).
"""

from __future__ import annotations

import contextlib
from typing import Any

import gradio as gr

from ..gan.media import save_gif, upscale
from ..gan.presets import CLASSROOM_2D
from ..gan.reproduce import reproduce_command
from ..run.run import ERROR, RUNNING, WAITING
from . import plots
from .base import CONTROL_RANGES, Shared, TabHandlers
from .common import command, failure, guarded, named
from .run_b import RunBHandlers, also_run_b
from .i18n import t, without_paths
from .lessons import lesson_for, start_lesson
from .settings import SettingsHandlers, reset_fields



@contextlib.contextmanager
def refused_changes_nothing(visitor):
    """Put back, if building a run is refused (a dataset that cannot be read, a host's limit ...), what was set on
    the visitor on the way: the classroom note. The run itself is only replaced once the new one is built
    (:meth:`ganapp.host.registry.Registry.new_run`), and values the server shows in the controls are sent
    only with the answer of a Start or Reset that succeeded.
    """
    classroom = visitor.state.classroom
    try:
        yield
    except BaseException:
        visitor.state.classroom = classroom
        raise


class TrainHandlers(TabHandlers):
    """The Train tab's run controls, over the settings (to build runs) and run B's handlers (to start one)."""

    def __init__(self, shared: Shared, settings: SettingsHandlers, compare: RunBHandlers):
        super().__init__(shared)
        self.settings, self.compare = settings, compare

    @command
    def start(self, request: gr.Request, lang: str, run_minutes: Any, *controls: Any) -> list:
        """Start training (building a run from the controls on first use), or resume a paused one. A
        ``run_minutes`` above 0 makes it a timed run that pauses by itself after that much training, its learning
        rates decaying over the last ``lr_decay`` share of it; 0 trains until paused.

        Returns:
            The values of the CLASSROOM_2D controls (batch size and widths) when the classroom mode changed them,
            else gr.skip() each.
        """
        self.commanded(request)
        key, visitor = self._visitor(request)
        run_minutes = self._number(lang, "run_minutes", run_minutes, CONTROL_RANGES["run_minutes"])
        config = self.settings.read_config(lang, controls, key)
        run = visitor.run
        reshaped = run is not None and bool(reset_fields(run.config, config))
        new_start = (named(controls)["init"] or "scratch") != visitor.state.built_from
        # nothing trained yet (or it failed), or a new starting point was picked: build what the controls say
        shown = [gr.skip()] * len(CLASSROOM_2D)
        page = self._page(request)
        untrained = run is not None and run.step_count == visitor.state.built_step
        fresh = run is None or run.state == ERROR or new_start or (reshaped and untrained)
        if not fresh:  # a page that has not shown the run's move into the class's sizes yet keeps them
            config = self.settings.moved_sizes(page, visitor, config)
            other = reset_fields(run.config, config)
            if other:
                # the controls describe another run (a lesson the teacher offered, another dataset): Start never
                # applies their live half to this run; it says what Reset would build, and changes nothing
                running = run.config
                raise gr.Error(t(lang, "err_start_other_run", changes="; ".join(
                    t(lang, "field_change", field=t(lang, f), old=getattr(running, f), new=getattr(config, f))
                    for f in other)))
        lesson = lesson_for(visitor.state.lesson, config)
        if fresh:
            with refused_changes_nothing(visitor):
                if lesson is None:  # a lesson runs at its own sizes
                    config, shown = self.settings.classroom_sizes(visitor, config)
                self.settings.new_run(lang, key, config, controls)
        else:
            self.settings.apply_controls(lang, visitor, config)
        # a lesson's run B comes with its run A's first Start, also after a Reset built run A
        run_b_config = start_lesson(visitor, lesson, config, fresh or untrained)
        if run_b_config is not None:
            self.compare.new_run_b(lang, key, run_b_config).set_lesson(lesson)
        page.offered = None  # the student acted on the lesson the teacher offered
        visitor.run.start(run_s=60.0 * run_minutes)
        also_run_b(visitor, lambda b: b.start(run_s=60.0 * run_minutes))
        return shown

    @command
    def pause(self, request: gr.Request, lang: str) -> None:
        _, visitor = self._visitor(request)
        self._run(lang, visitor).pause()
        also_run_b(visitor, lambda b: b.pause(), unless=())

    @command
    def resume(self, request: gr.Request, lang: str) -> None:
        self.commanded(request)
        _, visitor = self._visitor(request)
        run = self._run(lang, visitor)
        if run.state == ERROR:
            raise gr.Error(t(lang, "err_failed", reason=failure(lang, without_paths(run.status().message))))
        run.resume()
        also_run_b(visitor, lambda b: b.resume())

    @command
    def stop(self, request: gr.Request, lang: str) -> None:
        _, visitor = self._visitor(request)
        self._run(lang, visitor).stop()
        also_run_b(visitor, lambda b: b.stop(), unless=())

    @command
    def step(self, request: gr.Request, lang: str, n: Any, *controls: Any) -> None:
        """Run exactly ``n`` steps then pause (building a run on first use)."""
        self.commanded(request)
        key, visitor = self._visitor(request)
        n = self._number(lang, "step_n", n, CONTROL_RANGES["step_n"])
        config = self.settings.read_config(lang, controls, key)
        if visitor.run is None:
            self.settings.new_run(lang, key, config, controls)
            start_lesson(visitor, lesson_for(visitor.state.lesson, config), config, fresh=False)
        run = visitor.run
        if run.state in (RUNNING, WAITING):
            raise gr.Error(t(lang, "err_running_step"))
        if run.state == ERROR:
            raise gr.Error(t(lang, "err_failed", reason=failure(lang, without_paths(run.status().message))))
        run.step(int(n))
        also_run_b(visitor, lambda b: b.step(int(n)), unless=(RUNNING, WAITING, ERROR))

    @command
    def reset(self, request: gr.Request, lang: str, *controls: Any) -> list:
        """Start over: fresh networks from the controls' settings; the old run (and any side-by-side run) is
        stopped.

        Returns:
            the CLASSROOM_2D controls' values as :meth:`start` does, then the side-by-side note: that run B ended,
            or unchanged when there was none.
        """
        self.commanded(request)
        key, visitor = self._visitor(request)
        config = self.settings.read_config(lang, controls, key)  # a dataset not on this server is refused here
        with refused_changes_nothing(visitor):
            config, shown = self.settings.classroom_sizes(visitor, config)
            self.settings.new_run(lang, key, config, controls)
        had_run_b = self.registry.drop_run_b(key)
        return [*shown, t(lang, "compare_ended_by_reset") if had_run_b else gr.skip()]

    @command
    def phase_step(self, request: gr.Request, lang: str, phase: str, *controls: Any) -> None:
        """Step D, Step G or Step both: exactly one update (or one of each), then a redraw. With no run yet, the
        controls' settings build one first (as Step does), following the picked lesson when they are its."""
        self.commanded(request)
        key, visitor = self._visitor(request)
        if phase not in ("d", "g", "both"):
            raise gr.Error(t(lang, "err_choice", field="phase", choices="d, g, both", value=phase))
        if visitor.run is None and controls:
            config = self.settings.read_config(lang, controls, key)
            self.settings.new_run(lang, key, config, controls)
            start_lesson(visitor, lesson_for(visitor.state.lesson, config), config, fresh=False)
        run = self._run(lang, visitor)
        if run.state in (RUNNING, WAITING):
            raise gr.Error(t(lang, "err_running_step"))
        if run.state == ERROR:
            raise gr.Error(t(lang, "err_failed", reason=failure(lang, without_paths(run.status().message))))
        run.phase_step(phase)
        also_run_b(visitor, lambda b: b.phase_step(phase), unless=(RUNNING, WAITING, ERROR))

    @command
    def set_slow_motion(self, request: gr.Request, lang: str, seconds: Any) -> None:
        """Slow motion: hold each D and G update on screen for ``seconds`` (0: off)."""
        _, visitor = self._visitor(request)
        seconds = self._number(lang, "slow_motion", seconds, CONTROL_RANGES["slow_motion"])
        visitor.state.slow_motion_s = float(seconds)
        if visitor.run is not None:
            visitor.run.set_slow_motion(float(seconds))
            also_run_b(visitor, lambda b: b.set_slow_motion(float(seconds)), unless=())

    @guarded
    def set_layers(self, request: gr.Request, layers: Any) -> None:
        """Which layers the 2D view draws (any of plots.LAYERS); the next poll redraws it."""
        page = self._page(request)
        page.layers = tuple(x for x in (layers or ()) if x in plots.LAYERS)
        page.drawn.pop("grid_version", None)
        page.drawn.pop("grid_version_b", None)

    @guarded
    def set_smoothing(self, request: gr.Request, lang: str, weight: Any) -> None:
        """How much this page smooths its curves (an EMA weight in [0, 0.99]; 0: raw); the next poll redraws them."""
        weight = self._number(lang, "smoothing", weight, CONTROL_RANGES["smoothing"])
        page = self._page(request)
        page.smoothing = float(weight)  # a new smoothing is part of the curves' signature: full figures again

    @guarded
    def export_gif(self, request: gr.Request, lang: str) -> str:
        """The fixed_z time-lapse as a GIF file path."""
        key, visitor = self._visitor(request)
        frames = self._run(lang, visitor).frames()
        if not frames:
            raise gr.Error(t(lang, "err_no_frames"))
        return str(save_gif([upscale(f, 2) for f in frames], self._file(key, "timelapse.gif"), fps=8))

    @guarded
    def reproduce(self, request: gr.Request, lang: str) -> tuple[str, str]:
        """The ``python -m ganapp train`` command that trains run A again from scratch: its settings, its seed and
        its step count (see :func:`ganapp.gan.reproduce.reproduce_command`), with a note on when it repeats the run
        bit for bit, in the reader's language.

        Returns:
            (the command, for a copyable code box; the note, Markdown made of the page's own strings only).
        Raises:
            gr.Error: no run yet, no step trained yet, or a run that started from a checkpoint.
        """
        _, visitor = self._visitor(request)
        run = self._run(lang, visitor)
        config, steps = run.config, run.step_count
        if steps < 1:
            raise gr.Error(t(lang, "err_reproduce_untrained"))
        built_from = visitor.state.built_from
        if built_from not in (None, "scratch"):  # a checkpoint's weights: not a run from scratch
            name = t(lang, "init_uploaded_choice") if built_from == "uploaded" else built_from
            raise gr.Error(t(lang, "err_reproduce_init", name=name))
        # the page's run has no time limit unless its minutes were set: the command keeps the rates constant too.
        # A timed run's decay follows the clock, not the steps, so no command repeats it past where the decay began
        note = t(lang, "reproduce_note", steps=f"{steps:,}")
        status = run.status()
        if config.lr_decay > 0 and (status.run_left_s is not None or status.run_over_s is not None):
            note += "\n\n" + t(lang, "reproduce_timed_note", share=f"{config.lr_decay:.0%}")
        if config.data_path:
            note += "\n\n" + t(lang, "reproduce_data_note", dataset=config.dataset)
        return reproduce_command(config, steps), note

