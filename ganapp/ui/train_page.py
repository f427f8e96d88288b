"""The Train tab: its components (run controls first, then the settings made from the config's schema, the
curves and the samples) and their events."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import gradio as gr

from ..gan.config import PAGE_FIELDS, SETTINGS, GANConfig, is_2d
from ..gan.points_file import POINTS_SUFFIXES
from ..gan.presets import CLASSROOM_2D
from ..run.lessons import LESSONS
from . import curves
from .common import CONTROL_FIELDS, FAST
from .diagram import model_diagram_svg
from .run_b import COMPARE_FIELDS
from .i18n import t
from .links import COPY_LINK_JS, WRITE_LINK_JS
from .live import PollOutputs, TickOutputs
from .plots import DEFAULT_SMOOTHING, LAYERS
from .settings import DATASET_DEFAULT_FIELDS, MLP_FIELDS, SettingsHandlers
from .sketchpad import BoundedSketchpad, hold_strokes_js
from .base import MAX_SMOOTHING

def setting_widgets(default: GANConfig, tr: Callable, advanced: bool) -> dict[str, Any]:
    """The Train tab's widgets of the schema's settings (:data:`ganapp.gan.config.SETTINGS`) in or out of the Advanced
    box, made from each setting's widget kind and row, set to ``default``'s values; ``tr`` registers each for the
    language switch (its label, and in the Advanced box its help as ``info``). Returns ``{field: component}``."""
    made: dict[str, Any] = {}
    settings = [s for s in SETTINGS.values() if s.widget and s.advanced == advanced]
    for row, group in itertools.groupby(settings, key=lambda s: s.row or s.name):
        group = list(group)
        with gr.Row() if len(group) > 1 else contextlib.nullcontext():
            for s in group:
                facts = dict(label=t("en", s.name), elem_id=s.name.replace("_", "-"))
                keys = {"label": s.name}
                if advanced:  # the cryptic ones: a line on what each does
                    facts["info"], keys["info"] = t("en", f"help_{s.name}"), f"help_{s.name}"
                value = getattr(default, s.name)
                if s.name in MLP_FIELDS:  # an MLP's own layers: hidden while the model is a DCGAN
                    facts["visible"] = default.model == "mlp"
                if s.widget == "dropdown":
                    widget = gr.Dropdown(list(s.choices), value=value, **facts)
                elif s.widget == "checkbox":
                    widget = gr.Checkbox(value, **facts)
                elif s.widget == "text":  # a list as text, e.g. hidden layers "128,128"
                    widget = gr.Textbox(value, max_lines=1, **facts)
                else:  # number or integer; the range is checked by the handler, in the visitor's language
                    widget = gr.Number(value, precision=0 if s.widget == "integer" else None, **facts)
                made[s.name] = tr(widget, keys)
    return made


def build_link_box(tr: Callable, en: Callable) -> dict[str, Any]:
    """The setup's link (:mod:`ganapp.ui.links`): the note on what a link hid, locked or refused, "Copy link" and
    the box that shows the address, and a hidden box through which the server hands the page its address."""
    link_note = gr.Markdown("", elem_id="link-note")
    copy_link = tr(gr.Button(en("copy_link"), size="sm", elem_id="copy-link"), "copy_link", "value")
    link_box = tr(gr.Textbox("", label=en("link_box"), interactive=False, max_lines=1, buttons=["copy"],
                             visible=False, elem_id="link-box"), "link_box")
    link_query = gr.Textbox("", visible="hidden", elem_id="link-query")
    return dict(link_note=link_note, copy_link=copy_link, link_box=link_box, link_query=link_query)


def wire_link(app: Any, ui: SimpleNamespace, lang: Any) -> None:
    """The address follows the setup: each change of a setting, the lesson or the language has the server write the
    link (:meth:`~ganapp.ui.links.LinkHandlers.current_link`), which the page puts in its address; "Copy link"
    copies the address and shows it."""
    settings = [ui.by_field[f] for f in PAGE_FIELDS]
    gr.on([c.change for c in settings] + [lang.change, ui.lesson.change], app.links.current_link,
          [lang, ui.lesson, *settings], [ui.link_query], api_visibility="private", trigger_mode="always_last",
          **FAST)
    ui.link_query.change(None, [ui.link_query], None, js=WRITE_LINK_JS, api_visibility="private",
                         show_progress="hidden")
    lang.change(app.links.note, [lang], [ui.link_note], api_visibility="private", **FAST)
    ui.copy_link.click(lambda url: gr.update(value=url, visible=True), [ui.link_box], [ui.link_box], js=COPY_LINK_JS,
                       api_visibility="private", show_progress="hidden")


def build_train_tab(app: Any, default: GANConfig, tr: Callable, en: Callable,
                    init_choices: Callable) -> SimpleNamespace:
    """The Train tab's components, inside the page's ``gr.Tabs``, with the controls set to ``default``; ``tr``
    registers each label for the language switch, ``en`` gives a string in English, and ``init_choices(lang)`` the
    "start from" menu. Returns them by name (``by_field``: the settings' widgets by config field, with
    ``data_files`` and ``init``)."""
    with gr.Tab(en("tab_train"), id="train") as tab_train:
        with gr.Row(elem_id="train-row"):  # one column on a phone, reordered (see CSS)
            with gr.Column(scale=1, min_width=300, elem_id="settings-col"):
                # the run controls first: at 1366 × 768 (a classroom laptop) Start, the step buttons and the
                # live curves are on screen without scrolling; the settings follow
                # sticky (see CSS): scrolled down to the 2D view, Step D and Step G stay on screen beside it
                with gr.Column(elem_id="run-controls"):
                    with gr.Row():
                        start = tr(gr.Button(en("start"), variant="primary", elem_id="start", min_width=60), "start",
                                   "value")
                        pause = tr(gr.Button(en("pause"), elem_id="pause", min_width=60), "pause", "value")
                        resume = tr(gr.Button(en("resume"), elem_id="resume", min_width=60), "resume", "value")
                    with gr.Row():
                        stop = tr(gr.Button(en("stop"), variant="stop", elem_id="stop", min_width=60), "stop", "value")
                        reset = tr(gr.Button(en("reset"), elem_id="reset", min_width=60), "reset", "value")
                    with gr.Row():
                        step_n = tr(gr.Number(1, label=en("step_n"), precision=0, min_width=80), "step_n")
                        step = tr(gr.Button(en("step"), elem_id="step", min_width=60), "step", "value")
                    with gr.Row():
                        step_d = tr(gr.Button(en("step_d"), size="sm", elem_id="step-d", min_width=60),
                                    "step_d", "value")
                        step_g = tr(gr.Button(en("step_g"), size="sm", elem_id="step-g", min_width=60),
                                    "step_g", "value")
                        step_both = tr(gr.Button(en("step_both"), size="sm", elem_id="step-both", min_width=60),
                                       "step_both", "value")
                slow_motion = tr(gr.Slider(0.0, 2.0, value=0.0, step=0.1, label=en("slow_motion"),
                                           elem_id="slow-motion"), "slow_motion")
                run_minutes = tr(gr.Number(0, label=en("run_minutes"), elem_id="run-minutes"),
                                 "run_minutes")
                with tr(gr.Accordion(en("lessons"), open=False), "lessons"):
                    # a radio, not a menu: the lessons' names are long, and a narrow menu cut them off
                    lesson = gr.Radio([(en(f"preset_{k}"), k) for k in LESSONS], value=None,
                                      label=en("lesson_pick"), elem_id="lesson")
                    lesson_text = gr.Markdown("", elem_id="lesson-text")
                    tr(gr.Markdown(en("for_teachers"), elem_id="for-teachers"), "for_teachers", "value")
                link = build_link_box(tr, en)
                by_field = setting_widgets(default, tr, advanced=False)
                with tr(gr.Accordion(en("advanced"), open=False), "advanced"):
                    by_field |= setting_widgets(default, tr, advanced=True)
                # the folder dataset's uploads (shown for it alone): each new file adds to the list, and the note
                # says what Start will train on
                with gr.Column(visible=False, elem_id="folder-box") as folder_box:
                    data_files = tr(gr.File(label=en("data_files"), file_count="multiple", type="filepath",
                                            elem_id="data-files"), "data_files")
                    files_note = gr.Markdown("", elem_id="data-files-note")
                    clear_files = tr(gr.Button(en("clear_files"), size="sm", elem_id="clear-files"), "clear_files",
                                     "value")
                init = gr.Dropdown(init_choices("en"), value="scratch", label=en("init"), elem_id="init")
                init_note = gr.Markdown("")
                with tr(gr.Accordion(en("compare"), open=False), "compare"):
                    tr(gr.Markdown(en("compare_help")), "compare_help", "value")
                    with gr.Row():
                        compare_field = tr(gr.Dropdown(list(COMPARE_FIELDS), value="loss",
                                                       label=en("compare_field")), "compare_field")
                        compare_value = tr(gr.Textbox("minimax", label=en("compare_value"), max_lines=1),
                                           "compare_value")
                    with gr.Row():
                        start_compare = tr(gr.Button(en("start_compare"), variant="primary",
                                                     elem_id="start-compare"), "start_compare", "value")
                        end_compare = tr(gr.Button(en("end_compare"), elem_id="end-compare"), "end_compare",
                                         "value")
                    compare_note = gr.Markdown("")
                with tr(gr.Accordion(en("draw"), open=False, elem_id="draw-box"), "draw") as draw_box:
                    tr(gr.Markdown(en("draw_help"), elem_id="draw-help"), "draw_help", "value")
                    # one layer, and no layer menu: its "Layer 1" was Gradio's English in both languages
                    sketch = tr(BoundedSketchpad(type="numpy", image_mode="RGBA", height=280, elem_id="sketch",
                                                 label=en("sketch"), layers=False), "sketch")
                    use_drawing = tr(gr.Button(en("use_drawing"), elem_id="use-drawing"), "use_drawing",
                                     "value")
                    # or the visitor's own points, from a file: the same dataset, drawn
                    points_file = tr(gr.File(label=en("points_file"), file_count="single", type="filepath",
                                             file_types=list(POINTS_SUFFIXES), elem_id="points-file"), "points_file")
                    drawing_note = gr.Markdown("", elem_id="drawing-note")
            with gr.Column(scale=3, elem_id="results-col"):
                status = gr.Markdown(t("en", "state_none"), elem_id="ganapp-status")
                formula = gr.Markdown(SettingsHandlers.formula("en", default.loss), elem_id="formula",
                                      latex_delimiters=[{"left": "$$", "right": "$$", "display": True}])
                # the model, lit as the game is played (LiveHandlers.diagram): one short row, so that at
                # 1366 × 768 Start and the curves stay in the first screen with it
                diagram = gr.HTML(model_diagram_svg("en"), elem_id="model-diagram", padding=False)
                with gr.Row(elem_id="curves-row"):
                    loss_plot = tr(gr.Plot(label=en("losses_plot"), elem_id="loss-plot"), "losses_plot")
                    scores_plot = tr(gr.Plot(label=en("scores_plot"), elem_id="scores-plot"), "scores_plot")
                smoothing = tr(gr.Slider(0.0, MAX_SMOOTHING, value=DEFAULT_SMOOTHING, step=0.01,
                                         label=en("smoothing"), elem_id="smoothing"), "smoothing")
                quality_plot = tr(gr.Plot(label=en("quality_plot"), visible=False, elem_id="quality-plot"),
                                  "quality_plot")
                quality_caption = gr.Markdown(visible=False, elem_id="quality-caption")
                layers = gr.CheckboxGroup([(en(k), k) for k in LAYERS], value=list(LAYERS),
                                          label=en("layers"), elem_id="layers",
                                          visible=is_2d(default.dataset))  # they draw 2D views only
                with gr.Row():  # run B's view or grid beside run A's, while there is a run B
                    grid = tr(gr.Image(label=en("grid"), format="png", interactive=False, height=420,
                                       elem_id="grid", elem_classes="pixelated"), "grid")
                    scatter = tr(gr.Plot(label=en("scatter"), visible=False, elem_id="scatter"), "scatter")
                    scatter_b = tr(gr.Plot(label=en("scatter_b"), visible=False, elem_id="scatter-b"),
                                   "scatter_b")
                    grid_b = gr.Image(format="png", interactive=False, height=420, visible=False,
                                      elem_id="grid-b", elem_classes="pixelated")
                alert = gr.Markdown(visible=False, elem_id="alert")
                metrics2d_plot = tr(gr.Plot(label=en("metrics2d_plot"), visible=False, elem_id="metrics2d-plot"),
                                    "metrics2d_plot")
                with gr.Row():
                    export = tr(gr.Button(en("export_gif")), "export_gif", "value")
                    gif_file = tr(gr.File(label=en("gif_file"), interactive=False, elem_id="gif-file"),
                                  "gif_file")
                with gr.Row():
                    reproduce = tr(gr.Button(en("reproduce"), elem_id="reproduce"), "reproduce", "value")
                # the command is shown as code, as text: a data path in it is never read as HTML
                reproduce_box = tr(gr.Code(language="shell", label=en("reproduce_box"), interactive=False, lines=3,
                                           wrap_lines=True, show_line_numbers=False, buttons=["copy"],
                                           visible=False, elem_id="reproduce-box"), "reproduce_box")
                reproduce_note = gr.Markdown(visible=False, elem_id="reproduce-note")
                # how many times the server moved run A into the class's sizes (LiveHandlers.tick)
                class_moves = gr.Number(0, visible="hidden", elem_id="class-moves")
    by_field |= dict(data_files=data_files, init=init)
    return SimpleNamespace(tab_train=tab_train, start=start, pause=pause, resume=resume, stop=stop, reset=reset,
                           step_n=step_n, step=step, step_d=step_d, step_g=step_g, step_both=step_both,
                           slow_motion=slow_motion, run_minutes=run_minutes, lesson=lesson, lesson_text=lesson_text,
                           data_files=data_files, folder_box=folder_box, files_note=files_note,
                           clear_files=clear_files, init=init, init_note=init_note, compare_field=compare_field,
                           compare_value=compare_value, start_compare=start_compare, end_compare=end_compare,
                           compare_note=compare_note, draw_box=draw_box, sketch=sketch, use_drawing=use_drawing,
                           drawing_note=drawing_note, points_file=points_file, status=status, formula=formula,
                           diagram=diagram,
                           loss_plot=loss_plot,
                           scores_plot=scores_plot, smoothing=smoothing, quality_plot=quality_plot,
                           quality_caption=quality_caption, layers=layers, grid=grid, scatter=scatter,
                           scatter_b=scatter_b, grid_b=grid_b, alert=alert, metrics2d_plot=metrics2d_plot,
                           export=export, gif_file=gif_file, class_moves=class_moves, by_field=by_field,
                           reproduce=reproduce, reproduce_box=reproduce_box, reproduce_note=reproduce_note,
                           **link)


def wire_train(app: Any, ui: SimpleNamespace, lang: Any, timer: Any, frame: Any, lesson_no: Any,
               poll_every_s: float) -> None:
    """The Train tab's events: the run buttons (each reaching run B), the settings, the lesson picker, the drawing,
    and the Timer's tick with the poll it triggers."""
    controls = [ui.by_field[f] for f in CONTROL_FIELDS]
    dataset, loss, r1_gamma = ui.by_field["dataset"], ui.by_field["loss"], ui.by_field["r1_gamma"]
    dataset_default_controls = [ui.by_field[f] for f in DATASET_DEFAULT_FIELDS] + [ui.folder_box]
    classroom_controls = [ui.by_field[f] for f in CLASSROOM_2D]
    ui.start.click(app.train.start, [lang, ui.run_minutes, *controls], classroom_controls, api_name="start", **FAST)
    ui.pause.click(app.train.pause, [lang], None, api_name="pause", **FAST)
    ui.resume.click(app.train.resume, [lang], None, api_name="resume", **FAST)
    ui.stop.click(app.train.stop, [lang], None, api_name="stop", **FAST)
    ui.step.click(app.train.step, [lang, ui.step_n, *controls], None, api_name="step", **FAST)
    ui.reset.click(app.train.reset, [lang, *controls], [*classroom_controls, ui.compare_note], api_name="reset", **FAST)
    ui.reset.click(lambda: None, None, [ui.gif_file], api_visibility="private", show_progress="hidden")  # an old GIF
    for button, phase in ((ui.step_d, "d"), (ui.step_g, "g"), (ui.step_both, "both")):
        button.click(app.train.phase_step, [lang, gr.State(phase), *controls], None, api_name=f"step_{phase}", **FAST)
    ui.start_compare.click(app.compare.compare, [lang, ui.compare_field, ui.compare_value, *controls],
                           [ui.compare_note], api_name="compare", **FAST)
    ui.end_compare.click(app.compare.end_compare, [lang], [ui.compare_note], api_name="end_compare", **FAST)
    ui.slow_motion.change(app.train.set_slow_motion, [lang, ui.slow_motion], None, api_name="slow_motion", **FAST)
    ui.layers.change(app.train.set_layers, [ui.layers], None, api_visibility="private", **FAST)
    dataset.change(SettingsHandlers.layers_shown, [dataset], [ui.layers], api_visibility="private", **FAST)
    ui.lesson.input(app.lessons.pick_lesson, [lang, ui.lesson],
                    [*controls[:-2], ui.lesson_text, ui.slow_motion, ui.run_minutes], api_name="lesson", **FAST)
    ui.draw_box.expand(None, None, None, js=hold_strokes_js("#draw-box", "#sketch", "#use-drawing", "#run-controls"),
                       api_visibility="private", show_progress="hidden")  # its help below the sticky run buttons
    # a drawing is read and turned into points one at a time, server-wide: many at once must not take the CPU that
    # every page's tick needs
    ui.use_drawing.click(app.settings.use_drawing, [lang, ui.sketch],
                         [dataset, *dataset_default_controls, ui.drawing_note], api_name="use_drawing",
                         concurrency_limit=1, show_progress="hidden")
    ui.points_file.upload(app.settings.use_points, [lang, ui.points_file],
                          [dataset, *dataset_default_controls, ui.drawing_note, ui.points_file], api_name="use_points",
                          concurrency_limit=1, show_progress="hidden")
    # the curves' new points since the last full figure (ganapp.ui.curves), appended in the browser
    curve_delta = gr.JSON(None, visible="hidden", elem_id="curve-delta")
    curve_delta.change(None, [curve_delta], None, js=curves.EXTEND_JS, api_visibility="private",
                       show_progress="hidden")
    # what the page's curves hold, reported by the browser before each tick and poll (curves.REPORT_JS): a poll
    # sends the rows after it, and a tick redraws a page that lacks some
    curves_held = gr.JSON(None, visible="hidden", elem_id="curves-held")
    poll_outputs = [dict(status=ui.status, loss_plot=ui.loss_plot, scores_plot=ui.scores_plot, grid=ui.grid,
                         scatter=ui.scatter, quality_plot=ui.quality_plot, quality_caption=ui.quality_caption,
                         metrics2d_plot=ui.metrics2d_plot, alert=ui.alert, scatter_b=ui.scatter_b, grid_b=ui.grid_b,
                         curve_delta=curve_delta)[name] for name in PollOutputs._fields]
    ui.smoothing.change(app.train.set_smoothing, [lang, ui.smoothing], None, api_visibility="private", **FAST).then(
        app.live.poll, [lang, curves_held], poll_outputs, js=curves.REPORT_JS, api_name="poll_smoothed",
        api_visibility="private", **FAST)  # redraw the curves at once
    app.shared.poll_every_s = poll_every_s
    tick_outputs = [dict(status=ui.status, frame=frame, lesson_no=lesson_no, timer=timer,
                         class_moves=ui.class_moves)[name] for name in TickOutputs._fields]
    timer.tick(app.live.tick, [lang, curves_held], tick_outputs, js=curves.REPORT_JS, api_name="tick", **FAST)
    ui.class_moves.change(app.settings.class_sizes_shown, [lang], classroom_controls, api_visibility="private",
                          **FAST)
    # a command puts the page back to the full polling rate at once in the browser (the tick slows a page whose
    # runs do not train); its handler does so on the server for a few seconds (TabHandlers.commanded)
    for button in (ui.start, ui.resume, ui.step, ui.reset, ui.step_d, ui.step_g, ui.step_both, ui.start_compare):
        button.click(None, None, [timer], js=f"() => {poll_every_s}", api_visibility="private",
                     show_progress="hidden")
    lesson_no.change(app.take_lesson, [lang, lesson_no, *controls[:-2]],
                     [*controls[:-2], ui.lesson, ui.lesson_text, ui.slow_motion, ui.run_minutes],
                     api_visibility="private", **FAST).then(
        app.links.note, [lang], [ui.link_note], api_visibility="private", **FAST)  # a pushed link's locks
    wire_link(app, ui, lang)
    frame.change(app.live.poll, [lang, curves_held], poll_outputs, js=curves.REPORT_JS, api_name="poll", **FAST)
    # the model diagram follows the same frames (their key holds the step, phase and language it shows), from what
    # the tick read: the poll's twelve outputs and the tick's five stay as API clients read them
    frame.change(app.live.diagram, [lang], [ui.diagram], api_name="diagram", api_visibility="private", **FAST)
    # A setting the visitor edits reaches run A alone, field by field: `input` fires on the visitor's edits only
    # (Gradio 6), never on values the server sets (the classroom sizes, a reopened page's settings, a lesson, a
    # dataset's defaults), whose `change` events had carried all ~30 values of their moment, stale ones included.
    # "always_last": typing 0.0005 fires an event per keystroke, and the last value must arrive (`input` defaults
    # to "once", which drops the events that come while one is pending). A new upload or starting point takes
    # effect at Start or Reset.
    settings_changed = dict(api_visibility="private", trigger_mode="always_last", **FAST)
    for field in PAGE_FIELDS:
        if SETTINGS[field].widget == "text":  # sent when typed out (each key's half-typed list would be refused)
            for event in (ui.by_field[field].blur, ui.by_field[field].submit):
                event(app.settings.settings_changed, [lang, gr.State((field,)), ui.by_field[field]], None,
                      **settings_changed)
        elif field != "loss":
            ui.by_field[field].input(app.settings.settings_changed, [lang, gr.State((field,)), ui.by_field[field]],
                                     None, **settings_changed)
    model = ui.by_field["model"]  # the MLP's layer controls follow the model, whoever set it
    model.change(SettingsHandlers.mlp_fields_shown, [model], [ui.by_field[f] for f in MLP_FIELDS],
                 api_visibility="private", **FAST)
    ui.data_files.change(app.settings.upload_note, [lang, ui.data_files], [ui.files_note], api_visibility="private",
                         **FAST)
    lang.change(app.settings.upload_note, [lang, ui.data_files], [ui.files_note], api_visibility="private", **FAST)
    ui.clear_files.click(lambda: None, None, [ui.data_files], api_visibility="private", show_progress="hidden")
    ui.init.input(app.settings.init_selected, [lang, ui.init], [*controls[:-2], ui.init_note],
                  api_visibility="private", **FAST)
    dataset.input(SettingsHandlers.dataset_defaults, [dataset], dataset_default_controls, api_visibility="private",
                  **FAST)
    for c in (loss, r1_gamma):
        c.change(SettingsHandlers.formula, [lang, loss, r1_gamma], [ui.formula], api_visibility="private", **FAST)
    loss_fields = ("loss", "n_critic", "beta1", "beta2")  # a loss comes with the n_critic and β that suit it
    loss.input(SettingsHandlers.loss_defaults, [loss, dataset], [ui.by_field[f] for f in loss_fields[1:]],
               api_visibility="private", trigger_mode="always_last", **FAST).then(
        app.settings.settings_changed, [lang, gr.State(loss_fields), *[ui.by_field[f] for f in loss_fields]], None,
        **settings_changed)
    gr.api(app.settings.set_setting, api_name="set_setting", concurrency_limit=None)
    ui.export.click(app.train.export_gif, [lang], [ui.gif_file], api_name="export_gif", concurrency_limit=2)

    def show_reproduce(request: gr.Request, lang_code: str) -> list:
        """The command and its note, each shown (hidden until asked for, so that no empty box waits on the page)."""
        return [gr.update(value=v, visible=True) for v in app.train.reproduce(request, lang_code)]

    ui.reproduce.click(show_reproduce, [lang], [ui.reproduce_box, ui.reproduce_note], api_name="reproduce",
                       show_progress="hidden")
    gr.api(app.live.snapshot_api, api_name="snapshot", concurrency_limit=None)
