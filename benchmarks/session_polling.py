"""Session steps/s with the page polling at 2 Hz ÷ the Trainer alone (target ≥ 0.95).

The poller calls the app's real Timer handler (LiveHandlers.poll: snapshot, downsampled history, two Plotly figures and
the grid) every 0.5 s from another thread, as Gradio does for an open page. The reference is the same Trainer
stepping in a plain background thread with no session around it (a trainer behind a web server always runs off the
main thread; on a 2-core box the main thread's own figure is noisier, so it is printed for information only). All
measurements run in this process, interleaved, and the script prints the ratio of the medians.

    python benchmarks/session_polling.py [--dataset mnist_10k] [--seconds 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import threading

import torch

from _common import interleaved, session_rate, steps_per_s
from ganapp.engine import runtime
from ganapp.gan.config import GANConfig
from ganapp.gan.trainer import Trainer


def thread_rate(trainer: Trainer, seconds: float) -> float:
    """Trainer.train_step in a loop on a fresh background thread, with nothing else running."""
    out: list[float] = []
    thread = threading.Thread(target=lambda: out.append(steps_per_s(trainer.train_step, seconds)))
    thread.start()
    thread.join()
    return out[0]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="mnist_10k")
    p.add_argument("--seconds", type=float, default=6.0)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--poll-hz", type=float, default=2.0)
    a = p.parse_args()
    runtime.configure()  # as app.py does (GIL switch interval, torch threads)
    config = GANConfig.default_for(a.dataset, device="cpu")
    trainer = Trainer(config)
    med = interleaved({"session": lambda: session_rate(config, a.seconds, a.poll_hz),
                       "trainer": lambda: thread_rate(trainer, a.seconds),
                       "main": lambda: steps_per_s(trainer.train_step, a.seconds)}, a.rounds)
    print(f"config: {config.dataset} {config.model} batch {config.batch_size}, torch threads "
          f"{torch.get_num_threads()}, polling at {a.poll_hz} Hz")
    print(f"session: {med['session']:.1f} steps/s   Trainer alone: {med['trainer']:.1f} steps/s "
          f"(on the main thread: {med['main']:.1f}, for information)")
    print(f"ratio session / Trainer = {med['session'] / med['trainer']:.3f}  (target >= 0.95)")


if __name__ == "__main__":
    main()
