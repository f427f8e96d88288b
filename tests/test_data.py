import functools
import gzip
import hashlib
import http.server
import math
import struct
import threading

import numpy as np
import pytest
import torch
from torchvision.datasets import MNIST

from ganapp.data import BOUNDS_2D, DataStream, DatasetUnavailableError, grid25, load_mnist, load_mnist_10k, ring8


def test_shipped_mnist_10k_is_ten_thousand_labelled_digits():
    images, labels = load_mnist_10k()
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and set(np.unique(labels)) == set(range(10))
    assert np.bincount(labels).min() > 800  # every class is well represented


def test_image_stream_serves_normalised_epochs():
    s = DataStream("mnist_10k", seed=0)
    x = s.next(32)
    assert x.shape == (32, 1, 28, 28) and x.dtype == torch.float32
    assert x.min() >= -1 and x.max() <= 1 and x.min() == -1  # background maps to −1
    for _ in range(10000 // 32):
        s.next(32)
    assert s.epoch == pytest.approx((10000 // 32 + 1) * 32 / 10000)


def test_stream_is_reproducible_by_seed():
    a, b, c = DataStream("ring8", seed=3), DataStream("ring8", seed=3), DataStream("ring8", seed=4)
    assert torch.equal(a.next(50), b.next(50))
    assert not torch.equal(a.next(50), c.next(50))


def test_ring8_and_grid25_are_the_pacgan_mixtures():
    r, g = ring8(), grid25()
    assert r.std == 0.01 and g.std == 0.05
    expected_ring = [(math.cos(2 * math.pi * i / 8), math.sin(2 * math.pi * i / 8)) for i in range(8)]
    np.testing.assert_allclose(r.means, expected_ring, atol=1e-12)
    expected_grid = sorted((-4.0 + 2 * i, -4.0 + 2 * j) for i in range(5) for j in range(5))
    assert sorted(map(tuple, g.means)) == expected_grid


@pytest.mark.parametrize("name,mixture", [("ring8", ring8), ("grid25", grid25)])
def test_2d_samples_sit_on_their_modes_with_the_right_spread(name, mixture):
    mix = mixture()
    x = DataStream(name, seed=0).next(20000).numpy()
    d = np.linalg.norm(x[:, None, :] - mix.means[None], axis=2)
    nearest = d.argmin(1)
    counts = np.bincount(nearest, minlength=len(mix.means))
    assert counts.min() > 0.7 * len(x) / len(mix.means)  # roughly uniform over modes
    residual = x - mix.means[nearest]
    assert residual.std() == pytest.approx(mix.std, rel=0.05)


@pytest.mark.parametrize("name", ["spiral", "moons", "gaussian"])
def test_teaching_shapes_fit_their_plot_bounds(name):
    x = DataStream(name, seed=0).next(2000).numpy()
    x0, x1, y0, y1 = BOUNDS_2D[name]
    inside = (x[:, 0] > x0) & (x[:, 0] < x1) & (x[:, 1] > y0) & (x[:, 1] < y1)
    assert inside.mean() > 0.97


def test_mnist_read_from_shared_data(shared_mnist_root):
    images, labels = load_mnist(shared_mnist_root, download=False)
    assert images.shape == (60000, 28, 28) and labels.shape == (60000,)
    shipped, shipped_labels = load_mnist_10k()
    assert np.array_equal(images[:10000], shipped) and np.array_equal(labels[:10000], shipped_labels)


def test_mnist_through_gananapp_data_dir(shared_mnist_root, monkeypatch):
    monkeypatch.setenv("GANAPP_DATA_DIR", str(shared_mnist_root))
    s = DataStream("mnist", seed=0, download=False)
    assert s.size == 60000 and s.next(4).shape == (4, 1, 28, 28)


def test_missing_dataset_message_names_folder_and_files(tmp_path, monkeypatch):
    monkeypatch.setattr(MNIST, "mirrors", [(tmp_path / "no-mirror").as_uri() + "/"])
    with pytest.raises(DatasetUnavailableError) as e:
        load_mnist(tmp_path / "empty", download=True)
    msg = str(e.value)
    assert str(tmp_path / "empty" / "MNIST" / "raw") in msg
    assert "train-images-idx3-ubyte" in msg and "train-labels-idx1-ubyte" in msg and "GANAPP_DATA_DIR" in msg
    with pytest.raises(DatasetUnavailableError, match="downloading is off"):
        load_mnist(tmp_path / "empty2", download=False)


def _idx_gz(path, magic, array):
    """Write ``array`` (uint8) as a gzipped IDX file, the format MNIST is distributed in."""
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def http_mirror(tmp_path):
    """A folder served over HTTP on localhost, standing in for an MNIST mirror. Yields (folder, base URL)."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_mnist_download_path_with_a_local_mirror(tmp_path, monkeypatch, http_mirror):
    """The real download code, pointed at a localhost mirror of tiny IDX files instead of the internet."""
    mirror, url = http_mirror
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte.gz": (0x803, rng.integers(0, 256, (12, 28, 28))),
        "train-labels-idx1-ubyte.gz": (0x801, rng.integers(0, 10, (12,))),
        "t10k-images-idx3-ubyte.gz": (0x803, rng.integers(0, 256, (3, 28, 28))),
        "t10k-labels-idx1-ubyte.gz": (0x801, rng.integers(0, 10, (3,))),
    }
    resources = []
    for name, (magic, arr) in arrays.items():
        _idx_gz(mirror / name, magic, arr)
        resources.append((name, hashlib.md5((mirror / name).read_bytes()).hexdigest()))
    monkeypatch.setattr(MNIST, "mirrors", [url])
    monkeypatch.setattr(MNIST, "resources", resources)
    monkeypatch.setenv("GANAPP_DATA_DIR", str(tmp_path / "data"))
    images, labels = load_mnist(download=True)
    assert (tmp_path / "data" / "MNIST" / "raw" / "train-images-idx3-ubyte").is_file()
    np.testing.assert_array_equal(images, arrays["train-images-idx3-ubyte.gz"][1])
    np.testing.assert_array_equal(labels, arrays["train-labels-idx1-ubyte.gz"][1])
