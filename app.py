"""ganapp: train a GAN live in the browser and explore its latent space.

Run ``python app.py`` and open http://127.0.0.1:7860. This file is also the Hugging Face Spaces entry point.

Environment:
    GANAPP_IDLE_TIMEOUT_S: seconds after which an unseen visitor's runs pause (and are autosaved), then leave memory
        (default 900). A closed page's run trains on until then: a reload finds it.
    GANAPP_STATE_DIR: where runs are autosaved, so that a restart loses at most a minute (default
        ~/.cache/ganapp/state; on a Space, a folder under the persistent /data). ``off``: no autosaves, and a
        reload starts over.
    GANAPP_GRACE_S: seconds after which the autosave of a visitor who has not come back is deleted (default 604800,
        a week).
    GANAPP_STATE_MAX_MB: the most the autosaves may take on disk, in MB (default 2048); beyond it the oldest idle
        runs are deleted first.
    GANAPP_MAX_RUNS, GANAPP_MAX_STEPS, GANAPP_MAX_BATCH, GANAPP_MAX_IMAGE_SIZE, GANAPP_MAX_MODEL_MB: a host's
        limits (defaults 60 runs in memory, 500,000 steps per run, batch 512, images 64 px, 2048 MB per run's model
        as estimated from its settings before it is built; see ganapp.host.limits.Limits and ganapp.gan.memory).
    GANAPP_TEACHER_TOKEN: turns the teacher's page on, at /teacher, for whoever gives this token (at least 12
        characters). Unset, the page and its API do not exist.
    GANAPP_TRUSTED_PROXIES: the reverse proxies (IP addresses or networks, comma-separated) whose X-Forwarded-For
        header gives a client's address; unset, none is believed, and a client's address is the connection's.
    GANAPP_CLASSROOM: ``auto`` (default): while 4 or more visitors have the page open, a new 2D run at its dataset's
        default sizes gets smaller networks (width 64, batch 128) so that a whole class trains at full speed; ``1``
        always; ``0`` never.
    GANAPP_TORCH_THREADS: torch intra-op threads of request handlers and lone training steps (default 1).
    GANAPP_STACK_THREADS: torch intra-op threads of a stacked step of many runs (default: every core but one,
        at least 1, so that the page keeps a core).
    GANAPP_DATA_DIR: where downloadable datasets (mnist) are read from and downloaded to.
    GANAPP_DOWNLOAD: whether mnist, fashion_mnist and cifar10 may be downloaded when their files are not in
        GANAPP_DATA_DIR: ``auto`` (default: when torchvision's download hosts answer at start), ``1``, ``0``. The
        Train tab offers only the datasets this server can load.
    GANAPP_MAX_UPLOAD_MB: the largest file a visitor may upload, in MB (default 50); larger ones are refused.
    GANAPP_MAX_PAGES: the most pages (browser tabs, API clients) whose Gradio state is kept at once (default 500,
        each holding a copy of every component's config); beyond it the least recently used page's is dropped. A
        page's state is freed anyway once it closed, or went quiet for GANAPP_IDLE_TIMEOUT_S.
    GRADIO_ANALYTICS_ENABLED: ``True`` turns Gradio's usage analytics on; ganapp keeps them off by default (schools
        care where data goes).
    GANAPP_ROOM: this server's room, when several classes are served at once (``python -m ganapp rooms``, see
        docs/scale.md): 1 to 32 lowercase letters, digits and hyphens. The page and the teacher's page show it, and
        the room's autosaves and secret live in GANAPP_STATE_DIR/rooms/<room>, apart from every other room's.
    GRADIO_ROOT_PATH: the path this server is reached at behind a reverse proxy (e.g. ``/room-1``; Gradio's own).
    GANAPP_WORKER: ``1`` (default; ``0`` on Windows) trains every run in a worker process beside the web server,
        ``0`` in the web server's own process (see ganapp.service.worker).
    GANAPP_ZEROGPU: ``1`` trains each run in chunks of ``@spaces.GPU`` calls, in this process (the default on a
        ZeroGPU Space, ``0`` turns it off there); GANAPP_ZEROGPU_ON_EMPTY: ``cpu`` (default) or ``pause``, what a run
        does when the GPU quota is spent (see ganapp.engine.zerogpu and docs/hosting.md).
    GANAPP_RAY_ADDRESS: trains every run on a Ray cluster instead (``auto``: the cluster this node joined with
        ``ray start``; ``ray://host:10001``; ``local``: a fresh one on this machine; see ganapp.service.ray_service).
        Unset: Ray is not imported. GANAPP_RAY_NUM_GPUS (a number > 0, e.g. 0.25): the GPUs of each engine; unset,
        one engine per node, on its CPUs. The engines autosave their runs to GANAPP_STATE_DIR/engines, which may be
        an fsspec URL (s3://, gs://, file://) every node reads.
    GRADIO_SERVER_NAME, GRADIO_SERVER_PORT: where to serve (Gradio's own variables; by default 127.0.0.1, this
        computer only: ``0.0.0.0`` serves a class on the network).
"""

