"""The handlers called directly, as Gradio would call them, with a stand-in request per visitor."""

import string

import gradio as gr
import numpy as np
import pytest

from ganapp.gan.config import GANConfig
from ganapp.gan.presets import classroom_config
from ganapp.host.registry import Registry
from ganapp.ui import common
from ganapp.ui.handlers import GanApp
from ganapp.ui.handlers import CONTROL_FIELDS, DATASET_DEFAULT_FIELDS
from ganapp.ui.i18n import STRINGS, field_label, t
from ganapp.ui.settings import SettingsHandlers

from conftest import CONTROLS, req, tiny_2d, value, wait_until, worker_registry

NO_DIRECTIONS = [0.0] * 6 + [None, 0.0]  # the direction sliders at 0, no saved direction


def test_every_string_exists_in_both_languages_with_the_same_fields():
    assert set(STRINGS["en"]) == set(STRINGS["zh"])
    fields = lambda s: sorted(f for _, f, _, _ in string.Formatter().parse(s) if f)  # noqa: E731
    for key in STRINGS["en"]:
        assert fields(STRINGS["en"][key]) == fields(STRINGS["zh"][key]), key


def test_formula_and_note_in_both_languages():
    for lang in ("en", "zh"):
        for loss in ("minimax", "non_saturating"):
            text = SettingsHandlers.formula(lang, loss)
            assert text.startswith("$$") and t(lang, f"formula_note_{loss}") in text
    assert "1 - D(G(z))" in SettingsHandlers.formula("en", "minimax") and "0.5" in SettingsHandlers.formula("en", "minimax")


def test_status_says_live_changes_and_reset_needs(app):
    app.train.start(req("a"), "en", 0, *CONTROLS)
    app.settings.settings_changed(req("a"), "en", ("lr_g",), 5e-4)  # applies live
    app.settings.settings_changed(req("a"), "en", ("z_dim",), 3.0)  # needs a reset (a number box sends a float)
    # z_dim needs a reset: the controls now describe another run, so lr_g waits for it too
    app.settings.settings_changed(req("a"), "en", ("lr_g",), 2e-4)
    status = app.live.poll(req("a"), "en").status
    # each setting by its label, as the controls name it (issue 23: "Applied while training: lr_g" in both languages)
    assert "Applied while training: Learning rate of G." in status
    assert "Changed z_dim (latent size), Learning rate of G: press Reset" in status
    zh = app.live.poll(req("a"), "zh").status
    assert "已在训练中生效：G 的学习率。" in zh and "已修改 z_dim（潜在维度）、G 的学习率：请点击“重置”" in zh
    assert "lr_g" not in zh
    assert app.registry.visitor("a").run.config.lr_g == 5e-4  # never a mix of two runs


def test_status_says_how_many_runs_share_the_server(app):
    app.train.start(req("a"), "en", 0, *CONTROLS)
    app.train.start(req("b"), "en", 0, *CONTROLS)
    a, b = (app.registry.visitor(v).run for v in "ab")
    assert wait_until(lambda: a.state == b.state == "running" and a.snapshot(None).sharing == 2, 10)
    assert "2 runs are training on this server at once" in app.live.poll(req("b"), "en").status
    assert "本服务器上有 2 个训练同时进行" in app.live.poll(req("b"), "zh").status
    app.train.pause(req("a"), "en")
    assert wait_until(lambda: a.state == "paused" and "share" not in app.live.poll(req("b"), "en").status, 5)


def test_out_of_range_fields_raise_gr_error_naming_field_and_range(app):
    bad = list(CONTROLS)
    bad[9] = 50  # n_critic
    with pytest.raises(gr.Error, match=r"n_critic \(D steps per G step\) must be an integer in 1\.\.20; got 50"):
        app.train.start(req("a"), "en", 0, *bad)
    bad = list(CONTROLS)
    bad[0] = "imagenet"
    with pytest.raises(gr.Error, match="数据集 必须是"):
        app.train.reset(req("a"), "zh", *bad)
    with pytest.raises(gr.Error, match="Steps per click"):
        app.train.step(req("a"), "en", 0, *CONTROLS)
    with pytest.raises(gr.Error, match="press Start"):
        app.train.pause(req("nobody"), "en")


def test_unexpected_exceptions_become_a_translated_gr_error(app, monkeypatch):
    app.train.start(req("a"), "en", 0, *CONTROLS)
    session = app.registry.visitor("a").run
    monkeypatch.setattr(session, "frame", lambda since_version=None: 1 / 0)
    with pytest.raises(gr.Error, match="出了点问题.*ZeroDivisionError"):
        app.live.poll(req("a"), "zh")
    assert session.state in ("waiting", "running") and app.registry.engine.holds(session)  # training untouched


def _defaults_by_field(dataset: str) -> dict:
    return dict(zip(DATASET_DEFAULT_FIELDS, SettingsHandlers.dataset_defaults(dataset)))


