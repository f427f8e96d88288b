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
from torchvision.datasets import MNIST, FashionMNIST

from ganapp.gan.data import (DataStream, DatasetUnavailableError, load_image_folder, load_mnist, load_mnist_10k,
                         load_torchvision)
from ganapp.gan.points2d import BOUNDS_2D, grid25, ring8


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


@pytest.mark.parametrize("name,cls", [("mnist", MNIST), ("fashion_mnist", FashionMNIST)])
def test_download_path_with_a_local_mirror(tmp_path, monkeypatch, http_mirror, name, cls):
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
    for filename, (magic, arr) in arrays.items():
        _idx_gz(mirror / filename, magic, arr)
        resources.append((filename, hashlib.md5((mirror / filename).read_bytes()).hexdigest()))
    monkeypatch.setattr(cls, "mirrors", [url])
    monkeypatch.setattr(cls, "resources", resources)
    monkeypatch.setenv("GANAPP_DATA_DIR", str(tmp_path / "data"))
    images, labels = load_torchvision(name, download=True)
    assert (tmp_path / "data" / cls.__name__ / "raw" / "train-images-idx3-ubyte").is_file()
    np.testing.assert_array_equal(images, arrays["train-images-idx3-ubyte.gz"][1])
    np.testing.assert_array_equal(labels, arrays["train-labels-idx1-ubyte.gz"][1])


@pytest.mark.parametrize("name,folder,a_file", [("fashion_mnist", "FashionMNIST/raw", "train-images-idx3-ubyte"),
                                                ("cifar10", "cifar-10-batches-py", "data_batch_1")])
def test_other_torchvision_datasets_name_folder_and_files_when_missing(tmp_path, monkeypatch, name, folder, a_file):
    monkeypatch.setenv("GANAPP_DATA_DIR", str(tmp_path))
    with pytest.raises(DatasetUnavailableError) as e:
        load_torchvision(name, download=False)
    assert str(tmp_path / folder) in str(e.value) and a_file in str(e.value)


def _pngs(folder, n, size=(40, 30)):
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (*size[::-1], 3), dtype=np.uint8)).save(folder / f"img{i}.png")


def test_folder_of_images_skips_non_images_and_crops_to_size(tmp_path):
    _pngs(tmp_path / "pics" / "sub", 5)
    (tmp_path / "pics" / "notes.txt").write_text("not an image")
    (tmp_path / "pics" / "broken.png").write_bytes(b"\x89PNG but not really")
    x = load_image_folder(tmp_path / "pics", 32, 3)
    assert x.shape == (5, 3, 32, 32) and x.dtype == np.uint8
    assert load_image_folder(tmp_path / "pics", 28, 1).shape == (5, 1, 28, 28)


def test_zip_of_images(tmp_path):
    import zipfile

    _pngs(tmp_path / "pics", 3)
    with zipfile.ZipFile(tmp_path / "pics.zip", "w") as zf:
        for p in (tmp_path / "pics").iterdir():
            zf.write(p, f"inner/{p.name}")
        zf.writestr("inner/readme.md", "# not an image")
    s = DataStream("folder", image_size=64, channels=3, data_path=str(tmp_path / "pics.zip"))
    assert s.size == 3 and s.next(2).shape == (2, 3, 64, 64)
    x, y = s.next_labelled(2)
    assert y is None


def test_folder_without_images_is_a_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "a.txt").write_text("x")
    with pytest.raises(DatasetUnavailableError, match="no readable images in"):
        load_image_folder(tmp_path / "empty", 32, 3)
    with pytest.raises(DatasetUnavailableError, match="neither a folder nor a .zip"):
        load_image_folder(tmp_path / "missing", 32, 3)


def test_mnist_converts_to_rgb_and_other_sizes():
    s = DataStream("mnist_10k", image_size=32, channels=3)
    x = s.next(4)
    assert x.shape == (4, 3, 32, 32)
    assert torch.equal(x[:, 0], x[:, 1]) and torch.equal(x[:, 1], x[:, 2])  # grey copied to R, G and B
