"""Process-wide settings for serving many trainers from one Python process on a small CPU box."""

from __future__ import annotations

import os
import sys

import torch

# Python hands the GIL between threads every 5 ms by default. A training thread releases it around every torch op
# and must win it back; while a page poll builds its figures in another thread, each hand-back could wait a full
# interval, which cost ~10% of training speed at 2 Hz polling (benchmarks/session_polling.py). 0.5 ms keeps the
# trainer's waits short at a negligible switching cost.
GIL_SWITCH_INTERVAL_S = 0.0005


def configure(max_trainers: int) -> int:
    """Set the GIL switch interval, and give each concurrently running trainer its share of the cores so trainers
    don't oversubscribe a small box (``GANAPP_TORCH_THREADS`` overrides).

    Returns:
        The torch intra-op thread count set.
    """
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    cores = os.cpu_count() or 1
    threads = int(os.environ.get("GANAPP_TORCH_THREADS", max(1, cores // max(1, min(max_trainers, cores)))))
    torch.set_num_threads(max(1, threads))
    return threads
