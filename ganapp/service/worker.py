"""Training in a worker process, so that the web server's interpreter lock is the page's alone.

In one process, the engine thread and the page's request handlers share one interpreter lock, and the server never
uses more than one core of two. ``benchmarks/worker_split.py`` measures 30 ring8 runs trained inside the web server
against beside it, in another process (its figures are in benchmarks/README.md).

So the web process holds :class:`~ganapp.service.remote.WorkerRun` handles. Each one forwards its commands and
reads to a :class:`Run` in the worker process, where one :class:`~ganapp.engine.engine.Engine` trains every
run. The channel is the standard library's :mod:`multiprocessing.managers` over a Unix socket: the worker
(``python -m ganapp.service.worker``) serves it, with one connection per calling thread, and exceptions are sent back
whole. It is started as a plain subprocess rather than by ``multiprocessing``'s spawn, which would import the web
server's main module (and Gradio) into it. The page's errors (``ConfigError``, ``DatasetUnavailableError`` and
the others) keep their codes across it. Tensors cross as safetensors bytes:

- G for the Explore tab, only when a newer one was published;
- autosaves;
- a checkpoint to fine-tune.

:class:`WorkerService` starts the worker on first use and restarts it when it died. Runs on a dead worker report the
``error`` state, with :data:`~ganapp.service.protocol.RUN_LOST` as the message, until their visitor builds them
again. A worker that broke a connection and no longer answers a fresh one is dying (a big process can take seconds to
end): it is stopped for good at once, so that the next run goes to a new worker instead of failing.

The web server owns the worker's lifetime: the worker ignores SIGTERM and SIGINT (a container's stop may send them
to every process), so that the web server can still pause and autosave every run through it; then it ends the
worker. A worker whose web server is gone ends by itself.
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections import Counter
from multiprocessing.connection import Client
from multiprocessing.managers import BaseManager, dispatch
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from ..gan.checkpoints import Checkpoint
from ..gan.config import GANConfig
from ..run.lessons import LESSONS
from ..run.publisher import Snapshot
from .protocol import RunLostError
from .remote import TRANSPORT, WorkerRun, call_proxy, pack_checkpoint, unpack_checkpoint, weights_blob

if TYPE_CHECKING:  # imported by the worker on its first run (see _warm_up)
    from ..run.run import Run

__all__ = ["RunServer", "WorkerService", "main"]

log = logging.getLogger("ganapp")


def _warm_up() -> None:
    """Import what a first run needs, in the background of a new worker."""
    for name in ("torchvision.utils", "ganapp.run.run", "ganapp.gan.view2d"):
        importlib.import_module(name)


class RunServer:
    """Lives in the worker process: one engine and every run, by id. One public method per member of
    :class:`~ganapp.service.protocol.RunHandle` (the run's id first, then the member's arguments in their wire form:
    a config as a dict, a lesson by its name, tensors as safetensors bytes), plus :meth:`create`, :meth:`held`,
    :meth:`drop` and :meth:`runs`. The manager serves every public method, so no list of names is kept. Every method
    is called from the manager's threads, one per connection of the web process."""

    def __init__(self):
        from ..engine import runtime
        from ..engine.engine import Engine

        runtime.configure()
        self.engine = Engine()
        threading.Thread(target=_warm_up, daemon=True).start()  # the first Start need not wait for the imports
        self.runs_by_id: dict[int, Run] = {}
        self._next_id = 0
        self._lock = threading.Lock()  # guards the fields here; never held while a run is built or called
        self._serials: weakref.WeakKeyDictionary[torch.nn.Module, int] = weakref.WeakKeyDictionary()

    def _serial(self, g: torch.nn.Module) -> int:
        """A number for each frozen G the runs publish, never reused (unlike ``id``)."""
        with self._lock:
            if g not in self._serials:
                self._next_id += 1
                self._serials[g] = self._next_id
            return self._serials[g]

    def create(self, config: dict | None, init: tuple | None, saved: tuple | None, kwargs: dict[str, Any]
               ) -> tuple[int, dict]:
        """A new run: (its id, the config it was built with, as a dict)."""
        from ..run.run import Run

        run = Run.new(GANConfig.from_dict(config) if config is not None else None, unpack_checkpoint(init),
                      (load_tensors(saved[0]), saved[1]) if saved else None, engine=self.engine, **kwargs)
        with self._lock:
            self._next_id += 1
            self.runs_by_id[self._next_id] = run
            return self._next_id, run.config.to_dict()

    # ----- the members of RunHandle -----

    def state(self, sid: int) -> str:
        return self.runs_by_id[sid].state

    def step_count(self, sid: int) -> int:
        return self.runs_by_id[sid].step_count

    def lesson(self, sid: int) -> str | None:
        lesson = self.runs_by_id[sid].lesson
        return lesson.name if lesson is not None else None

    def start(self, sid: int, run_s: float | None = None) -> None:
        self.runs_by_id[sid].start(run_s)

    def resume(self, sid: int) -> None:
        self.runs_by_id[sid].resume()

    def pause(self, sid: int) -> None:
        self.runs_by_id[sid].pause()

    def step(self, sid: int, n: int = 1) -> None:
        self.runs_by_id[sid].step(n)

    def phase_step(self, sid: int, phase: str) -> None:
        self.runs_by_id[sid].phase_step(phase)

    def stop(self, sid: int, timeout_s: float = 1.0) -> bool:
        return self.runs_by_id[sid].stop(timeout_s)

    def reset(self, sid: int, config: dict | None, init: tuple | None) -> dict:
        """Build the run again; returns the config it was built with, as a dict."""
        run = self.runs_by_id[sid]
        run.reset(GANConfig.from_dict(config) if config is not None else None, unpack_checkpoint(init))
        return run.config.to_dict()

    def update(self, sid: int, changes: dict[str, Any]) -> tuple[list[str], list[str], dict]:
        """(fields applied, fields that need a reset, the run's config after, as a dict)."""
        run = self.runs_by_id[sid]
        applied, needs_reset = run.update(**changes)
        return applied, needs_reset, run.config.to_dict()

    def set_slow_motion(self, sid: int, seconds: float) -> None:
        self.runs_by_id[sid].set_slow_motion(seconds)

    def set_lesson(self, sid: int, name: str | None) -> None:
        self.runs_by_id[sid].set_lesson(LESSONS[name] if name is not None else None)

    def save_checkpoint(self, sid: int, path: str) -> str:
        return str(self.runs_by_id[sid].save_checkpoint(path))

    def autosave_copy(self, sid: int) -> tuple[Any, bytes, dict]:
        key, tensors, meta = self.runs_by_id[sid].autosave_copy()
        return key, save_tensors(tensors), meta

    def save_key(self, sid: int) -> tuple:
        return self.runs_by_id[sid].save_key()

    def status(self, sid: int) -> Snapshot:
        return self.runs_by_id[sid].status()

    def statuses(self, sids: list[int]) -> list[Snapshot]:
        """:meth:`status` of several runs in one call (a page's tick reads run A's and run B's)."""
        return [self.runs_by_id[sid].status() for sid in sids]

    def snapshot(self, sid: int, since: int | None = 0) -> Snapshot:
        return self.runs_by_id[sid].snapshot(since)

    def frame(self, sid: int, since_version: int | None = None) -> Snapshot:
        return self.runs_by_id[sid].frame(since_version)

    def rows_since(self, sid: int, step: int) -> dict[str, list[float]]:
        return self.runs_by_id[sid].rows_since(step)

    def history(self, sid: int, max_points: int = 1000) -> dict[str, Any]:
        return self.runs_by_id[sid].history(max_points)

    def frames(self, sid: int) -> list[Any]:
        return self.runs_by_id[sid].frames()

    def generator(self, sid: int, have_id: int) -> tuple[int, dict, bytes | None]:
        """(the published G's serial, its config, its weights unless ``have_id`` is that serial already)."""
        run = self.runs_by_id[sid]
        g, config = run.generator(), run.config
        serial = self._serial(g)
        return serial, config.to_dict(), None if serial == have_id else weights_blob(g)

    def g_snapshots(self, sid: int, have: list[int]) -> tuple[dict, list[tuple[int, int, bytes | None]]]:
        """The run's G snapshots as (step, serial, weights or None when ``have`` holds that serial)."""
        run = self.runs_by_id[sid]
        rows = [(step, self._serial(g), g) for step, g in run.g_snapshots()]
        return run.config.to_dict(), [(step, n, None if n in have else weights_blob(g)) for step, n, g in rows]

    # ----- the worker's own -----

    def held(self, sid: int) -> bool:
        return self.engine.holds(self.runs_by_id[sid])

    def drop(self, sid: int) -> None:
        with self._lock:
            run = self.runs_by_id.pop(sid, None)
        if run is not None:
            run.stop()
            run.publisher.close()

    def runs(self) -> int:
        with self._lock:
            return len(self.runs_by_id)


