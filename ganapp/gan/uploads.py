"""The images behind the ``folder`` dataset: what a visitor's uploads hold, read header-first.

A visitor uploads .zip files and image files, one or many; they are kept together in one folder, and the dataset is
every image in it, a .zip's images included (:func:`image_sources`). Before a run is built, the page says what each
upload holds (:func:`count_uploads`: "24 images from shapes.zip and 1 from red.png"), reading only the images' headers.
An image larger than :func:`pixel_limit` is never decoded: Pillow's ``Image.open`` reads the header alone, so its
size is known first (decoding an 8,000 × 8,000 PNG took seconds and 190 MB, for a GAN that trains at 64 pixels).
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

MAX_IMAGE_PIXELS = 25_000_000  # an uploaded image over this many pixels (5,000 × 5,000) is left out, undecoded
MAX_FOLDER_IMAGES = 50_000
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
Opener = Callable[[], IO[bytes]]


def pixel_limit() -> int:
    """The most pixels an uploaded image may have: MAX_IMAGE_PIXELS, or Pillow's decompression-bomb limit (twice
    ``Image.MAX_IMAGE_PIXELS``) when a host lowered it."""
    from PIL import Image

    bomb = Image.MAX_IMAGE_PIXELS
    return MAX_IMAGE_PIXELS if bomb is None else min(MAX_IMAGE_PIXELS, 2 * int(bomb))


class ImageTooLarge(ValueError):
    """An image whose header says it has more than :func:`pixel_limit` pixels; it was not decoded.

    Attributes:
        width, height: its size in pixels.
    """

    def __init__(self, width: int, height: int):
        super().__init__(f"{width} × {height} pixels, more than {pixel_limit():,}")
        self.width, self.height = width, height


def open_header(f: IO[bytes]) -> Any:
    """The PIL image in ``f``, its header read and nothing decoded yet (``.load()``, ``.convert()`` decode it).

    Raises:
        ImageTooLarge: it has more than :func:`pixel_limit` pixels.
        PIL.UnidentifiedImageError, OSError, ValueError: not an image.
    """
    from PIL import Image

    try:
        image = Image.open(f)
    except Image.DecompressionBombError:  # over Pillow's own limit: its size is in the header all the same
        raise ImageTooLarge(0, 0) from None
    width, height = image.size
    if width * height > pixel_limit():
        image.close()
        raise ImageTooLarge(width, height)
    return image


def image_sources(path: Path) -> Iterator[tuple[str, Opener]]:
    """Every file that may be an image in ``path``, as (name, opener), in name order: the members of a .zip, or the
    files of a folder (searched recursively, a .zip in it opened as its members). A .zip inside a .zip is not
    opened. The openers of a .zip's members must be called while the iteration is on that .zip."""
    if path.is_dir():
        for p in sorted(q for q in path.rglob("*") if q.is_file()):
            if zipfile.is_zipfile(p):
                yield from _zip_members(p, f"{p.name}/")
            else:
                yield p.name, lambda p=p: open(p, "rb")
    elif zipfile.is_zipfile(path):
        yield from _zip_members(path, "")
    elif path.is_file():
        yield path.name, lambda: open(path, "rb")


def _zip_members(path: Path, prefix: str) -> Iterator[tuple[str, Opener]]:
    with zipfile.ZipFile(path) as zf:
        names = sorted(n for n in zf.namelist() if not n.endswith("/") and "__MACOSX" not in n)
        for n in names:
            yield prefix + n, lambda n=n: zf.open(n)


@dataclass(frozen=True)
class UploadCount:
    """What one uploaded file holds.

    Attributes:
        name: the file's name as the visitor uploaded it (never a server path).
        images: its readable images (an image file: 1 or 0).
        other: its files that are not images, or broken ones (skipped).
        too_large: (name, width, height) of each image over :func:`pixel_limit` pixels (left out, undecoded).
    """

    name: str
    images: int
    other: int
    too_large: tuple[tuple[str, int, int], ...]


def count_uploads(paths: list[Path], names: list[str] | None = None) -> list[UploadCount]:
    """What each uploaded file holds, reading image headers only. ``names`` are the files' names as uploaded
    (default: the paths' names). At most MAX_FOLDER_IMAGES images are looked at in all."""
    counts, seen = [], 0
    for path, name in zip(paths, names or [p.name for p in paths]):
        images = other = 0
        too_large = []
        for member, opener in image_sources(Path(path)):
            if seen >= MAX_FOLDER_IMAGES:
                break
            try:
                with opener() as f:
                    open_header(f).close()
                images += 1
                seen += 1
            except ImageTooLarge as e:
                too_large.append((member, e.width, e.height))
            except Exception:  # not an image (PIL raises several kinds): skipped, and counted as such
                other += 1
        counts.append(UploadCount(name, images, other, tuple(too_large)))
    return counts
