"""The status line in the reader's language: settings by their labels, and no "nan" (issue 23, item 12)."""

from types import SimpleNamespace

import gradio as gr
import pytest

from ganapp.run.lessons import LESSONS
from ganapp.run.publisher import Rollback
from ganapp.ui.i18n import field_list, number
from ganapp.ui.lessons import live_lines

from conftest import req, tiny_2d


def _snap(**fields):
    base = dict(view_metrics=[], scores=[], step=0, phase="", lesson_event=None)
    return SimpleNamespace(**{**base, **fields})


def test_the_mlp_vs_dcgan_line_says_a_score_is_not_measured_yet_instead_of_nan():
    lesson = LESSONS["mlp_vs_dcgan"]
    a = _snap(step=600, scores=[{"step": 500, "frechet_distance": 81.25}])
    b = _snap(step=420)  # run B has no score yet: it had shown "run B **nan** at step 0"
    en = live_lines("en", lesson, a, b)
    assert any("run A **81.2** at step 500, run B not measured yet" in line for line in en), en
    zh = live_lines("zh", lesson, a, b)
    assert any("运行 A **81.2**（第 500 步），运行 B 尚未测得" in line for line in zh), zh
    assert not any("nan" in line.lower() for line in en + zh)


def test_g_s_pull_of_a_run_b_not_measured_yet_reads_as_a_dash():
    lesson = LESSONS["saturation"]
    a = _snap(step=50, view_metrics=[{"step": 50, "g_grad": 0.5, "d_x": 0.7, "d_g_z": 0.3}])
    lines = live_lines("en", lesson, a, None) + live_lines("zh", lesson, a, _snap())
    assert not any("nan" in line.lower() for line in lines), lines
    assert any("run B **—**" in line for line in lines), lines


def test_numbers_and_lists_of_settings_in_both_languages():
    assert number("en", float("nan")) == "not a number" and number("zh", float("nan")) == "非数值"
    assert number("en", float("-inf")) == "−∞" and number("en", 0.5, ".2f") == "0.50"
    assert number("en", float("nan"), missing="—") == "—"
    assert field_list("en", ["lr_g", "batch_size"]) == "Learning rate of G, Batch size"
    assert field_list("zh", ["lr_g", "batch_size"]) == "G 的学习率、批大小"
    assert field_list("en", ["device", "data_path", "not_a_setting"]) == "Device, Data path, not_a_setting"


def test_a_rollback_names_non_finite_values_in_words(app):
    app.registry.new_run("r", tiny_2d())
    visitor = app.registry.visitor("r")
    snap = visitor.run.snapshot(None)
    snap.rollback = Rollback(7, {"d_loss": float("nan"), "g_loss": float("inf"), "d_x": 0.5, "d_g_z": 0.25}, 6)
    for lang, word in (("en", "not a number"), ("zh", "非数值")):
        status = app.live.status_text(lang, visitor, snap)
        assert f"d_loss={word}" in status and "g_loss=∞" in status and "nan" not in status.lower(), status
    assert app.live.tick(req("r"), "zh").status  # the page's own path formats it the same way


def test_a_failed_run_s_reason_names_no_server_path(app, monkeypatch):
    app.registry.new_run("x", tiny_2d())
    visitor = app.registry.visitor("x")
    snap = visitor.run.snapshot(None)
    snap.state = "error"
    snap.message = "FileNotFoundError: [Errno 2] No such file: '/tmp/ganapp-files-1/3fa2/images-9/00000_shapes.zip'"
    status = app.live.status_text("en", visitor, snap)
    assert "No such file: '00000_shapes.zip'" in status and "/tmp" not in status, status
    monkeypatch.setattr(visitor.run, "status", lambda: snap)
    monkeypatch.setattr(type(visitor.run), "state", property(lambda self: "error"))
    with pytest.raises(gr.Error) as info:
        app.train.resume(req("x"), "en")
    assert "00000_shapes.zip" in info.value.message and "/tmp" not in info.value.message
