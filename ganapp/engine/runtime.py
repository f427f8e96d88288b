"""Process-wide settings for serving many trainers from one Python process on a small CPU box."""

from __future__ import annotations

import os
import sys

import torch

# Python hands the GIL between threads every 5 ms by default. A training thread releases it around every torch op
# and must win it back; while a page poll builds its figures in another thread, each hand-back could wait a full
# interval, which cost training speed at 2 Hz polling (benchmarks/session_polling.py). A tenth of the default keeps
# the trainer's waits short at a small switching cost.
GIL_SWITCH_INTERVAL_S = 0.0005


def configure() -> int:
    """Set the GIL switch interval, and torch's intra-op threads for request handlers (a slider's G(z)) and lone
    training steps: ``GANAPP_TORCH_THREADS``, default 1. Small ops run slower split over threads, and the other
    core is then free for the page; the engine's stacked steps use every core but one (``GANAPP_STACK_THREADS``, see
    :class:`ganapp.engine.engine.Engine`).

    Returns:
        The torch intra-op thread count set.
    """
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    threads = int(os.environ.get("GANAPP_TORCH_THREADS", 1))
    torch.set_num_threads(max(1, threads))
    return threads
