"""A visitor's points from a CSV or .npy: read with numpy, refused with a reason for each kind of bad file (a file
that lies about its size costs nothing), scaled into the view, and saved as the drawn dataset's points."""

import numpy as np
import pytest
import torch

from ganapp.gan.data import DataStream, load_drawing
from ganapp.gan.points_file import (MAX_POINTS_BYTES, MAX_POINTS_ROWS, PointsFileError, read_points, save_points,
                                    scale_into_view)

BAD_CSV = {
    "not_numeric": "x,y\n1,2\n3,abc\n",
    "not_finite": "1,2\nnan,3\n",
    "columns": "1,2,3\n4,5,6\n",
    "empty": "x,y\n\n",
}


def test_a_csv_with_a_header_and_a_npy_are_read_as_points(tmp_path):
    (tmp_path / "p.csv").write_text("x,y\n# a comment\n1,2\n-3.5,4e1\n")
    (tmp_path / "q.txt").write_text("1 2\n3 4\n")
    np.save(tmp_path / "r.npy", np.arange(8, dtype=np.int32).reshape(4, 2))
    np.testing.assert_array_equal(read_points(tmp_path / "p.csv"), [[1, 2], [-3.5, 40]])
    np.testing.assert_array_equal(read_points(tmp_path / "q.txt"), [[1, 2], [3, 4]])
    assert read_points(tmp_path / "r.npy").dtype == np.float64 and read_points(tmp_path / "r.npy").shape == (4, 2)


@pytest.mark.parametrize("reason", list(BAD_CSV))
def test_each_bad_csv_is_refused_with_its_reason(tmp_path, reason):
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV[reason])
    with pytest.raises(PointsFileError) as e:
        read_points(path)
    assert e.value.reason == reason


def test_too_many_rows_too_many_bytes_an_empty_file_and_bad_npys_are_refused(tmp_path, monkeypatch):
    cases = {}
    (tmp_path / "many.csv").write_text("1,2\n" * (MAX_POINTS_ROWS + 1))
    cases["many.csv"] = ("too_many_rows", {"limit": MAX_POINTS_ROWS})
    (tmp_path / "empty.csv").write_bytes(b"")
    cases["empty.csv"] = ("empty", {})
    with open(tmp_path / "huge.csv", "wb") as f:  # a sparse file: its size is refused before a byte is read
        f.truncate(MAX_POINTS_BYTES + 1)
    cases["huge.csv"] = ("too_large", {"size": MAX_POINTS_BYTES + 1, "limit": MAX_POINTS_BYTES})
    np.save(tmp_path / "big.npy", np.zeros((MAX_POINTS_ROWS + 1, 2), np.float32))
    cases["big.npy"] = ("too_many_rows", {"limit": MAX_POINTS_ROWS})
    np.save(tmp_path / "three.npy", np.zeros((5, 3)))
    cases["three.npy"] = ("columns", {"columns": 3})
    np.save(tmp_path / "text.npy", np.array([["a", "b"]]))
    cases["text.npy"] = ("not_numeric", {})
    np.save(tmp_path / "nan.npy", np.array([[1.0, np.inf]]))
    cases["nan.npy"] = ("not_finite", {})
    (tmp_path / "points.json").write_text("[[1, 2]]")
    cases["points.json"] = ("suffix", {"suffixes": ".csv, .txt, .npy"})
    # a .npy whose header promises 10^9 rows of 2 float64 and holds 16 bytes: refused from its header
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000, 2), }"
    header += " " * (118 - len(header) - 1) + "\n"
    (tmp_path / "lie.npy").write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode()
                                       + bytes(16))
    cases["lie.npy"] = ("too_many_rows", {"limit": MAX_POINTS_ROWS})
    header = header.replace("1000000000", "1000      ")  # one that is small enough, but lies about its data
    (tmp_path / "short.npy").write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little")
                                         + header.encode() + bytes(16))
    cases["short.npy"] = ("unreadable", {})
    header_only = {"huge.csv", "big.npy", "three.npy", "text.npy", "lie.npy", "points.json"}  # no data read
    for name, (reason, params) in cases.items():
        with monkeypatch.context() as m:
            if name in header_only:
                m.setattr(np, "load", lambda *a, **k: pytest.fail(f"np.load of {name}, refused by its header"))
            with pytest.raises(PointsFileError) as e:
                read_points(tmp_path / name)
        assert (e.value.reason, e.value.params) == (reason, params), name


def test_points_are_scaled_into_the_view_keeping_their_proportions():
    points = np.array([[10.0, 100.0], [30.0, 110.0], [20.0, 105.0]])
    scaled = scale_into_view(points)  # the drawn view is [-2, 2]²: the longer side spans 80% of it
    assert scaled.dtype == np.float32
    np.testing.assert_allclose(scaled, [[-1.6, -0.8], [1.6, 0.8], [0.0, 0.0]], atol=1e-6)
    np.testing.assert_allclose(scale_into_view(np.array([[5.0, 5.0], [5.0, 5.0]])), 0.0)  # one point: centred


def test_saved_points_are_the_drawn_dataset_that_training_samples(tmp_path):
    points = scale_into_view(np.array([[0.0, 0.0], [10.0, 10.0]]))
    path = save_points(points, tmp_path)
    assert save_points(points, tmp_path) == path and path.suffix == ".npy"  # named by content, written once
    np.testing.assert_array_equal(load_drawing(path), points)
    stream = DataStream("drawn", torch.device("cpu"), seed=0, data_path=str(path))
    x = stream.next_labelled(256)[0]
    near = torch.cdist(x, torch.from_numpy(points)).min(dim=1).values
    assert near.max() < 0.15  # every real sample is one of the two points, jittered
