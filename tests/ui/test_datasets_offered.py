"""Only the datasets this server can load are offered; a refused Reset or Start changes nothing; no message shows a
server path; the folder dataset says what it will train on (issue 23, items 8 and 9)."""

import re

import gradio as gr
import pytest

from ganapp.gan.config import GANConfig
from ganapp.gan.data import MNIST_FILES, files_present, on_server
from ganapp.host.limits import downloads_allowed
from ganapp.host.registry import Registry
from ganapp.ui.common import CONTROL_FIELDS
from ganapp.ui.handlers import GanApp

from conftest import req, wait_until
from upload_files import huge_png, png, shapes_zip

DOWNLOADABLE = ("mnist", "fashion_mnist", "cifar10")


def controls(dataset: str, **fields) -> list:
    """The Train tab's controls as the page fills them for ``dataset`` (CONTROL_FIELDS order)."""
    c = GANConfig.default_for(dataset, data_path="-" if dataset == "folder" else "").replace(**fields)
    values = {f: getattr(c, f) for f in CONTROL_FIELDS[:-2]} | {"data_files": None, "init": "scratch"}
    return [values[f] for f in CONTROL_FIELDS]


@pytest.fixture
def offline_app(tmp_path, monkeypatch):
    """A GanApp whose server may not download and holds no dataset files (GANAPP_DATA_DIR is empty)."""
    monkeypatch.setenv("GANAPP_DATA_DIR", str(tmp_path / "data"))
    registry = Registry(idle_timeout_s=60, download=False)
    yield GanApp(registry, tmp_path)
    registry.close()


def no_server_path(message: str, *paths) -> bool:
    return not any(str(p) in message for p in paths) and not re.search(r"(^|\s|\()/[\w.-]+/", message)


def test_which_datasets_a_server_can_load(tmp_path, monkeypatch):
    assert all(not on_server(d, False, tmp_path) for d in DOWNLOADABLE)
    assert all(on_server(d, True, tmp_path) for d in DOWNLOADABLE)  # a Space with internet downloads them
    assert on_server("mnist_10k", False, tmp_path) and on_server("ring8", False, tmp_path)
    assert on_server("folder", False, tmp_path) and not on_server("imagenet", True, tmp_path)
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in MNIST_FILES:
        (raw / name).write_bytes(b"")
    assert files_present("mnist", tmp_path) and on_server("mnist", False, tmp_path)
    assert not on_server("fashion_mnist", False, tmp_path)
    assert downloads_allowed("0") is False and downloads_allowed("1") is True
    with pytest.raises(ValueError, match="GANAPP_DOWNLOAD"):
        downloads_allowed("maybe")
    monkeypatch.setenv("GANAPP_DATA_DIR", str(tmp_path))
    only_mnist = {"mnist": ("MNIST", "MNIST/raw", MNIST_FILES)}
    monkeypatch.setattr("ganapp.gan.data.TORCHVISION", only_mnist)
    monkeypatch.setattr("ganapp.host.limits.TORCHVISION", only_mnist)
    assert downloads_allowed("auto") is True  # every file there: nothing to download, no network asked


def test_the_menu_offers_only_what_this_server_can_load(offline_app, tmp_path, monkeypatch):
    choices = [c if isinstance(c, str) else c[1] for c in offline_app.settings.dataset_menu()["choices"]]
    assert "mnist_10k" in choices and "ring8" in choices and "folder" in choices
    assert not set(DOWNLOADABLE) & set(choices)
    offline_app.registry.run_kwargs["download"] = True
    assert set(DOWNLOADABLE) <= set(offline_app.settings.datasets_offered())


def test_a_refused_reset_or_start_changes_nothing_and_names_no_server_path(offline_app, tmp_path):
    app = offline_app
    app.train.start(req("g"), "en", 0, *controls("gaussian"))
    run = app.registry.visitor("g").run
    assert wait_until(lambda: run.snapshot(None).step > 3, 20)
    before, gen = run.config, app.registry.visitor("g").state.gen
    # fashion_mnist's own settings, as choosing it in the menu would have filled them
    fashion = controls("fashion_mnist")
    for lang, words in (("en", "not on this server"), ("zh", "本服务器上没有数据集")):
        for press in (lambda: app.train.reset(req("g"), lang, *fashion),
                      lambda: app.train.start(req("g"), lang, 0, *fashion)):
            with pytest.raises(gr.Error) as info:
                press()
            message = info.value.message
            assert words in message and "fashion_mnist" in message and "mnist_10k" in message, message
            assert no_server_path(message, tmp_path), message
    assert app.registry.visitor("g").run is run and run.config == before  # nothing applied live
    assert run.state in ("running", "waiting") and app.registry.visitor("g").state.gen == gen  # no new settings
    status = app.live.poll(req("g"), "en").status
    assert "Applied while training" not in status and "press Reset" not in status
    # a folder of files that are not images: the same, and the message names the upload, not a folder
    notes = tmp_path / "notes.txt"
    notes.write_text("no image")
    folder = controls("folder")
    folder[CONTROL_FIELDS.index("data_files")] = [str(notes)]
    app.registry.classroom = True  # the classroom note would be set on the way to the refusal
    with pytest.raises(gr.Error) as info:
        app.train.reset(req("g"), "en", *folder)
    assert "No readable images in your upload" in info.value.message and no_server_path(info.value.message, tmp_path)
    assert app.registry.visitor("g").run is run and not app.registry.visitor("g").state.classroom
    assert app.registry.visitor("g").state.gen == gen


def test_the_upload_note_says_what_start_will_train_on(offline_app, tmp_path, never_decoded):
    app = offline_app
    up = tmp_path / "uploads"
    up.mkdir()
    shapes, red, more = shapes_zip(up / "shapes.zip"), png(up / "red.png"), shapes_zip(up / "more.zip", 10, 2)
    assert app.settings.upload_note("en", None) == ""
    note = app.settings.upload_note("en", [str(shapes), str(red)])
    assert note == "**25 images** to train on: 24 from shapes\\.zip, 1 from red\\.png."
    assert "可供训练的图像共 **25 张**：shapes\\.zip 中 24 张、red\\.png 中 1 张。" in app.settings.upload_note(
        "zh", [str(shapes), str(red)])
    folder = controls("folder", model="dcgan", g_width=4, d_width=4, batch_size=8)
    folder[CONTROL_FIELDS.index("data_files")] = [str(shapes), str(red)]
    app.train.reset(req("f"), "en", *folder)
    assert app.registry.visitor("f").run.trainer.data.size == 25  # not 1: the .zip's images are in
    folder[CONTROL_FIELDS.index("data_files")] = [str(shapes), str(more)]  # two .zip files
    assert "2 files are not images" in app.settings.upload_note("en", [str(shapes), str(more)])
    app.train.reset(req("f"), "en", *folder)
    assert app.registry.visitor("f").run.trainer.data.size == 34
    big = huge_png(up / "big.png")  # named at once, from its header
    note = app.settings.upload_note("en", [str(big)])
    assert "big\\.png is 8,000 × 8,000 pixels, over the 25,000,000 an image may have" in note
    folder[CONTROL_FIELDS.index("data_files")] = [str(big)]
    with pytest.raises(gr.Error, match="too large to open safely") as info:
        app.train.reset(req("f"), "en", *folder)
    assert no_server_path(info.value.message, tmp_path)
    name = tmp_path / "<img src=x onerror=alert(1)>.png"  # a file name is text, never HTML
    png(name)
    assert "<img" not in app.settings.upload_note("en", [str(name)])
