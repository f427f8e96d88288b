"""Slider → new image, server side, while the same session trains on the CPU (target p95 ≤ 100 ms).

Calls the app's real slider handler (ExploreHandlers.explore: z from seed and sliders, truncation, G(z), PNG-ready image) with
a new slider value each time, while the visitor's session trains in its thread. The reference run is the same calls
with the session paused; the script prints both percentiles and their ratio.

    python benchmarks/slider_latency.py [--dataset mnist_10k] [--calls 200]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from types import SimpleNamespace

import numpy as np
import torch

from _common import ROOT  # noqa: F401  (sets the import path)
from ganapp.engine import runtime
from ganapp.gan.config import GANConfig
from ganapp.host.registry import Registry
from ganapp.ui.handlers import GanApp


def latencies_ms(app: GanApp, request, calls: int, rng: np.random.Generator) -> np.ndarray:
    out = []
    for _ in range(calls):
        sliders = rng.uniform(-3, 3, 8).round(2).tolist()
        t0 = time.perf_counter()
        app.explore.explore(request, "en", "training", 0, 1.0, *sliders)
        out.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.02)  # a hand on a slider sends a few dozen events a second, not a tight loop
    return np.array(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="mnist_10k")
    p.add_argument("--calls", type=int, default=200)
    a = p.parse_args()
    runtime.configure()  # as app.py does
    registry = Registry()
    app = GanApp(registry, tempfile.mkdtemp())
    request = SimpleNamespace(session_hash="bench")
    session = registry.new_run("bench", GANConfig.default_for(a.dataset, device="cpu"))
    rng = np.random.default_rng(0)
    latencies_ms(app, request, 10, rng)  # warm-up
    idle = latencies_ms(app, request, a.calls, rng)
    session.start()
    while session.snapshot().step < 5:
        time.sleep(0.01)
    busy = latencies_ms(app, request, a.calls, rng)
    steps = session.snapshot().step
    registry.close()
    p50, p95 = np.percentile(busy, [50, 95])
    i50, i95 = np.percentile(idle, [50, 95])
    print(f"config: {session.config.dataset} {session.config.model}, torch threads {torch.get_num_threads()}, "
          f"{a.calls} calls, training reached step {steps}")
    print(f"while training: p50 {p50:.1f} ms, p95 {p95:.1f} ms   (target p95 <= 100 ms)")
    print(f"paused (reference): p50 {i50:.1f} ms, p95 {i95:.1f} ms")
    print(f"ratio p95 training / paused = {p95 / i95:.2f}")


if __name__ == "__main__":
    main()