from __future__ import annotations

import importlib
import ipaddress
import logging
import os
import signal
import threading
from pathlib import Path

import gradio as gr

from ganapp.engine import runtime
from ganapp.engine.engine import Engine
from ganapp.engine.zerogpu import zerogpu_engine
from ganapp.gan.config import GANConfig
from ganapp.gan.memory import model_memory
from ganapp.gan.metrics import live_scorer
from ganapp.host.autosave import StateStore, default_state_dir
from ganapp.host.classroom import Classroom
from ganapp.host.teacher_gate import TeacherGate
from ganapp.host.limits import Limits, downloads_allowed
from ganapp.host.registry import Registry
from ganapp.host.rooms import room_name, room_state_dir
from ganapp.service.protocol import RunLostError, RunService
from ganapp.service.worker import WorkerService
from ganapp.ui.handlers import GanApp
from ganapp.ui.layout import CSS, build_demo

ROOT = Path(__file__).resolve().parent
CLASSROOM_CHOICES = {"auto": None, "1": True, "0": False}
WORKER_CHOICES = {"1": True, "0": False}
MAX_PAGES = 500  # pages whose Gradio state is kept at once (GANAPP_MAX_PAGES)
log = logging.getLogger("ganapp")


def analytics_enabled() -> bool:
    """Whether Gradio's usage analytics are on: only when the host sets ``GRADIO_ANALYTICS_ENABLED=True``."""
    return os.environ.get("GRADIO_ANALYTICS_ENABLED", "False").strip().lower() in ("1", "true", "yes")


# events between two summaries of Gradio's monitoring page (GRADIO_ANALYTICS_CACHE_FREQUENCY)
GRADIO_SUMMARY_EVERY = 1000


def summarise_events_rarely() -> None:
    """Have Gradio summarise its events for its monitoring page once every GRADIO_SUMMARY_EVERY events, not after
    each one (unless the host set ``GRADIO_ANALYTICS_CACHE_FREQUENCY``). Call before ``demo.queue()``.

    Gradio 6's queue keeps a record of its last 10,000 events and, by default, after every event builds a pandas
    DataFrame of all of them for the summary that only its monitoring page (``/monitoring``, off unless the host
    turns it on) reads. A class polls several times a second per student, so the table stays full and rebuilding
    it after each event (``Queue.compute_analytics_summary``) takes a large share of the web process, on the thread
    pool that also runs the ticks (measured in benchmarks/README.md). Built once every 1,000 events it is cheap, and
    the monitoring page, when a host turns it on, shows a summary at most 1,000 events old."""
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(GRADIO_SUMMARY_EVERY))


