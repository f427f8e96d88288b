"""A visitor's own 2D data from a file: a CSV or .npy of points, read safely, scaled into the view, and saved as the
``drawn`` dataset's .npy (the same file a sketch becomes, see :func:`ganapp.gan.points2d.save_drawing`), so that drawn
and uploaded points are one dataset type.

Reading refuses, before anything is changed and with a :class:`PointsFileError` whose reason a UI can say in its
reader's language: a file over :data:`MAX_POINTS_BYTES` (from its size on disk, before a byte is read), an empty file,
a value that is not a number, NaN or infinity, another number of columns than 2, and more than
:data:`MAX_POINTS_ROWS` rows. A CSV is parsed by ``np.loadtxt`` with a row cap (so a file of many short rows costs
at most the cap); a .npy by ``np.load(allow_pickle=False, mmap_mode="r")``, after its header's shape and dtype are
checked (so a header that lies about its size costs nothing).
"""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from .config import _rebuild_error
from .points2d import BOUNDS_2D

MAX_POINTS_ROWS = 100_000
MAX_POINTS_BYTES = 8 * 2**20  # 100,000 rows of two 17-digit numbers in a CSV take about 3.6 MB
POINTS_SUFFIXES = (".csv", ".txt", ".npy")
VIEW_FILL = 0.8  # the share of the view's half-width that the points' farthest coordinate reaches


class PointsFileError(ValueError):
    """A points file that cannot be used, with a reason and params for the UI's message.

    Attributes:
        reason: ``too_large`` (params: size and limit, in bytes), ``empty``, ``not_numeric``, ``not_finite``,
            ``columns`` (columns: how many the file has), ``too_many_rows`` (limit), ``suffix`` (suffixes: those
            read) or ``unreadable`` (a .npy whose header or data cannot be read, or an unreadable file).
        params: the numbers the message names (the same in every language).
    """

    def __init__(self, message: str, reason: str, **params: Any):
        super().__init__(message)
        self.reason, self.params = reason, params

    def __reduce__(self):  # pickled whole, as ConfigError
        return _rebuild_error, (type(self), (str(self), self.reason), self.params)


def read_points(path: str | Path) -> np.ndarray:
    """The points of a .csv/.txt (two numbers a row, separated by a comma or by spaces; one header line such as
    ``x,y`` and lines starting with ``#`` are skipped) or a .npy ((N, 2) array of real numbers).

    Returns:
        (N, 2) float64 points as the file holds them, 1 ≤ N ≤ MAX_POINTS_ROWS, all finite.
    Raises:
        PointsFileError: see the module's docstring.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in POINTS_SUFFIXES:
        raise PointsFileError(f"{path.name}: only {', '.join(POINTS_SUFFIXES)} files hold points", "suffix",
                              suffixes=", ".join(POINTS_SUFFIXES))
    try:
        size = os.stat(path).st_size
    except OSError:
        raise PointsFileError(f"{path.name} cannot be read", "unreadable") from None
    if size > MAX_POINTS_BYTES:
        raise PointsFileError(f"{path.name} is {size:,} bytes, over the {MAX_POINTS_BYTES:,} a points file may have",
                              "too_large", size=size, limit=MAX_POINTS_BYTES)
    if size == 0:
        raise PointsFileError(f"{path.name} is empty", "empty")
    points = _read_npy(path) if suffix == ".npy" else _read_csv(path)
    if len(points) == 0:
        raise PointsFileError(f"{path.name} holds no points", "empty")
    if not np.isfinite(points).all():
        raise PointsFileError(f"{path.name} holds NaN or infinity", "not_finite")
    return points


def _check_shape(shape: tuple[int, ...], name: str) -> None:
    columns = shape[1] if len(shape) == 2 else (1 if len(shape) == 1 else 0)
    if len(shape) != 2 or shape[1] != 2:
        if len(shape) in (1, 2) and shape[0] == 0:
            raise PointsFileError(f"{name} holds no points", "empty")
        raise PointsFileError(f"{name} has {columns} columns, not 2 (x, y)", "columns", columns=columns)
    if shape[0] > MAX_POINTS_ROWS:
        raise PointsFileError(f"{name} has more than {MAX_POINTS_ROWS:,} rows", "too_many_rows",
                              limit=MAX_POINTS_ROWS)


def _read_npy(path: Path) -> np.ndarray:
    """A .npy's (N, 2) real array, its header checked before its data are mapped."""
    try:
        with open(path, "rb") as f:
            major, _ = np.lib.format.read_magic(f)
            read_header = {1: np.lib.format.read_array_header_1_0, 2: np.lib.format.read_array_header_2_0}
            if major not in read_header:
                raise ValueError(f"unknown .npy version {major}")
            shape, _, dtype = read_header[major](f)
    except (OSError, ValueError, EOFError):
        raise PointsFileError(f"{path.name} is not a .npy array", "unreadable") from None
    if dtype.kind not in "fiu":  # no objects (pickles), strings, complex numbers or records
        raise PointsFileError(f"{path.name} holds {dtype}, not numbers", "not_numeric")
    _check_shape(tuple(shape), path.name)
    try:
        return np.asarray(np.load(path, allow_pickle=False, mmap_mode="r"), dtype=np.float64)
    except (OSError, ValueError):  # a header that promises more data than the file holds
        raise PointsFileError(f"{path.name} is not a whole .npy array", "unreadable") from None


