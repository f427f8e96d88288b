"""What training in a worker process could give a classroom: the engine's speed beside a busy web server that it
does not share an interpreter with.

Issue 11 asks whether to move training out of the web process (the interpreter lock). This measures the bound of
that design before building it, in three parts, on the same machine in one run:

1. the engine alone: ``--sessions`` ring8 runs at the classroom sizes, publishing and drawing their 2D views as the
   server's do, on an engine in this process (one torch thread for the stacked step, as the server leaves a core
   to the page);
2. the same engine, while ``python app.py`` in another process serves ``--sessions`` watching students through
   gradio_client (classroom.py's ``--watch-only`` class, clients at nice 19): the worker process's case, minus
   what shipping snapshots to the web process would cost;
3. the reference, the in-process design (``GANAPP_WORKER=0``): classroom.py's training class, everything in the
   server's one process.

It prints steps/s per run (min and median) for each, and the ratio of part 2 to part 3: what a worker process
could gain at most. The target (issue 11) is ≥ 40 steps/s for every run.

    python benchmarks/worker_split.py [--sessions 30] [--seconds 40]
"""

from __future__ import annotations

import argparse
import os
import threading
import time

import numpy as np

from _common import ROOT  # noqa: F401  (ROOT sets the import path)
from classroom import run_class
from ganapp.engine.engine import Engine
from ganapp.gan.config import GANConfig
from ganapp.gan.presets import classroom_config
from ganapp.run.run import Run


def engine_rates(n: int, seconds: float, warmup_s: float = 5.0) -> np.ndarray:
    """Steps/s of each of ``n`` ring8 runs (classroom sizes, seeds 0..n-1) on one engine, over ``seconds`` after
    ``warmup_s``."""
    import torch

    torch.set_num_threads(int(os.environ.get("GANAPP_STACK_THREADS", "1")))
    engine = Engine()
    config = classroom_config(GANConfig.default_for("ring8"))
    runs = [Run(config.replace(seed=i), engine=engine) for i in range(n)]
    for s in runs:
        s.start()
    time.sleep(warmup_s)
    s0, t0 = [s.trainer.step_count for s in runs], time.perf_counter()
    time.sleep(seconds)
    s1, t1 = [s.trainer.step_count for s in runs], time.perf_counter()
    for s in runs:
        s.stop()
    engine.close()
    return (np.array(s1) - np.array(s0)) / (t1 - t0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, default=30, help="ring8 runs, and students")
    p.add_argument("--seconds", type=float, default=40.0, help="how long each part is measured")
    a = p.parse_args()
    alone = engine_rates(a.sessions, a.seconds)
    served: dict = {}
    server = threading.Thread(target=lambda: served.update(run_class(
        a.sessions, a.seconds + 40, 0.0, False, 20.0, watch_only=True)))
    server.start()
    time.sleep(35)  # the server is up and every student has the page open
    beside = engine_rates(a.sessions, a.seconds)
    server.join()
    reference = run_class(a.sessions, a.seconds + 15, 0.0, False, 20.0, server_env={"GANAPP_WORKER": "0"})
    ref = np.array(reference["rates"]["ring8"]) if "rates" in reference else np.array([])
    print(f"{a.sessions} ring8 runs at the classroom sizes, steps/s per run (min / median):")
    print(f"  1. the engine alone:                                 {alone.min():.1f} / {np.median(alone):.1f}")
    print(f"  2. beside a server with {a.sessions} watching students:     {beside.min():.1f} / "
          f"{np.median(beside):.1f} (the server used {served.get('cores', float('nan')):.2f} cores)")
    if ref.size:
        print(f"  3. in the server's process:                         {ref.min():.1f} / {np.median(ref):.1f}")
        print(f"worker-process bound ÷ in-process, median: {np.median(beside) / max(np.median(ref), 1e-9):.2f}; "
              f"target ≥ 40 for the slowest run")


if __name__ == "__main__":
    main()
