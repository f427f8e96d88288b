"""What a run joining or leaving the class's stack costs: the whole stack written back and built again (the engine
before issue 23) against one member's rows cut out and put back (StackedTrainer.remove and add), beside the stacked
step itself.

A class churns: runs pause, reset and start at any moment, and a live change of the loss or batch size moves a run
to another stack. Each of those used to write back every member and build the stack again. This prints, for
``--runs`` ring8 runs at the classroom sizes on one torch thread (as the training worker runs them), measured
interleaved in this process: milliseconds per stacked step, per leave-and-rejoin the old way (write_back_all, then
a new StackedTrainer of all members) and the new way (remove one member, add it back), and their ratio.

    python benchmarks/stack_membership.py [--runs 30] [--repeats 20] [--rounds 5]
"""

from __future__ import annotations

import argparse
import time

import torch

from _common import interleaved
from ganapp.engine.stack import StackedTrainer
from ganapp.gan.config import GANConfig
from ganapp.gan.presets import classroom_config
from ganapp.gan.trainer import Trainer


def per_call_ms(fn, repeats: int) -> float:
    t0 = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - t0) / repeats * 1000


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--repeats", type=int, default=20, help="calls per measurement")
    p.add_argument("--rounds", type=int, default=5, help="interleaved rounds; the median is reported")
    a = p.parse_args()
    torch.set_num_threads(1)
    config = classroom_config(GANConfig.default_for("ring8")).replace(device="cpu")
    trainers = [Trainer(config.replace(seed=i)) for i in range(a.runs)]
    state = {"stack": StackedTrainer(trainers)}
    for _ in range(10):  # warm-up, and every member with Adam moments
        state["stack"].train_step()

    def rebuild() -> None:  # the engine before: the whole stack written back, then built again
        state["stack"].write_back_all()
        state["stack"] = StackedTrainer(trainers)

    def leave_and_join() -> None:  # now: one member's rows out, then in again
        member = state["stack"].members[len(trainers) // 2]
        state["stack"].remove(member)
        state["stack"].add([member])

    ms = interleaved({"stacked step": lambda: per_call_ms(state["stack"].train_step, a.repeats),
                      "rebuild": lambda: per_call_ms(rebuild, a.repeats),
                      "leave and join": lambda: per_call_ms(leave_and_join, a.repeats)}, a.rounds)
    print(f"{a.runs} ring8 runs at the classroom sizes, 1 torch thread (median of {a.rounds} interleaved rounds):")
    for name, value in ms.items():
        print(f"  {name:34s} {value:7.2f} ms")
    print(f"a run leaving and joining, the whole stack rebuilt ÷ one member's rows: "
          f"{ms['rebuild'] / ms['leave and join']:.1f}; the rebuild costs {ms['rebuild'] / ms['stacked step']:.2f} "
          f"stacked steps, one member's rows {ms['leave and join'] / ms['stacked step']:.2f}")


if __name__ == "__main__":
    main()
