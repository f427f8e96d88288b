"""The GPU check of issue 25: five measurements on one GPU, each printed with its ratio or target.

1. Trainer ÷ a plain pytorch/examples-style DCGAN loop on MNIST (64 px, widths 64, batch 128), fp32 and bf16
   (target ≥ 1.0); the plain loop is ``trainer_vs_bare.bare_loop``, always fp32 with plain Adam.
2. 300 ring8 runs stacked on one GPU (:class:`ganapp.engine.stack.StackedTrainer`): per-run steps/s (target ≥ 100).
3. A class of 30 MNIST DCGAN runs on one GPU through the Engine (their own Runs, publishing as in the app):
   per-run steps/s; beside it, the same 30 trainers stepped in turn on the default stream and each on its own CUDA
   stream, to tell whether the engine should give each lone run a stream.
4. The Ray path: actors with fractional ``num_gpus``, each training a stack of ring8 runs; a clear line when Ray is
   not installed.
5. One ZeroGPU chunk: a run built on the CPU moves to the GPU, trains, and comes back whole.

Run it through ``benchmarks/gpu_check.sh`` (which says how it finds torch on a lent machine), or directly:

    python benchmarks/gpu_check.py --data-dir DIR        # DIR holds MNIST/raw/ (torchvision's layout)
    python benchmarks/gpu_check.py --smoke               # tiny sizes on the CPU, seconds: only that it runs

Every section prints one ``RESULT`` line (what a reader greps), and a section that fails prints ``FAILED`` with the
error and the others still run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from contextlib import nullcontext
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import interleaved, steps_per_s  # noqa: E402
from trainer_vs_bare import bare_loop  # noqa: E402
from ganapp.engine.engine import Engine  # noqa: E402
from ganapp.engine.stack import StackedTrainer  # noqa: E402
from ganapp.engine.zerogpu import train_chunk  # noqa: E402
from ganapp.gan.config import GANConfig  # noqa: E402
from ganapp.gan.trainer import Trainer  # noqa: E402
from ganapp.run.run import Run  # noqa: E402


class Sizes:
    """The sizes of each section: the issue's on a GPU, tiny ones for ``--smoke``."""

    def __init__(self, smoke: bool, device: str):
        self.device = device
        self.seconds = 0.05 if smoke else 5.0
        self.warmup = 1 if smoke else 20
        self.rounds = 1 if smoke else 3
        self.dataset = "mnist_10k" if smoke else "mnist"
        self.dcgan = (dict(image_size=28, g_width=4, d_width=4, batch_size=8, z_dim=8) if smoke
                      else dict(image_size=64, g_width=64, d_width=64, batch_size=128, z_dim=100))
        self.class_dcgan = (dict(image_size=28, g_width=4, d_width=4, batch_size=8, z_dim=8) if smoke
                            else {})  # the class's runs at mnist's defaults
        self.ring8_runs = 3 if smoke else 300
        self.class_runs = 2 if smoke else 30
        self.ray_actors = 2 if smoke else 4


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def trainer_vs_plain(s: Sizes) -> None:
    """Section 1: the Trainer ÷ the plain loop, fp32 and bf16."""
    for bf16 in (False, True):
        config = GANConfig.default_for(s.dataset, model="dcgan", device=s.device, bf16=bf16, **s.dcgan)
        trainer = Trainer(config, download=False)
        plain = bare_loop(config.replace(bf16=False), trainer.device)
        for _ in range(s.warmup):  # cudnn's autotuner, the allocator
            trainer.train_step()
            plain()
        sync = lambda: _sync(trainer.device)  # noqa: E731
        med = interleaved({"trainer": lambda: steps_per_s(trainer.train_step, s.seconds, sync),
                           "plain": lambda: steps_per_s(plain, s.seconds, sync)}, s.rounds)
        ratio = med["trainer"] / med["plain"]
        print(f"RESULT trainer/plain {'bf16' if bf16 else 'fp32'}: {ratio:.3f} (target >= 1.0)  trainer "
              f"{med['trainer']:.1f} steps/s, plain {med['plain']:.1f} steps/s; {config.dataset} "
              f"{config.image_size}px width {config.g_width} batch {config.batch_size} on {trainer.device}")


def stacked_ring8(s: Sizes) -> None:
    """Section 2: ``ring8_runs`` ring8 runs in one stack."""
    trainers = [Trainer(GANConfig.default_for("ring8", seed=i, device=s.device)) for i in range(s.ring8_runs)]
    stack = StackedTrainer(trainers)
    for _ in range(s.warmup):
        stack.train_step()
    rate = steps_per_s(stack.train_step, s.seconds * s.rounds, lambda: _sync(stack.device))
    print(f"RESULT {len(trainers)} ring8 runs stacked: {rate:.1f} steps/s per run (target >= 100) on {stack.device}")


