"""ganapp: train a GAN live in the browser and explore its latent space.

Run ``python app.py`` and open http://127.0.0.1:7860. This file is also the Hugging Face Spaces entry point.

Environment:
    GANAPP_IDLE_TIMEOUT_S: seconds after which an unseen visitor's session is stopped and freed (default 900).
    GANAPP_CLASSROOM: ``auto`` (default): while 4 or more visitors are on the server, a new 2D run at its dataset's
        default sizes gets smaller networks (width 64, batch 128) so that a whole class trains at full speed; ``1``
        always; ``0`` never.
    GANAPP_TORCH_THREADS: torch intra-op threads of request handlers and lone training steps (default 1).
    GANAPP_STACK_THREADS: torch intra-op threads of a stacked step of many sessions (default: every core but one,
        at least 1, so that the page keeps a core).
    GANAPP_DATA_DIR: where downloadable datasets (mnist) are read from and downloaded to.
    GANAPP_MAX_UPLOAD_MB: the largest file a visitor may upload, in MB (default 50); larger ones are refused.
    GRADIO_ANALYTICS_ENABLED: ``True`` turns Gradio's usage analytics on; ganapp keeps them off by default (schools
        care where data goes).
    GRADIO_SERVER_NAME, GRADIO_SERVER_PORT: where to serve (Gradio's own variables).
"""

from __future__ import annotations

import importlib
import os
import threading
from pathlib import Path

import gradio as gr

from ganapp import runtime
from ganapp.metrics import live_scorer
from ganapp.registry import SessionRegistry
from ganapp.ui import CSS, GanApp, build_demo

ROOT = Path(__file__).resolve().parent
CLASSROOM_CHOICES = {"auto": None, "1": True, "0": False}


def analytics_enabled() -> bool:
    """Whether Gradio's usage analytics are on: only when the host sets ``GRADIO_ANALYTICS_ENABLED=True``."""
    return os.environ.get("GRADIO_ANALYTICS_ENABLED", "False").strip().lower() in ("1", "true", "yes")


def launch_settings(max_upload_mb: float | None = None) -> dict:
    """The ``launch()`` arguments a host sets through the environment: ``max_file_size`` from
    ``GANAPP_MAX_UPLOAD_MB`` (default 50 MB; ``max_upload_mb`` overrides it).

    Raises:
        SystemExit: GANAPP_MAX_UPLOAD_MB is not a number > 0.
    """
    if max_upload_mb is None:
        raw = os.environ.get("GANAPP_MAX_UPLOAD_MB", "50")
        try:
            max_upload_mb = float(raw)
        except ValueError:
            max_upload_mb = float("nan")
    if not max_upload_mb > 0:
        raise SystemExit(f"GANAPP_MAX_UPLOAD_MB={max_upload_mb!r} is out of range: it must be a number of MB > 0")
    return {"max_file_size": int(max_upload_mb * 1024 * 1024)}


def create_demo(idle_timeout_s: float | None = None, reap_every_s: float = 30.0,
                poll_every_s: float = 0.5) -> gr.Blocks:
    """Build the registry (and its engine), the handlers and the Blocks; start the idle reaper. Arguments override
    the environment."""
    if idle_timeout_s is None:
        idle_timeout_s = float(os.environ.get("GANAPP_IDLE_TIMEOUT_S", 900))
    classroom = os.environ.get("GANAPP_CLASSROOM", "auto").strip().lower()
    if classroom not in CLASSROOM_CHOICES:
        raise SystemExit(f"GANAPP_CLASSROOM={classroom!r} is not allowed: choose one of auto, 1, 0")
    # MNIST runs get a live quality score from the shipped classifier (ganapp.metrics.MNISTJudge)
    registry = SessionRegistry(idle_timeout_s=idle_timeout_s, classroom=CLASSROOM_CHOICES[classroom],
                               scorer_for=live_scorer)
    registry.start_reaper(every_s=reap_every_s)
    return build_demo(GanApp(registry, ROOT / "checkpoints"), poll_every_s=poll_every_s,
                      analytics_enabled=analytics_enabled())


def warm_up() -> None:
    """Import what the first Start needs (torchvision, ~2 s) in the background once the page is being served."""
    threading.Thread(target=importlib.import_module, args=("torchvision.utils",), daemon=True).start()


if __name__ == "__main__":
    demo = create_demo()
    runtime.configure()
    demo.queue(default_concurrency_limit=4).launch(css=CSS, theme=gr.themes.Soft(), prevent_thread_lock=True,
                                                   **launch_settings())
    warm_up()
    demo.block_thread()
