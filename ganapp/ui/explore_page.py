"""The Explore tab: its components (the generator, z and its sliders, GANSpace directions, the time-lapse,
interpolation and checkpoints) and their events."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import gradio as gr

from .common import FAST
from .sketchpad import BoundedSketchpad, hold_strokes_js
from ..gan.directions import MAX_COMPONENTS
from .base import DIRECTION_RANGE
from .explore import N_DIRECTIONS, N_Z_SLIDERS, Z_SLIDER_RANGE

# the Explore tab's G events share 8 workers, and a burst of slider moves runs only the last
EXPLORE = dict(concurrency_id="explore", concurrency_limit=8, show_progress="hidden",
               trigger_mode="always_last")


def build_explore_tab(app: Any, tr: Callable, en: Callable) -> SimpleNamespace:
    """The Explore tab's components, inside the page's ``gr.Tabs``; ``tr`` registers each label for the language
    switch and ``en`` gives a string in English. Returns them by name."""
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
                # the GANSpace sliders below the z sliders, beside the image they move (which stays in view)
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
                    # one direction on 9 seeds at once: what it means, not what it does to one sample
                    tr(gr.Markdown(f"**{en('grid_title')}**"), "grid_title", "value")
                    tr(gr.Markdown(en("grid_help")), "grid_help", "value")
                    with gr.Row(equal_height=True):
                        grid_component = tr(gr.Slider(1, MAX_COMPONENTS, value=1, step=1, label=en("grid_component"),
                                                      elem_id="grid-component"), "grid_component")
                        grid_amount = tr(gr.Slider(-DIRECTION_RANGE, DIRECTION_RANGE, value=2.0, step=0.25,
                                                   label=en("grid_amount"), elem_id="grid-amount"), "grid_amount")
                        # the largest G (DCGAN at 64×64) has layers 0..3; the handler narrows it to the G shown
                        grid_layer = tr(gr.Slider(0, 3, value=0, step=1, label=en("grid_layer"),
                                                  elem_id="grid-layer"), "grid_layer")
                    show_grid = tr(gr.Button(en("show_grid"), elem_id="show-grid"), "show_grid", "value")
                    grid_image = tr(gr.Image(label=en("grid_image"), format="png", interactive=False, visible=False,
                                             elem_classes="pixelated", elem_id="direction-grid"), "grid_image")
                    grid_note = gr.Markdown("")
                # an image back to z: its match, then the sliders set to the z found
                with tr(gr.Accordion(en("project_title"), open=False, elem_id="project-box"),
                        "project_title") as project_box:
                    tr(gr.Markdown(en("project_help")), "project_help", "value")
                    project_pad = tr(BoundedSketchpad(type="numpy", image_mode="RGBA", height=240, layers=False,
                                                      label=en("project_pad"), elem_id="project-pad"), "project_pad")
                    project_upload = tr(gr.File(label=en("project_upload"), type="filepath", file_types=["image"],
                                                elem_id="project-upload"), "project_upload")
                    project_button = tr(gr.Button(en("project_button"), variant="primary", elem_id="project-button"),
                                        "project_button", "value")
                    project_match = tr(gr.Image(label=en("project_match"), format="png", interactive=False,
                                                visible=False, elem_classes="pixelated", elem_id="project-match"),
                                       "project_match")
                    project_note = gr.Markdown("", elem_id="project-note")
            with gr.Column(scale=2, elem_id="explore-view"):  # sticky: see CSS
                explore_image = tr(gr.Image(label=en("explore_image"), format="png", interactive=False,
                                            height=360, elem_id="explore-image", elem_classes="pixelated"),
                                   "explore_image")
                explore_plot = tr(gr.Plot(label=en("explore_image"), visible=False, elem_id="explore-plot"),
                                  "explore_image")
                shown_note = gr.Markdown("", elem_id="shown-note")
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
                    shipped = tr(gr.Dropdown(app.explore.shipped_checkpoints(), label=en("shipped_ckpt"),
                                             elem_id="shipped"), "shipped_ckpt")
                    load = tr(gr.Button(en("load_ckpt"), elem_id="load-ckpt"), "load_ckpt", "value")
            ckpt_note = gr.Markdown(en("no_ckpt_loaded"))
    return SimpleNamespace(tab_explore=tab_explore, source=source, z_seed=z_seed, random_z=random_z, psi=psi,
                           label=label, sliders=sliders, explore_image=explore_image, explore_plot=explore_plot,
                           shown_note=shown_note, find_dirs=find_dirs, dirs_note=dirs_note, dir_sliders=dir_sliders,
                           dir_name=dir_name, save_dir=save_dir, saved_dir=saved_dir, dir_amount=dir_amount,
                           download_dirs=download_dirs, dirs_file=dirs_file, grid_component=grid_component,
                           grid_amount=grid_amount, grid_layer=grid_layer, show_grid=show_grid,
                           grid_image=grid_image, grid_note=grid_note, project_pad=project_pad,
                           project_box=project_box, project_upload=project_upload, project_button=project_button,
                           project_match=project_match,
                           project_note=project_note, tl_source=tl_source, tl_files=tl_files,
                           tl_seed=tl_seed, tl_label=tl_label, run_tl=run_tl, tl_strip=tl_strip,
                           tl_caption=tl_caption, tl_gif=tl_gif, seed0=seed0, seed1=seed1, mode=mode, label0=label0,
                           label1=label1, n_frames=n_frames, run_interp=run_interp, strip=strip,
                           strip_plot=strip_plot, interp_gif=interp_gif, save=save, ckpt_file=ckpt_file,
                           upload=upload, shipped=shipped, load=load, ckpt_note=ckpt_note)


def wire_explore(app: Any, ui: SimpleNamespace, lang: Any) -> dict:
    """The Explore tab's events. Returns the event that redraws G(z) for the seed (its fn, inputs and outputs),
    which the language switch fires too."""
    explore_inputs = [lang, ui.source, ui.z_seed, ui.psi, ui.label, *ui.sliders, *ui.dir_sliders, ui.saved_dir,
                      ui.dir_amount]
    explore_outputs = [ui.explore_image, ui.explore_plot]
    for i, s in enumerate([*ui.sliders, ui.psi, ui.label, *ui.dir_sliders, ui.saved_dir, ui.dir_amount]):
        names = dict(api_name="explore") if i == 0 else dict(api_visibility="private")
        s.input(app.explore.explore, explore_inputs, explore_outputs, **names, **EXPLORE)
    seed_event = dict(fn=app.explore.seed_to_sliders, inputs=[lang, ui.source, ui.z_seed, ui.psi, ui.label],
                      outputs=[*ui.sliders, ui.label, ui.label0, ui.label1, ui.tl_label, *explore_outputs,
                               *ui.dir_sliders, ui.shown_note], **EXPLORE)
    ui.z_seed.change(api_name="seed", **seed_event)
    ui.source.change(api_visibility="private", **seed_event)
    ui.tab_explore.select(api_visibility="private", **seed_event)
    ui.random_z.click(app.explore.random_seed, None, [ui.z_seed], api_visibility="private", **FAST)
    ui.run_interp.click(app.explore.interpolate,
                        [lang, ui.source, ui.seed0, ui.seed1, ui.mode, ui.n_frames, ui.psi, ui.label0, ui.label1],
                        [ui.strip, ui.strip_plot, ui.interp_gif], api_name="interpolate", concurrency_id="explore",
                        concurrency_limit=8)
    ui.find_dirs.click(app.explore.find_directions, [lang, ui.source], [*ui.dir_sliders, ui.saved_dir, ui.dirs_note],
                       api_name="find_directions", concurrency_id="explore", concurrency_limit=8)
    ui.save_dir.click(app.explore.name_direction, [lang, ui.dir_name, *ui.dir_sliders], [ui.saved_dir, ui.dirs_note],
                      api_name="save_direction", **FAST)
    ui.show_grid.click(app.explore.direction_grid,
                       [lang, ui.source, ui.z_seed, ui.psi, ui.label, ui.grid_component, ui.grid_amount, ui.grid_layer],
                       [ui.grid_image, ui.grid_note, ui.grid_layer], api_name="direction_grid",
                       concurrency_id="explore", concurrency_limit=8)
    ui.project_box.expand(None, None, None, js=hold_strokes_js("#project-box", "#project-pad", "#project-button"),
                          api_visibility="private", show_progress="hidden")  # a digit drawn as the pad opens counts
    ui.project_button.click(app.explore.project_image, [lang, ui.source, ui.z_seed, ui.project_pad, ui.project_upload],
                            [ui.project_match, ui.project_note, *ui.sliders, ui.psi, ui.label, *explore_outputs,
                             *ui.dir_sliders], api_name="project_image", concurrency_id="explore",
                            concurrency_limit=8)
    ui.download_dirs.click(app.explore.download_directions, [lang], [ui.dirs_file], api_name="download_directions",
                           concurrency_limit=4)
    ui.run_tl.click(app.explore.timelapse, [lang, ui.tl_source, ui.tl_seed, ui.tl_label, ui.tl_files],
                    [ui.tl_strip, ui.tl_caption, ui.tl_gif], api_name="timelapse", concurrency_id="explore",
                    concurrency_limit=8)
    ui.save.click(app.explore.save_current, [lang], [ui.ckpt_file], api_name="save_checkpoint", concurrency_limit=4)
    # a second checkpoint leaves the source at "checkpoint", which fires no change: redraw the new G explicitly
    # the page's upload never fails as an event (a failed event marks its outputs with an "Error" badge): a
    # refused file is a warning toast and an emptied box; API clients get the plain, raising endpoint
    ui.upload.upload(app.explore.upload_checkpoint_page, [lang, ui.upload], [ui.ckpt_note, ui.source, ui.upload],
                     api_visibility="private", concurrency_limit=4).success(api_visibility="private", **seed_event)
    api_upload = gr.Button(visible=False)  # no page trigger: the endpoint is for API clients
    api_upload.click(app.explore.upload_checkpoint, [lang, ui.upload], [ui.ckpt_note, ui.source],
                     api_name="upload_checkpoint", concurrency_limit=4)
    ui.load.click(app.explore.load_shipped, [lang, ui.shipped], [ui.ckpt_note, ui.source], api_name="load_checkpoint",
                  concurrency_limit=4).success(api_visibility="private", **seed_event)
    return seed_event