_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$|^\s*[-+]?(nan|inf|infinity)\s*$", re.I)


def _read_csv(path: Path) -> np.ndarray:
    """A CSV's (N, 2) numbers, parsed by ``np.loadtxt`` with a row cap of MAX_POINTS_ROWS + 1."""
    try:
        with open(path, encoding="utf-8-sig", errors="strict") as f:
            first = next((line for line in f if line.strip() and not line.lstrip().startswith("#")), "")
    except (OSError, UnicodeDecodeError):
        raise PointsFileError(f"{path.name} is not a text file of numbers", "not_numeric") from None
    if not first:
        raise PointsFileError(f"{path.name} holds no points", "empty")
    delimiter = "," if "," in first else (";" if ";" in first else None)
    fields = first.strip().split(delimiter)
    header = not any(_NUMBER.match(v) for v in fields)  # a first line with no number ("x,y") is a header
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an empty file's "no data" warning: refused below as empty
            with open(path, encoding="utf-8-sig") as f:
                lines = (line for line in f if line.strip() and not line.lstrip().startswith("#"))
                if header:
                    next(lines, None)
                points = np.loadtxt(lines, delimiter=delimiter, dtype=np.float64, ndmin=2,
                                    max_rows=MAX_POINTS_ROWS + 1)
    except ValueError as e:
        if "number of columns" in str(e):
            raise PointsFileError(f"{path.name}: its rows do not all have 2 columns", "columns",
                                  columns=len(fields)) from None
        raise PointsFileError(f"{path.name} holds a value that is not a number", "not_numeric") from None
    if points.size == 0:
        raise PointsFileError(f"{path.name} holds no points", "empty")
    _check_shape(points.shape, path.name)
    return points


def scale_into_view(points: np.ndarray, bounds: tuple[float, float, float, float] = BOUNDS_2D["drawn"]
                    ) -> np.ndarray:
    """``points`` moved and scaled, the same factor on both axes (shapes keep their proportions), so that the
    centre of their bounding box is the view's centre and their longer side spans VIEW_FILL (80%) of the view's
    shorter side: the ``drawn`` view is [−2, 2]², so the points end inside [−1.6, 1.6]². Points that are all one
    point are moved to the centre, unscaled.

    Args:
        points: (N, 2) finite numbers. bounds: the view (x0, x1, y0, y1).
    Returns:
        (N, 2) float32.
    """
    x0, x1, y0, y1 = bounds
    lo, hi = points.min(axis=0), points.max(axis=0)
    span = float((hi - lo).max())
    half_view = min(x1 - x0, y1 - y0) / 2
    scale = VIEW_FILL * 2 * half_view / span if span > 0 else 1.0
    centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    return ((points - (lo + hi) / 2) * scale + centre).astype(np.float32)


def save_points(points: np.ndarray, folder: str | Path) -> Path:
    """``points`` ((N, 2) float32, as :func:`scale_into_view` gives them) as a .npy for the ``drawn`` dataset's
    ``data_path``, named after its content, written to a temporary file and renamed: a run that trains on an earlier
    file never sees it change, and a reader never sees half a file.

    Raises:
        OSError: the file cannot be written.
    """
    points = np.ascontiguousarray(points, dtype=np.float32)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"points-{hashlib.sha256(points.tobytes()).hexdigest()[:16]}.npy"
    if not path.is_file():
        part = path.with_suffix(".part.npy")
        np.save(part, points)
        os.replace(part, path)
    return path
