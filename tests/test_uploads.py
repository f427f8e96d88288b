"""The folder dataset's uploads: several .zip files and loose images combine, nothing is dropped silently, and an image
too large is named without being decoded (issue 23, item 9)."""

import zipfile

import numpy as np
import pytest

from ganapp.gan.data import DatasetUnavailableError, load_image_folder
from ganapp.gan.uploads import MAX_IMAGE_PIXELS, count_uploads


def shapes_zip(path, n=24, others=0):
    """A .zip of ``n`` small PNGs (and ``others`` files that are not images), as a visitor would upload."""
    import io

    from PIL import Image

    rng = np.random.default_rng(len(str(path)))
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(n):
            buf = io.BytesIO()
            Image.fromarray(rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)).save(buf, "PNG")
            zf.writestr(f"shapes/shape{i:02d}.png", buf.getvalue())
        for i in range(others):
            zf.writestr(f"shapes/notes{i}.txt", "not an image")
    return path


def png(path, size=(30, 20), mode="RGB"):
    from PIL import Image

    Image.new(mode, size, 1).save(path)
    return path


def huge_png(path):
    """An 8,000 × 8,000 PNG: 64 million pixels, a few kB on disk (one bit per pixel, all the same)."""
    return png(path, (8000, 8000), mode="1")


@pytest.fixture
def never_decoded(monkeypatch):
    """Fails any decode of an image wider than 4,000 pixels: its size must be checked from its header first."""
    from PIL import ImageFile

    load = ImageFile.ImageFile.load

    def guarded(self):
        assert self.size[0] <= 4000, f"an image of {self.size} was decoded"
        return load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", guarded)


def test_two_zips_and_a_loose_image_in_one_folder_give_every_image(tmp_path):
    folder = tmp_path / "uploads"
    folder.mkdir()
    shapes_zip(folder / "00000_shapes.zip")
    shapes_zip(folder / "00001_more.zip", n=10, others=2)
    png(folder / "00002_red.png")
    x = load_image_folder(folder, 32, 3)
    assert x.shape == (35, 3, 32, 32)
    counts = count_uploads([folder / "00000_shapes.zip", folder / "00001_more.zip", folder / "00002_red.png"],
                           ["shapes.zip", "more.zip", "red.png"])
    assert [(c.name, c.images, c.other) for c in counts] == [("shapes.zip", 24, 0), ("more.zip", 10, 2),
                                                             ("red.png", 1, 0)]


def test_an_image_too_large_is_named_and_left_out_undecoded(tmp_path, never_decoded):
    folder = tmp_path / "uploads"
    folder.mkdir()
    huge_png(folder / "big.png")
    (count,) = count_uploads([folder / "big.png"])
    assert count.images == 0 and count.too_large == (("big.png", 8000, 8000),)
    assert 8000 * 8000 > MAX_IMAGE_PIXELS
    with pytest.raises(DatasetUnavailableError) as info:  # alone: a clear error, not minutes of decoding
        load_image_folder(folder, 32, 3)
    assert info.value.reason == "image_too_large" and info.value.limit == MAX_IMAGE_PIXELS
    png(folder / "small.png")
    assert load_image_folder(folder, 32, 3).shape == (1, 3, 32, 32)  # beside others: left out
    with zipfile.ZipFile(tmp_path / "in.zip", "w") as zf:  # inside a .zip too
        zf.write(folder / "big.png", "pics/big.png")
        zf.write(folder / "small.png", "pics/small.png")
    (count,) = count_uploads([tmp_path / "in.zip"])
    assert count.images == 1 and count.too_large == (("pics/big.png", 8000, 8000),)
