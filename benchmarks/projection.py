"""Finding an image's z (ganapp.gan.projection.project, as the Explore tab calls it): time and distance reached on the
shipped MNIST generators (target: ≤ 3 s on 2 CPU cores).

Targets: G(z*) of known seeds' z* (a conditional G's with a known label), and digits of the shipped mnist_10k. For
each G the script prints, in the same run: the median and the slowest time of a projection with the page's settings
(``PROJECT_STEPS`` steps, ``PROJECT_STARTS`` starts a label), the reference time of one G forward and of one forward
+ backward of the first step's batch (what one step costs) and their ratio, the median distance reached (mean
squared pixel error, images in [−1, 1]) and a random z's, their ratio, and for a conditional G how often the label
found is the digit's. ``--features W`` adds a row with the MNIST classifier's feature loss at weight W, to say whether
it helps.

    python benchmarks/projection.py [--targets 6] [--threads 1,2] [--features 0.01]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from _common import ROOT
from ganapp.gan.checkpoints import CHECKPOINT_DIR, load_checkpoint
from ganapp.gan.classifier import load_classifier
from ganapp.gan.latent import seed_to_z
from ganapp.gan.models import eval_mode, generate
from ganapp.gan.projection import project
from ganapp.ui.explore import PROJECT_STARTS, PROJECT_STEPS

GENERATORS = ("mnist_cond_dcgan", "mnist_dcgan")


def targets(ckpt, n: int) -> list[tuple[str, torch.Tensor, int]]:
    """(kind, (1, 28, 28) image in [−1, 1], its digit) for n samples of G and n MNIST digits."""
    out = []
    with eval_mode(ckpt.G):
        for i in range(n):
            label = i % 10
            y = torch.tensor([label]) if ckpt.config.conditional else None
            out.append(("G(z*)", generate(ckpt.G, seed_to_z(1000 + i, ckpt.config.z_dim), y)[0], label))
    data = np.load(ROOT / "ganapp" / "assets" / "mnist_10k.npz")
    for image, label in zip(data["images"][-n:], data["labels"][-n:]):
        out.append(("MNIST", torch.from_numpy(image).float().div(127.5).sub(1.0)[None], int(label)))
    return out


def reference_ms(G, z_dim: int, n_classes: int, repeats: int = 10) -> tuple[float, float]:
    """Median ms of one forward, and of one forward + backward to z, of the first step's batch."""
    batch = PROJECT_STARTS * max(n_classes, 1)
    z = torch.randn(batch, z_dim)
    y = torch.arange(batch) % n_classes if n_classes else None
    fwd, both = [], []
    with eval_mode(G):
        for _ in range(repeats):
            t0 = time.perf_counter()
            with torch.no_grad():
                G(z, y)
            fwd.append(time.perf_counter() - t0)
            zz = z.clone().requires_grad_(True)
            t0 = time.perf_counter()
            G(zz, y).pow(2).mean().backward()
            both.append(time.perf_counter() - t0)
    return statistics.median(fwd) * 1000, statistics.median(both) * 1000


def run(ckpt, cases, features=None, weight: float = 0.0) -> dict:
    times, dist, rand, hits = [], [], [], 0
    for kind, x, label in cases:
        t0 = time.perf_counter()
        found = project(ckpt.G, x, ckpt.config.z_dim, ckpt.config.n_classes, steps=PROJECT_STEPS,
                        n_starts=PROJECT_STARTS, features=features, feature_weight=weight)
        times.append(time.perf_counter() - t0)
        dist.append(found.distance)
        rand.append(found.random_distance)
        hits += found.label == label
    return dict(times=times, dist=dist, rand=rand, hits=hits)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--targets", type=int, default=6, help="samples of G and MNIST digits, each")
    p.add_argument("--threads", default="1,2", help="torch intra-op threads to measure at (the app's handlers use 1)")
    p.add_argument("--features", type=float, default=0.01, help="feature-loss weight to compare (0: none)")
    a = p.parse_args()
    clf = load_classifier().eval().requires_grad_(False) if a.features > 0 else None
    print(f"page settings: {PROJECT_STEPS} steps, {PROJECT_STARTS} starts a label; {a.targets} G(z*) and "
          f"{a.targets} MNIST targets per G")
    for threads in (int(t) for t in a.threads.split(",")):
        torch.set_num_threads(threads)
        for name in GENERATORS:
            ckpt = load_checkpoint(CHECKPOINT_DIR / f"{name}.safetensors")
            cases = targets(ckpt, a.targets)
            project(ckpt.G, cases[0][1], ckpt.config.z_dim, ckpt.config.n_classes, steps=2)  # warm-up
            fwd_ms, step_ms = reference_ms(ckpt.G, ckpt.config.z_dim, ckpt.config.n_classes)
            rows = [("pixel MSE", run(ckpt, cases))]
            if clf is not None:
                rows.append((f"+ features ×{a.features:g}", run(ckpt, cases, clf.features, a.features)))
            for title, r in rows:
                for kind in ("G(z*)", "MNIST"):
                    pick = [i for i, c in enumerate(cases) if c[0] == kind]
                    d = statistics.median(r["dist"][i] for i in pick)
                    rd = statistics.median(r["rand"][i] for i in pick)
                    print(f"{threads} thread(s) {name:17s} {title:20s} {kind:6s} distance {d:.4f}, random z {rd:.4f}, "
                          f"random ÷ found {rd / d:5.1f}")
                med, worst = statistics.median(r["times"]), max(r["times"])
                label = (f", label right {r['hits']}/{len(cases)}" if ckpt.config.conditional else "")
                print(f"{threads} thread(s) {name:17s} {title:20s} time median {med:.2f} s, slowest {worst:.2f} s; "
                      f"one G forward {fwd_ms:.1f} ms, forward + backward {step_ms:.1f} ms: median ÷ one step "
                      f"{med * 1000 / step_ms:.0f}{label}", flush=True)


if __name__ == "__main__":
    main()
