"""Server CPU per page poll, Gradio's postprocessing included, while a class of sessions trains on the engine.

Builds the real app (app.create_demo), starts ``--sessions`` ring8 runs at the classroom sizes, then calls the
Timer's handler the way Gradio runs an event: the function, then ``Blocks.postprocess_data`` on its outputs (what
the server does before it sends an answer). It measures the thread CPU time of each call, so training in the engine
thread does not count, and reports the median and p95 for:

- the tick (LiveHandlers.tick: the status line and a frame number; what the page's Timer calls at 2 Hz);
- the redraw (LiveHandlers.poll: every plot, called when the tick's frame number changes, at most once a second);
- the reference: the redraw called on every tick, as the page did before the tick existed;
- the redraw with whole curve figures each time, as before the curves came as deltas (ganapp.ui.curves).

It prints the cost of the class polling (2 ticks per second each, and the redraws as LiveHandlers.tick spaces them) in
cores, the ratio of the tick to the reference, and of the redraw to the redraw with whole curve figures.

The app trains in its worker process (ganapp.service.worker), as ``python app.py`` does. Then the same class is built
again training in the web process (``GANAPP_WORKER=0``), and the wall time of a tick on the server (its answer time,
with the clients' own cost left out) is printed for both, with their ratio.

    python benchmarks/poll_cost.py [--sessions 30] [--calls 60]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from types import SimpleNamespace

import numpy as np

from _common import ROOT, postprocessed_cpu_ms  # noqa: F401  (ROOT sets the import path)
from ganapp.engine import runtime
from ganapp.gan.config import GANConfig
from ganapp.gan.presets import classroom_config


def cpu_ms(demo, fn_name: str, handler, request, calls: int, every_s: float) -> np.ndarray:
    """Thread CPU milliseconds of ``calls`` calls of ``handler`` plus Gradio's postprocessing of its outputs."""
    block_fn = next(f for f in demo.fns.values() if f.api_name == fn_name)
    return np.array(postprocessed_cpu_ms(demo, block_fn, lambda: handler(request, "en"), calls, every_s))


def tick_wall_ms(sessions: int, calls: int, worker: bool) -> np.ndarray:
    """Wall milliseconds of the tick, postprocessing included, while ``sessions`` ring8 runs train (in the worker
    process or in this one)."""
    import app as app_module

    demo = app_module.create_demo(state_dir=tempfile.mkdtemp(prefix="ganapp-bench-state-"), worker=worker)
    gan = demo.ganapp
    config = classroom_config(GANConfig.default_for("ring8"))
    for i in range(sessions):
        gan.registry.new_run(f"s{i}", config.replace(seed=i)).start()
    time.sleep(5)
    block_fn = next(f for f in demo.fns.values() if f.api_name == "tick")
    ms = postprocessed_cpu_ms(demo, block_fn, lambda: gan.live.tick(SimpleNamespace(session_hash="s0"), "en"),
                              calls, 0.5, clock=time.perf_counter)
    gan.registry.close()
    return np.array(ms)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, default=30, help="ring8 runs training while the polls are measured")
    p.add_argument("--calls", type=int, default=60, help="calls measured per handler")
    a = p.parse_args()
    import app as app_module

    runtime.configure()
    demo = app_module.create_demo(state_dir=tempfile.mkdtemp(prefix="ganapp-bench-state-"))
    gan = demo.ganapp
    registry = gan.registry
    config = classroom_config(GANConfig.default_for("ring8"))
    for i in range(a.sessions):
        registry.new_run(f"s{i}", config.replace(seed=i)).start()
    request = SimpleNamespace(session_hash="s0")
    time.sleep(5)  # past the first frames
    tick = cpu_ms(demo, "tick", gan.live.tick, request, a.calls, 0.5)
    draw = cpu_ms(demo, "poll", gan.live.poll, request, a.calls // 2, 1.0)
    reference = cpu_ms(demo, "poll", gan.live.poll, request, a.calls, 0.5)
    from ganapp.ui import curves

    delta_limit, curves.FULL_REDRAW_POINTS = curves.FULL_REDRAW_POINTS, -1  # every poll sends whole curves
    whole = cpu_ms(demo, "poll", gan.live.poll, request, a.calls // 2, 1.0)
    curves.FULL_REDRAW_POINTS = delta_limit
    steps = registry.visitor("s0").run.snapshot(None).step
    registry.close()
    wall = {worker: tick_wall_ms(a.sessions, a.calls, worker) for worker in (True, False)}
    from ganapp.run.run import VIEW_SHARE
    from ganapp.ui.live import DRAW_EVERY_S

    draw_every_s = DRAW_EVERY_S * max(1.0, a.sessions / VIEW_SHARE)  # as LiveHandlers.tick spaces the redraws
    per_student_s = (2 * np.median(tick) + np.median(draw) / draw_every_s) / 1000  # CPU s per student per s
    print(f"{a.sessions} ring8 sessions training ({steps} steps in session 0); thread CPU per call, Gradio's "
          f"postprocessing included:")
    for name, ms in (("tick", tick), ("redraw", draw), ("reference: redraw on every tick", reference),
                     ("redraw with whole curve figures", whole)):
        print(f"  {name}: median {np.median(ms):.2f} ms, p95 {np.percentile(ms, 95):.2f} ms")
    print(f"{a.sessions} students polling (2 ticks/s, a redraw every {draw_every_s:g} s): "
          f"{a.sessions * per_student_s:.2f} cores (reference, a redraw on every tick: "
          f"{a.sessions * 2 * np.median(reference) / 1000:.2f}); tick ÷ reference "
          f"{np.median(tick) / np.median(reference):.2f}; redraw ÷ redraw with whole curves "
          f"{np.median(draw) / np.median(whole):.2f}")
    for worker, name in ((True, "training in the worker process"), (False, "training in the web process")):
        print(f"a tick's answer time on the server, {name}: median {np.median(wall[worker]):.1f} ms, "
              f"p95 {np.percentile(wall[worker], 95):.1f} ms")
    print(f"worker ÷ in-process, tick answer time: median {np.median(wall[True]) / np.median(wall[False]):.2f}, "
          f"p95 {np.percentile(wall[True], 95) / np.percentile(wall[False], 95):.2f}")


if __name__ == "__main__":
    main()