def launch_settings(max_upload_mb: float | None = None) -> dict:
    """The ``launch()`` arguments a host sets through the environment: ``max_file_size`` from
    ``GANAPP_MAX_UPLOAD_MB`` (default 50 MB; ``max_upload_mb`` overrides it), and ``state_session_capacity`` from
    ``GANAPP_MAX_PAGES`` (default 500; Gradio's own, 10,000 pages, would hold gigabytes of component configs).

    Raises:
        SystemExit: GANAPP_MAX_UPLOAD_MB is not a number > 0, or GANAPP_MAX_PAGES not an integer ≥ 1.
    """
    if max_upload_mb is None:
        max_upload_mb = _env_number("GANAPP_MAX_UPLOAD_MB", 50)
    elif not max_upload_mb > 0:
        raise SystemExit(f"max_upload_mb={max_upload_mb!r} is out of range: it must be a number of MB > 0")
    pages = _env_number("GANAPP_MAX_PAGES", MAX_PAGES)
    if not pages.is_integer():
        raise SystemExit(f"GANAPP_MAX_PAGES={os.environ['GANAPP_MAX_PAGES']!r} is out of range: it must be an "
                         "integer ≥ 1")
    return {"max_file_size": int(max_upload_mb * 1024 * 1024), "state_session_capacity": int(pages)}


def _env_number(name: str, default: float) -> float:
    """A host's number setting, > 0.

    Raises:
        SystemExit: it is set to something other than a number > 0.
    """
    raw = os.environ.get(name, str(default))
    try:
        number = float(raw)
    except ValueError:
        number = float("nan")
    if not number > 0:
        raise SystemExit(f"{name}={raw!r} is out of range: it must be a number > 0")
    return number


def current_room(room: str | None = None) -> str | None:
    """This server's room: ``room``, else ``GANAPP_ROOM`` (unset or empty: None, a single host).

    Raises:
        SystemExit: the name is not 1 to 32 lowercase letters, digits and hyphens.
    """
    raw = room if room is not None else os.environ.get("GANAPP_ROOM", "")
    if not raw:
        return None
    try:
        return room_name(raw)
    except ValueError as e:
        raise SystemExit(f"GANAPP_ROOM: {e}") from None


def state_store(state_dir: str | Path | None = None, room: str | None = None) -> StateStore | None:
    """The autosave folder: ``state_dir``, else ``GANAPP_STATE_DIR`` (``off``: None), else the default, capped at
    ``GANAPP_STATE_MAX_MB``; a room's is its sub-folder ``rooms/<room>`` (:func:`ganapp.host.rooms.room_state_dir`).

    Raises:
        SystemExit: the folder cannot be created, or GANAPP_STATE_MAX_MB is not a number > 0.
    """
    if state_dir is None and os.environ.get("GANAPP_STATE_DIR", "").strip().lower() == "off":
        return None
    root = room_state_dir(Path(state_dir) if state_dir is not None else default_state_dir(), room)
    max_mb = _env_number("GANAPP_STATE_MAX_MB", 2048)
    try:
        return StateStore(root, max_bytes=int(max_mb * 1024 * 1024))
    except OSError as e:
        raise SystemExit(f"GANAPP_STATE_DIR={str(root)!r} cannot be used: {e}") from None


def host_limits() -> Limits:
    """The host's limits from GANAPP_MAX_RUNS, GANAPP_MAX_STEPS, GANAPP_MAX_BATCH, GANAPP_MAX_IMAGE_SIZE and
    GANAPP_MAX_MODEL_MB (each defaulting to :class:`~ganapp.host.limits.Limits`').

    Raises:
        SystemExit: a value that is not an allowed integer, named with its range.
    """
    values = {}
    for field in ("max_runs", "max_steps", "max_batch", "max_image_size", "max_model_mb"):
        name = f"GANAPP_{field.upper()}"
        raw = os.environ.get(name)
        if raw is None and field == "max_runs" and "GANAPP_MAX_SESSIONS" in os.environ:
            name = "GANAPP_MAX_SESSIONS"  # its name before runs were called runs, still read for hosts that set it
            raw = os.environ[name]
        if raw is None:
            continue
        try:
            values[field] = int(raw)
        except ValueError:
            raise SystemExit(f"{name}={raw!r} is not an integer") from None
    try:
        return Limits(**values)
    except ValueError as e:
        raise SystemExit(f"a GANAPP_MAX_* setting is out of range: {e}") from None


