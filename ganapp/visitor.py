"""What the server holds for one visitor: their runs (:class:`Visitor`) and what their pages keep beside them
(:class:`VisitorState`). Knows nothing of the web framework."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .session import TrainingSession


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
        classroom: run A was given the classroom sizes (see :mod:`ganapp.presets`).
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
        directions: the GANSpace directions found for their G (a :class:`ganapp.directions.Directions`), or None.
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
        ignored."""
        for k in self.SAVED:
            if k in values:
                setattr(self, k, values[k])

    def fill_from(self, other: VisitorState) -> None:
        """Take ``other``'s value of every field still at its default here (a name typed before a page attached)."""
        default = VisitorState()
        for f in dataclasses.fields(self):
            if getattr(self, f.name) == getattr(default, f.name):
                setattr(self, f.name, getattr(other, f.name))


@dataclass
class Visitor:
    """What the server holds for one visitor.

    Attributes:
        session: their TrainingSession, once they have built one.
        twin: a second session trained side by side with ``session`` (one setting changed), or None.
        checkpoint: a generator they loaded for exploring (a ganapp.checkpoints.Checkpoint), or None.
        last_seen_s: ``time.monotonic()`` of their last request.
        state: what their pages keep beside the runs (:class:`VisitorState`).
        persistent: True for a visitor with a token: autosaved, outliving their pages.
        saved: per slot ("a", "b"), the :meth:`TrainingSession.save_key` and ``time.monotonic()`` of its last
            autosave (or of the session's creation, before the first).
        restored: what attaching found (NEW, REATTACHED, RESTORED or RESTORE_FAILED) and the step it came back at.
    """

    session: TrainingSession | None = None
    twin: TrainingSession | None = None
    checkpoint: Any = None
    last_seen_s: float = field(default_factory=time.monotonic)
    state: VisitorState = field(default_factory=VisitorState)
    persistent: bool = False
    saved: dict[str, tuple[Any, float]] = field(default_factory=dict)
    restored: tuple[str, int] | None = None

    def runs(self) -> dict[str, TrainingSession]:
        """The visitor's sessions by autosave slot: "a" (run A) and "b" (run B), where they exist."""
        return {slot: s for slot, s in (("a", self.session), ("b", self.twin)) if s is not None}
