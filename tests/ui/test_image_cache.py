"""Pictures go to Gradio's cache once and whole: a cached file is never rewritten while a browser downloads it."""

import threading

import numpy as np
from gradio import processing_utils
from PIL import Image

from ganapp.ui.image_cache import install, save_pil_to_cache


def _picture(seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (96, 96, 3), dtype=np.uint8))


def test_a_picture_already_cached_is_reused_not_rewritten(tmp_path):
    path = save_pil_to_cache(_picture(), str(tmp_path), format="png")
    with open(path, "rb") as f:
        whole = f.read()
    with open(path, "r+b") as f:  # a marker stands for "a browser is reading this file now"
        f.write(b"MARK")
    again = save_pil_to_cache(_picture(), str(tmp_path), format="png")
    assert again == path
    with open(path, "rb") as f:
        assert f.read(4) == b"MARK"  # Gradio's own save truncates and writes the file again
    other = save_pil_to_cache(_picture(seed=1), str(tmp_path), format="png")
    assert other != path
    assert Image.open(other).size == (96, 96) and len(whole) > 1000
    assert not [p for p in tmp_path.rglob(".*")]  # no temporary file left behind


def test_readers_never_see_a_cached_picture_cut_short_while_the_class_saves_it(tmp_path):
    install()
    assert processing_utils.save_pil_to_cache is save_pil_to_cache
    # numpy outputs (what the app's handlers return) go through the installed function too
    path = processing_utils.save_img_array_to_cache(np.asarray(_picture()), str(tmp_path), format="png")
    size = len(open(path, "rb").read())
    stop, short = threading.Event(), []

    def reader():
        while not stop.is_set():
            with open(path, "rb") as f:
                if len(f.read()) != size:
                    short.append(1)

    t = threading.Thread(target=reader)
    t.start()
    for _ in range(300):  # 30 students' polls of the same picture
        assert processing_utils.save_img_array_to_cache(np.asarray(_picture()), str(tmp_path), format="png") == path
    stop.set()
    t.join()
    assert not short


def test_the_app_installs_it_when_it_builds_the_page(tmp_path, monkeypatch):
    from ganapp.host.registry import Registry
    from ganapp.ui.handlers import GanApp
    from ganapp.ui.layout import build_demo

    monkeypatch.setattr(processing_utils, "save_pil_to_cache", lambda *a, **k: None)  # as Gradio ships it
    registry = Registry()
    try:
        build_demo(GanApp(registry, str(tmp_path)))
    finally:
        registry.close(save=False)
    assert processing_utils.save_pil_to_cache is save_pil_to_cache
