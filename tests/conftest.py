"""Shared fixtures: tiny configs, the MNIST files beside the checkout, and the app served on localhost."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ganapp.gan.config import GANConfig  # noqa: E402

SHARED_DATA = ROOT.parent / "shared" / "data"

torch.set_num_threads(1)


def tiny_2d(**overrides) -> GANConfig:
    """A ring8 MLP GAN small enough to step hundreds of times a second."""
    base = dict(g_width=8, d_width=8, batch_size=16, n_fixed=16)
    base.update(overrides)
    return GANConfig.default_for("ring8", **base)


def tiny_image(**overrides) -> GANConfig:
    """A DCGAN on the shipped mnist_10k with widths 4, batch 8."""
    base = dict(dataset="mnist_10k", model="dcgan", z_dim=8, g_width=4, d_width=4, batch_size=8, n_fixed=16,
                device="cpu")
    base.update(overrides)
    return GANConfig(**base)


def pytest_xdist_make_scheduler(config, log):
    """With the README's ``-n 2`` (pytest-xdist), the tests that drive chromium (modules named ``*browser*``) are
    two units of work, test_browser_page.py and the others (about as long), each run one test after another on one
    worker, while every other test goes to whichever worker is free: never more than two browsers and their servers
    share CI's two cores. (xdist's own ``--dist loadgroup`` does not group under pytest 9, whose node ids it can no
    longer rename.)"""
    from xdist.scheduler import LoadScopeScheduling

    class BrowserTestsTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
            if "browser" not in module:
                return nodeid
            return "browser-page" if module == "test_browser_page.py" else "browser"

    return BrowserTestsTogether(config, log)


# No wait gives up before this many seconds, whatever timeout a test names: a timeout that assumed this machine's
# speed failed on a fresh clone beside a CPU hog, and a wait on a state that comes costs nothing more when it does.
WAIT_FLOOR_S = float(os.environ.get("GANAPP_TEST_WAIT_S", "60"))


def wait_until(predicate, timeout_s: float = 10.0, every_s: float = 0.02) -> bool:
    """Poll ``predicate`` until it is true or ``max(timeout_s, WAIT_FLOOR_S)`` passes; returns its last value. For
    states that come: a test never waits with it for something not to happen."""
    deadline = time.monotonic() + max(timeout_s, WAIT_FLOOR_S)
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every_s)
    return bool(predicate())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def shared_mnist_root() -> Path:
    """../shared/data when it holds MNIST/raw, else the test is skipped."""
    if not (SHARED_DATA / "MNIST" / "raw" / "train-images-idx3-ubyte").is_file():
        pytest.skip("../shared/data/MNIST/raw is not present")
    return SHARED_DATA


SERVED_MAX_UPLOAD_MB = 1  # the served app's upload limit, small enough for a test to exceed


@pytest.fixture(scope="session")
def served_app(tmp_path_factory):
    """The real app, launched once on localhost with a fast reaper and a state folder of its own.

    Yields (url, demo); demo.ganapp.registry is the live registry.
    """
    import app as app_module
    from ganapp.ui.layout import CSS

    demo = app_module.create_demo(idle_timeout_s=600, reap_every_s=0.2, poll_every_s=0.5,
                                  state_dir=tmp_path_factory.mktemp("state"))
    port = free_port()
    demo.queue(default_concurrency_limit=4).launch(server_name="127.0.0.1", server_port=port,
                                                   prevent_thread_lock=True, quiet=True, css=CSS,
                                                   **app_module.launch_settings(max_upload_mb=SERVED_MAX_UPLOAD_MB))
    yield f"http://127.0.0.1:{port}/", demo
    demo.ganapp.registry.close()
    demo.close()


def value(out):
    """A handler output's value, whether it came as a gr.update (a visibility change) or as the plain value."""
    return out["value"] if isinstance(out, dict) and out.get("__type__") == "update" else out


TEACHER_TOKEN = "a-teacher-token-for-tests"


@pytest.fixture(scope="session")
def served_teacher_app(tmp_path_factory):
    """The real app with a teacher token (its /teacher page and teacher API on), launched once on localhost.

    Yields (url, demo).
    """
    import app as app_module
    from ganapp.ui.layout import CSS

    demo = app_module.create_demo(idle_timeout_s=600, reap_every_s=0.2, poll_every_s=0.5,
                                  state_dir=tmp_path_factory.mktemp("teacher-state"), teacher_token=TEACHER_TOKEN)
    port = free_port()
    demo.queue(default_concurrency_limit=4).launch(server_name="127.0.0.1", server_port=port,
                                                   prevent_thread_lock=True, quiet=True, css=CSS)
    yield f"http://127.0.0.1:{port}/", demo
    demo.ganapp.registry.close(save=False)
    demo.close()


