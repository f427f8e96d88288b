"""The app launched on localhost, driven through gradio_client as an API user would."""

from pathlib import Path

import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from conftest import value, wait_until

# dataset, model, loss, z_dim, batch, lr_g, lr_d, β1, β2, n_critic, g_steps, seed, widths, hidden layers,
# activations, optimizer, noise, λ, γ, r1_every, g_ema, lr_decay,
# conditional, bf16, image size, channels, uploaded files
CONTROLS = ["ring8", "mlp", "non_saturating", 2, 64, 1e-3, 1e-3, 0.5, 0.999, 1, 1, 0, 16, 16, "", "", "relu",
            "leaky_relu", "adam", "gaussian", 10.0, 0.0, 1, 0.0, 0.0, False, False, 28, 1, None, "scratch"]
IMAGE_CONTROLS = ["mnist_10k", "mlp", "non_saturating", 8, 8, 2e-4, 2e-4, 0.5, 0.999, 1, 1, 0, 8, 8, "", "", "relu",
                  "leaky_relu", "adam", "gaussian", 10.0, 0.0, 1, 0.0, 0.0, False, False, 28, 1, None, "scratch"]
NO_DIRECTIONS = [0.0] * 6 + [None, 0.0]  # the direction sliders at 0, no saved direction


@pytest.fixture
def client(served_app):
    url, _ = served_app
    c = Client(url, verbose=False)
    yield c
    try:
        c.predict("en", api_name="/stop")
    except AppError:
        pass
    c.close()


def snapshot(c):
    return c.predict(api_name="/snapshot")


def test_start_poll_and_watch_step_and_history_grow(client):
    client.predict("en", 0, *CONTROLS, api_name="/start")
    assert wait_until(lambda: snapshot(client)["step"] > 10, 15)
    first = snapshot(client)
    (status, loss_plot, scores_plot, grid, scatter, quality, caption, metrics2d, alert, view_b, grid_b,
     curve_delta) = client.predict("en", api_name="/poll")
    assert "running" in status and "step" in status and "it/s" in status
    assert loss_plot is not None and scatter is not None  # 2D data: the scatter replaces the grid
    assert wait_until(lambda: snapshot(client)["history_rows"] > first["history_rows"] + 10, 15)
    *_, curve_delta = client.predict("en", api_name="/poll")  # the curves' new rows only (ganapp.ui.curves)
    steps = curve_delta["plots"]["loss-plot"]["x"][0]
    assert len(steps) >= 10 and steps == sorted(steps)
    later = snapshot(client)
    assert later["step"] > first["step"] and later["state"] == "running"


def test_a_timed_run_through_the_api_counts_down_and_pauses_itself(client):
    client.predict("en", 0.02, *CONTROLS, api_name="/start")  # 1.2 s of training
    first = snapshot(client)  # counting down, or (on a loaded machine) over already
    assert (first["run_left_s"] or 0) > 0 or "timed run is over" in first["message"]
    assert wait_until(lambda: snapshot(client)["state"] == "paused", 15)
    done = snapshot(client)
    assert done["run_left_s"] is None and done["lr_scale"] == 1.0 and "timed run is over" in done["message"]
    assert done["elapsed_s"] >= 1.2  # (how far past it depends on the machine's load: a benchmark's business)


def test_pause_stops_the_step_count(client):
    client.predict("en", 0, *CONTROLS, api_name="/start")
    assert wait_until(lambda: snapshot(client)["step"] > 5, 15)
    client.predict("en", api_name="/pause")
    assert wait_until(lambda: snapshot(client)["state"] == "paused")
    a = snapshot(client)["step"]  # (the step in progress at the pause may still come: one more at most)
    client.predict("en", 7, *CONTROLS, api_name="/step")
    # had it trained on after the pause, the count would be far past a + 8 when the Step pauses it again
    assert wait_until(lambda: snapshot(client)["step"] >= a + 7 and snapshot(client)["state"] == "paused")
    assert a + 7 <= snapshot(client)["step"] <= a + 8


def _image(update):
    return np.asarray(Image.open(update["value"]))


