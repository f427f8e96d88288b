"""The same class of students trained through the local training worker and through a local Ray cluster, in one
run: per-student steps/s Ray ÷ worker, and tick and slider p95 of each.

Both are ``python app.py`` as a host starts it, measured by :func:`classroom.run_class` (N simulated students through
gradio_client, each pressing Start on ring8 at the page's defaults, polling as the page does and moving a z slider):
once as it is (the training worker), once with ``GANAPP_RAY_ADDRESS=local`` (the web server starts a Ray cluster on
this machine, whose one engine is a Ray actor; its engines autosave to a temporary ``GANAPP_STATE_DIR``). With
``--abba`` the order is worker, Ray, Ray, worker and each figure is the mean of its two runs (the app measured first
runs slower, see benchmarks/README.md). Targets (issue 25): Ray ÷ worker ≥ 0.9, tick and slider p95 ≤ 300 ms.

    python benchmarks/ray_class.py --students 10 [--seconds 60] [--abba]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from classroom import Scenario, report, run_class, spread  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=10, help="students in the class")
    p.add_argument("--seconds", type=float, default=60.0, help="how long the class trains once everyone started")
    p.add_argument("--abba", action="store_true", help="measure worker, Ray, Ray, worker and take each one's mean")
    a = p.parse_args()
    scenario = Scenario("sync", True, 0.0, False, a.seconds)
    with tempfile.TemporaryDirectory(prefix="ganapp-ray-class-") as state:
        apps = {"worker": {}, "ray": {"GANAPP_RAY_ADDRESS": "local", "GANAPP_STATE_DIR": state}}
        order = ["worker", "ray", "ray", "worker"] if a.abba else ["worker", "ray"]
        results: dict[str, list[dict]] = {"worker": [], "ray": []}
        for name in order:
            r = run_class(a.students, scenario, 0.0, 0.0, False, 20.0, server_env=apps[name])
            report(f"{name} (run {len(results[name]) + 1})", r, None, a.students)
            results[name].append(r)
    median = {name: float(np.mean([spread(r["rates"]["ring8"])[1] for r in rs])) for name, rs in results.items()}
    tick = {name: float(np.mean([r["poll_ms"][1] for r in rs])) for name, rs in results.items()}
    slider = {name: float(np.mean([r["slider_ms"][1] for r in rs])) for name, rs in results.items()}
    errors = {name: sum(r["errors"] for r in rs) for name, rs in results.items()}
    print(f"\n{a.students} students, ring8 at the page's defaults, {a.seconds:.0f} s:")
    print(f"  per-student steps/s, median: worker {median['worker']:.1f}, Ray {median['ray']:.1f}")
    print(f"  Ray ÷ worker: {median['ray'] / median['worker']:.2f} (target ≥ 0.9)")
    print(f"  tick p95: worker {tick['worker']:.0f} ms, Ray {tick['ray']:.0f} ms; slider p95: worker "
          f"{slider['worker']:.0f} ms, Ray {slider['ray']:.0f} ms (target ≤ 300 ms); errors: worker "
          f"{errors['worker']}, Ray {errors['ray']}")


if __name__ == "__main__":
    main()