def test_dataset_switch_proposes_working_defaults():
    grid25 = _defaults_by_field("grid25")
    assert grid25["model"] == "mlp" and grid25["z_dim"] == 2
    assert (grid25["r1_gamma"], grid25["r1_every"], grid25["lr_decay"]) == (0.1, 1, 0.3)  # and its timed runs' decay
    assert grid25["beta2"] == 0.999 and grid25["conditional"] is False
    mnist = _defaults_by_field("mnist_10k")
    assert mnist["model"] == "dcgan" and (mnist["beta1"], mnist["beta2"]) == (0.0, 0.99)  # switching back sets β2 too
    assert (mnist["r1_gamma"], mnist["r1_every"], mnist["lr_decay"]) == (3.0, 8, 0.3)
    ring8 = _defaults_by_field("ring8")
    assert (ring8["beta1"], ring8["r1_gamma"], ring8["r1_every"], ring8["lr_decay"]) == (0.5, 0.03, 8, 0.3)
    assert _defaults_by_field("spiral")["r1_gamma"] == 0  # the other 2D sets: plain


def test_explore_needs_a_generator_and_then_uses_the_live_one(app):
    with pytest.raises(gr.Error, match="No generator yet"):
        app.explore.explore(req("e"), "en", "training", 0, 1.0, 0, *[0.0] * 8, *NO_DIRECTIONS)
    app.registry.new_run("e", tiny_2d())
    image, plot = app.explore.explore(req("e"), "en", "training", 0, 1.0, 0, *[0.0] * 8, *NO_DIRECTIONS)
    assert image["visible"] is False and plot["visible"] is True  # 2D data: a scatter, not an image
    with pytest.raises(gr.Error, match=r"Truncation ψ must be a number in \[0, 1\]"):
        app.explore.explore(req("e"), "en", "training", 0, 1.5, 0, *[0.0] * 8, *NO_DIRECTIONS)


def test_a_new_visitor_explores_the_shipped_default_generator(tmp_path):
    from ganapp.gan.checkpoints import save_checkpoint
    from ganapp.gan.trainer import Trainer
    from ganapp.ui.handlers import DEFAULT_CHECKPOINT

    from conftest import tiny_image

    t = Trainer(tiny_image(model="mlp", g_width=8, d_width=8))
    save_checkpoint(tmp_path / DEFAULT_CHECKPOINT, t.G, t.config, 0)
    registry = Registry()
    app = GanApp(registry, tmp_path)
    try:
        image, plot = app.explore.explore(req("new"), "en", "training", 0, 1.0, 0, *[0.0] * 8, *NO_DIRECTIONS)
        assert image["visible"] is True and image["value"].shape == (224, 224, 3)
        assert app.explore.shipped_checkpoints() == [DEFAULT_CHECKPOINT]
    finally:
        registry.close()


def test_start_before_any_training_builds_what_the_controls_say(app):
    app.train.reset(req("s"), "en", *CONTROLS)
    other = list(CONTROLS)
    other[0] = "grid25"
    app.train.start(req("s"), "en", 0, *other)  # nothing trained yet: no Reset needed
    assert app.registry.visitor("s").run.config.dataset == "grid25"
    session = app.registry.visitor("s").run
    assert wait_until(lambda: session.snapshot().step > 0, 5)
    with pytest.raises(gr.Error, match="Dataset: grid25 → ring8.*press Reset"):
        app.train.start(req("s"), "en", 0, *CONTROLS)  # now it has trained: keep it, and say a Reset is needed
    assert app.registry.visitor("s").run is session and session.config.dataset == "grid25"


def test_a_timed_run_counts_down_then_pauses_and_says_so_in_both_languages(app):
    for lang, words in (("en", "Stop after"), ("zh", "训练多少分钟后停止")):
        with pytest.raises(gr.Error, match=words):
            app.train.start(req("t"), lang, -1, *CONTROLS)
    timed = list(CONTROLS)
    timed[CONTROL_FIELDS.index("lr_decay")] = 0.5
    # 3 s of training, whose learning rates decay over the last half
    app.train.start(req("t"), "en", 0.05, *timed)
    first = app.live.poll(req("t"), "en").status  # counting down, or (on a loaded machine) over already
    assert "Timed run: 0:0" in first or "timed run is over" in first, first
    session = app.registry.visitor("t").run
    assert wait_until(lambda: session.state == "paused", 10)
    assert "the 0.05-minute timed run is over" in app.live.poll(req("t"), "en").status
    assert "0.05 分钟的定时训练结束" in app.live.poll(req("t"), "zh").status
    assert session.status().lr_scale < 1.0 and session.config.lr_decay == 0.5  # its last steps were decayed


def test_dcgan_on_2d_data_is_refused_in_the_visitors_language(app):
    bad = list(CONTROLS)
    bad[1] = "dcgan"
    with pytest.raises(gr.Error, match="choose the mlp model"):
        app.train.start(req("d"), "en", 0, *bad)
    with pytest.raises(gr.Error, match="请选择 mlp 模型"):
        app.train.start(req("d"), "zh", 0, *bad)


