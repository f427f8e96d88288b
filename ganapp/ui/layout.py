"""The Gradio layout and its event wiring. Handlers live in :mod:`ganapp.ui.handlers`; strings in
:mod:`ganapp.ui.i18n`."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable
from typing import Any

import gradio as gr

from ..config import SETTINGS, GANConfig, is_2d
from ..lessons import LESSONS
from ..presets import CLASSROOM_2D
from .handlers import (COMPARE_FIELDS, CONTROL_FIELDS, DATASET_DEFAULT_FIELDS, DIRECTION_RANGE, MAX_SMOOTHING,
                       N_DIRECTIONS, N_Z_SLIDERS, Z_SLIDER_RANGE, GanApp, PollOutputs, TickOutputs)
from .common import DETECT_LANG_JS, FAST
from .i18n import LANGS, t
from . import curves
from .lessons import build_guide_page, lesson_markdown
from .plots import DEFAULT_SMOOTHING, LAYERS
from .teacher import build_teacher_page

CSS = """
.pixelated img { image-rendering: pixelated; }
/* the image starts below its label, which otherwise covers the top-left sample of a grid that fills the width */
.pixelated .image-container { padding-top: 30px; }
#ganapp-status p { margin: 0.2em 0; }
/* the teacher's page (a second page, when the host set a token) is reached by its URL: no navigation bar, whose
   gr.Navbar(visible=False) Gradio 6.31 does not honour */
nav:has(> a[data-sveltekit-reload]) { display: none; }
"""


# Gradio's sketchpad opens with no tool chosen ("select the draw tool to start"), so a first stroke draws nothing:
# when its box opens, choose the brush (the first of its tool buttons), retrying while the pad is still being built.
SELECT_BRUSH_JS = """() => {
  let tries = 0;
  const pick = () => {
    const brush = document.querySelector('#sketch button.quite-round')
      || document.querySelector('#sketch button[aria-label="Brush"]');
    if (brush) { brush.click(); } else if (tries++ < 30) { setTimeout(pick, 100); }
  };
  pick();
}"""


def setting_widgets(default: GANConfig, tr: Callable, advanced: bool) -> dict[str, Any]:
    """The Train tab's widgets of the schema's settings (:data:`ganapp.config.SETTINGS`) in or out of the Advanced
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
                if s.widget == "dropdown":
                    widget = gr.Dropdown(list(s.choices), value=value, **facts)
                elif s.widget == "checkbox":
                    widget = gr.Checkbox(value, **facts)
                else:  # number or integer; the range is checked by the handler, in the visitor's language
                    widget = gr.Number(value, precision=0 if s.widget == "integer" else None, **facts)
                made[s.name] = tr(widget, keys)
    return made


EXPLORE = dict(concurrency_id="explore", concurrency_limit=8, show_progress="hidden", trigger_mode="always_last")


