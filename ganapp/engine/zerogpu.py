"""Training on a Hugging Face ZeroGPU Space: each run trains in chunks, one ``@spaces.GPU`` call per chunk.

On ZeroGPU a GPU exists only inside a function decorated with ``spaces.GPU``, for at most the duration it names, and
the ``spaces`` package runs that function in a forked process: what the function changes in its own memory is lost
when it returns, and only what it returns comes back (pickled). So a chunk is a pure function of a trainer,
:func:`train_chunk`: move the trainer to CUDA, train up to the chunk's seconds (or steps), move it back, and return
its whole state (:meth:`ganapp.gan.trainer.Trainer.state`, CPU tensors) and the metrics rows. The engine loads that
state into the run's trainer (a no-op copy when the call ran in this process) and hands each row to the run, as its
lone steps would have; between chunks the run lives on the CPU, as its autosave does, and readers (the grid, the
Explore tab's G) use the CPU copy.

:class:`ChunkedEngine` is the :class:`~ganapp.engine.engine.Engine` that does so: its fair share and job protocol are
the Engine's, with a group's turn being one chunk. A Pause or Stop pressed during a chunk takes effect when it ends.
When ZeroGPU refuses a call for want of quota, the host's choice applies (``GANAPP_ZEROGPU_ON_EMPTY``): ``cpu`` trains
on in this process's CPU, ``pause`` pauses the run; the GPU is tried again after the wait ZeroGPU names.

Off Spaces (no ``spaces`` package) the decorator does nothing and ``cuda`` falls back to the CPU when there is none,
so the whole loop runs, and is tested, on a CPU.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Hashable, Mapping
from typing import Any, NamedTuple

import torch

from ..gan.trainer import Trainer, set_auto_device
from .engine import Engine, Job

ON_EMPTY = ("cpu", "pause")  # what a run does when ZeroGPU's quota is spent
DEFAULT_CHUNK_S = 5.0
CHUNK_MARGIN_S = 10.0  # asked of ZeroGPU beyond the chunk's seconds: moving the run and its state both ways
_LEFT = re.compile(r"(\d+(?:\.\d+)?)\s*s left")  # spaces' quota message: "(60s requested vs. 12s left)"
_WAIT = re.compile(r"try again in (?:(\d+):)?(\d+):(\d+)", re.IGNORECASE)  # "... Try again in 0:04:12"


def zerogpu_enabled(environ: Mapping[str, str] = os.environ) -> bool:
    """True when runs train in chunks: ``GANAPP_ZEROGPU=1``, or ZeroGPU's own ``SPACES_ZERO_GPU`` is true (what the
    ``spaces`` package reads) and ``GANAPP_ZEROGPU`` is not ``0``.

    Raises:
        ValueError: ``GANAPP_ZEROGPU`` is set to anything but 0 or 1.
    """
    choice = environ.get("GANAPP_ZEROGPU", "").strip()
    if choice not in ("", "0", "1"):
        raise ValueError(f"GANAPP_ZEROGPU={choice!r} is not allowed: choose 1 (train in ZeroGPU chunks) or 0")
    if choice:
        return choice == "1"
    return environ.get("SPACES_ZERO_GPU", "").strip().lower() in ("1", "t", "true")


def on_empty_choice(environ: Mapping[str, str] = os.environ) -> str:
    """``GANAPP_ZEROGPU_ON_EMPTY``: ``cpu`` (default) or ``pause``, what a run does when the GPU quota is spent.

    Raises:
        ValueError: any other value.
    """
    choice = environ.get("GANAPP_ZEROGPU_ON_EMPTY", "cpu").strip().lower()
    if choice not in ON_EMPTY:
        raise ValueError(f"GANAPP_ZEROGPU_ON_EMPTY={choice!r} is not allowed: choose one of {', '.join(ON_EMPTY)}")
    return choice


def gpu_decorator(duration_s: float) -> Callable[[Callable], Callable]:
    """``spaces.GPU(duration=duration_s)`` where the ``spaces`` package is installed, else a decorator that returns
    its function unchanged (the same shape: decorate, then call)."""
    try:
        import spaces  # noqa: PLC0415 (only on Spaces)
    except ImportError:
        return lambda fn: fn
    return spaces.GPU(duration=int(duration_s))


class ChunkResult(NamedTuple):
    """What one chunk returns, all of it plain CPU data that pickles (ZeroGPU sends it back from its fork).

    Attributes:
        tensors, meta: the trainer's state after the chunk (:meth:`ganapp.gan.trainer.Trainer.state`).
        rows: (n, 4) float32, CPU: each step's d_loss, g_loss, D(x), D(G(z)), as ``Trainer.train_step`` returns them.
        seconds: the chunk's wall time, moves included.
    """

    tensors: dict[str, torch.Tensor]
    meta: dict[str, Any]
    rows: torch.Tensor
    seconds: float


def train_chunk(trainer: Trainer, device: str, seconds: float, max_steps: int) -> ChunkResult:
    """One chunk: move ``trainer`` to ``device``, take at least one and at most ``max_steps`` steps until ``seconds``
    have passed, move it back to the CPU and return its state and rows (see :class:`ChunkResult`). ``device``
    ``cuda`` falls back to the CPU where CUDA is not available (off Spaces).

    Raises:
        ValueError: ``max_steps`` < 1 or ``seconds`` < 0.
    """
    if max_steps < 1 or not seconds >= 0:
        raise ValueError(f"a chunk needs max_steps ≥ 1 and seconds ≥ 0, not {max_steps} and {seconds}")
    start = time.perf_counter()
    if device == "cuda" and not torch.cuda.is_available():
        device = "cpu"
    trainer.to(device)
    rows = [trainer.train_step()]
    while len(rows) < max_steps and time.perf_counter() - start < seconds:
        rows.append(trainer.train_step())
    out = torch.stack(rows).float().cpu()  # (n, 4), one host sync
    trainer.to("cpu")
    tensors, meta = trainer.state()
    return ChunkResult(tensors, meta, out, time.perf_counter() - start)


def quota_error(error: BaseException) -> tuple[float | None, float | None] | None:
    """(seconds left, seconds to wait) when ``error`` is ZeroGPU refusing a call for want of quota (either may be
    None when the message does not say), else None. The ``spaces`` package says it only in the message of the
    ``gr.Error`` it raises ("You have exceeded your GPU quota (60s requested vs. 12s left). Try again in 0:04:12")."""
    text = str(error)
    if "quota" not in text.lower():
        return None
    left = _LEFT.search(text)
    wait = _WAIT.search(text)
    wait_s = None if wait is None else 3600 * int(wait.group(1) or 0) + 60 * int(wait.group(2)) + int(wait.group(3))
    return (float(left.group(1)) if left else None), (float(wait_s) if wait_s is not None else None)


def refused(error: BaseException) -> bool:
    """True when ``error`` is ZeroGPU declining a call for now (no GPU free, its queue timed out): the ``spaces``
    client raises those as Gradio's ``Error`` (``gradio.exceptions.Error``; this layer does not import gradio), and a
    run trains that chunk on the CPU rather than fail."""
    return any(c.__name__ == "Error" and c.__module__.startswith("gradio") for c in type(error).__mro__)


class GpuStatus(NamedTuple):
    """What the page says about the GPU: seconds of GPU used by chunks, the seconds left when ZeroGPU said so
    (None until it has), whether the quota is spent now, and the host's choice for then (``cpu`` or ``pause``)."""

    used_s: float
    left_s: float | None
    empty: bool
    on_empty: str