def test_folder_dataset_trains_on_uploaded_images(app, tmp_path):
    from PIL import Image

    files = []
    for i in range(6):
        path = tmp_path / f"up{i}.png"
        Image.new("RGB", (50, 40), (40 * i, 100, 200)).save(path)
        files.append(str(path))
    (tmp_path / "notes.txt").write_text("skipped")
    files.append(str(tmp_path / "notes.txt"))
    controls = ["folder", "dcgan", "non_saturating", 8, 4, 2e-4, 2e-4, 0.5, 0.999, 1, 1, 0, 4, 4, "", "", "relu",
                "leaky_relu", "adam", "gaussian", 10.0, 0.0, 1, 0.0, 0.0, False, False, 32, 3, None, "scratch"]
    with pytest.raises(gr.Error, match="upload a .zip or some image files"):
        app.train.reset(req("f"), "en", *controls)
    controls[-2] = files
    app.train.reset(req("f"), "en", *controls)
    session = app.registry.visitor("f").run
    assert session.config.dataset == "folder"
    app.train.step(req("f"), "en", 2, *controls)
    assert wait_until(lambda: session.snapshot().step == 2, 10)
    assert session.status().epoch == pytest.approx(2 * 4 / 6)  # 2 batches of 4 from the 6 images
    assert session.snapshot().grid.shape[2] == 3
    defaults = SettingsHandlers.dataset_defaults("folder")
    assert defaults[-1]["visible"] is True and defaults[-3:-1] == [64, 3]


def test_images_too_large_to_open_safely_get_their_own_message(local_app, tmp_path, monkeypatch):
    # issue 14: a 20,000 × 20,000 upload showed "Something went wrong (DecompressionBombError ...)"; in this process,
    # where the patched limit reaches the code that opens the images
    app = local_app
    from PIL import Image

    files = []
    for i in range(2):
        Image.new("RGB", (64, 64), (90 * i, 100, 200)).save(tmp_path / f"big{i}.png")
        files.append(str(tmp_path / f"big{i}.png"))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # so that 64 × 64 counts as a bomb (over 2 × 1,000)
    controls = ["folder", "dcgan", "non_saturating", 8, 4, 2e-4, 2e-4, 0.5, 0.999, 1, 1, 0, 4, 4, "", "", "relu",
                "leaky_relu", "adam", "gaussian", 10.0, 0.0, 1, 0.0, 0.0, False, False, 32, 3, files, "scratch"]
    with pytest.raises(gr.Error, match="太大，无法安全打开.*2,000 像素"):
        app.train.reset(req("b"), "zh", *controls)
    with pytest.raises(gr.Error, match="too large to open safely"):
        app.train.reset(req("b"), "en", *controls)


def test_2d_view_layers_lessons_phases_and_drawing(app):
    import numpy as np

    app.train.step(req("v"), "en", 30, *CONTROLS)
    session = app.registry.visitor("v").run
    assert wait_until(lambda: session.snapshot(None).step == 30 and session.state == "paused", 20)
    out = app.live.poll(req("v"), "en")
    view, metrics2d, alert = out.scatter, out.metrics2d_plot, out.alert
    assert view["visible"] is True and out.grid["visible"] is False  # the 2D view shows, the image grid hides
    view = view["value"]
    assert [tr.type for tr in view.data][:2] == ["heatmap", "scatter"] and view.data[0].colorbar.title.text
    assert metrics2d["visible"] is True and {tr.name for tr in metrics2d["value"].data} >= {"modes covered"}
    assert alert["visible"] is False
    app.train.set_layers(req("v"), ["real", "fake"])
    view = value(app.live.poll(req("v"), "en").scatter)
    assert [tr.type for tr in view.data] == ["scatter", "scatter"]  # the map, arrows and manifold are off
    app.train.phase_step(req("v"), "en", "g")
    assert session.snapshot(None).step == 31
    with pytest.raises(gr.Error, match="phase"):
        app.train.phase_step(req("v"), "en", "x")
    app.train.set_slow_motion(req("v"), "en", 0.5)
    assert session.status().slow_motion_s == 0.5
    with pytest.raises(gr.Error, match="Slow motion"):
        app.train.set_slow_motion(req("v"), "en", 10)
    *values, text, slow_s, minutes = app.lessons.pick_lesson(req("v"), "zh", "mode_collapse")
    assert values[0] == "grid25" and values[2] == "minimax" and "模式崩溃" in text and (slow_s, minutes) == (0, 0)
    with pytest.raises(gr.Error, match="Draw a shape"):
        app.settings.use_drawing(req("v"), "en", {"composite": np.full((50, 50, 4), 255, np.uint8)})
    pad = np.full((50, 50, 4), 255, np.uint8)
    pad[20:23, 5:45, :3] = 0  # a black stroke on an opaque white pad
    out = app.settings.use_drawing(req("v"), "en", {"composite": pad, "layers": [], "background": None})
    assert out[0] == "drawn" and out[1] == "mlp" and "2,000 points" in out[-1]
    drawn = list(CONTROLS)
    drawn[0] = "drawn"
    app.train.reset(req("v"), "en", *drawn)
    assert app.registry.visitor("v").run.config.dataset == "drawn"
    with pytest.raises(gr.Error, match="needs a drawing"):
        app.train.reset(req("w"), "en", *drawn)


