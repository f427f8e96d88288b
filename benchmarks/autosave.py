"""How long an autosave holds training up, for a DCGAN on MNIST at the page's defaults.

An autosave takes copies of the run between two steps, under the engine's lock (the stall), then writes them from
the caller's thread (the registry's reaper) while training goes on. This script trains a session on the engine and
measures, in the same process:

- the reference: the median time of one training step;
- the stall: how long :meth:`Run.autosave_state` holds the engine lock (median and max);
- the write: serialising and writing the file atomically, outside the lock;
- training speed while an autosave is written every second, against the same run without autosaves.

It prints the stall against one step, and the speed ratio. The issue's target: a stall of at most 50 ms.

    python benchmarks/autosave.py [--data-dir ../shared/data] [--saves 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time

from _common import ROOT  # noqa: F401  (sets the import path)
from ganapp.engine import runtime
from ganapp.gan.config import GANConfig
from ganapp.host.autosave import StateStore
from ganapp.run.run import Run


def steps_per_s(session: Run, seconds: float) -> float:
    s0, t0 = session.trainer.step_count, time.perf_counter()
    time.sleep(seconds)
    return (session.trainer.step_count - s0) / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"),
                        help="a folder holding MNIST/raw (else the shipped mnist_10k is used)")
    parser.add_argument("--saves", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each speed measurement")
    args = parser.parse_args()
    threads = runtime.configure()
    mnist = (ROOT.parent / "shared" / "data" / "MNIST" / "raw").is_dir() or \
        (os.path.isdir(os.path.join(args.data_dir, "MNIST", "raw")))
    if mnist:
        os.environ["GANAPP_DATA_DIR"] = args.data_dir
    config = GANConfig.default_for("mnist" if mnist else "mnist_10k", device="cpu")
    session = Run(config, download=False)
    print(f"{config.dataset} {config.model}, batch {config.batch_size}, G {config.g_width}, D {config.d_width}; "
          f"torch threads {threads}")

    # reference: one training step, timed alone in this thread
    step_s = []
    for _ in range(30):
        t0 = time.perf_counter()
        session.trainer.train_step()
        step_s.append(time.perf_counter() - t0)
    step_ms = statistics.median(step_s) * 1000

    store = StateStore(tempfile.mkdtemp(prefix="ganapp-bench-state-"))
    vid = store.verify(store.new_token())
    session.start()
    time.sleep(2.0)
    stall_ms, write_ms = [], []
    for _ in range(args.saves):
        with session.engine.lock:  # wait for the step in progress (that wait is not a stall) ...
            t0 = time.perf_counter()
            tensors, meta = session.autosave_state()  # ... then hold training up for the copies: the stall
            t1 = time.perf_counter()
        store.write(vid, "a", tensors, meta)
        t2 = time.perf_counter()
        stall_ms.append((t1 - t0) * 1000)
        write_ms.append((t2 - t1) * 1000)
        time.sleep(0.2)
    size_mb = store.path(vid, "a").stat().st_size / 2**20

    quiet = steps_per_s(session, args.seconds)
    stop = threading.Event()

    def saver() -> None:
        while not stop.wait(1.0):
            store.write(vid, "a", *session.autosave_state())

    thread = threading.Thread(target=saver, daemon=True)
    thread.start()
    saving = steps_per_s(session, args.seconds)
    stop.set()
    thread.join()
    session.stop()

    print(f"one training step (reference): {step_ms:.1f} ms")
    print(f"autosave stall (engine lock held): median {statistics.median(stall_ms):.1f} ms, "
          f"max {max(stall_ms):.1f} ms  -> {statistics.median(stall_ms) / step_ms:.2f} of one step "
          f"(target: at most 50 ms)")
    print(f"autosave write (outside the lock): median {statistics.median(write_ms):.1f} ms, file {size_mb:.1f} MB")
    print(f"training: {quiet:.1f} steps/s without autosaves, {saving:.1f} with one every second "
          f"-> ratio {saving / quiet:.3f}")


if __name__ == "__main__":
    main()
