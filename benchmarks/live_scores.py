"""Session steps/s with live MNIST scores ÷ without them (the scores must not stall training).

Both sessions train the default DCGAN on mnist_10k behind the app's real 2 Hz poll handler, as for an open page; one
also scores its G with the shipped classifier every ``--score-every`` steps on ``--n`` samples (in the shared score
pool, as the app does). Measurements alternate in this process, and the script prints the ratio of the medians and
how many scores were made.

    python benchmarks/live_scores.py [--seconds 20] [--rounds 3] [--score-every 500] [--n 2000]
"""

from __future__ import annotations

import argparse
import functools

import torch

from _common import interleaved, session_rate
from ganapp.engine import runtime
from ganapp.gan.config import GANConfig
from ganapp.gan.metrics import live_scorer, shared_judge


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--score-every", type=int, default=500)
    p.add_argument("--n", type=int, default=2000)
    a = p.parse_args()
    runtime.configure()  # as app.py does
    config = GANConfig.default_for("mnist_10k", device="cpu")
    shared_judge().floor(a.n)  # load the classifier and the reference once, outside the timing, as a warm server has
    counts: list[int] = []
    scorer = functools.partial(live_scorer, n=a.n)
    med = interleaved({"scored": lambda: session_rate(config, a.seconds, counts=counts, scorer_for=scorer,
                                                      score_every_steps=a.score_every),
                       "plain": lambda: session_rate(config, a.seconds, scorer_for=None)}, a.rounds)
    print(f"config: {config.dataset} {config.model} batch {config.batch_size}, torch threads "
          f"{torch.get_num_threads()}; a score of {a.n} samples every {a.score_every} steps")
    print(f"with live scores: {med['scored']:.1f} steps/s ({counts} scores per run)   without: "
          f"{med['plain']:.1f} steps/s")
    print(f"ratio (with ÷ without): {med['scored'] / med['plain']:.3f}   target ≥ 0.95")


if __name__ == "__main__":
    main()