def test_side_by_side_runs_are_independent_reproducible_and_share_the_cap(app):
    import numpy as np

    from ganapp.run.run import Run

    note = app.compare.compare(req("ab"), "en", "loss", "minimax", *CONTROLS)
    a, b = app.registry.visitor("ab").run, app.registry.visitor("ab").run_b
    assert "non_saturating" in note and "minimax" in note and b.config.loss == "minimax"
    assert a.config.replace(loss="minimax") == b.config  # one setting changed, same data and seed
    # the engine gives both a fair share: both train (before, a cap of 1 left one of them waiting in line)
    assert wait_until(lambda: a.state == b.state == "running" and b.snapshot(None).step > 0, 20)
    assert "Run B (Loss = minimax)" in app.live.status_text("en", app.registry.visitor("ab"), a.snapshot(None),
                                                            snap_b=b.snapshot(None))
    assert "运行 B（损失函数 = minimax）" in app.live.status_text("zh", app.registry.visitor("ab"), a.snapshot(None),
                                                             snap_b=b.snapshot(None))
    app.train.pause(req("ab"), "en")
    assert wait_until(lambda: a.state == "paused" and b.state == "paused", 10)
    out = app.live.poll(req("ab"), "en")
    names = [tr.name for tr in out.loss_plot.data if tr.showlegend is not False]  # the smoothed lines (raw ones faint)
    assert len(names) == 4 and any("· B" in n for n in names)  # both runs on shared axes
    assert out.scatter_b["visible"] is True and out.grid_b["visible"] is False  # 2D data: B's view beside A's
    # independent and reproducible: each equals a lone run of its own settings
    app.compare.compare(req("ab"), "en", "n_critic", "3", *CONTROLS)
    app.train.pause(req("ab"), "en")
    a, b = app.registry.visitor("ab").run, app.registry.visitor("ab").run_b
    assert wait_until(lambda: a.state == "paused" and b.state == "paused", 10)
    a.reset(), b.reset()
    app.train.step(req("ab"), "en", 25, *CONTROLS)
    assert wait_until(lambda: a.snapshot(None).step == 25 and b.snapshot(None).step == 25, 30)
    for session in (a, b):
        alone = Run(session.config)
        alone.step(25)
        assert wait_until(lambda: alone.snapshot(None).step == 25, 30)
        np.testing.assert_array_equal(alone.history()["d_loss"], session.history()["d_loss"])
        alone.stop()
    assert not np.array_equal(a.history()["d_loss"], b.history()["d_loss"])
    with pytest.raises(gr.Error, match="same as run A"):
        app.compare.compare(req("ab"), "en", "n_critic", "1", *CONTROLS)
    with pytest.raises(gr.Error, match="n_critic"):
        app.compare.compare(req("ab"), "en", "n_critic", "99", *CONTROLS)
    assert "stopped" in app.compare.end_compare(req("ab"), "en") and app.registry.visitor("ab").run_b is None
    app.compare.compare(req("ab"), "en", "loss", "minimax", *CONTROLS)
    assert "Reset ended run B" in app.train.reset(req("ab"), "en", *CONTROLS)[-1]  # not silently (issue 14, bug 5)
    assert app.registry.visitor("ab").run_b is None
    assert isinstance(app.train.reset(req("ab"), "en", *CONTROLS)[-1], type(gr.skip()))  # no run B: the note stays
    app.train.stop(req("ab"), "en")


def _page_controls(dataset: str) -> list:
    """The Train tab's controls as the page fills them for ``dataset`` (CONTROL_FIELDS order)."""
    c = GANConfig.default_for(dataset)
    return [None if f == "data_files" else "scratch" if f == "init" else getattr(c, f) for f in CONTROL_FIELDS]


def test_classroom_config_shrinks_only_2d_runs_at_default_sizes():
    shared = classroom_config(GANConfig.default_for("ring8"))
    assert (shared.g_width, shared.d_width, shared.batch_size) == (64, 64, 128)
    chosen = GANConfig.default_for("ring8", g_width=96)
    assert classroom_config(chosen) is chosen  # a size the visitor chose is kept
    image = GANConfig.default_for("mnist_10k")
    assert classroom_config(image) is image


def test_classroom_mode_switches_on_with_the_class_and_says_so(tmp_path, worker):
    registry = worker_registry(worker, classroom_from=3)
    app = GanApp(registry, tmp_path)
    try:
        ring8 = _page_controls("ring8")
        shown = app.train.start(req("first"), "en", 0, *ring8)  # alone on the server: the full-size defaults
        assert all(isinstance(v, type(gr.skip())) for v in shown)
        assert registry.visitor("first").run.config.g_width == 128
        assert "Classroom mode" not in app.live.poll(req("first"), "en").status
        app.live.poll(req("second"), "en")  # two more pages open
        app.live.poll(req("third"), "zh")
        assert app.train.start(req("third"), "zh", 0, *ring8) == [64, 64, 128]  # the controls show the sizes used
        config = registry.visitor("third").run.config
        assert (config.g_width, config.d_width, config.batch_size) == (64, 64, 128)
        assert "课堂模式" in app.live.poll(req("third"), "zh").status
        assert "Classroom mode" in app.live.poll(req("third"), "en").status
        mnist = app.train.start(req("second"), "en", 0, *_page_controls("mnist_10k"))  # images keep their sizes
        assert all(isinstance(v, type(gr.skip())) for v in mnist)
    finally:
        registry.close()
    with pytest.raises(ValueError, match="classroom_from"):
        Registry(classroom_from=0)


