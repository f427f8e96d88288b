"""Helpers shared by the benchmark scripts: import path, argument parsing, interleaved timing."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def steps_per_s(step: Callable[[], object], seconds: float, sync: Callable[[], None] = lambda: None) -> float:
    """Call ``step`` repeatedly for about ``seconds`` and return calls per second."""
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        step()
        n += 1
    sync()
    return n / (time.perf_counter() - t0)


def interleaved(candidates: dict[str, Callable[[], float]], rounds: int) -> dict[str, float]:
    """Run each measurement ``rounds`` times, alternating, and return each one's median (drift hits all alike)."""
    results: dict[str, list[float]] = {k: [] for k in candidates}
    for _ in range(rounds):
        for name, measure in candidates.items():
            results[name].append(measure())
    return {k: statistics.median(v) for k, v in results.items()}