class _Manager(BaseManager):
    pass


_Manager.register("RunServer", RunServer)


class WorkerService:
    """The worker process, seen from the web process: builds :class:`WorkerRun` handles, and starts the
    worker on first use (or with :meth:`server`), or again when it died.

    Args:
        start_timeout_s: how long the worker may take to start (it imports torch), in seconds.
    """

    def __init__(self, start_timeout_s: float = 120.0):
        self.start_timeout_s = start_timeout_s
        self._lock = threading.RLock()  # guards the fields below (re-entrant: a run's finalizer may ask alive())
        self._process: subprocess.Popen | None = None
        self._folder: str | None = None  # holds the socket
        self._address: str | None = None  # the socket
        self._authkey: bytes | None = None
        self._server: Any = None
        self._cleanup: weakref.finalize | None = None  # stops the process and removes the folder, once
        self.generation = 0  # increases with each worker started
        self.calls: Counter[str] = Counter()  # round trips to the worker, by RunServer method (see count)
        self._calls_lock = threading.Lock()

    def statuses(self, runs: list[WorkerRun]) -> list[Snapshot]:
        """Each run's :meth:`~WorkerRun.status`, in one round trip when they all live in the running worker
        (else one each, which also answers a lost run by the protocol's rule)."""
        with self._lock:
            server, generation = self._server, self.generation
        if server is None or len(runs) < 2 or any(r._lost or r._at()[0] != generation for r in runs):
            return [r.status() for r in runs]
        self.count("statuses")
        try:
            snaps = server.statuses([r._at()[1] for r in runs])
        except Exception as e:
            if not self.gone(generation, e):
                raise
            return [r.status() for r in runs]
        return [r._heard("status", snap) for r, snap in zip(runs, snaps)]

    def count(self, name: str) -> None:
        """Count one round trip to the worker's ``RunServer.<name>`` (benchmarks/round_trips.py reads
        :attr:`calls`)."""
        with self._calls_lock:
            self.calls[name] += 1

    def alive(self, generation: int, wait_s: float = 0.0) -> bool:
        """Whether worker number ``generation`` still runs; waits up to ``wait_s`` for a dying one to end (its
        connections close a moment before its process does)."""
        deadline = time.monotonic() + wait_s
        while True:
            with self._lock:
                running = generation == self.generation and self._process is not None and \
                    self._process.poll() is None
            if not running or time.monotonic() >= deadline:
                return running
            time.sleep(0.02)

    def server(self) -> Any:
        """The RunServer proxy of a live worker, started (or restarted) as needed.

        Raises:
            RunLostError: the worker did not start (its error is in the server's log).
        """
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                return self._server
            if self._process is not None:
                log.error("the training worker died (exit code %s); starting a new one", self._process.returncode)
                self._stop()
            self._start()
            self.generation += 1
            return self._server

    def _start(self) -> None:
        self._folder = tempfile.mkdtemp(prefix="ganapp-worker-")
        address, authkey = os.path.join(self._folder, "socket"), os.urandom(32)
        self._address, self._authkey = address, authkey
        root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
        self._process = subprocess.Popen([sys.executable, "-m", "ganapp.service.worker", address], env=env,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                         start_new_session=True)  # a terminal's Ctrl-C reaches the server only:
        # it autosaves the runs through the worker before it stops it
        self._cleanup = weakref.finalize(self, _end_worker, self._process, self._folder)  # also at exit
        self._process.stdin.write(authkey.hex() + "\n")  # not on the command line, where any user could read it
        self._process.stdin.close()
        if _readline(self._process.stdout, self.start_timeout_s).strip() != "ready":
            self._stop()
            raise RunLostError("the training worker did not start (see the server's log)")
        manager = _Manager(address=address, authkey=authkey)
        manager.connect()
        self._server = manager.RunServer()

    def _stop(self) -> None:
        if self._cleanup is not None:
            self._cleanup()
        self._process = self._folder = self._server = self._cleanup = self._address = self._authkey = None

    def gone(self, generation: int, error: BaseException) -> bool:
        """Whether ``error``, raised by a call to worker number ``generation``, means that the worker is gone, and
        its runs with it (else the error is the call's own). A connection fault (``TRANSPORT``) from a worker whose
        process has not ended yet means that it is dying or broken, unless a fresh connection still gets an answer:
        it is then stopped here for good, so that the next run goes to a new worker at once."""
        if not isinstance(error, TRANSPORT):
            return not self.alive(generation)
        if not self.alive(generation, wait_s=0.1) or self._answers(generation):
            return not self.alive(generation)
        with self._lock:
            if generation == self.generation and self._process is not None:
                log.error("the training worker broke its connections and does not answer; starting a new one")
                self._stop()
        return True

    def _answers(self, generation: int, timeout_s: float = 2.0) -> bool:
        """Whether worker number ``generation`` answers a fresh connection within ``timeout_s`` (in a thread of its
        own: a dying process may accept a connection and never answer it)."""
        with self._lock:
            if generation != self.generation or self._address is None:
                return False
            address, authkey = self._address, self._authkey
        answered: list[bool] = []

        def ping() -> None:
            try:
                conn = Client(address, authkey=authkey)
                try:
                    dispatch(conn, None, "dummy")  # a method every manager's server has
                    answered.append(True)
                finally:
                    conn.close()
            except Exception:  # noqa: BLE001 (no answer is the answer)
                pass

        thread = threading.Thread(target=ping, name="ganapp-worker-ping", daemon=True)
        thread.start()
        thread.join(timeout_s)
        return bool(answered)

    @staticmethod
    def recover(run: "WorkerRun") -> bool:
        """False: a run lost with the worker is lost (the registry restores its visitor's autosave, paused)."""
        return False

    @staticmethod
    def holds(run: "WorkerRun") -> bool:
        """Whether the engine in the worker holds ``run`` (it wants work, or is in a stack); as
        :meth:`ganapp.engine.engine.Engine.holds`."""
        return run._remote("held")

    @property
    def pid(self) -> int | None:
        """The worker's process id, or None when none runs."""
        return self._process.pid if self._process is not None else None

    def new_run(self, config: GANConfig | None, init: Checkpoint | None = None,
                saved: tuple[dict[str, torch.Tensor], dict[str, Any]] | None = None, **kwargs: Any
                ) -> "WorkerRun":
        """A new run in the worker: fresh from ``config`` (fine-tuning ``init`` if given), or from an autosave
        ``saved`` = (tensors, meta). ``kwargs`` go to Run (picklable: functions by name).

        Raises:
            what Run raises; RunLostError: the worker died while building it.
        """
        packed = None if saved is None else (save_tensors(saved[0]), saved[1])
        args = (config.to_dict() if config is not None else None, pack_checkpoint(init), packed, kwargs)
        for attempt in range(2):  # a worker found dead (or dying) is started again, once
            with self._lock:
                server, generation = self.server(), self.generation
            try:
                sid, built = server.create(*args)
                return WorkerRun(self, functools.partial(call_proxy, server), generation, sid,
                                 GANConfig.from_dict(built))
            except Exception as e:
                if not self.gone(generation, e):
                    raise
        raise RunLostError()

    def warm(self) -> None:
        """Start the worker now (see :meth:`server`), so that the first run need not wait for it.

        Raises:
            RunLostError: the worker did not start.
        """
        self.server()

    def close(self) -> None:
        """Stop the worker (its runs are gone: autosave them first)."""
        with self._lock:
            self._stop()


