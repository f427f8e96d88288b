"""Files a visitor uploads, made on the spot for tests: a .zip of small PNGs, a PNG, and a PNG too large to decode."""

import zipfile

import numpy as np


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