def test_polls_send_plain_values_once_the_page_shows_an_output(app):
    # a gr.update that sets a property makes Gradio rebuild the component's config on its event loop; a poll only
    # sends one when the visibility changes
    app.train.step(req("p"), "en", 3, *CONTROLS)
    session = app.registry.visitor("p").run
    # a run publishes its step, then its 2D view, then pauses: paused means the view of the last step is there
    assert wait_until(lambda: session.snapshot(None).step == 3 and session.state == "paused")
    first = app.live.poll(req("p"), "en")
    assert first.scatter["__type__"] == "update" and first.scatter["visible"] is True  # the 2D view appears
    assert first.grid == {"__type__": "update", "visible": False}  # the image grid hides
    drawn = session.snapshot(None).grid_version
    app.train.step(req("p"), "en", 2, *CONTROLS)
    # wait for the new frame the assertion reads, not for the step count (under load the frame came after it)
    assert wait_until(lambda: session.snapshot(None).grid_version > drawn and session.state == "paused"
                      and session.snapshot(None).step == 5)
    later = app.live.poll(req("p"), "en")
    assert not isinstance(later.scatter, dict) and later.scatter is not None  # the new frame alone, as a plain figure
    assert later.grid is None  # still hidden: the cheapest answer


def test_tick_sends_the_status_and_asks_for_a_redraw_only_when_something_new_is_there(app, monkeypatch):
    import ganapp.ui.live as live

    status, frame, lesson, every_s, _ = app.live.tick(req("k"), "en")
    assert "not started" in status and isinstance(frame, type(gr.skip()))  # no session: nothing to draw yet
    assert lesson == 0 and every_s == 2.0  # no teacher, no lesson; nothing trains: a slow poll
    app.train.step(req("k"), "en", 3, *CONTROLS)
    session = app.registry.visitor("k").run
    assert wait_until(lambda: session.snapshot(None).step == 3 and session.state == "paused", 10)
    app.registry.page("k").fast_until = 0.0  # ACTIVE_AFTER_COMMAND_S after the Step
    status, frame, _, every_s, _ = app.live.tick(req("k"), "en")
    assert "step 3" in status and frame == 1 and every_s == 2.0
    app.train.step(req("k"), "en", 2, *CONTROLS)
    assert wait_until(lambda: session.snapshot(None).step == 5 and session.state == "paused", 10)
    assert app.live.tick(req("k"), "en")[1] == 1  # new rows, but within DRAW_EVERY_S of the last: the same frame
    monkeypatch.setattr(live, "DRAW_EVERY_S", 0.0)
    app.registry.page("k").next_draw_s = 0.0
    assert app.live.tick(req("k"), "en")[1] == 2
    assert app.live.tick(req("k"), "en")[1] == 2  # nothing new: the same frame, no redraw
    assert app.live.tick(req("k"), "zh")[1] == 3  # a language switch redraws the plots' labels


def test_the_classroom_sizes_fire_no_settings_event_and_a_size_the_visitor_edits_needs_a_reset(tmp_path, worker):
    registry = worker_registry(worker, classroom=True)
    app = GanApp(registry, tmp_path)
    try:
        ring8 = _page_controls("ring8")
        assert app.train.start(req("s"), "en", 0, *ring8) == [64, 64, 128]  # the page shows them; no event fires
        session = registry.visitor("s").run
        app.settings.settings_changed(req("s"), "en", ("lr_d",), 5e-4)  # the visitor's own edit: that field alone
        assert session.config.lr_d == 5e-4 and session.config.batch_size == 128
        status = app.live.poll(req("s"), "en").status
        assert "Applied while training: Learning rate of D" in status and "to rebuild the networks" not in status
        app.settings.settings_changed(req("s"), "en", ("d_width",), 128)  # now the visitor's own choice
        app.settings.settings_changed(req("s"), "en", ("g_width",), 96)
        assert "Changed Width of D, Width of G: press Reset" in app.live.poll(req("s"), "en").status  # both
        app.settings.settings_changed(req("s"), "en", ("d_width",), 64)  # changed back: only g_width is left
        assert "Changed Width of G: press Reset" in app.live.poll(req("s"), "en").status
        app.settings.settings_changed(req("s"), "en", ("g_width",), 64.0)
        assert "to rebuild the networks" not in app.live.poll(req("s"), "en").status
        assert session.config.g_width == session.config.d_width == 64
    finally:
        registry.close()