def _end_worker(process: subprocess.Popen, folder: str) -> None:
    """Stop the worker process and remove its socket's folder. SIGKILL: it ignores SIGTERM (see the module), and
    holds nothing to save (the web server saves the runs through it before it ends it)."""
    process.kill()
    process.wait()
    process.stdout.close()
    shutil.rmtree(folder, ignore_errors=True)


def _readline(stream: Any, timeout_s: float) -> str:
    """A line from ``stream``, or "" when none comes within ``timeout_s``."""
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout_s)
    return line[0] if line else ""


def _watch_parent(parent_pid: int, folder: str) -> None:
    """End the worker when the web process is gone (killed, so that it could not stop the worker itself), and
    remove the socket's ``folder``, which it would have removed."""
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    shutil.rmtree(folder, ignore_errors=True)
    os._exit(0)


def main() -> None:
    """``python -m ganapp.service.worker ADDRESS``: serve the RunServer on the Unix socket ADDRESS, with the hex
    authkey read from stdin; print ``ready`` once listening."""
    logging.basicConfig(level=logging.INFO, format="ganapp worker: %(levelname)s %(message)s")
    for sig in (signal.SIGTERM, signal.SIGINT):  # the web server ends it, once it has saved the runs through it
        signal.signal(sig, signal.SIG_IGN)
    authkey = bytes.fromhex(sys.stdin.readline().strip())
    threading.Thread(target=_watch_parent, args=(os.getppid(), os.path.dirname(sys.argv[1])), daemon=True).start()
    server = _Manager(address=sys.argv[1], authkey=authkey).get_server()
    print("ready", flush=True)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # nothing more goes to the pipe the parent stopped reading
    server.serve_forever()


if __name__ == "__main__":
    main()
