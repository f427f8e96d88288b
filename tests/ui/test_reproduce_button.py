"""The Train tab's "Reproduce this run": the command for the visitor's run, its settings and step count, in both
languages; a clear refusal where there is nothing to reproduce."""

import shlex

import gradio as gr
import pytest

from conftest import CONTROLS, req, wait_until
from ganapp import cli
from ganapp.ui.common import CONTROL_FIELDS
from ganapp.ui.i18n import t

AT = {f: CONTROL_FIELDS.index(f) for f in ("lr_g", "seed", "g_width", "lr_decay")}  # places in CONTROLS


def parse(command: str):
    a = cli._parser().parse_args(shlex.split(command)[3:])
    return a, cli._config(a)


def test_the_command_names_the_runs_settings_and_steps_in_both_languages(app):
    controls = list(CONTROLS)
    controls[AT["lr_g"]], controls[AT["seed"]], controls[AT["g_width"]] = 2e-3, 4242, 16  # not the dataset's defaults
    app.train.step(req("r"), "en", 7, *controls)
    run = app.registry.visitor("r").run
    assert wait_until(lambda: run.step_count == 7 and run.state == "paused", 20)
    for lang in ("en", "zh"):
        command, note = app.train.reproduce(req("r"), lang)
        a, config = parse(command)
        assert config == run.config  # every setting, the seed included
        assert a.steps == 7 and "--seed 4242" in command and "--lr-g 0.002" in command
        assert a.threads == 1  # as the app trains a run alone
        assert note == t(lang, "reproduce_note", steps="7")
    assert "逐位相同" in app.train.reproduce(req("r"), "zh")[1]


def test_with_no_run_or_no_step_yet_it_says_so_in_the_readers_language(app):
    for lang in ("en", "zh"):
        with pytest.raises(gr.Error, match=t(lang, "err_no_run")[:8]):
            app.train.reproduce(req("nobody"), lang)
    app.train.reset(req("fresh"), "en", *CONTROLS)
    for lang in ("en", "zh"):
        with pytest.raises(gr.Error, match=t(lang, "err_reproduce_untrained")[:8]):
            app.train.reproduce(req("fresh"), lang)


def test_a_drawn_datasets_command_names_its_file_and_says_it_is_needed(app, tmp_path):
    app.train.step(req("d"), "en", 2, *CONTROLS)
    visitor = app.registry.visitor("d")
    assert wait_until(lambda: visitor.run.step_count == 2 and visitor.run.state == "paused", 20)
    # a run of points the visitor drew: the command names the .npy on the server, and the note says so
    import numpy as np

    from ganapp.gan.config import GANConfig

    points = tmp_path / "drawing.npy"
    np.save(points, np.random.default_rng(0).normal(size=(64, 2)).astype(np.float32))
    drawn = GANConfig.default_for("drawn", data_path=str(points), g_width=8, d_width=8, batch_size=16)
    visitor.run.reset(drawn)
    visitor.run.step(2)
    assert wait_until(lambda: visitor.run.step_count == 2 and visitor.run.state == "paused", 20)
    for lang in ("en", "zh"):
        command, note = app.train.reproduce(req("d"), lang)
        assert f"--data-path={points}" in shlex.split(command)
        assert parse(command)[1] == drawn
        assert note.endswith(t(lang, "reproduce_data_note", dataset="drawn"))


def test_a_run_started_from_a_checkpoint_is_refused_with_the_reason(app):
    app.train.step(req("c"), "en", 1, *CONTROLS)
    visitor = app.registry.visitor("c")
    assert wait_until(lambda: visitor.run.step_count == 1, 20)
    visitor.state.built_from = "ring8_mlp.safetensors"  # as the settings record a shipped checkpoint's start
    for lang in ("en", "zh"):
        with pytest.raises(gr.Error, match="ring8_mlp.safetensors"):
            app.train.reproduce(req("c"), lang)
    visitor.state.built_from = "uploaded"
    with pytest.raises(gr.Error, match=t("zh", "init_uploaded_choice")):
        app.train.reproduce(req("c"), "zh")


def test_the_page_has_the_button_and_a_copyable_command_box(app):
    from ganapp.ui.layout import build_demo

    demo = build_demo(app)
    by_id = {b.elem_id: b for b in demo.blocks.values() if getattr(b, "elem_id", None)}
    assert isinstance(by_id["reproduce"], gr.Button) and by_id["reproduce"].value == t("en", "reproduce")
    box = by_id["reproduce-box"]
    assert isinstance(box, gr.Code) and "copy" in box.buttons and box.language == "shell"
    assert "reproduce" in {d.api_name for d in demo.fns.values()}


def test_the_printed_command_trains_the_apps_run_again_to_the_same_weights(app, tmp_path):
    # the app's own run, trained in the worker as production trains it, with ring8's lr decay on (an open-ended run
    # keeps its rates: the command says --constant-lr), against the command its button prints, run as a visitor would
    import subprocess
    import sys

    import torch

    from conftest import ROOT
    from ganapp.gan.checkpoints import read_safetensors

    controls = list(CONTROLS)
    controls[AT["seed"]], controls[AT["lr_decay"]] = 99, 0.3
    app.train.step(req("w"), "en", 25, *controls)
    run = app.registry.visitor("w").run
    assert wait_until(lambda: run.step_count == 25 and run.state == "paused", 30)
    command, note = app.train.reproduce(req("w"), "en")
    assert "--constant-lr" in shlex.split(command) and note == t("en", "reproduce_note", steps="25")  # not timed
    ours = read_safetensors(run.save_checkpoint(tmp_path / "app.safetensors"))[0]
    out = tmp_path / "cli.safetensors"
    words = [sys.executable, *shlex.split(command)[1:]]
    words = [f"--out={out}" if w.startswith("--out=") else w for w in words]
    done = subprocess.run(words, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    theirs = read_safetensors(out)[0]
    nets = [k for k in ours if k.startswith(("G.", "D."))]
    assert nets and set(nets) == {k for k in theirs if k.startswith(("G.", "D."))}
    for k in nets:
        assert torch.equal(ours[k], theirs[k]), f"{k} differs"


def test_a_timed_run_with_lr_decay_is_told_that_the_command_stops_short_of_the_decay(app):
    controls = list(CONTROLS)
    controls[AT["lr_decay"]] = 0.3  # a timed run's rates fall over its last 30%, by the clock
    app.train.start(req("tm"), "en", 0.01, *controls)  # 0.6 s of training, then it pauses by itself
    run = app.registry.visitor("tm").run
    assert wait_until(lambda: run.state == "paused" and run.step_count > 0, 30)
    for lang in ("en", "zh"):
        _, note = app.train.reproduce(req("tm"), lang)
        assert t(lang, "reproduce_timed_note", share="30%") in note