def trust_proxies(raw: str | None = None) -> list[str]:
    """Believe X-Forwarded-For only from the proxies the host names in ``raw`` (else ``GANAPP_TRUSTED_PROXIES``): IP
    addresses or networks, comma-separated; none by default. The teacher's gate slows wrong tokens by the client's
    address, so a client must not choose its own. The web server (uvicorn, which believes 127.0.0.1 unless told
    otherwise) reads the list from ``FORWARDED_ALLOW_IPS`` when it starts, so this sets that.

    Returns:
        the proxies believed.
    Raises:
        SystemExit: an entry that is not an IP address or network.
    """
    raw = os.environ.get("GANAPP_TRUSTED_PROXIES", "") if raw is None else raw
    proxies = [entry.strip() for entry in raw.split(",") if entry.strip()]
    for entry in proxies:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise SystemExit(f"GANAPP_TRUSTED_PROXIES: {entry!r} is not an IP address or network") from None
    os.environ["FORWARDED_ALLOW_IPS"] = ",".join(proxies)
    return proxies


def create_demo(idle_timeout_s: float | None = None, reap_every_s: float = 5.0, poll_every_s: float = 0.5,
                state_dir: str | Path | None = None, grace_s: float | None = None,
                autosave_every_s: float = 60.0, teacher_token: str | None = None, worker: bool | None = None,
                download: bool | None = None, room: str | None = None) -> gr.Blocks:
    """Build the registry (and its engine), the handlers and the Blocks; start the reaper, which also autosaves.
    Arguments override the environment. The teacher's page exists only with a teacher token. ``worker``: train in
    a worker process (``GANAPP_WORKER``, default 1, and 0 on Windows: the worker listens on a Unix socket; see
    :mod:`ganapp.service.worker`), or in this one. ``download``: whether datasets may be downloaded
    (``GANAPP_DOWNLOAD``, see :func:`ganapp.host.limits.downloads_allowed`). ``room``: this server's room
    (``GANAPP_ROOM``, see :func:`current_room`).

    Raises:
        SystemExit: a setting out of range, a bad room name, or a teacher token shorter than 12 characters.
    """
    if idle_timeout_s is None:
        idle_timeout_s = _env_number("GANAPP_IDLE_TIMEOUT_S", 900)
    if grace_s is None:
        grace_s = _env_number("GANAPP_GRACE_S", 7 * 86400)
    if not grace_s > idle_timeout_s:
        raise SystemExit(f"GANAPP_GRACE_S={grace_s:g} is out of range: it must be > GANAPP_IDLE_TIMEOUT_S "
                         f"({idle_timeout_s:g})")
    classroom = os.environ.get("GANAPP_CLASSROOM", "auto").strip().lower()
    if classroom not in CLASSROOM_CHOICES:
        raise SystemExit(f"GANAPP_CLASSROOM={classroom!r} is not allowed: choose one of auto, 1, 0")
    if worker is None:
        # the worker listens on a Unix socket, which multiprocessing does not offer on Windows
        choice = os.environ.get("GANAPP_WORKER", "0" if os.name == "nt" else "1").strip()
        if choice not in WORKER_CHOICES:
            raise SystemExit(f"GANAPP_WORKER={choice!r} is not allowed: choose 1 (train in a worker process) or 0")
        if choice == "1" and os.name == "nt":
            raise SystemExit("GANAPP_WORKER=1 needs Unix sockets (Linux, macOS): use 0 on Windows")
        worker = WORKER_CHOICES[choice]
    trust_proxies()
    room = current_room(room)
    if download is None:
        try:
            download = downloads_allowed()
        except ValueError as e:
            raise SystemExit(str(e)) from None
    # MNIST runs get a live quality score from the shipped classifier (ganapp.gan.metrics.MNISTJudge)
    registry = Registry(idle_timeout_s=idle_timeout_s, classroom=CLASSROOM_CHOICES[classroom],
                               engine=training_service(worker, autosave_every_s, state_dir),
                               store=state_store(state_dir, room), grace_s=grace_s, autosave_every_s=autosave_every_s,
                               limits=host_limits(), scorer_for=live_scorer, download=download)
    registry.start_reaper(every_s=reap_every_s)
    token = teacher_token if teacher_token is not None else os.environ.get("GANAPP_TEACHER_TOKEN", "")
    classroom = None
    if token:
        try:
            classroom = Classroom(registry, TeacherGate(token))
        except ValueError as e:
            raise SystemExit(f"GANAPP_TEACHER_TOKEN: {e}") from None
    demo = build_demo(GanApp(registry, ROOT / "checkpoints", classroom=classroom), poll_every_s=poll_every_s,
                      analytics_enabled=analytics_enabled(), room=room)
    demo.ganapp.serves(demo)  # a page that ended leaves nothing of Gradio's behind
    summarise_events_rarely()
    return demo


