"""What the server holds for one visitor: their runs (:class:`Visitor`) and what their pages keep beside them
(:class:`VisitorState`). Knows nothing of the web framework."""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..gan.checkpoints import MAX_STEP
from ..run.run import Run
from ..run.slow_motion import MAX_SLOW_MOTION_S


@dataclass
class VisitorState:
    """What a visitor's pages keep beside their runs, typed. The UI reads and writes it; an autosave keeps the
    fields in ``SAVED`` with run A, so that they come back after a restart.

    Attributes:
        name: the display name their teacher sees, 1 to 32 characters of plain text ("" for none).
        built_from: where run A started from: "scratch", a shipped checkpoint's file name or "uploaded" (None
            before any run).
        built_step: run A's step when it was built; Start rebuilds a run that is still at it.
        slow_motion_s: seconds each D and G update is held on screen, 0..5 (0: off).
        classroom: run A was given the classroom sizes (see :mod:`ganapp.gan.presets`).
        class_moves: how many times the server moved run A into the class's sizes (a young full-size run when the
            class arrived, see :meth:`ganapp.ui.settings.SettingsHandlers.join_class`); the page's size controls
            follow when it changes.
        moved_at_step: the step at which the run now in run A's place was moved into the class's sizes (the status
            says so until the next run), or None.
        drawn_path: the .npy of (N, 2) points from the visitor's drawing ("" for none).
        lesson_taken: the number of the teacher's latest lesson this visitor took (None for none).
        lesson: the lesson picked, which Start follows while the controls are its (None: a free run).
        lesson_note: the lesson the teacher set, named in the status until the next run (None).
        notice: (fields applied live, fields that need a Reset) after the settings changed.
        gen: grows with each new run or settings change; a page redraws everything when it changes.
        source: the Explore tab's generator: "training" or "checkpoint".
        checkpoint_name: the file name of the checkpoint loaded for exploring ("" for none).
        directions: the GANSpace directions found for their G (a :class:`ganapp.gan.directions.Directions`), or None.
    """

    SAVED: ClassVar[tuple[str, ...]] = ("built_from", "built_step", "slow_motion_s", "classroom", "drawn_path",
                                        "name", "lesson_taken")

    name: str = ""
    built_from: str | None = None
    built_step: int = 0
    slow_motion_s: float = 0.0
    classroom: bool = False
    class_moves: int = 0
    moved_at_step: int | None = None
    drawn_path: str = ""
    lesson_taken: int | None = None
    lesson: str | None = None
    lesson_note: str | None = None
    notice: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
    gen: int = 0
    source: str = "training"
    checkpoint_name: str = ""
    directions: Any = None

    def saved(self) -> dict[str, Any]:
        """The ``SAVED`` fields that differ from their defaults, as JSON-able values (for an autosave)."""
        default = VisitorState()
        return {k: getattr(self, k) for k in self.SAVED if getattr(self, k) != getattr(default, k)}

    def restore(self, values: dict[str, Any]) -> None:
        """Take the ``SAVED`` fields found in ``values`` (an autosave's, perhaps of an older version); others are
        ignored. Each is checked as strictly as when the visitor set it (a file on disk may have been damaged or
        edited), and nothing is taken unless all are valid.

        Raises:
            ValueError: ``values`` is not a dict, or a field has the wrong type or is out of its range (named).
        """
        if not isinstance(values, dict):
            raise ValueError("the autosave's visitor fields are not a JSON object")
        found = {k: values[k] for k in self.SAVED if k in values}
        for k, v in found.items():
            if not _SAVED_CHECKS[k](v):
                raise ValueError(f"the autosave's {k}={str(v)[:40]!r} is not allowed: {_SAVED_RULES[k]}")
        for k, v in found.items():
            setattr(self, k, float(v) if k == "slow_motion_s" else v)

    def fill_from(self, other: VisitorState) -> None:
        """Take ``other``'s value of every field still at its default here (a name typed before a page attached)."""
        default = VisitorState()
        for f in dataclasses.fields(self):
            if getattr(self, f.name) == getattr(default, f.name):
                setattr(self, f.name, getattr(other, f.name))


def _name_ok(name: Any) -> bool:
    """A display name as :func:`ganapp.host.classroom.check_name` accepts it (there, imported late: the teacher's module
    imports the registry, which imports this one), or "" for none."""
    from .classroom import check_name

    if name == "":
        return True
    try:
        return check_name(name) == name
    except ValueError:
        return False


def _int_in(low: int, high: int) -> Any:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and low <= v <= high


# What each saved field may hold: the ranges a visitor's input is held to.
_SAVED_CHECKS = {
    "name": _name_ok,
    "built_from": lambda v: v is None or (isinstance(v, str) and 1 <= len(v) <= 255 and "/" not in v
                                          and "\\" not in v and v.isprintable()),
    "built_step": _int_in(0, MAX_STEP),
    "slow_motion_s": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= MAX_SLOW_MOTION_S,
    "classroom": lambda v: isinstance(v, bool),
    "drawn_path": lambda v: isinstance(v, str) and len(v) <= 4096 and "\x00" not in v,
    "lesson_taken": lambda v: v is None or _int_in(0, 10**9)(v),
}
_SAVED_RULES = {
    "name": "plain text of 1 to 32 printable characters, or empty",
    "built_from": "scratch, uploaded or a checkpoint's file name",
    "built_step": f"an integer in 0..{MAX_STEP}",
    "slow_motion_s": f"a number of seconds in 0..{MAX_SLOW_MOTION_S}",
    "classroom": "true or false",
    "drawn_path": "a path of at most 4,096 characters",
    "lesson_taken": "a lesson number, or none",
}


@dataclass
class Visitor:
    """What the server holds for one visitor.

    Attributes:
        session: their Run, once they have built one.
        twin: a second session trained side by side with ``session`` (one setting changed), or None.
        checkpoint: a generator they loaded for exploring (a ganapp.gan.checkpoints.Checkpoint), or None.
        last_seen_s: ``time.monotonic()`` of their last request.
        state: what their pages keep beside the runs (:class:`VisitorState`).
        persistent: True for a visitor with a token: autosaved, outliving their pages.
        saved: per slot ("a", "b"), the :meth:`Run.save_key` and ``time.monotonic()`` of its last
            autosave (or of the session's creation, before the first).
        restored: what attaching found (NEW, REATTACHED, RESTORED or RESTORE_FAILED) and the step it came back at.
        lock: held by each command on their runs (see :func:`ganapp.ui.common.command`), so that two tabs' commands
            apply one after the other; taken before any lock of the registry or of a session.
    """

    session: Run | None = None
    twin: Run | None = None
    checkpoint: Any = None
    last_seen_s: float = field(default_factory=time.monotonic)
    state: VisitorState = field(default_factory=VisitorState)
    persistent: bool = False
    saved: dict[str, tuple[Any, float]] = field(default_factory=dict)
    restored: tuple[str, int] | None = None
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def runs(self) -> dict[str, Run]:
        """The visitor's sessions by autosave slot: "a" (run A) and "b" (run B), where they exist."""
        return {slot: s for slot, s in (("a", self.session), ("b", self.twin)) if s is not None}
