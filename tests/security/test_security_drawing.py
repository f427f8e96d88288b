"""One visitor's big drawing cannot stall the others: the pad's size is bounded at the door, before any image is
decoded, and the drawings are turned into points one at a time."""

from __future__ import annotations

import numpy as np
import PIL.Image
import pytest
from gradio.components.image_editor import AcceptBlobs, EditorData
from gradio.data_classes import FileData
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from ganapp.gan.points2d import MAX_DRAWING_SIDE, points_from_drawing
from ganapp.ui.sketchpad import PENDING_DRAWINGS, BoundedSketchpad


def huge_png(path, side: int = 10_000):
    """A ``side`` × ``side`` white drawing with one black stroke: tens of KB on disk, 400 MB as RGBA."""
    im = PIL.Image.new("1", (side, side), 1)
    im.paste(0, (side // 4, side // 2, 3 * side // 4, side // 2 + 8))
    im.save(path)
    return path


def png_bytes(side: int) -> bytes:
    import io

    buf = io.BytesIO()
    PIL.Image.new("L", (side, side), 255).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def no_decoding(monkeypatch):
    """Any image decoded while this is on fails the test."""
    def refuse(self, *args, **kwargs):
        raise AssertionError(f"a {self.size} image was decoded")
    monkeypatch.setattr(PIL.ImageFile.ImageFile, "load", refuse)


def test_a_drawing_too_large_is_refused_from_its_header_alone(tmp_path, no_decoding):
    pad = BoundedSketchpad(type="numpy", image_mode="RGBA")
    path = huge_png(tmp_path / "big.png")
    value = pad.preprocess(EditorData(composite=FileData(path=str(path)), background=FileData(path=str(path)),
                                      layers=[FileData(path=str(path))]))
    assert value["too_large"] == (10_000, 10_000) and value["composite"] is None
    assert value["background"] is None and value["layers"] == []  # never read: nothing uses them
    bomb = huge_png(tmp_path / "bomb.png", side=14_000)  # beyond Pillow's own limit, which would not say its size
    assert pad.preprocess(EditorData(composite=FileData(path=str(bomb))))["too_large"] == (14_000, 14_000)


def test_a_drawing_that_fits_is_read_as_rgba(tmp_path):
    pad = BoundedSketchpad(type="numpy", image_mode="RGBA")
    path = huge_png(tmp_path / "ok.png", side=MAX_DRAWING_SIDE)
    value = pad.preprocess(EditorData(composite=FileData(path=str(path))))
    assert value["too_large"] is None and value["composite"].shape == (MAX_DRAWING_SIDE, MAX_DRAWING_SIDE, 4)
    (tmp_path / "not.png").write_bytes(b"not an image")
    assert pad.preprocess(EditorData(composite=FileData(path=str(tmp_path / "not.png"))))["composite"] is None
    with pytest.raises(ValueError, match="at most 2048 × 2048"):  # the library's own bound
        points_from_drawing(np.zeros((MAX_DRAWING_SIDE + 1, 10), np.uint8))


def test_a_browsers_uploads_beside_an_event_keep_only_few_composites(no_decoding):
    pad = BoundedSketchpad(type="numpy", image_mode="RGBA")
    blob = png_bytes(MAX_DRAWING_SIDE + 1)
    pad.accept_blobs(AcceptBlobs(data={"type": "layer", "index": 10**9, "file": b"", "id": "x"},
                                 files=[("layer", blob)]))  # Gradio's own would grow a list of 10^9 layers
    assert not pad._pending()
    for i in range(PENDING_DRAWINGS + 5):
        pad.accept_blobs(AcceptBlobs(data={"type": "composite", "index": None, "file": b"", "id": f"e{i}"},
                                     files=[("composite", blob)]))
    assert len(pad._pending()) == PENDING_DRAWINGS and "e0" not in pad._pending()
    value = pad.preprocess(EditorData(id=f"e{PENDING_DRAWINGS}"))
    assert value["too_large"] == (MAX_DRAWING_SIDE + 1,) * 2 and f"e{PENDING_DRAWINGS}" not in pad._pending()


def test_a_browsers_composite_that_fits_is_read():
    pad = BoundedSketchpad(type="numpy", image_mode="RGBA")
    pad.accept_blobs(AcceptBlobs(data={"type": "composite", "index": None, "file": b"", "id": "ok"},
                                 files=[("composite", png_bytes(64))]))
    value = pad.preprocess(EditorData(id="ok"))
    assert value["too_large"] is None and value["composite"].shape == (64, 64, 4) and not pad._pending()


def test_a_huge_drawing_is_refused_and_another_visitors_tick_is_answered(served_app, tmp_path):
    url, _ = served_app
    path = huge_png(tmp_path / "huge.png")
    a, b = Client(url, verbose=False), Client(url, verbose=False)
    try:
        sketch = {"background": None, "layers": [], "composite": handle_file(str(path))}
        job = b.submit("en", sketch, api_name="/use_drawing")
        for _ in range(3):  # meanwhile, another visitor's page goes on
            status, *_ = a.predict("en", api_name="/tick")
            assert "not started" in status
        with pytest.raises(AppError, match=r"The drawing is 10000 × 10000 pixels: the pad takes drawings of at most "
                                           r"2048 × 2048"):
            job.result(timeout=120)
        with pytest.raises(AppError, match="画板最多接受 2048 × 2048"):
            b.predict("zh", sketch, api_name="/use_drawing")
    finally:
        a.close()
        b.close()