def test_a_reopened_page_finds_the_run_with_its_settings(tmp_path, worker):
    from ganapp.host.autosave import StateStore

    registry = worker_registry(worker, store=StateStore(tmp_path / "state"))
    app = GanApp(registry, tmp_path)
    try:
        page_defaults = _page_controls("mnist_10k")[:-2]
        out = app.attach(req("tab-1"), "en", None, *page_defaults)
        token = out[0]
        assert token and out[1:-1] == [gr.skip()] * (len(page_defaults) + 1) + [t("en", "no_ckpt_loaded"), "training",
                                                                              gr.skip()]
        mine = list(CONTROLS)
        mine[CONTROL_FIELDS.index("lr_g")] = 3e-4
        app.train.start(req("tab-1"), "en", 0, *mine)
        app.compare.compare(req("tab-1"), "en", "loss", "hinge", *mine)
        run = registry.visitor(registry.key("tab-1")).run
        assert wait_until(lambda: run.snapshot(None).step > 5, 10)
        app.unload(req("tab-1"))  # the reload closes the old page ...
        assert run.state == "running"
        out = app.attach(req("tab-2"), "en", token, *page_defaults)  # ... and the new one brings the token
        assert out[0] == token and out[1:1 + len(page_defaults)] == mine[:-2]
        assert "Run B: Loss = hinge" in out[-2]  # the setting by its label, as the note said before the reload
        assert f"{field_label('zh', 'loss')} = hinge" in app.attach(req("tab-3"), "zh", token, *page_defaults)[-2]
        app.unload(req("tab-3"))
        assert "Welcome back" in app.live.tick(req("tab-2"), "en")[0]
        # the page fills its controls with the run's settings: that fires no settings event, so nothing changes
        assert run.config.lr_g == 3e-4 and run.config.dataset == "ring8"
        assert "press Reset" not in app.live.tick(req("tab-2"), "en")[0]
        assert registry.visitor(registry.key("tab-2")).run is run  # one run, not a new one
        other = app.attach(req("stranger"), "en", token[:-3] + "abc", *page_defaults)
        assert other[0] != token and registry.visitor(registry.key("stranger")).run is None
        assert "not started" in app.live.tick(req("stranger"), "en").status
    finally:
        registry.close(save=False)


def test_a_page_polls_fast_while_its_run_trains_and_slowly_when_it_does_not(app, monkeypatch):
    import ganapp.ui.live as live

    every_s = lambda: app.live.tick(req("f"), "en").timer  # noqa: E731
    assert every_s() == 2.0
    app.commanded(req("f"))  # Start pressed: fast at once, before the run is built
    assert every_s() == 0.5
    app.train.start(req("f"), "en", 0, *CONTROLS)
    app.registry.page("f").fast_until = 0.0
    assert wait_until(lambda: app.registry.visitor("f").run.state == "running", 10) and every_s() == 0.5
    with monkeypatch.context() as m:  # more runs share the server than one redraw share: the page ticks slower
        m.setattr(live, "VIEW_SHARE", 0.25)
        assert every_s() == 2.0
        app.commanded(req("f"))  # but not for a few seconds after a command
        assert every_s() == 0.5
        app.registry.page("f").fast_until = 0.0
    app.train.pause(req("f"), "en")
    assert every_s() == 2.0
    assert wait_until(lambda: app.registry.visitor("f").run.state == "paused", 10)
    app.train.phase_step(req("f"), "en", "d")  # a command's own handler puts the page back to the full rate
    assert every_s() == 0.5


def test_a_loss_change_restores_the_datasets_own_betas_not_a_fixed_pair():
    assert SettingsHandlers.loss_defaults("hinge", "mnist_10k") == [1, 0.0, 0.99]  # MNIST's β, not (0.5, 0.999)
    assert SettingsHandlers.loss_defaults("wgan_gp", "mnist_10k") == [5, 0.0, 0.9]  # Gulrajani et al.'s
    ring8 = GANConfig.default_for("ring8")
    assert SettingsHandlers.loss_defaults("minimax", "ring8") == [ring8.n_critic, ring8.beta1, ring8.beta2]


def test_settings_errors_reach_a_chinese_reader_in_chinese():
    # issue 14: five handlers passed the library's English str(e) to the page
    from ganapp.gan.config import ConfigError
    from ganapp.ui.errors import config_error

    cases = [dict(dataset="ring8", model="dcgan"), dict(dataset="ring8", conditional=True),
             dict(dataset="mnist_10k", lr_g=-1.0), dict(dataset="mnist_10k", loss="wasserstein"),
             dict(dataset="folder"), dict(dataset="mnist_10k", bf16="yes")]
    for fields in cases:
        with pytest.raises(ConfigError) as info:
            GANConfig(**fields)
        message = str(config_error("zh", info.value))
        assert message and not any(word in message for word in ("needs", "allowed", "range:", "must")), message
        assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message  # Chinese characters
    with pytest.raises(ConfigError) as info:
        GANConfig().replace(colour="blue")
    assert "colour" in str(config_error("zh", info.value))
    assert "请检查" in str(config_error("zh", ValueError("an English reason")))


def test_a_2d_run_exports_its_time_lapse_gif(app):
    from PIL import Image

    app.train.step(req("g"), "en", 40, *CONTROLS)
    session = app.registry.visitor("g").run
    assert wait_until(lambda: session.state == "paused" and session.snapshot(None).step == 40, 15)
    with Image.open(app.train.export_gif(req("g"), "en")) as gif:
        assert gif.n_frames >= 2 and gif.size == (640, 640)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy on the exploded 2D view's values, before the rollback
def test_a_rollback_is_explained_in_the_readers_language(app):
    # issue 14, bug 9: the blow-up reason inside "已暂停：" was English
    wild = list(CONTROLS)
    for field, setting in (("lr_g", 1e6), ("lr_d", 1e6), ("beta1", 0.0), ("beta2", 0.0)):
        wild[CONTROL_FIELDS.index(field)] = setting
    app.train.start(req("nan"), "zh", 0, *wild)
    session = app.registry.visitor("nan").run
    assert wait_until(lambda: session.snapshot(None).rollback is not None, 20)
    status = app.live.tick(req("nan"), "zh").status
    assert "已暂停：" in status and "回滚到第" in status and "non-finite" not in status
    assert "rolled back to step" in app.live.tick(req("nan"), "en").status


