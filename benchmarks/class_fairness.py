"""A class of mixed shapes on one engine: is the slowest ring8 run at least 0.7 × the median, and what does each way
of getting there cost the class?

The class, trained in this process as the training worker trains it (one Engine thread, the stacked step on one
torch thread): ``--class-size`` ring8 runs at the classroom sizes (stacked), ``--early`` ring8 runs built at the full
sizes before the classroom mode switched on, ``--mnist`` mnist_10k DCGANs at their defaults, and ``--paced`` runs of
the "saturation" lesson (ring8, paced at 10 steps/s). The runs publish their points but draw no 2D view: the views
cost every setup alike (and burst at each start and pause), and this compares the share. Three setups, measured in
turn, interleaved over rounds:

- "time share": the engine before this change, every group by time (``Engine(share="time")``), early runs at full
  size. This is what issue 23 measured: the early runs trained at a fifth of the class's rate.
- "step share": peers (2D runs at their default sizes, full or classroom) share by steps (``share="steps"``), early
  runs still at full size: fair, but the class pays for the dearer steps.
- "moved": the early runs moved into the class's sizes (what the page does for a run younger than
  ganapp.gan.presets.YOUNG_S when the class arrives), step share: one stack.

Printed per setup: ring8 steps/s per run at the page's default sizes (the class's and the early runs; the rule
"no ring8 run below 0.7 × the median" covers these, not paced runs or sizes a student chose): median, slowest and
slowest ÷ median; the early runs' median; the class's median as a ratio to the "time share" setup's; MNIST's and the
paced runs' medians.

    python benchmarks/class_fairness.py [--class-size 27] [--early 3] [--mnist 2] [--paced 1] [--seconds 15]
        [--rounds 2]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

import _common  # noqa: F401 (the import path)
from ganapp.engine.engine import Engine
from ganapp.gan.config import GANConfig
from ganapp.gan.presets import classroom_config
from ganapp.run.lessons import LESSONS
from ganapp.run.run import Run


def build(share: str, moved: bool, a: argparse.Namespace) -> tuple[Engine, dict[str, list[Run]]]:
    """The class on an engine of its own, paused."""
    engine = Engine(share=share)
    kw = dict(engine=engine, view_2d=False)
    full = GANConfig.default_for("ring8", device="cpu")
    small = classroom_config(full)
    lesson = LESSONS["saturation"]
    runs = {
        "class": [Run(small.replace(seed=i), **kw) for i in range(a.class_size)],
        "early": [Run((small if moved else full).replace(seed=100 + i), **kw) for i in range(a.early)],
        "mnist": [Run(GANConfig.default_for("mnist_10k", device="cpu", seed=i), **kw)
                  for i in range(a.mnist)],
        "paced": [Run(lesson.config().replace(device="cpu"), **kw) for _ in range(a.paced)],
    }
    for s in runs["paced"]:
        s.set_lesson(lesson)
    return engine, runs


def measure(engine: Engine, runs: dict[str, list[Run]], seconds: float) -> dict[str, list[float]]:
    """Steps/s of every run over ``seconds``, after a warm-up; the runs are paused again afterwards."""
    every = [s for group in runs.values() for s in group]
    for s in every:
        s.start()
    time.sleep(3.0)  # every run stepping, the stacks built
    t0, s0 = time.perf_counter(), [s.trainer.step_count for s in every]
    time.sleep(seconds)
    t1, s1 = time.perf_counter(), [s.trainer.step_count for s in every]
    for s in every:
        s.pause()
    rates = iter([(b - a) / (t1 - t0) for a, b in zip(s0, s1)])
    return {name: [next(rates) for _ in group] for name, group in runs.items()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--class-size", type=int, default=27, help="ring8 runs at the classroom sizes")
    p.add_argument("--early", type=int, default=3, help="ring8 runs built at the full sizes before the class came")
    p.add_argument("--mnist", type=int, default=2, help="mnist_10k DCGANs at their defaults")
    p.add_argument("--paced", type=int, default=1, help="runs of the paced 'saturation' lesson")
    p.add_argument("--seconds", type=float, default=15.0, help="per measurement")
    p.add_argument("--rounds", type=int, default=2, help="interleaved rounds; the median is reported")
    a = p.parse_args()
    torch.set_num_threads(1)
    setups = {"time share": ("time", False), "step share": ("steps", False), "moved": ("steps", True)}
    built = {name: build(share, moved, a) for name, (share, moved) in setups.items()}
    results: dict[str, list[dict[str, list[float]]]] = {name: [] for name in setups}
    for _ in range(a.rounds):
        for name, (engine, runs) in built.items():
            results[name].append(measure(engine, runs, a.seconds))
    print(f"{a.class_size} classroom-size ring8 runs, {a.early} early full-size ones, {a.mnist} mnist_10k, {a.paced} "
          f"paced lesson run(s); {a.seconds:g} s a measurement, median of {a.rounds} interleaved rounds")
    reference = None
    for name, rounds in results.items():
        def med(group: str, pick=statistics.median) -> float:
            return statistics.median(pick(r[group]) if r[group] else float("nan") for r in rounds)
        ring8 = [statistics.median(vals) for vals in zip(*[r["class"] + r["early"] for r in rounds])]
        median, slowest = statistics.median(ring8), min(ring8)
        class_median = med("class")
        reference = reference or class_median
        print(f"\n{name}:")
        print(f"  ring8 at default sizes: median {median:.1f}, slowest {slowest:.1f} steps/s, slowest ÷ median "
              f"{slowest / median:.2f}")
        print(f"  early runs' median {med('early'):.1f}; the class's median {class_median:.1f} "
              f"({class_median / reference:.2f} × time share's)")
        print(f"  mnist_10k median {med('mnist'):.2f}; paced median {med('paced'):.1f} steps/s")
        print("  the class's median in each round: " + ", ".join(f"{statistics.median(r['class']):.1f}"
                                                              for r in rounds))
    for engine, runs in built.values():
        for group in runs.values():
            for s in group:
                s.stop()
        engine.close()


if __name__ == "__main__":
    main()