def test_slider_call_returns_an_image_that_changes_with_z(client):
    client.predict("en", *IMAGE_CONTROLS, api_name="/reset")
    client.predict("en", 20, *IMAGE_CONTROLS, api_name="/step")
    assert wait_until(lambda: snapshot(client)["step"] == 20, 30)
    sliders = [0.0] * 8
    img0, plot0 = client.predict("en", "training", 0, 1.0, 0, *sliders, *NO_DIRECTIONS, api_name="/explore")
    assert img0["visible"] and not plot0["visible"]
    a = _image(img0)
    assert a.shape[:2] == (224, 224)
    again = _image(client.predict("en", "training", 0, 1.0, 0, *sliders, *NO_DIRECTIONS, api_name="/explore")[0])
    np.testing.assert_array_equal(a, again)  # same z, same image
    moved = _image(client.predict("en", "training", 0, 1.0, 0, 2.5, -2.5, *sliders[2:], *NO_DIRECTIONS,
                                  api_name="/explore")[0])
    assert np.abs(moved.astype(int) - a.astype(int)).mean() > 1.0


def test_interpolation_returns_n_frames_whose_ends_match_z0_and_z1(client):
    client.predict("en", *IMAGE_CONTROLS, api_name="/reset")
    client.predict("en", 10, *IMAGE_CONTROLS, api_name="/step")
    assert wait_until(lambda: snapshot(client)["step"] == 10, 30)
    strip, _, gif = client.predict("en", "training", 3, 4, "slerp", 6, 1.0, 0, 1, api_name="/interpolate")
    frames = Image.open(gif)
    assert frames.n_frames == 6
    strip_img = np.asarray(Image.open(strip["value"]))
    assert strip_img.shape[1] > 5 * strip_img.shape[0]  # a strip of 6 tiles side by side
    end = {}
    for seed in (3, 4):
        # explore at the same seed with the sliders set to that seed's own z values
        out = client.predict("en", "training", seed, 1.0, 0, api_name="/seed")
        image = out[12]["value"]  # after the 8 z sliders and the 4 label pickers
        end[seed] = np.asarray(Image.open(image).convert("L"), dtype=float)
    frames.seek(0)
    first = np.asarray(frames.convert("L").resize((224, 224), Image.NEAREST), dtype=float)
    frames.seek(5)
    last = np.asarray(frames.convert("L").resize((224, 224), Image.NEAREST), dtype=float)
    # GIF palettes quantise a little; the ends match their own seeds far better than each other's
    assert np.abs(first - end[3]).mean() < 0.25 * np.abs(first - end[4]).mean() + 2
    assert np.abs(last - end[4]).mean() < 0.25 * np.abs(last - end[3]).mean() + 2


def test_two_clients_do_not_see_each_others_sessions(served_app):
    url, demo = served_app
    a, b = Client(url, verbose=False), Client(url, verbose=False)
    try:
        a.predict("en", 0, *CONTROLS, api_name="/start")
        assert wait_until(lambda: snapshot(a)["step"] > 5, 15)
        assert snapshot(b)["state"] == "none"
        with pytest.raises(AppError, match="press Start"):
            b.predict("en", api_name="/pause")
        b.predict("en", 3, *CONTROLS, api_name="/step")
        assert wait_until(lambda: snapshot(b)["step"] == 3, 10)
        assert snapshot(a)["state"] == "running" and snapshot(a)["step"] > 3
    finally:
        a.predict("en", api_name="/stop")
        a.close()
        b.close()


def test_bad_input_is_a_clear_error_and_training_keeps_running(client):
    client.predict("en", 0, *CONTROLS, api_name="/start")
    assert wait_until(lambda: snapshot(client)["step"] > 3, 15)
    bad = list(CONTROLS)
    bad[5] = -1.0  # lr_g
    with pytest.raises(AppError, match=r"Learning rate of G must be a number in \(0, 1e\+06\]"):
        client.predict("en", 0, *bad, api_name="/start")
    bad[5] = None
    with pytest.raises(AppError, match="Learning rate of G"):
        client.predict("en", *bad, api_name="/reset")
    with pytest.raises(AppError, match="G 的学习率"):
        client.predict("zh", *bad, api_name="/reset")
    a = snapshot(client)
    assert a["state"] == "running"
    assert wait_until(lambda: snapshot(client)["step"] > a["step"], 5)


def test_bad_checkpoints_get_clear_errors(client, tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"\x80\x04not a safetensors file")
    with pytest.raises(AppError, match="not a safetensors checkpoint"):
        client.predict("en", handle_file(str(tmp_path / "model.safetensors")), api_name="/upload_checkpoint")