def test_curve_smoothing_is_tensorboards_debiased_ema():
    from ganapp.ui import plots

    x = np.array([1.0, 3.0, np.nan, 2.0, 5.0])
    w, last, n, expected = 0.6, 0.0, 0, []
    for v in x:  # by hand
        if np.isnan(v):
            expected.append(np.nan)
            continue
        last, n = w * last + (1 - w) * v, n + 1
        expected.append(last / (1 - w ** n))
    np.testing.assert_allclose(plots.ema(x, w), expected)
    assert plots.ema(x, w)[0] == 1.0  # debiased: it starts at the first value, not at 0.4
    np.testing.assert_array_equal(plots.ema(x, 0.0), x)
    with pytest.raises(ValueError, match="smoothing"):
        plots.ema(x, 1.0)


def test_a_page_smooths_its_curves_with_the_raw_ones_faint_behind(app):
    app.train.step(req("sm"), "en", 20, *CONTROLS)
    session = app.registry.visitor("sm").run
    assert wait_until(lambda: session.state == "paused" and session.snapshot(None).step == 20, 10)
    traces = lambda: value(app.live.poll(req("sm"), "en")[1]).data  # noqa: E731
    smoothed = traces()  # the default 0.6: each curve twice, the raw one faint
    assert len(smoothed) == 4 and smoothed[0].opacity == 0.25 and smoothed[1].name == "d_loss"
    np.testing.assert_allclose(smoothed[1].y, plots_ema(smoothed[0].y, 0.6))
    app.train.set_smoothing(req("sm"), "en", 0)
    raw = traces()
    assert len(raw) == 2 and np.array_equal(raw[0].y, smoothed[0].y, equal_nan=True)
    with pytest.raises(gr.Error, match="Curve smoothing"):
        app.train.set_smoothing(req("sm"), "en", 1.5)


def plots_ema(y, w):
    from ganapp.ui.plots import ema

    return ema(np.asarray(y, dtype=float), w)


def test_every_run_button_reaches_run_b(app):
    # issue 14: the run buttons fanned out to run B in six places, and slow motion in none
    app.compare.compare(req("fan"), "en", "loss", "minimax", *CONTROLS)
    visitor = app.registry.visitor("fan")
    a, b = visitor.run, visitor.run_b
    app.train.pause(req("fan"), "en")
    # paused, and the step in flight at the pause published: the counts below start from there
    assert wait_until(lambda: a.state == b.state == "paused" and a.snapshot(None).step == a.step_count
                      and b.snapshot(None).step == b.step_count, 10)
    app.train.set_slow_motion(req("fan"), "en", 0.3)
    assert a.status().slow_motion_s == b.status().slow_motion_s == 0.3
    app.train.set_slow_motion(req("fan"), "en", 0.0)
    step_a, step_b = a.snapshot(None).step, b.snapshot(None).step
    app.train.step(req("fan"), "en", 3, *CONTROLS)
    assert wait_until(lambda: (a.snapshot(None).step, b.snapshot(None).step) == (step_a + 3, step_b + 3)
                      and a.state == b.state == "paused", 10)  # the last step is published before the pause
    app.train.phase_step(req("fan"), "en", "both")
    assert (a.snapshot(None).step, b.snapshot(None).step) == (step_a + 4, step_b + 4)
    app.train.resume(req("fan"), "en")
    assert wait_until(lambda: a.state == b.state == "running", 10)
    app.train.stop(req("fan"), "en")
    assert a.state == b.state == "stopped"
    app.train.start(req("fan"), "en", 0, *CONTROLS)
    assert wait_until(lambda: a.state == b.state == "running", 10)
    app.train.pause(req("fan"), "en")


