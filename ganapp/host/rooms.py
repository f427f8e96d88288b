"""Rooms: several classes at once, each in a web process of its own (a room), on one machine.

A room is one ``python app.py`` with ``GANAPP_ROOM`` set: its own port, teacher token, teacher view, visitors and
autosaves (a sub-folder of the state folder, with its own secret, so that one room's visitor tokens mean nothing in
another). Gradio's queue and a page's session state live in the web process, which is why a class is one process
and a proxy routes to it by path (docs/scale.md).

:class:`Rooms` starts the rooms on consecutive ports, serves a landing page that lists them, and stops them all on
Ctrl-C or SIGTERM: each room autosaves its runs and ends its training worker before it exits. When Ray is installed
(requirements-ray.txt) it starts a local Ray head first and gives every room its address in
``GANAPP_RAY_ADDRESS``, so that all rooms train on one cluster; otherwise each room trains in its own worker.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .landing_page import LandingPage

log = logging.getLogger("ganapp")

ROOM_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")  # a path segment, a folder name and a Kubernetes name alike
ROOM_FORM = "1 to 32 lowercase letters, digits and hyphens (a-z, 0-9, -), starting with a letter or a digit"
RAY_ADDRESS_VAR = "GANAPP_RAY_ADDRESS"
READY_TIMEOUT_S = 180.0  # a room imports torch and gradio and builds its page: tens of seconds on a busy machine
STOP_TIMEOUT_S = 90.0  # a room saves every run before it exits


def room_name(raw: str) -> str:
    """``raw`` as a room's name.

    Raises:
        ValueError: ``raw`` is not 1 to 32 lowercase letters, digits and hyphens starting with a letter or digit.
    """
    if not isinstance(raw, str) or ROOM_NAME.fullmatch(raw) is None:
        shown = repr(raw[:40] + ("…" if len(raw) > 40 else "")) if isinstance(raw, str) else type(raw).__name__
        raise ValueError(f"{shown} is not a room name: use {ROOM_FORM}")
    return raw


def room_state_dir(root: str | Path, room: str | None) -> Path:
    """The folder of one room's autosaves and secret: ``root/rooms/<room>``, or ``root`` itself without a room (a
    single host keeps its folder as it was). Rooms never share a folder, so their autosaves cannot collide and a
    restarted room restores only its own runs."""
    root = Path(root)
    return root if room is None else root / "rooms" / room_name(room)


def port_free(host: str, port: int) -> bool:
    """Whether a server can listen on ``host``:``port`` now."""
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


@dataclass
class Room:
    """One room: its name, port and teacher token, and its process once started."""

    name: str
    port: int
    teacher_token: str
    process: subprocess.Popen | None = None


class Rooms:
    """N rooms on consecutive ports after the landing page's, and the landing page.

    Args:
        names: the rooms' names (each checked by :func:`room_name`, no two alike).
        app_path: the web server to run for each room (``app.py``).
        host: the address every room and the landing page listen on (``GRADIO_SERVER_NAME``).
        port: the landing page's port; room i (from 1) listens on ``port + i``.
        ray: whether to start a local Ray head for the rooms to train on (only where Ray is installed).
        env: the rooms' environment (default: this process's); ``GANAPP_ROOM``, ``GANAPP_TEACHER_TOKEN``,
            ``GRADIO_SERVER_NAME``, ``GRADIO_SERVER_PORT`` and ``GRADIO_TEMP_DIR`` are set per room, and
            ``GRADIO_ROOT_PATH`` is left out (each room is served at the root of its port).

    Raises:
        ValueError: a bad or repeated name, no rooms, or ports beyond 65535.
    """

    def __init__(self, names: Sequence[str], app_path: str | Path, host: str = "127.0.0.1", port: int = 7860,
                 ray: bool = False, env: dict[str, str] | None = None):
        names = [room_name(n) for n in names]
        if not names:
            raise ValueError("rooms: give at least one room")
        if len(set(names)) != len(names):
            raise ValueError(f"rooms: each room needs a name of its own ({', '.join(names)})")
        if not 1 <= port <= 65535 - len(names):
            raise ValueError(f"--port={port} is out of range: it must be in 1..{65535 - len(names)} (the rooms take "
                             f"the {len(names)} ports after it)")
        self.app_path = Path(app_path)
        self.host = host
        self.port = port
        self.rooms = [Room(n, port + i, secrets.token_urlsafe(18)) for i, n in enumerate(names, start=1)]
        self.ray = ray
        self.ray_address: str | None = None
        self.ray_env: dict[str, str] = {}  # what a room needs to join the Ray head started here (its token)
        self.env = dict(os.environ if env is None else env)
        self.landing: LandingPage | None = None
        self._stop = threading.Event()

    def check_ports(self) -> None:
        """Raises OSError naming the first port that is taken."""
        for port in (self.port, *(r.port for r in self.rooms)):
            if not port_free(self.host, port):
                raise OSError(f"port {port} on {self.host} is in use: choose another --port (the landing page takes "
                              f"--port, the rooms the {len(self.rooms)} after it)")

    def start(self, render: Callable[[str], str]) -> None:
        """Start Ray (if asked), every room, and the landing page drawn by ``render`` (the HTML for a host name).

        Raises:
            OSError: a port is taken, Ray cannot start, or a process cannot be started.
        """
        self.check_ports()
        if self.ray:
            try:
                self.ray_address, self.ray_env = start_ray()
            except Exception as e:  # noqa: BLE001 (Ray's own errors: a head that timed out, a port taken, ...)
                raise OSError(f"Ray could not start a local head ({' '.join(str(e).split())[:300]}): start the rooms "
                              "with --no-ray, or start Ray yourself and set GANAPP_RAY_ADDRESS") from None
        temp_root = Path(self.env.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")
        for room in self.rooms:
            env = {**self.env, "GANAPP_ROOM": room.name, "GANAPP_TEACHER_TOKEN": room.teacher_token,
                   "GRADIO_SERVER_NAME": self.host, "GRADIO_SERVER_PORT": str(room.port),
                   # each room deletes its own cached files by age: a folder each, so none deletes another's
                   "GRADIO_TEMP_DIR": str(temp_root / room.name), "PYTHONUNBUFFERED": "1"}
            env.pop("GRADIO_ROOT_PATH", None)  # each room is served at the root of its own port, which the page links
            if self.ray_address is not None:
                env[RAY_ADDRESS_VAR] = self.ray_address
                env.update(self.ray_env)  # let in by the head's token
            room.process = subprocess.Popen([sys.executable, str(self.app_path)], cwd=self.app_path.parent, env=env)
        self.landing = LandingPage(render, self.host, self.port)
        self.landing.start()

    def url(self, port: int, host: str | None = None) -> str:
        """The address of ``port`` on ``host`` (default: where the rooms listen; this computer for 0.0.0.0)."""
        host = host or ("127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host)
        return f"http://{host}:{port}/"

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        """Return once every room answers on its port.

        Raises:
            RuntimeError: a room exited, or did not answer within ``timeout_s``.
        """
        deadline = time.monotonic() + timeout_s
        waiting = list(self.rooms)
        while waiting:
            if self._stop.is_set():
                return
            for room in list(waiting):
                if room.process is not None and room.process.poll() is not None:
                    raise RuntimeError(f"room {room.name} exited with status {room.process.returncode} before it "
                                       "served its page (its messages are above)")
                with contextlib.suppress(OSError, urllib.error.URLError):
                    with urllib.request.urlopen(self.url(room.port) + "config", timeout=2):
                        waiting.remove(room)
            if waiting and time.monotonic() > deadline:
                raise RuntimeError(f"room {waiting[0].name} did not answer on port {waiting[0].port} within "
                                   f"{timeout_s:.0f} s")
            if waiting:
                self._stop.wait(0.5)

    def handle_signals(self) -> None:
        """From now on Ctrl-C and SIGTERM make :meth:`wait_ready` and :meth:`serve` return (and ``serve`` stop
        every room) instead of ending this process with its rooms left running. Call from the main thread, before
        :meth:`start`."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda signum, frame: self._stop.set())

    @property
    def stopping(self) -> bool:
        """Whether a signal or :meth:`request_stop` asked the rooms to stop."""
        return self._stop.is_set()

    def serve(self) -> int:
        """Block until Ctrl-C or SIGTERM (see :meth:`handle_signals`) or :meth:`request_stop`, or until a room exits
        on its own, then :meth:`stop`. Returns 0 after a signal, 1 when a room ended on its own."""
        status = 0
        while not self._stop.wait(0.5):
            ended = [r for r in self.rooms if r.process is not None and r.process.poll() is not None]
            if ended:
                log.error("room %s exited with status %s: stopping every room", ended[0].name,
                          ended[0].process.returncode)
                status = 1
                break
        self.stop()
        return status

    def request_stop(self) -> None:
        """Make :meth:`serve` (and :meth:`wait_ready`) return, as a signal does."""
        self._stop.set()

    def stop(self) -> None:
        """Stop every room (SIGTERM: each saves its runs and ends its training worker), then the landing page and
        Ray. A room that has not exited after STOP_TIMEOUT_S is killed."""
        self._stop.set()
        for room in self.rooms:
            if room.process is not None and room.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    room.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for room in self.rooms:
            if room.process is None:
                continue
            try:
                room.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.error("room %s did not stop within %.0f s: killing it", room.name, STOP_TIMEOUT_S)
                room.process.kill()
                room.process.wait()
        if self.landing is not None:
            self.landing.close()
            self.landing = None
        if self.ray_address is not None:
            stop_ray()
            self.ray_address = None


def start_ray() -> tuple[str, dict[str, str]]:
    """Start a local Ray head in this process (``ray.init``; it ends with :func:`stop_ray`). Returns the address other
    processes join it by (``GANAPP_RAY_ADDRESS``) and the environment they need to be let in: Ray turns its token
    authentication on for a local cluster (since 2.59), with the token in ``~/.ray/auth_token`` (or the host's
    ``RAY_AUTH_TOKEN``), and a process that joins it must ask for token authentication too (``RAY_AUTH_MODE``)."""
    import ray

    context = ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False)
    auth = {k: os.environ[k] for k in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH") if os.environ.get(k)}
    return context.address_info["gcs_address"], auth


def stop_ray() -> None:
    """Stop the Ray head :func:`start_ray` started."""
    import ray

    ray.shutdown()
