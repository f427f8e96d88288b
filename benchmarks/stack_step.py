"""A classroom's stacked step: 30 ring8 runs at the classroom sizes as one step, lazy R1 paid only by the runs due.

Students press Start at different times, so their D-update counts, and with them the phase of lazy R1 (every
``r1_every``-th D step), differ. With K runs and r1_every 8, some run is due on almost every step (1 − (7/8)^30 =
98% of them at K = 30). A stack that computes every member's R1 whenever one is due pays for R1 on every step,
8 times what lazy regularisation is for; ganapp's stack computes it for the due members only.

This prints stacked steps/s (= steps/s of each run) of one torch thread, as the training worker runs it:

- "R1 for the due members": the shipped StackedTrainer;
- "R1 for all when one is due": the reference, the stack as it was (its R1 over all K members, kept for the due);
- "no R1": the bound, with γ = 0;

measured interleaved in this process, and the ratio of the first to the reference.

    python benchmarks/stack_step.py [--runs 30] [--seconds 4] [--rounds 5]
"""

from __future__ import annotations

import argparse

import torch

from _common import interleaved, steps_per_s
from ganapp.engine.stack import StackedTrainer
from ganapp.gan.config import GANConfig
from ganapp.gan.presets import classroom_config
from ganapp.gan.trainer import Trainer


class AllMembersR1(StackedTrainer):
    """The reference: R1 of every member whenever any is due (the stack before lazy R1 was per member)."""

    def _r1(self, real: torch.Tensor, due: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        idx = torch.arange(len(due), device=due.device)
        return idx, torch.where(due, self._grad_norms(real).pow(2).mean(1), self.last_r1)


def stack(kind: type[StackedTrainer], runs: int, **changes) -> StackedTrainer:
    """``runs`` ring8 trainers at the classroom sizes (seeds 0..runs-1), one D step apart in R1's phase."""
    config = classroom_config(GANConfig.default_for("ring8")).replace(device="cpu", **changes)
    trainers = [Trainer(config.replace(seed=i)) for i in range(runs)]
    for i, t in enumerate(trainers):
        t.d_updates = i  # as in a class: each student pressed Start at another moment
    s = kind(trainers)
    for _ in range(10):  # warm-up
        s.train_step()
    return s


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--seconds", type=float, default=4.0, help="per measurement")
    p.add_argument("--rounds", type=int, default=5, help="interleaved rounds; the median is reported")
    a = p.parse_args()
    torch.set_num_threads(1)  # the worker's stacked step runs on one thread, leaving a core to the page
    stacks = {"R1 for the due members": stack(StackedTrainer, a.runs),
              "R1 for all when one is due": stack(AllMembersR1, a.runs),
              "no R1 (γ = 0)": stack(StackedTrainer, a.runs, r1_gamma=0.0)}
    rates = interleaved({k: (lambda s=s: steps_per_s(s.train_step, a.seconds)) for k, s in stacks.items()}, a.rounds)
    print(f"{a.runs} ring8 runs at the classroom sizes, one stacked step, 1 torch thread "
          f"(median of {a.rounds} interleaved rounds):")
    for name, r in rates.items():
        print(f"  {name:28s} {r:6.1f} steps/s per run")
    ratio = rates["R1 for the due members"] / rates["R1 for all when one is due"]
    print(f"ratio, R1 for the due members ÷ R1 for all: {ratio:.2f}")


if __name__ == "__main__":
    main()