# The training form's values, in the order the handlers take them, for a tiny ring8 run:
# dataset, model, loss, z_dim, batch, lr_g, lr_d, β1, β2, n_critic, g_steps, seed, widths, hidden layers,
# activations, optimizer, noise, λ, γ, r1_every, g_ema, lr_decay,
# conditional, bf16, image size, channels, uploaded files
CONTROLS = ["ring8", "mlp", "non_saturating", 2, 16, 1e-3, 1e-3, 0.5, 0.999, 1, 1, 0, 8, 8, "", "", "relu",
            "leaky_relu", "adam", "gaussian", 10.0, 0.0, 1, 0.0, 0.0, False, False, 28, 1, None, "scratch"]


def req(name):
    """A stand-in for the gr.Request of visitor ``name``'s page, as handlers read it."""
    from types import SimpleNamespace

    return SimpleNamespace(session_hash=name)


@pytest.fixture(scope="session")
def worker():
    """One training worker process for the whole test session, as production trains (a WorkerService); the handler
    and page tests' registries share it (started at first use, about 3 s)."""
    from ganapp.service.worker import WorkerService

    engine = WorkerService()
    yield engine
    engine.close()


def worker_registry(worker, **kwargs):
    """A Registry of its own whose runs train in the shared ``worker`` (which its close leaves running)."""
    from ganapp.host.registry import Registry

    return Registry(engine=worker, owns_engine=False, **{"idle_timeout_s": 60, **kwargs})


@pytest.fixture
def app(tmp_path, worker):
    """A GanApp over a registry of its own, its runs training in the shared worker as production's do (closed after
    the test)."""
    from ganapp.ui.handlers import GanApp

    registry = worker_registry(worker)
    yield GanApp(registry, tmp_path)
    registry.close(save=False)


@pytest.fixture
def local_app(tmp_path):
    """A GanApp whose runs train in this process, for the unit tests that read a run's insides (its trainer, its
    stack) or patch them."""
    from ganapp.host.registry import Registry
    from ganapp.ui.handlers import GanApp

    registry = Registry(idle_timeout_s=60)
    yield GanApp(registry, tmp_path)
    registry.close(save=False)


@pytest.fixture(scope="session")
def served_app_uploads(tmp_path_factory):
    """The real app (training in its worker process) with a teacher token and an upload limit of 8 MB, enough for a
    shipped checkpoint (the served_app's 1 MB is not), launched once on localhost. For the tests of files that lie
    (tests/security).

    Yields (url, demo).
    """
    import app as app_module
    from ganapp.ui.layout import CSS

    demo = app_module.create_demo(idle_timeout_s=600, reap_every_s=0.2, poll_every_s=0.5,
                                  state_dir=tmp_path_factory.mktemp("uploads-state"), teacher_token=TEACHER_TOKEN)
    port = free_port()
    demo.queue(default_concurrency_limit=4).launch(server_name="127.0.0.1", server_port=port,
                                                   prevent_thread_lock=True, quiet=True, css=CSS,
                                                   **app_module.launch_settings(max_upload_mb=8))
    yield f"http://127.0.0.1:{port}/", demo
    demo.ganapp.registry.close(save=False)
    demo.close()


@pytest.fixture
def never_decoded(monkeypatch):
    """Fails any decode of an image wider than 4,000 pixels: its size must be checked from its header first."""
    from PIL import ImageFile

    load = ImageFile.ImageFile.load

    def guarded(self):
        assert self.size[0] <= 4000, f"an image of {self.size} was decoded"
        return load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", guarded)


@pytest.fixture
def school(tmp_path, worker):
    """A class through the test session's training worker: (GanApp, Classroom, TeacherHandlers), the teacher's token
    TEACHER_TOKEN; the registry closes after the test."""
    from ganapp.host.classroom import Classroom
    from ganapp.host.teacher_gate import TeacherGate
    from ganapp.ui.handlers import GanApp
    from ganapp.ui.teacher import TeacherHandlers

    registry = worker_registry(worker)
    room = Classroom(registry, TeacherGate(TEACHER_TOKEN))
    app = GanApp(registry, tmp_path, classroom=room)
    yield app, room, TeacherHandlers(app, room)
    registry.close()
