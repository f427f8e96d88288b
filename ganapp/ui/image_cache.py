"""Images handed to the browser are written to Gradio's cache once, whole, and never rewritten in place.

Gradio (6.31) saves every image a handler returns to a file named by its content's hash, and
``processing_utils.save_pil_to_cache`` writes that file with ``Path.write_bytes`` each time, even when it exists:
the file is truncated, then filled again. In a class, many students see byte-identical pictures (the same default
seed gives the same sample grid at the same step), so one student's poll rewrote the file while another's browser
was downloading it. The download then stopped short: "peer closed connection without sending complete message body
(received 0 bytes, expected 32474)" in ``benchmarks/classroom.py`` with half the class on MNIST, and a broken image
in a browser.

Gradio's own ``save_file_to_cache`` already does it safely (reuse a cached copy; else write under a temporary name
and rename into place). :func:`install` gives images the same treatment.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from gradio import processing_utils
from PIL import Image


def save_pil_to_cache(img: Image.Image, cache_dir: str, name: str = "image", format: str = "webp") -> str:
    """Gradio's ``processing_utils.save_pil_to_cache``, but a file already in the cache is reused (and touched,
    so that ``delete_cache`` keeps it), and a new one appears only whole (``os.replace`` of a temporary file).

    Args:
        img: the picture. cache_dir: Gradio's cache folder. name: the file's stem. format: Pillow's format name.
    Returns:
        the absolute path of the cached file, ``cache_dir/<sha256 of the encoded bytes>/<name>.<format>``.
    Raises:
        OSError: the cache folder cannot be written.
    """
    data = processing_utils.encode_pil_to_bytes(img, format)
    folder = Path(cache_dir) / processing_utils.hash_bytes(data)
    folder.mkdir(exist_ok=True, parents=True)
    path = (folder / f"{name}.{format}").resolve()
    if path.exists():
        try:
            os.utime(path)
        except OSError:  # deleted meanwhile by delete_cache: written again below
            pass
        else:
            return str(path)
    fd, staging = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(staging, path)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise
    return str(path)


def install() -> None:
    """Make Gradio save images with :func:`save_pil_to_cache` (idempotent). ``image_utils`` and
    ``save_img_array_to_cache`` look the function up on ``processing_utils`` at each call, so this covers numpy and
    PIL outputs of every ``gr.Image``."""
    processing_utils.save_pil_to_cache = save_pil_to_cache
