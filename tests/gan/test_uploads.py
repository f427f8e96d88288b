"""The folder dataset's uploads: several .zip files and loose images combine, nothing is dropped silently, and an image
too large is named without being decoded (issue 23, item 9)."""

import zipfile

import pytest

from ganapp.gan.data import DatasetUnavailableError, load_image_folder
from ganapp.gan.uploads import MAX_IMAGE_PIXELS, count_uploads
from upload_files import huge_png, png, shapes_zip


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