def dcgan_class(s: Sizes) -> None:
    """Section 3: a class of DCGAN runs through the Engine, then the same trainers in turn, one stream or many."""
    configs = [GANConfig.default_for(s.dataset, model="dcgan", seed=i, device=s.device, **s.class_dcgan)
               for i in range(s.class_runs)]
    engine = Engine(background=False)
    runs = [Run(c, engine=engine, download=False) for c in configs]
    for run in runs:
        run.start()
    engine.run_for(s.seconds)  # warm-up
    before = [run.step_count for run in runs]
    t0 = time.perf_counter()
    engine.run_for(s.seconds * s.rounds)
    elapsed = time.perf_counter() - t0
    for run in runs:
        run.stop()
    engine.close()
    done = [run.step_count - b for run, b in zip(runs, before)]
    device = runs[0].trainer.device
    print(f"RESULT class of {len(runs)} {configs[0].dataset} DCGAN runs (Engine): "
          f"{sum(done) / len(runs) / elapsed:.1f} steps/s per run (slowest {min(done) / elapsed:.1f}) on {device}")

    trainers = [Trainer(c, download=False) for c in configs]
    streams = [torch.cuda.Stream(device) if device.type == "cuda" else None for _ in trainers]

    def in_turn(own_stream: bool):
        def step() -> None:
            for t, st in zip(trainers, streams):
                with torch.cuda.stream(st) if own_stream and st is not None else nullcontext():
                    t.train_step()
        return step

    for _ in range(s.warmup):
        in_turn(True)()
    med = interleaved({"one": lambda: steps_per_s(in_turn(False), s.seconds, lambda: _sync(device)),
                       "own": lambda: steps_per_s(in_turn(True), s.seconds, lambda: _sync(device))}, s.rounds)
    print(f"RESULT class of {len(trainers)} in turn, own stream / one stream: {med['own'] / med['one']:.3f}  "
          f"({med['own']:.1f} vs {med['one']:.1f} steps/s per run) on {device}")


def ray_fractions(s: Sizes) -> None:
    """Section 4: ``ray_actors`` actors sharing one GPU by ``num_gpus`` fractions, each a stack of ring8 runs."""
    try:
        import ray
    except ImportError:
        print("RESULT ray: SKIPPED, ray is not installed (pip install -r requirements-ray.txt)")
        return
    gpus = 1 if s.device == "cuda" else 0
    ray.init(num_cpus=s.ray_actors, num_gpus=gpus, include_dashboard=False, log_to_driver=False)
    try:
        fraction = 1.0 / s.ray_actors if gpus else 0
        runs_each = max(1, s.ring8_runs // s.ray_actors)

        @ray.remote(num_gpus=fraction, num_cpus=1)
        class StackActor:
            def __init__(self, n: int, device: str):
                self.stack = StackedTrainer([Trainer(GANConfig.default_for("ring8", seed=i, device=device))
                                             for i in range(n)])

            def rate(self, seconds: float) -> float:
                for _ in range(5):
                    self.stack.train_step()
                return steps_per_s(self.stack.train_step, seconds, lambda: _sync(self.stack.device))

        actors = [StackActor.remote(runs_each, s.device) for _ in range(s.ray_actors)]
        rates = ray.get([a.rate.remote(s.seconds * s.rounds) for a in actors])
        print(f"RESULT ray {s.ray_actors} actors x num_gpus {fraction:g}, {runs_each} ring8 runs each: "
              f"{min(rates):.1f} steps/s per run (slowest actor), {sum(rates) / len(rates):.1f} mean")
    finally:
        ray.shutdown()


def zerogpu_chunk(s: Sizes) -> None:
    """Section 5: one ZeroGPU chunk (:func:`ganapp.engine.zerogpu.train_chunk`) of a run built on the CPU: it moves
    to the GPU, trains, comes back; its state loads into the run, which then steps on the CPU."""
    config = GANConfig.default_for(s.dataset, model="dcgan", seed=0, device="cpu", **s.class_dcgan)
    trainer = Trainer(config, download=False)
    result = train_chunk(trainer, s.device, s.seconds * s.rounds, 100_000)
    trainer.load_state(result.tensors, result.meta)
    assert trainer.device.type == "cpu" and trainer.weights_finite(), "the run did not come back whole"
    trainer.train_step()
    print(f"RESULT zerogpu chunk on {s.device}: {len(result.rows) / result.seconds:.1f} steps/s over "
          f"{result.seconds:.1f} s, moves included ({len(result.rows)} steps of a {config.dataset} DCGAN)")


SECTIONS = {"plain": trainer_vs_plain, "stack": stacked_ring8, "class": dcgan_class, "ray": ray_fractions,
            "chunk": zerogpu_chunk}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", help="the folder holding MNIST/raw/ (sets GANAPP_DATA_DIR; nothing is downloaded)")
    p.add_argument("--smoke", action="store_true", help="tiny sizes on the CPU, in seconds: checks that it runs")
    p.add_argument("--device", default=None, help="default: cuda, or cpu with --smoke")
    p.add_argument("--only", choices=sorted(SECTIONS), action="append", help="run only these sections")
    a = p.parse_args(argv)
    if a.data_dir:
        os.environ["GANAPP_DATA_DIR"] = str(Path(a.data_dir).expanduser().resolve())
    device = a.device or ("cpu" if a.smoke else "cuda")
    if a.smoke:
        torch.set_num_threads(1)  # tiny steps run fastest on one thread, and a test shares the machine
    if device == "cuda" and not torch.cuda.is_available():
        print("gpu_check: no CUDA device here; use --smoke on a CPU")
        return 2
    name = torch.cuda.get_device_name() if device == "cuda" else "cpu"
    print(f"gpu_check: torch {torch.__version__} on {name}, python {sys.version.split()[0]}, "
          f"data {os.environ.get('GANAPP_DATA_DIR', '(default)')}")
    s = Sizes(a.smoke, device)
    failed = 0
    for key in a.only or list(SECTIONS):
        t0 = time.perf_counter()
        try:
            SECTIONS[key](s)
        except Exception:  # noqa: BLE001: one section's failure must not hide the others' figures
            failed += 1
            print(f"FAILED {key}:\n{traceback.format_exc()}")
        print(f"  ({key}: {time.perf_counter() - t0:.0f} s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