def test_checkpoint_save_then_upload_round_trip(client):
    client.predict("en", *IMAGE_CONTROLS, api_name="/reset")
    client.predict("en", 5, *IMAGE_CONTROLS, api_name="/step")
    assert wait_until(lambda: snapshot(client)["step"] == 5, 30)
    path = client.predict("en", api_name="/save_checkpoint")
    note, source = client.predict("en", handle_file(path), api_name="/upload_checkpoint")
    assert "step 5" in note and source["value"] == "checkpoint"
    live = _image(client.predict("en", "training", 9, 1.0, 0, *[0.0] * 8, *NO_DIRECTIONS, api_name="/explore")[0])
    loaded = _image(client.predict("en", "checkpoint", 9, 1.0, 0, *[0.0] * 8, *NO_DIRECTIONS, api_name="/explore")[0])
    np.testing.assert_array_equal(live, loaded)


def test_reaper_stops_the_thread_of_a_client_that_went_quiet(served_app):
    url, demo = served_app
    registry = demo.ganapp.registry
    c = Client(url, verbose=False)
    c.predict("en", 0, *CONTROLS, api_name="/start")
    assert wait_until(lambda: snapshot(c)["step"] > 3, 15)
    keys = [k for k in list(registry._visitors) if registry._visitors[k].run is not None
            and registry._visitors[k].run.state == "running"]
    sessions = [registry._visitors[k].run for k in keys]
    old_timeout = registry.idle_timeout_s
    registry.idle_timeout_s = 0.5
    try:
        assert wait_until(lambda: all(s.state == "stopped" and not registry.engine.holds(s) for s in sessions), 10)
        assert not any(k in registry for k in keys)
    finally:
        registry.idle_timeout_s = old_timeout
        c.close()


def test_directions_and_time_lapse_through_the_api(client):
    client.predict("en", *IMAGE_CONTROLS, api_name="/reset")
    client.predict("en", 60, *IMAGE_CONTROLS, api_name="/step")
    assert wait_until(lambda: snapshot(client)["step"] == 60, 60)
    out = client.predict("en", "training", api_name="/find_directions")
    assert len(out) == 6 + 2 and "directions" in out[-1]
    base = _image(client.predict("en", "training", 2, 1.0, 0, *[0.0] * 8, *NO_DIRECTIONS, api_name="/explore")[0])
    moved = _image(client.predict("en", "training", 2, 1.0, 0, *[0.0] * 8, 3.0, *NO_DIRECTIONS[1:],
                                  api_name="/explore")[0])
    assert np.abs(moved.astype(int) - base.astype(int)).mean() > 0.5
    strip, caption, gif = client.predict("en", "run", 2, 0, None, api_name="/timelapse")
    strip, gif = value(strip), value(gif)  # shown (they are hidden until there is a time-lapse)
    assert caption.startswith("Steps: 0, ") and Path(gif).suffix == ".gif"
    assert np.asarray(Image.open(strip)).shape[1] > 90  # several 28-px frames side by side


def test_train_on_my_drawing_fills_every_setting_of_the_drawn_dataset(client, tmp_path):
    """The sketchpad's strokes become the ``drawn`` dataset, and its recommended settings land in the right controls
    (the event once had fewer outputs than the handler's values, which shifted them into the wrong fields)."""
    from ganapp.gan.config import GANConfig
    from ganapp.ui.handlers import DATASET_DEFAULT_FIELDS

    pad = np.full((60, 60, 4), 255, np.uint8)
    pad[28:32, 5:55, :3] = 0  # a black stroke on an opaque white pad
    Image.fromarray(pad).save(tmp_path / "pad.png")
    sketch = {"background": None, "layers": [], "composite": handle_file(str(tmp_path / "pad.png"))}
    # (the upload box of the folder dataset is shown or hidden with its note, a column: no value for the API)
    dataset, *values, note = client.predict("en", sketch, api_name="/use_drawing")
    expected = GANConfig.default_for("drawn", data_path="-")
    assert dataset == "drawn" and "2,000 points" in note
    for field, got in zip(DATASET_DEFAULT_FIELDS, values, strict=True):
        assert got == getattr(expected, field), field


def test_an_upload_over_the_hosts_limit_is_refused_and_analytics_are_off(served_app, client, tmp_path):
    import json
    import urllib.request

    from conftest import SERVED_MAX_UPLOAD_MB

    url, _ = served_app
    config = json.load(urllib.request.urlopen(url + "config", timeout=10))
    assert config["analytics_enabled"] is False  # schools care where data goes: on only when a host says so
    assert config["max_file_size"] == SERVED_MAX_UPLOAD_MB * 1024 * 1024
    big = tmp_path / "big.safetensors"
    big.write_bytes(b"\0" * (SERVED_MAX_UPLOAD_MB * 1024 * 1024 + 1))
    with pytest.raises(ValueError, match="exceeds the maximum file size of 1048576 bytes"):
        client.predict("en", handle_file(str(big)), api_name="/upload_checkpoint")
