"""Limits a host sets on what visitors of a shared server may do: how many runs live at once, how long a run may
train, how large its batches and images may be, and how much memory its model may take (estimated from its config
before anything is built, see :mod:`ganapp.gan.memory`). The registry enforces them; the UI says them in the visitor's
language from the errors' codes and fields.
"""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass

from ..gan.config import IMAGE_SIZES, RANGES, GANConfig
from ..gan.data import TORCHVISION, files_present
from ..gan.memory import model_memory, round_mb
from ..run.lessons import LESSONS


class ServerFullError(RuntimeError):
    """Every live-run slot of the server is taken.

    Attributes:
        limit: the host's maximum of live runs.
    """

    def __init__(self, limit: int):
        super().__init__(f"the server is full: it holds its maximum of {limit} runs; try again in a minute")
        self.limit = limit


class LimitError(ValueError):
    """A setting is within the library's range but beyond this host's limit.

    Attributes:
        field: the config field, e.g. ``batch_size``; ``model_mb`` for the memory a model would take.
        value: the value asked for (for ``model_mb``, the estimated MB, an int).
        allowed: the allowed range as text, e.g. ``1..512``; for ``model_mb``, the most MB allowed, e.g. ``2048``.
    """

    def __init__(self, field: str, value: object, allowed: str):
        bound = f"at most {allowed}" if allowed.isdigit() else f"in {allowed}"
        super().__init__(f"{field}={value!r} is beyond this server's limit: it must be {bound}")
        self.field, self.value, self.allowed = field, value, allowed

    def __reduce__(self):  # pickled whole (see ganapp.gan.config.ConfigError.__reduce__)
        return type(self), (self.field, self.value, self.allowed)


@dataclass(frozen=True)
class Limits:
    """A host's limits, with defaults safe for a free CPU Space (2 vCPU, 16 GB) serving a class of 30.

    Attributes:
        max_runs: runs (a visitor's run A and run B count as two) held in memory at once, ≥ 1. A visitor who
            already has a run may always rebuild it.
        max_steps: G updates after which a run pauses for good (it may be reset), ≥ 1.
        max_batch: the largest batch_size a visitor may choose, in 2..4096.
        max_image_size: the largest image size a visitor may choose, one of 28, 32, 64.
        max_model_mb: the most memory one run's model may take, in MB, as :func:`ganapp.gan.memory.model_memory`
            estimates it from the config (weights, Adam's moments, the copies of G a run keeps, activations at the
            batch size), in 1..10,000,000. The default admits every lesson and dataset default (at most ~200 MB)
            and a 64-px colour DCGAN of width 32 at batch 256, and refuses a width-2048 DCGAN (74 GB at 28 px).

    Raises:
        ValueError: a limit outside its range.
    """

    max_runs: int = 60
    max_steps: int = 500_000
    max_batch: int = 512
    max_image_size: int = 64
    max_model_mb: int = 2048

    def __post_init__(self) -> None:
        for name, low, high in (("max_runs", 1, 100_000), ("max_steps", 1, 10**12), ("max_model_mb", 1, 10**7),
                                ("max_batch", int(RANGES["batch_size"].low), int(RANGES["batch_size"].high))):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise ValueError(f"{name}={value!r} is out of range: it must be an integer in {low}..{high}")
        if self.max_image_size not in IMAGE_SIZES:
            raise ValueError(f"max_image_size={self.max_image_size!r} is not allowed: choose one of "
                             f"{', '.join(map(str, IMAGE_SIZES))}")

    def check(self, config: GANConfig) -> None:
        """Raise :class:`LimitError` when ``config`` asks for more than this host allows: a batch or image size
        beyond its limit, or a model whose estimated memory is over ``max_model_mb`` (field ``model_mb``, the
        estimate in MB as the value). Builds nothing: the estimate takes milliseconds whatever the model's size."""
        if config.batch_size > self.max_batch:
            raise LimitError("batch_size", config.batch_size, f"{int(RANGES['batch_size'].low)}..{self.max_batch}")
        if not config.is_2d and config.image_size > self.max_image_size:
            allowed = ", ".join(str(s) for s in IMAGE_SIZES if s <= self.max_image_size)
            raise LimitError("image_size", config.image_size, allowed)
        need = model_memory(config).total_mb
        if need > self.max_model_mb:
            raise LimitError("model_mb", round_mb(need), str(self.max_model_mb))


def beyond_limits(limits: Limits) -> dict[str, LimitError]:
    """The lessons a host's limits rule out, each with the first limit it passes: a setting of run A or run B
    beyond :meth:`Limits.check` (``GANAPP_MAX_BATCH=128`` against the mode-collapse lesson's batch of 256), or a
    run that the host's step limit would stop before the lesson's window ends (``field`` "max_steps", ``value``
    the steps the lesson needs). A lesson measured at its own settings is not scaled to fit: it is off on that
    server, and says why.

    Returns:
        ``{lesson name: LimitError}`` for the lessons ruled out; empty when every lesson fits.
    """
    out: dict[str, LimitError] = {}
    for name, lesson in LESSONS.items():
        try:
            for config in (lesson.config(), lesson.run_b_config()):
                if config is not None:
                    limits.check(config)
            needed = lesson.step_budget or (lesson.window_steps[1] if lesson.steps_per_s else None)
            if needed is not None and needed > limits.max_steps:
                raise LimitError("max_steps", needed, f"1..{limits.max_steps:,}")
        except LimitError as e:
            out[name] = e
    return out


# The hosts torchvision downloads each from (its classes' mirrors and url), for the check of downloads_allowed.
DOWNLOAD_HOSTS = {"mnist": "ossci-datasets.s3.amazonaws.com",
                  "fashion_mnist": "fashion-mnist.s3-website.eu-central-1.amazonaws.com",
                  "cifar10": "www.cs.toronto.edu"}
DOWNLOAD_CHOICES = ("auto", "1", "0")


def downloads_allowed(setting: str | None = None, timeout_s: float = 2.0) -> bool:
    """Whether the server may download the datasets whose files it lacks: ``setting`` (default the environment's
    ``GANAPP_DOWNLOAD``): ``1`` yes, ``0`` no, ``auto`` (the default) yes when every such dataset's files are there
    anyway or one of torchvision's download hosts answers within ``timeout_s`` (a Space with internet: yes; a
    classroom server offline: no). Nothing is downloaded here.

    Raises:
        ValueError: ``setting`` is not one of auto, 1, 0.
    """
    choice = (setting if setting is not None else os.environ.get("GANAPP_DOWNLOAD", "auto")).strip().lower()
    if choice not in DOWNLOAD_CHOICES:
        raise ValueError(f"GANAPP_DOWNLOAD={choice!r} is not allowed: choose one of {', '.join(DOWNLOAD_CHOICES)}")
    if choice != "auto":
        return choice == "1"
    missing = [name for name in TORCHVISION if not files_present(name)]
    if not missing:
        return True
    answered = threading.Event()

    def knock(host: str) -> None:
        try:
            socket.create_connection((host, 443), timeout=timeout_s).close()
            answered.set()
        except OSError:
            pass

    for name in missing:
        threading.Thread(target=knock, args=(DOWNLOAD_HOSTS[name],), daemon=True).start()
    return answered.wait(timeout_s)
