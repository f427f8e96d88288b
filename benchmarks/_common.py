"""Helpers shared by the benchmark scripts: import path, argument parsing, interleaved timing."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def postprocessed_cpu_ms(demo, block_fn, call: Callable[[], Any], calls: int, every_s: float,
                         clock: Callable[[], float] = time.thread_time) -> list[float]:
    """Thread CPU milliseconds of ``calls`` calls of ``call()`` plus Gradio's postprocessing of its outputs for
    ``block_fn`` (what the server does before it answers), one every ``every_s`` seconds. ``clock``
    ``time.perf_counter`` measures the wall time instead: the answer's time on the server."""
    import asyncio

    from gradio.state_holder import SessionState

    state = SessionState(demo)
    out = []

    async def one() -> None:
        await demo.postprocess_data(block_fn, list(call()), state)

    for _ in range(calls):
        t0 = clock()
        asyncio.run(one())
        out.append((clock() - t0) * 1000)
        time.sleep(every_s)
    return out


def steps_per_s(step: Callable[[], object], seconds: float, sync: Callable[[], None] = lambda: None) -> float:
    """Call ``step`` repeatedly for about ``seconds`` and return calls per second."""
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        step()
        n += 1
    sync()
    return n / (time.perf_counter() - t0)


def interleaved(candidates: dict[str, Callable[[], float]], rounds: int) -> dict[str, float]:
    """Run each measurement ``rounds`` times, alternating, and return each one's median (drift hits all alike)."""
    results: dict[str, list[float]] = {k: [] for k in candidates}
    for _ in range(rounds):
        for name, measure in candidates.items():
            results[name].append(measure())
    return {k: statistics.median(v) for k, v in results.items()}


def session_rate(config, seconds: float, poll_hz: float = 2.0, counts: list[int] | None = None,
                 **registry_kwargs: Any) -> float:
    """Steps/s of a session built as the app builds one (``registry_kwargs`` go to its Registry), while a
    thread calls the app's real Timer handler (LiveHandlers.poll) at ``poll_hz``, as for an open page. Appends the number
    of live scores made to ``counts`` when given."""
    import tempfile
    import threading
    from types import SimpleNamespace

    from ganapp.host.registry import Registry
    from ganapp.ui.handlers import GanApp

    registry = Registry(**registry_kwargs)
    app = GanApp(registry, tempfile.mkdtemp())
    request = SimpleNamespace(session_hash="bench")
    session = registry.new_run("bench", config)
    stop = threading.Event()

    def poller():
        while not stop.wait(1 / poll_hz):
            app.live.poll(request, "en")

    session.start()
    while session.snapshot(None).step < 5:
        time.sleep(0.01)
    thread = threading.Thread(target=poller, daemon=True)
    thread.start()
    s0, t0 = session.trainer.step_count, time.perf_counter()
    time.sleep(seconds)
    rate = (session.trainer.step_count - s0) / (time.perf_counter() - t0)
    if counts is not None:
        counts.append(len(session.snapshot(None).scores))
    stop.set()
    thread.join()
    registry.close()
    return rate
