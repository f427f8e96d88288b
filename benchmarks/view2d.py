"""The 2D view's cost: one frame on the CPU (target ≤ 30 ms), and training steps/s with the view live ÷ without
(target ≥ 0.9).

A frame is what the page gets twice a second for 2D data: D's decision map on a 64×64 grid, G's gradient arrows on
200 fake samples, G's manifold, and the Plotly figure with 2,000 points serialised to JSON (what Gradio sends). The
reference frame is the same figure with the points only. The training ratio compares two sessions on ring8 with the
default settings, both publishing at the app's rates while a thread calls the app's poll handler at 2 Hz: one with
the view and its live metrics, one without. Runs alternate in this process; the script prints medians and ratios.

    python benchmarks/view2d.py [--frames 50] [--seconds 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from _common import interleaved, session_rate
from ganapp.engine import runtime
from ganapp.gan.config import GANConfig
from ganapp.gan.points2d import BOUNDS_2D
from ganapp.gan.trainer import Trainer
from ganapp.gan.view2d import view
from ganapp.ui.plots import LAYERS, view2d_figure

LABELS = {k: k for k in ("real", "fake", "decision", "critic", "arrows", "manifold")}


def frame_ms(trainer: Trainer, n_frames: int, with_view: bool) -> float:
    bounds = BOUNDS_2D["ring8"]
    real = trainer.data.sample(1000).numpy()
    times = []
    for i in range(n_frames):
        t0 = time.perf_counter()
        with torch.no_grad():
            fake = trainer.G(torch.randn(1000, 2))
        frame = view(trainer.G, trainer.D, trainer.loss, 2, bounds, fake) if with_view else None
        fig = view2d_figure(frame, {"real": real, "fake": fake.numpy()}, "ring8", LAYERS if with_view else
                            ("real", "fake"), "2D", LABELS)
        fig.to_json()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", type=int, default=50)
    p.add_argument("--seconds", type=float, default=8.0)
    p.add_argument("--rounds", type=int, default=3)
    a = p.parse_args()
    runtime.configure()
    config = GANConfig.default_for("ring8", device="cpu")
    trainer = Trainer(config)
    for _ in range(50):
        trainer.train_step()
    full, points = frame_ms(trainer, a.frames, True), frame_ms(trainer, a.frames, False)
    print(f"one frame (64×64 map, 200 arrows, manifold, 2,000 points, to JSON): {full:.1f} ms median; points only: "
          f"{points:.1f} ms; ratio {full / points:.2f}; target ≤ 30 ms")
    med = interleaved({"view": lambda: session_rate(config, a.seconds, view_2d=True),
                       "plain": lambda: session_rate(config, a.seconds, view_2d=False)}, a.rounds)
    print(f"training with the 2D view: {med['view']:.0f} steps/s; without: {med['plain']:.0f} steps/s; "
          f"ratio {med['view'] / med['plain']:.3f}; target ≥ 0.9 (torch threads {torch.get_num_threads()})")


if __name__ == "__main__":
    main()