class ChunkedEngine(Engine):
    """An :class:`~ganapp.engine.engine.Engine` whose runs train in ZeroGPU chunks (see the module).

    Each group's turn is one chunk of up to ``chunk_s`` seconds (stacking is off: one run, one decorated call). A run
    in slow motion or paced by a lesson (``Job.chunk_steps`` None) takes lone CPU steps as on any engine.

    Args:
        chunk_s: a chunk's training time in seconds, > 0; ZeroGPU is asked for ``chunk_s + CHUNK_MARGIN_S``.
        on_empty: ``cpu`` or ``pause`` (see :func:`on_empty_choice`).
        device: where a chunk trains (``cuda``; ``cpu`` in tests).
        decorate: makes the GPU call from :func:`train_chunk` given its duration (default :func:`gpu_decorator`).
        kwargs: as :class:`Engine` (``stacking`` is always off).

    Raises:
        ValueError: ``chunk_s`` not > 0, or ``on_empty`` not one of ON_EMPTY.
    """

    def __init__(self, chunk_s: float = DEFAULT_CHUNK_S, on_empty: str = "cpu", device: str = "cuda",
                 decorate: Callable[[float], Callable[[Callable], Callable]] = gpu_decorator, **kwargs: Any):
        if not chunk_s > 0:
            raise ValueError(f"chunk_s={chunk_s!r} is out of range: it must be > 0")
        if on_empty not in ON_EMPTY:
            raise ValueError(f"on_empty={on_empty!r} is not allowed: choose one of {', '.join(ON_EMPTY)}")
        kwargs["stacking"] = False
        super().__init__(quantum_s=chunk_s, **kwargs)
        self.chunk_s, self.on_empty, self.device = chunk_s, on_empty, device
        self._gpu_chunk = decorate(chunk_s + CHUNK_MARGIN_S)(train_chunk)
        self.gpu_used_s = 0.0
        self.gpu_left_s: float | None = None
        self._empty_until: float | None = None  # perf_counter time at which the GPU is tried again

    def gpu_status(self) -> GpuStatus:
        """The GPU time as the page shows it (see :class:`GpuStatus`)."""
        return GpuStatus(self.gpu_used_s, self.gpu_left_s, self._empty(), self.on_empty)

    def _empty(self) -> bool:
        return self._empty_until is not None and time.perf_counter() < self._empty_until

    def _run_group(self, key: Hashable, group: list[Job], until: float) -> int:
        """One chunk of the group's one job (stacking is off), its rows handed to the job as its steps."""
        (job,) = group
        with self.lock:
            now = time.perf_counter()
            limit = job.chunk_steps() if hasattr(job, "chunk_steps") else None
            if limit is None:  # slow motion, a lesson's pace: one lone step at a time, on the CPU
                return super()._run_group(key, group, until)
            if not (job.wants_work(now) and self._begin(job, now)):
                return 0
            self.release(job.trainer)
            self._threads(1)
            try:
                result = self._chunk(job, max(0.0, min(self.chunk_s, until - now)), limit)
                if result is None:
                    return 0
                job.trainer.load_state(result.tensors, result.meta)  # from ZeroGPU's fork; in-process, a copy
                now = time.perf_counter()
                due = False
                for row in result.rows:
                    due = job.end_step(row, now) or due
                self.steps_done += len(result.rows)
                if due:
                    job.publish(now)
            except Exception as e:  # noqa: BLE001 (a job's fault stays the job's)
                job.fail(e)
                return 0
            return len(result.rows)

    def _chunk(self, job: Job, seconds: float, limit: int) -> ChunkResult | None:
        """The chunk on the GPU, or when the quota is spent on the CPU (``cpu``) or not at all (``pause``: the job
        is paused and None returned)."""
        if not self._empty():
            try:
                result = self._gpu_chunk(job.trainer, self.device, seconds, limit)
            except Exception as e:
                quota = quota_error(e)
                if quota is None:
                    if not refused(e):
                        raise
                    return train_chunk(job.trainer, "cpu", seconds, limit)  # no GPU free now: this chunk on the CPU
                left_s, wait_s = quota
                self.gpu_left_s = left_s if left_s is not None else 0.0
                self._empty_until = time.perf_counter() + (wait_s if wait_s is not None else 60.0)
            else:
                self.gpu_used_s += result.seconds
                if self.gpu_left_s is not None:
                    self.gpu_left_s = max(0.0, self.gpu_left_s - result.seconds)
                return result
        if self.on_empty == "pause":
            job.pause()
            return None
        return train_chunk(job.trainer, "cpu", seconds, limit)


def zerogpu_engine(environ: Mapping[str, str] = os.environ) -> ChunkedEngine | None:
    """The host's engine on ZeroGPU (see :func:`zerogpu_enabled`), else None. It trains in the web server's own
    process (a ``spaces.GPU`` call must come from the process ZeroGPU forks), and there ``auto`` now means the CPU
    (:func:`ganapp.gan.trainer.set_auto_device`): a run lives on the CPU between its chunks.

    Raises:
        ValueError: ``GANAPP_ZEROGPU`` or ``GANAPP_ZEROGPU_ON_EMPTY`` is not allowed.
    """
    if not zerogpu_enabled(environ):
        return None
    engine = ChunkedEngine(on_empty=on_empty_choice(environ))
    set_auto_device("cpu")
    return engine
