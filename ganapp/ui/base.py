"""What every tab's handlers share (:class:`Shared`), and their base (:class:`TabHandlers`): the visitor and the
page of a request, the visitor's files, and the errors every tab raises. Each tab's handlers are a class of their
own over one :class:`Shared` (see :class:`ganapp.ui.handlers.GanApp`, which composes them).
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from ..gan.checkpoints import list_checkpoints
from ..gan.config import RANGES, ConfigError, Range, check_range
from ..host.registry import Registry
from ..host.classroom import Classroom
from ..host.visitors import PageView, Visitor
from ..run.run import MAX_STEP_REQUEST
from ..run.slow_motion import MAX_SLOW_MOTION_S
from .errors import config_error
from .i18n import t

ACTIVE_AFTER_COMMAND_S = 5.0  # after a command, the page polls at the full rate for this long


MAX_RUN_MINUTES = 600  # the longest timed run the Train tab takes (10 hours)
MAX_SMOOTHING = 0.99  # the curves' EMA weight goes up to this (1 would be a flat line)
DIRECTION_RANGE = 3.0  # a GANSpace direction's slider range, in units of its standard deviation σ

# The ranges of the page's controls that are not settings of a run, checked by the schema's check_range as the
# settings are (see TabHandlers._number), so that each refusal names the control and its range in one way.
CONTROL_RANGES: dict[str, Range] = {
    "run_minutes": Range(0, MAX_RUN_MINUTES),
    "step_n": Range(1, MAX_STEP_REQUEST, integer=True),
    "slow_motion": Range(0, MAX_SLOW_MOTION_S),
    "smoothing": Range(0, MAX_SMOOTHING),
    "truncation": Range(0, 1),
    "n_frames": Range(2, 64, integer=True),
    # a direction on 9 seeds (its component's range is 1..k of the directions found, its layer's 0..G's layers − 1)
    "grid_amount": Range(-DIRECTION_RANGE, DIRECTION_RANGE),
}


@dataclass
class Shared:
    """What the tabs' handlers share: nothing of one visitor's but through the registry.

    Attributes:
        registry: the visitors' runs and pages.
        checkpoints_dir: folder of shipped ``.safetensors`` checkpoints offered in the Explore tab.
        classroom: the teacher's :class:`~ganapp.host.classroom.Classroom` (its lesson reaches every student), or None.
        poll_every_s: the page Timer's rate while a run trains, in seconds (build_demo sets it).
        files_dir: where visitors' generated files go, one folder each (a fresh temporary folder by default).
    """

    registry: Registry
    checkpoints_dir: Path
    classroom: Classroom | None = None
    poll_every_s: float = 0.5
    files_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="ganapp-files-")))


class TabHandlers:
    """The base of each tab's handlers, over one :class:`Shared`."""

    def __init__(self, shared: Shared):
        self.shared = shared

    @property
    def registry(self) -> Registry:
        return self.shared.registry

    @property
    def classroom(self) -> Any:
        return self.shared.classroom

    @property
    def checkpoints_dir(self) -> Path:
        return self.shared.checkpoints_dir

    @property
    def files_dir(self) -> Path:
        return self.shared.files_dir

    @staticmethod
    def _page_id(request: gr.Request | None) -> str:
        """The page's own id: Gradio's session_hash ("local" outside a request)."""
        return getattr(request, "session_hash", None) or "local"

    def _visitor(self, request: gr.Request | None) -> tuple[str, Visitor]:
        key = self.registry.key(self._page_id(request))
        return key, self.registry.visitor(key)

    def _page(self, request: gr.Request | None) -> PageView:
        """What this page shows (two tabs of one visitor share runs, not these)."""
        return self.registry.page(self._page_id(request))

    def _folder(self, key: str) -> Path:
        """The visitor's folder of generated files, named by a hash: an id is never a path."""
        return self.files_dir / hashlib.sha256(key.encode()).hexdigest()[:32]

    def _file(self, key: str, name: str) -> Path:
        """A path for one of the visitor's generated files (GIFs, checkpoints), in a folder of their own."""
        folder = self._folder(key)
        folder.mkdir(parents=True, exist_ok=True)
        return folder / name

    @staticmethod
    def _number(lang: str, field: str, value: Any, allowed: Range | None = None) -> int | float:
        """``value`` checked by the schema's :func:`~ganapp.gan.config.check_range` against ``RANGES[field]``, or
        ``allowed`` for a control that is not a setting (see :data:`CONTROL_RANGES`), as an int or float;
        ``gr.Error`` naming the field and its range if not."""
        allowed = allowed if allowed is not None else RANGES[field]
        try:
            check_range(field, value, allowed)
        except ConfigError as e:
            raise config_error(lang, e) from None
        return int(value) if allowed.integer else float(value)

    def shipped_checkpoints(self) -> list[str]:
        """Names of the ganapp checkpoints in the checkpoints folder (not the MNIST classifier)."""
        return [p.name for p in list_checkpoints(self.checkpoints_dir)]

    def _run(self, lang: str, visitor: Visitor):
        if visitor.run is None:
            raise gr.Error(t(lang, "err_no_run"))
        return visitor.run

    def commanded(self, request: gr.Request) -> None:
        """A command was given on this page (Start, Resume, Step, Reset, a phase step, a comparison; each calls
        this): poll at the full rate for a while, so its effect shows at once even though the run was not training
        a moment ago."""
        self._page(request).fast_until = time.monotonic() + ACTIVE_AFTER_COMMAND_S