def build_demo(app: GanApp, poll_every_s: float = 0.5, default: GANConfig | None = None,
               analytics_enabled: bool = False) -> gr.Blocks:
    """The whole app as a ``gr.Blocks``, wired to ``app``'s handlers. ``demo.ganapp`` is ``app`` (for tests). The
    controls start at ``default``, else at the recommended settings of the default dataset (what choosing it in the
    dataset menu fills in). Gradio's usage analytics stay off unless ``analytics_enabled``."""
    default = default or GANConfig.default_for(GANConfig().dataset)
    labeled: list[tuple[Any, dict[str, str]]] = []  # (component, {what to relabel (label, value, info): string key})

    def tr(component, key: str | dict[str, str], attr: str = "label"):
        labeled.append((component, key if isinstance(key, dict) else {attr: key}))
        return component

    en = lambda key: t("en", key)  # noqa: E731
    shipped_names = app.shipped_checkpoints()

    def init_choices(code: str) -> list[tuple[str, str]]:
        return [(t(code, "init_scratch_choice"), "scratch"), *((n, n) for n in shipped_names),
                (t(code, "init_uploaded_choice"), "uploaded")]

    with gr.Blocks(title="ganapp", delete_cache=(3600, 3600), analytics_enabled=analytics_enabled) as demo:
        with gr.Row(equal_height=True):
            with gr.Column(scale=4):
                tr(gr.Markdown(en("title")), "title", "value")
                tr(gr.Markdown(en("subtitle")), "subtitle", "value")
            your_name = tr(gr.Textbox(label=en("your_name"), max_lines=1, max_length=32, scale=1, min_width=200,
                                      elem_id="your-name"), "your_name")
            lang = gr.Radio([(name, code) for code, name in LANGS.items()], value="en", label="Language / 语言",
                            scale=1, min_width=160)

        with gr.Tabs():
            with gr.Tab(en("tab_train"), id="train") as tab_train:
                with gr.Row():
                    with gr.Column(scale=1, min_width=300):
                        # the run controls first: at 1366 × 768 (a classroom laptop) Start, the step buttons and the
                        # live curves are on screen without scrolling; the settings follow
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
                            step_d = tr(gr.Button(en("step_d"), size="sm", elem_id="step-d", min_width=60), "step_d", "value")
                            step_g = tr(gr.Button(en("step_g"), size="sm", elem_id="step-g", min_width=60), "step_g", "value")
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
                        by_field = setting_widgets(default, tr, advanced=False)
                        with tr(gr.Accordion(en("advanced"), open=False), "advanced"):
                            by_field |= setting_widgets(default, tr, advanced=True)
                        data_files = tr(gr.File(label=en("data_files"), file_count="multiple", type="filepath",
                                                visible=False, elem_id="data-files"), "data_files")
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
                        with tr(gr.Accordion(en("draw"), open=False), "draw") as draw_box:
                            tr(gr.Markdown(en("draw_help")), "draw_help", "value")
                            sketch = gr.Sketchpad(type="numpy", image_mode="RGBA", height=280, elem_id="sketch")
                            use_drawing = tr(gr.Button(en("use_drawing"), elem_id="use-drawing"), "use_drawing",
                                             "value")
                            drawing_note = gr.Markdown("")
                    with gr.Column(scale=3):
                        status = gr.Markdown(t("en", "state_none"), elem_id="ganapp-status")
                        formula = gr.Markdown(GanApp.formula("en", default.loss), elem_id="formula",
                                              latex_delimiters=[{"left": "$$", "right": "$$", "display": True}])
                        with gr.Row():
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

            with gr.Tab(en("tab_explore"), id="explore") as tab_explore:
                with gr.Row():
                    with gr.Column(scale=1, min_width=300):
                        source = gr.Radio([(en("source_training"), "training"),
                                           (en("source_checkpoint"), "checkpoint")], value="training",
                                          label=en("source"), elem_id="source")
                        with gr.Row(equal_height=True):
                            z_seed = tr(gr.Number(0, label=en("seed"), precision=0, elem_id="z-seed"), "seed")
                            random_z = tr(gr.Button(en("random_z")), "random_z", "value")
                        psi = tr(gr.Slider(0.0, 1.0, value=1.0, step=0.05, label=en("truncation")), "truncation")
                        label = tr(gr.Slider(0, 9, value=0, step=1, label=en("label"), visible=False,
                                             elem_id="label"), "label")
                        tr(gr.Markdown(f"**{en('z_sliders')}**"), "z_sliders", "value")
                        sliders = [gr.Slider(-Z_SLIDER_RANGE, Z_SLIDER_RANGE, value=0.0, step=0.01, label=f"z[{i}]",
                                             elem_id=f"z-slider-{i}") for i in range(N_Z_SLIDERS)]
                    with gr.Column(scale=2):
                        explore_image = tr(gr.Image(label=en("explore_image"), format="png", interactive=False,
                                                    height=360, elem_id="explore-image", elem_classes="pixelated"),
                                           "explore_image")
                        explore_plot = tr(gr.Plot(label=en("explore_image"), visible=False, elem_id="explore-plot"),
                                          "explore_image")
                        shown_note = gr.Markdown("", elem_id="shown-note")
                with tr(gr.Accordion(en("directions"), open=False), "directions"):
                    tr(gr.Markdown(en("directions_help")), "directions_help", "value")
                    with gr.Row(equal_height=True):
                        find_dirs = tr(gr.Button(en("find_directions"), variant="primary", elem_id="find-directions"),
                                       "find_directions", "value")
                        dirs_note = gr.Markdown("")
                    dir_sliders = [gr.Slider(-DIRECTION_RANGE, DIRECTION_RANGE, value=0.0, step=0.05,
                                             label=f"PC{i + 1}", visible=False, elem_id=f"direction-{i}")
                                   for i in range(N_DIRECTIONS)]
                    with gr.Row(equal_height=True):
                        dir_name = tr(gr.Textbox(label=en("direction_name"), max_length=40), "direction_name")
                        save_dir = tr(gr.Button(en("save_direction")), "save_direction", "value")
                        saved_dir = tr(gr.Dropdown([], label=en("saved_directions"), allow_custom_value=False),
                                       "saved_directions")
                        dir_amount = tr(gr.Slider(-DIRECTION_RANGE, DIRECTION_RANGE, value=0.0, step=0.05,
                                                  label=en("direction_amount")), "direction_amount")
                    with gr.Row():
                        download_dirs = tr(gr.Button(en("download_directions")), "download_directions", "value")
                        dirs_file = tr(gr.File(label=en("directions_file"), interactive=False), "directions_file")
                with tr(gr.Accordion(en("timelapse"), open=False), "timelapse"):
                    tr(gr.Markdown(en("timelapse_help")), "timelapse_help", "value")
                    with gr.Row(equal_height=True):
                        tl_source = gr.Radio([(en("timelapse_run"), "run"), (en("timelapse_files"), "files")],
                                             value="run", label=en("timelapse_source"))
                        tl_files = tr(gr.File(label=en("timelapse_files"), file_count="multiple", type="filepath",
                                              file_types=[".safetensors"]), "timelapse_files")
                        tl_seed = tr(gr.Number(0, label=en("seed"), precision=0), "seed")
                        tl_label = tr(gr.Number(0, label=en("label"), precision=0, visible=False), "label")
                        run_tl = tr(gr.Button(en("make_timelapse"), variant="primary", elem_id="make-timelapse"),
                                    "make_timelapse", "value")
                    tl_strip = tr(gr.Image(label=en("timelapse_strip"), format="png", interactive=False, visible=False,
                                           elem_classes="pixelated", elem_id="timelapse-strip"), "timelapse_strip")
                    tl_caption = gr.Markdown("")
                    tl_gif = tr(gr.File(label=en("timelapse_gif"), interactive=False, visible=False,
                                        elem_id="timelapse-gif"), "timelapse_gif")
                with tr(gr.Accordion(en("interpolation"), open=True), "interpolation"):
                    with gr.Row(equal_height=True):
                        seed0 = tr(gr.Number(0, label=en("seed0"), precision=0), "seed0")
                        seed1 = tr(gr.Number(1, label=en("seed1"), precision=0), "seed1")
                        mode = tr(gr.Radio(["slerp", "lerp", "label"], value="slerp", label=en("mode")), "mode")
                        label0 = tr(gr.Number(0, label=en("label0"), precision=0, visible=False), "label0")
                        label1 = tr(gr.Number(1, label=en("label1"), precision=0, visible=False), "label1")
                        n_frames = tr(gr.Slider(2, 64, value=10, step=1, label=en("n_frames")), "n_frames")
                        run_interp = tr(gr.Button(en("interpolate"), variant="primary"), "interpolate", "value")
                    strip = tr(gr.Image(label=en("strip"), format="png", interactive=False,
                                        elem_classes="pixelated"), "strip")
                    strip_plot = tr(gr.Plot(label=en("strip"), visible=False), "strip")
                    interp_gif = tr(gr.File(label=en("interp_gif"), interactive=False), "interp_gif")
                with tr(gr.Accordion(en("checkpoints"), open=True), "checkpoints"):
                    with gr.Row():
                        with gr.Column():
                            save = tr(gr.Button(en("save_ckpt")), "save_ckpt", "value")
                            ckpt_file = tr(gr.File(label=en("ckpt_file"), interactive=False), "ckpt_file")
                        with gr.Column():
                            upload = tr(gr.File(label=en("upload_ckpt"), file_types=[".safetensors"],
                                                type="filepath", elem_id="upload-ckpt"), "upload_ckpt")
                        with gr.Column():
                            shipped = tr(gr.Dropdown(app.shipped_checkpoints(), label=en("shipped_ckpt"),
                                                     elem_id="shipped"), "shipped_ckpt")
                            load = tr(gr.Button(en("load_ckpt"), elem_id="load-ckpt"), "load_ckpt", "value")
                    ckpt_note = gr.Markdown(en("no_ckpt_loaded"))

        timer = gr.Timer(poll_every_s)
        frame = gr.Number(0, visible="hidden")  # grows when there is something new to draw (GanApp.tick)
        # the visitor's signed token, kept in localStorage so that a reload or a second tab finds the same runs;
        # a fixed storage key and a secret kept across restarts let it outlive the server too
        visitor_token = gr.BrowserState(None, storage_key="ganapp_visitor", secret=app.browser_secret())
        lesson_no = gr.Number(0, visible="hidden")  # the teacher's latest lesson for this visitor (GanApp.tick)

        # ----- wiring -----
        by_field |= dict(data_files=data_files, init=init)
        controls = [by_field[f] for f in CONTROL_FIELDS]
        dataset, loss, r1_gamma = by_field["dataset"], by_field["loss"], by_field["r1_gamma"]
        dataset_default_controls = [by_field[f] for f in DATASET_DEFAULT_FIELDS] + [data_files]
        classroom_controls = [by_field[f] for f in CLASSROOM_2D]
        start.click(app.start, [lang, run_minutes, *controls], classroom_controls, api_name="start", **FAST)
        pause.click(app.pause, [lang], None, api_name="pause", **FAST)
        resume.click(app.resume, [lang], None, api_name="resume", **FAST)
        stop.click(app.stop, [lang], None, api_name="stop", **FAST)
        step.click(app.step, [lang, step_n, *controls], None, api_name="step", **FAST)
        reset.click(app.reset, [lang, *controls], [*classroom_controls, compare_note], api_name="reset", **FAST)
        reset.click(lambda: None, None, [gif_file], api_visibility="private", show_progress="hidden")  # an old GIF
        for button, phase in ((step_d, "d"), (step_g, "g"), (step_both, "both")):
            button.click(app.phase_step, [lang, gr.State(phase), *controls], None, api_name=f"step_{phase}", **FAST)
        start_compare.click(app.compare, [lang, compare_field, compare_value, *controls], [compare_note],
                            api_name="compare", **FAST)
        end_compare.click(app.end_compare, [lang], [compare_note], api_name="end_compare", **FAST)
        slow_motion.change(app.set_slow_motion, [lang, slow_motion], None, api_name="slow_motion", **FAST)
        layers.change(app.set_layers, [layers], None, api_visibility="private", **FAST)
        dataset.change(GanApp.layers_shown, [dataset], [layers], api_visibility="private", **FAST)
        lesson.input(app.pick_lesson, [lang, lesson], [*controls[:-2], lesson_text, slow_motion, run_minutes],
                     api_name="lesson", **FAST)
        draw_box.expand(None, None, None, js=SELECT_BRUSH_JS, api_visibility="private", show_progress="hidden")
        use_drawing.click(app.use_drawing, [lang, sketch], [dataset, *dataset_default_controls, drawing_note],
                          api_name="use_drawing", **FAST)
        # the curves' new points since the last full figure (ganapp.ui.curves), appended in the browser
        curve_delta = gr.JSON(None, visible="hidden", elem_id="curve-delta")
        curve_delta.change(None, [curve_delta], None, js=curves.EXTEND_JS, api_visibility="private",
                           show_progress="hidden")
        poll_outputs = [dict(status=status, loss_plot=loss_plot, scores_plot=scores_plot, grid=grid, scatter=scatter,
                             quality_plot=quality_plot, quality_caption=quality_caption,
                             metrics2d_plot=metrics2d_plot, alert=alert, scatter_b=scatter_b, grid_b=grid_b,
                             curve_delta=curve_delta)[name] for name in PollOutputs._fields]
        smoothing.change(app.set_smoothing, [lang, smoothing], None, api_visibility="private", **FAST).then(
            app.poll, [lang], poll_outputs, api_name="poll_smoothed", api_visibility="private",
            **FAST)  # redraw the curves at once
        app.poll_every_s = poll_every_s
        tick_outputs = [dict(status=status, frame=frame, lesson_no=lesson_no, timer=timer)[name]
                        for name in TickOutputs._fields]
        timer.tick(app.tick, [lang], tick_outputs, api_name="tick", **FAST)
        # a command puts the page back to the full polling rate at once in the browser (the tick slows a page whose
        # runs do not train); its handler does so on the server for a few seconds (GanApp.commanded)
        for button in (start, resume, step, reset, step_d, step_g, step_both, start_compare):
            button.click(None, None, [timer], js=f"() => {poll_every_s}", api_visibility="private",
                         show_progress="hidden")
        lesson_no.change(app.take_lesson, [lang, lesson_no, *controls[:-2]],
                         [*controls[:-2], lesson, lesson_text, slow_motion, run_minutes],
                         api_visibility="private", **FAST)
        your_name.submit(app.set_name, [lang, your_name], [your_name], api_name="set_name", **FAST)
        your_name.blur(app.set_name, [lang, your_name], [your_name], api_visibility="private", **FAST)
        frame.change(app.poll, [lang], poll_outputs, api_name="poll", **FAST)
        for c in controls[:-2]:  # a new upload or starting point takes effect at Start or Reset
            c.change(app.controls_changed, [lang, *controls], None, api_visibility="private", **FAST)
        init.input(app.init_selected, [lang, init], [*controls[:-2], init_note], api_visibility="private", **FAST)
        dataset.input(GanApp.dataset_defaults, [dataset], dataset_default_controls, api_visibility="private", **FAST)
        for c in (loss, r1_gamma):
            c.change(GanApp.formula, [lang, loss, r1_gamma], [formula], api_visibility="private", **FAST)
        loss.input(GanApp.loss_defaults, [loss, dataset], [by_field[f] for f in ("n_critic", "beta1", "beta2")],
                   api_visibility="private",
                   **FAST)
        export.click(app.export_gif, [lang], [gif_file], api_name="export_gif", concurrency_limit=2)
        gr.api(app.snapshot_api, api_name="snapshot", concurrency_limit=None)

        explore_inputs = [lang, source, z_seed, psi, label, *sliders, *dir_sliders, saved_dir, dir_amount]
        explore_outputs = [explore_image, explore_plot]
        for i, s in enumerate([*sliders, psi, label, *dir_sliders, saved_dir, dir_amount]):
            names = dict(api_name="explore") if i == 0 else dict(api_visibility="private")
            s.input(app.explore, explore_inputs, explore_outputs, **names, **EXPLORE)
        seed_event = dict(fn=app.seed_to_sliders, inputs=[lang, source, z_seed, psi, label],
                          outputs=[*sliders, label, label0, label1, tl_label, *explore_outputs, *dir_sliders,
                                   shown_note], **EXPLORE)
        z_seed.change(api_name="seed", **seed_event)
        source.change(api_visibility="private", **seed_event)
        tab_explore.select(api_visibility="private", **seed_event)
        random_z.click(app.random_seed, None, [z_seed], api_visibility="private", **FAST)
        run_interp.click(app.interpolate, [lang, source, seed0, seed1, mode, n_frames, psi, label0, label1],
                         [strip, strip_plot, interp_gif], api_name="interpolate", concurrency_id="explore",
                         concurrency_limit=8)
        find_dirs.click(app.find_directions, [lang, source], [*dir_sliders, saved_dir, dirs_note],
                        api_name="find_directions", concurrency_id="explore", concurrency_limit=8)
        save_dir.click(app.name_direction, [lang, dir_name, *dir_sliders], [saved_dir, dirs_note],
                       api_name="save_direction", **FAST)
        download_dirs.click(app.download_directions, [lang], [dirs_file], api_name="download_directions",
                            concurrency_limit=4)
        run_tl.click(app.timelapse, [lang, tl_source, tl_seed, tl_label, tl_files], [tl_strip, tl_caption, tl_gif],
                     api_name="timelapse", concurrency_id="explore", concurrency_limit=8)
        save.click(app.save_current, [lang], [ckpt_file], api_name="save_checkpoint", concurrency_limit=4)
        # a second checkpoint leaves the source at "checkpoint", which fires no change: redraw the new G explicitly
        # the page's upload never fails as an event (a failed event marks its outputs with an "Error" badge): a
        # refused file is a warning toast and an emptied box; API clients get the plain, raising endpoint
        upload.upload(app.upload_checkpoint_page, [lang, upload], [ckpt_note, source, upload],
                      api_visibility="private", concurrency_limit=4).success(api_visibility="private", **seed_event)
        api_upload = gr.Button(visible=False)  # no page trigger: the endpoint is for API clients
        api_upload.click(app.upload_checkpoint, [lang, upload], [ckpt_note, source], api_name="upload_checkpoint",
                         concurrency_limit=4)
        load.click(app.load_shipped, [lang, shipped], [ckpt_note, source], api_name="load_checkpoint",
                   concurrency_limit=4).success(api_visibility="private", **seed_event)

        def relabel(code: str) -> list:
            updates = []
            for _, keys in labeled:
                texts = {attr: t(code, key) for attr, key in keys.items()}
                if keys.get("value") == "z_sliders":
                    texts["value"] = f"**{texts['value']}**"
                updates.append(gr.update(**texts))
            updates.append(gr.update(label=t(code, "source"),
                                     choices=[(t(code, "source_training"), "training"),
                                              (t(code, "source_checkpoint"), "checkpoint")]))
            updates += [gr.update(label=t(code, "tab_train")), gr.update(label=t(code, "tab_explore"))]
            updates += [gr.update(label=t(code, "layers"), choices=[(t(code, k), k) for k in LAYERS]),
                        gr.update(label=t(code, "lesson_pick"), choices=[(t(code, f"preset_{k}"), k) for k in LESSONS]),
                        gr.update(label=t(code, "init"), choices=init_choices(code)),
                        gr.update(label=t(code, "timelapse_source"),
                                  choices=[(t(code, "timelapse_run"), "run"), (t(code, "timelapse_files"), "files")])]
            return updates

        def relabel_all(code: str, loss_name: str, gamma: Any) -> list:
            return [*relabel(code), GanApp.formula(code, loss_name, gamma)]

        lang.change(relabel_all, [lang, loss, r1_gamma],
                    [*(c for c, _ in labeled), source, tab_train, tab_explore, layers, lesson, init, tl_source,
                     formula],
                    api_visibility="private", **FAST)
        # what handlers wrote in the old language: the checkpoint note, and the Explore tab's note and 2D legend
        lang.change(app.checkpoint_note, [lang], [ckpt_note], api_visibility="private", **FAST)
        lang.change(lesson_markdown, [lang, lesson], [lesson_text], api_visibility="private", **FAST)
        lang.change(api_visibility="private", **seed_event)
        demo.load(None, None, [lang], js=DETECT_LANG_JS).then(
            app.attach, [lang, visitor_token, *controls[:-2]],
            [visitor_token, *controls[:-2], slow_motion, ckpt_note, source, compare_note, your_name],
            api_name="attach_page", api_visibility="private", **FAST)
        gr.api(app.attach_api, api_name="attach", concurrency_limit=None)
        demo.unload(app.unload)

    build_guide_page(demo)
    if app.classroom is not None:  # only with the host's teacher token: otherwise no such page or endpoint exists
        build_teacher_page(demo, app, app.classroom)
    demo.ganapp = app
    return demo