def test_poll_deltas_add_up_to_the_full_history(app, monkeypatch):
    # issue 11: a poll sends only the rows that are new since the page's last full figure
    from ganapp.ui import curves, plots

    monkeypatch.setattr(curves, "FULL_REDRAW_POINTS", 10**6)  # this tiny run takes ~1,000 steps between two polls
    app.train.start(req("dl"), "en", 0, *CONTROLS)
    session = app.registry.visitor("dl").run
    assert wait_until(lambda: session.snapshot(None).step >= 5, 10)
    out = app.live.poll(req("dl"), "en")
    loss_fig, scores_fig = out.loss_plot, out.scores_plot
    # with smoothing each metric is a faint raw trace, then its smoothed line: d_loss raw, d_loss, g_loss raw, g_loss
    x = {(p, i): list(fig.data[i].x) for p, fig in (("loss-plot", loss_fig), ("scores-plot", scores_fig))
         for i in range(4)}
    y = {(p, i): list(fig.data[i].y) for p, fig in (("loss-plot", loss_fig), ("scores-plot", scores_fig))
         for i in range(4)}
    n_deltas = 0
    for _ in range(6):
        step = session.snapshot(None).step
        assert wait_until(lambda: session.snapshot(None).step > step, 10)
        out = app.live.poll(req("dl"), "en")
        assert out.loss_plot is None or out.loss_plot == gr.skip()  # no full figure: the page has this run's curves
        delta = out.curve_delta
        if isinstance(delta, dict) and "plots" in delta:
            n_deltas += 1
            for plot_id, part in delta["plots"].items():
                assert part["n_traces"] == 4
                for i, xs, ys in zip(part["indices"], part["x"], part["y"]):
                    x[(plot_id, i)] += xs
                    y[(plot_id, i)] += ys
    app.train.pause(req("dl"), "en")
    assert n_deltas >= 3
    history = session.rows_since(-1)
    rows = np.column_stack([history[k] for k in ("step", "d_loss", "g_loss", "d_x", "d_g_z")])
    last = int(x[("loss-plot", 0)][-1])
    rows = rows[rows[:, 0] <= last]
    for plot_id, cols in (("loss-plot", (1, 2)), ("scores-plot", (3, 4))):
        for k, col in enumerate(cols):
            raw, line = 2 * k, 2 * k + 1
            assert x[(plot_id, raw)] == x[(plot_id, line)] == rows[:, 0].tolist()  # every row, once, in order
            np.testing.assert_allclose(y[(plot_id, raw)], rows[:, col])
            np.testing.assert_allclose(y[(plot_id, line)], plots.ema(rows[:, col], plots.DEFAULT_SMOOTHING))
    # a new setting of the smoothing (or language, or run) gets full figures again, as does a long stretch of deltas
    app.train.set_smoothing(req("dl"), "en", 0.3)
    out = app.live.poll(req("dl"), "en")
    assert len(out.loss_plot.data) == 4 and (out.curve_delta is None or out.curve_delta == gr.skip())
    app.train.resume(req("dl"), "en")
    monkeypatch.setattr(curves, "FULL_REDRAW_POINTS", 10)
    step = session.snapshot(None).step
    assert wait_until(lambda: session.snapshot(None).step > step + 20, 10)
    assert isinstance(app.live.poll(req("dl"), "en")[11], dict)  # 20+ new points: a delta ...
    step = session.snapshot(None).step
    assert wait_until(lambda: session.snapshot(None).step > step, 10)
    assert len(app.live.poll(req("dl"), "en")[1].data) == 4  # ... past FULL_REDRAW_POINTS: full figures again
    app.train.pause(req("dl"), "en")


def test_a_repeated_error_does_not_pile_up_toasts(app):
    # issue 14, small things: error toasts piled up as "Error (3)"
    errors = []
    for page in ("t1", "t1", "t1", "t2"):
        with pytest.raises(gr.Error) as caught:
            app.train.pause(req(page), "zh")  # no run yet: refused
        errors.append(caught.value)
    assert [e.visible for e in errors] == [True, False, False, True]  # one toast per page while it is open
    assert all(e.message == errors[0].message == t("zh", "err_no_run") for e in errors)
    assert errors[0].duration == common.ERROR_TOAST_S
    with pytest.raises(gr.Error) as caught:
        app.train.pause(req("t1"), "en")  # another message (the English one): a toast of its own
    assert caught.value.visible


def test_library_errors_reach_a_chinese_page_in_chinese_only(app, tmp_path):
    # issue 14: library errors carry a code and fields; the page never shows their English text
    from ganapp.gan.data import DatasetUnavailableError
    from ganapp.ui.errors import dataset_error

    def no_english(message: str) -> bool:  # paths, names and numbers aside, nothing in Latin words
        import re
        return not re.search(r"\b(?!ganapp\b|safetensors\b|pickle\b)[a-z]{4,}\b", re.sub(r"\S*[/_.]\S*", "", message))

    bad = tmp_path / "notes.safetensors"
    bad.write_text("not a checkpoint")
    with pytest.raises(gr.Error) as caught:
        app.explore.upload_checkpoint(req("zh"), "zh", str(bad))
    assert "不是 safetensors" in caught.value.message and no_english(caught.value.message), caught.value.message
    wild = list(CONTROLS)
    wild[CONTROL_FIELDS.index("z_dim")] = 9999
    with pytest.raises(gr.Error) as caught:
        app.train.start(req("zh"), "zh", 0, *wild)
    assert "1..512" in caught.value.message and no_english(caught.value.message), caught.value.message
    for reason, params in (("missing", dict(dataset="MNIST", folder="/d/MNIST/raw", files="a, b")),
                           ("not_folder", dict(path="/x.txt")), ("no_images", dict(path="/imgs")),
                           ("bad_drawing", dict(path="/d.npy")), ("image_too_large", dict(path="/i", limit=10))):
        message = dataset_error("zh", DatasetUnavailableError("English detail", reason, **params)).message
        assert "English" not in message and no_english(message), (reason, message)
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "notes.txt").write_text("no image here")
    controls = list(_page_controls("mnist_10k"))
    controls[CONTROL_FIELDS.index("dataset")] = "folder"
    controls[CONTROL_FIELDS.index("data_files")] = [str(folder / "notes.txt")]
    with pytest.raises(gr.Error, match="没有可读取的图像") as caught:
        app.train.reset(req("zh"), "zh", *controls)
    assert no_english(caught.value.message), caught.value.message