def training_service(worker: bool, autosave_every_s: float = 60.0,
                     state_dir: str | Path | None = None) -> Engine | RunService | None:
    """Where runs train: on ZeroGPU, in ``spaces.GPU`` chunks in this process (ZeroGPU forks it for each call; see
    :func:`ganapp.engine.zerogpu.zerogpu_engine`); on a Ray cluster when ``GANAPP_RAY_ADDRESS`` is set (Ray is
    imported only then; its engines autosave every ``autosave_every_s`` to ``engines/`` under ``state_dir``, else
    under ``GANAPP_STATE_DIR`` as create_demo's own autosaves); else in the training worker (``worker``), else in
    this process (None).

    Raises:
        SystemExit: a bad GANAPP_ZEROGPU setting, or GANAPP_RAY_NUM_GPUS is not a number > 0.
    """
    try:
        chunked = zerogpu_engine()
    except ValueError as e:
        raise SystemExit(str(e)) from None
    if chunked is not None:
        return chunked
    address = os.environ.get("GANAPP_RAY_ADDRESS", "").strip()
    if not address:
        return WorkerService() if worker else None
    from ganapp.service.ray_service import RayService

    num_gpus = _env_number("GANAPP_RAY_NUM_GPUS", 0) if os.environ.get("GANAPP_RAY_NUM_GPUS", "").strip() else None
    state = str(state_dir) if state_dir is not None else os.environ.get("GANAPP_STATE_DIR", "").strip()
    store = None if state.lower() == "off" else f"{(state or str(default_state_dir())).rstrip('/')}/engines"
    return RayService(address, num_gpus=num_gpus, store_url=store, autosave_every_s=autosave_every_s)


def warm_up(registry: Registry) -> None:
    """In the background once the page is being served: import what the first Start needs (torchvision, and the
    meta device's shape functions that the memory estimate of the host's limits runs on), and start the training
    worker, each seconds of work, so that the first Start need not wait for any of them."""
    threading.Thread(target=importlib.import_module, args=("torchvision.utils",), daemon=True).start()
    threading.Thread(target=model_memory, args=(GANConfig(),), daemon=True).start()

    def start_service() -> None:
        try:
            registry.service.warm()
        except RunLostError as e:  # the first Start tries again, and says so if it fails
            log.error("%s", e)
    threading.Thread(target=start_service, daemon=True).start()


def _interrupt(signum: int, frame: object) -> None:
    """The first SIGTERM or Ctrl-C: the main thread leaves ``block_thread`` and shuts down in order. Any later one
    (a process manager repeating its SIGTERM, a second Ctrl-C) is only logged: it would stop the shutdown half-way,
    with a traceback, before every run is saved."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _shutting_down)
    raise KeyboardInterrupt


def _shutting_down(signum: int, frame: object) -> None:
    log.warning("shutting down already (signal %d): every run is being saved first", signum)


def serve(demo: gr.Blocks, **launch_kwargs) -> None:
    """Launch ``demo`` and serve until Ctrl-C or SIGTERM (what a Space or a process manager sends on a restart);
    then every run of a returning visitor is paused and autosaved before the process exits. The training worker
    ignores those signals (a container's stop sends them to every process): it is ended once the runs are saved."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _interrupt)
    demo.queue(default_concurrency_limit=4).launch(css=CSS, theme=gr.themes.Soft(), prevent_thread_lock=True,
                                                   **launch_kwargs)
    warm_up(demo.ganapp.registry)
    try:
        demo.block_thread()  # returns on KeyboardInterrupt, which SIGTERM raises too
    finally:
        demo.ganapp.registry.close(save=True)


if __name__ == "__main__":
    runtime.configure()
    serve(create_demo(), **launch_settings())
