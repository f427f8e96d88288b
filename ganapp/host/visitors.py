"""Who is on the server: the visitors (:class:`Visitor`, their runs, and :class:`VisitorState`, what their pages
keep beside them) and the pages open now (:class:`Pages`: which visitor each page acts for, and what each page
shows). Knows nothing of the web framework.

A page is one browser tab (Gradio's session_hash); two tabs of one visitor share that visitor's runs but not what each
has drawn.

A page id is chosen by whoever sends the request, a visitor id only by the server (:mod:`ganapp.host.autosave`), so the
two never share a namespace: a page that attached acts for its visitor's id, one that did not for its own key
(:func:`own_key`), which no visitor id can be.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..gan.checkpoints import MAX_STEP, Checkpoint
from ..run.run import Run
from ..run.slow_motion import MAX_SLOW_MOTION_S
from .autosave import VISITOR_ID

MAX_NAME_CHARS = 32

PAGE_PREFIX = "page:"  # visitor ids have no ":"


def own_key(page_id: str) -> str:
    """The key a page that never attached acts under: its own id, unless that could be taken for a visitor id (or
    for another page's key), when it is prefixed with ``page:``. One-to-one, and never a visitor id: an API client
    that sends a visitor's id as its session hash gets a visitor of its own, not theirs."""
    if VISITOR_ID.fullmatch(page_id) or page_id.startswith(PAGE_PREFIX):
        return PAGE_PREFIX + page_id
    return page_id


# A page that made no request for this long is not counted as open now (see Pages.alive). A page's Timer ticks at
# least every few seconds (every 2 s with nothing training, up to 3 s with 60 runs sharing the server).
ALIVE_S = 10.0


@dataclass
class PageView:
    """What one open page shows, as the server last sent it to that page: what its next tick and poll compare with,
    so that they send only what changed. The ui layer reads and writes it; the host keeps it per page (two tabs of one
    visitor share runs, not these) and forgets it with the page. Times are ``time.monotonic()`` seconds.

    Attributes:
        frame: the tick's frame number (≥ 0); a new one makes the page poll.
        frame_key: what the last new frame showed (steps, versions, counts, phase, language, layers, run generation),
            or None before the first.
        next_draw_s: no new frame before this time (the draw rate shrinks as the class grows).
        fast_until: the page ticks at the training pace until this time, though nothing trains (after a command).
        found: what attaching found (NEW, REATTACHED, RESTORED or RESTORE_FAILED), at which step, and when the
            note on a re-attached run ends; None once the note is done.
        offered: the lesson values the teacher offered that the page has not acted on yet, or None.
        layers: the 2D view's layers the visitor chose, or None: all of them.
        smoothing: the curves' smoothing weight in [0, 1) the visitor chose, or None: the default.
        drawn: what the last poll drew: ``{"gen", "step", "grid_version", "grid_version_b", "lang", "kind",
            "scores", "view_rows"}`` (empty: nothing yet, or a redraw is due).
        grid_label: the label the grid shows, or None: the default one.
        visible: per poll output, whether the page shows it (an update that repeats it is sent as its plain value).
        curves: what the curves were sent (figure number, signature, rows sent per run, EMA states), or None.
        curves_fig: the number of the last full curves figure sent.
        curves_lock: two polls of one page draw its curves one after the other.
        class_moves_shown: how many of the visitor's class moves (run rebuilt at the class's sizes) the page shows.
        teacher_order: the visitor ids of the teacher's gallery cards, in the order shown.
        teacher_selected: the visitor whose run the teacher shows large, or None.
        teacher_drawn: what the teacher's large view last drew, or None.
        diagram: what the model diagram shows, as the tick last read it: (phase, the newest metric values), or None
            before the first (:meth:`ganapp.ui.live.LiveHandlers.diagram` draws it without reading the run again).
        diagram_sent: the model diagram's HTML last sent to the page, or None.
        link_hidden: the controls the page's link hides (``hide=``), kept in the address the page writes.
        link_locked: the controls the page shows locked (its link's ``lock=`` and the teacher's pushed locks).
        link_refused: the parts of the page's link that were refused (ConfigErrors), said in the link's note.
        link_read: the page's link was read as it opened; until then the page does not write its address.
    """

    frame: int = 0
    frame_key: tuple | None = None
    next_draw_s: float = 0.0
    fast_until: float = 0.0
    found: tuple[str, int, float] | None = None
    offered: tuple | None = None
    layers: tuple[str, ...] | None = None
    smoothing: float | None = None
    drawn: dict[str, Any] = field(default_factory=dict)
    grid_label: str | None = None
    visible: dict[str, bool] = field(default_factory=dict)
    curves: dict[str, Any] | None = None
    curves_fig: int = 0
    curves_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    class_moves_shown: int = 0
    teacher_order: list[str] = field(default_factory=list)
    teacher_selected: str | None = None
    teacher_drawn: tuple | None = None
    diagram: tuple[str, dict[str, float]] | None = None
    diagram_sent: str | None = None
    link_hidden: tuple[str, ...] = ()
    link_locked: tuple[str, ...] = ()
    link_refused: tuple = ()
    link_read: bool = False


@dataclass
class Page:
    """One page.

    Attributes:
        visitor_id: the visitor it attached to with a token, or None: the page is then its own visitor.
        view: what the page shows (:class:`PageView`).
        seen_s: ``time.monotonic()`` of its last request.
    """

    visitor_id: str | None = None
    view: PageView = field(default_factory=PageView)
    seen_s: float = field(default_factory=time.monotonic)


class Pages:
    """The server's pages by id. Thread-safe; its lock is taken alone (never while taking another)."""

    def __init__(self) -> None:
        self._pages: dict[str, Page] = {}
        self._lock = threading.Lock()

    def _get(self, page_id: str) -> Page:
        page = self._pages.get(page_id)
        if page is None:
            page = self._pages[page_id] = Page()
        page.seen_s = time.monotonic()
        return page

    def bind(self, page_id: str, visitor_id: str) -> None:
        """The page acts for ``visitor_id`` from now on."""
        with self._lock:
            self._get(page_id).visitor_id = visitor_id

    def key(self, page_id: str) -> str:
        """The visitor id a page acts for: the one it was bound to, else the page's :func:`own_key`. Marks it as
        seen."""
        with self._lock:
            return self._get(page_id).visitor_id or own_key(page_id)

    def view(self, page_id: str) -> PageView:
        """What the page shows, created on first use."""
        with self._lock:
            return self._get(page_id).view

    def bound(self, visitor_id: str) -> bool:
        """Whether any page acts for ``visitor_id``: a visitor who came with a token."""
        with self._lock:
            return any(p.visitor_id == visitor_id for p in self._pages.values())

    def alive(self, now_s: float, within_s: float | None = None) -> int:
        """Visitors with a page that made a request within ``within_s`` seconds of ``now_s`` (default
        :data:`ALIVE_S`): the people on the server now. Two tabs of one visitor count once; a page closed, or left
        without closing (a laptop asleep), stops counting within ``within_s``. Browsers tick a tab hidden for many
        minutes less often (Chromium: once a minute), so such a tab may not count either."""
        within_s = ALIVE_S if within_s is None else within_s
        with self._lock:
            return len({p.visitor_id or own_key(pid) for pid, p in self._pages.items()
                        if now_s - p.seen_s <= within_s})

    def drop(self, page_id: str) -> str | None:
        """Forget a page (it closed). Returns the visitor it was bound to, or None."""
        with self._lock:
            page = self._pages.pop(page_id, None)
        return page.visitor_id if page is not None else None

    def forget(self, now_s: float, view_after_s: float, page_after_s: float) -> list[str]:
        """For pages that went without closing (a laptop asleep, an API client): forget a page unseen
        ``view_after_s``, unless it attached to a visitor, whose page only forgets what it shows then, and goes
        itself, whose visitor it was included, after ``page_after_s`` (it may wake up and find its runs again).
        Returns the ids of the pages forgotten."""
        gone = []
        with self._lock:
            for page_id, page in list(self._pages.items()):
                unseen_s = now_s - page.seen_s
                if unseen_s > page_after_s or (unseen_s > view_after_s and page.visitor_id is None):
                    del self._pages[page_id]
                    gone.append(page_id)
                elif unseen_s > view_after_s:
                    page.view = PageView()
        return gone

    def __len__(self) -> int:
        with self._lock:
            return len(self._pages)

    def __contains__(self, page_id: str) -> bool:
        with self._lock:
            return page_id in self._pages


def check_name(name: Any) -> str:
    """A student's display name: 1 to 32 characters once trimmed, no control characters. It is kept and shown as
    plain text (never as HTML).

    Raises:
        ValueError: the name is empty, too long, or holds a control character.
    """
    text = name.strip() if isinstance(name, str) else ""
    if not 1 <= len(text) <= MAX_NAME_CHARS or any(unicodedata.category(c).startswith("C") for c in text):
        raise ValueError(f"name={name!r} is out of range: it must be 1 to {MAX_NAME_CHARS} printable characters")
    return text


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
        locked: the controls that the link their page opened locks (``lock=``, see :mod:`ganapp.run.links`), with
            the values it set: ``{field: value}``. A change to another value is refused by every settings handler.
            It protects a class's setup from a slip or a forged request on a page opened with that link; it does not
            stop a student who opens the page without ``lock=`` (each link opened replaces it). The locks a teacher
            pushes are the classroom's (:meth:`ganapp.host.classroom.Classroom.locked`), which no link undoes.
        projected: the z found for an image in the Explore tab, ``{"seed", "g", "z"}`` (g: which G, z: (z_dim,)
            float32), used in place of the seed's z until the seed or the generator shown changes; None for none.
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
    locked: dict[str, Any] = field(default_factory=dict)
    projected: dict[str, Any] | None = None

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
    """A display name as :func:`check_name` accepts it, or "" for none."""
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
        run: their run (run A), once they have built one.
        run_b: their run B, trained side by side with ``run`` (one setting changed), or None.
        checkpoint: a generator they loaded for exploring (a ganapp.gan.checkpoints.Checkpoint), or None.
        last_seen_s: ``time.monotonic()`` of their last request.
        state: what their pages keep beside the runs (:class:`VisitorState`).
        persistent: True for a visitor with a token: autosaved, outliving their pages.
        saved: per slot ("a", "b"), the :meth:`Run.save_key` and ``time.monotonic()`` of its last
            autosave (or of the run's creation, before the first).
        restored: what attaching found (NEW, REATTACHED, RESTORED or RESTORE_FAILED) and the step it came back at.
        lock: held by each command on their runs (see :func:`ganapp.ui.common.command`), so that two tabs' commands
            apply one after the other, and by the teacher's class actions on their runs; taken before any lock of the
            registry or of a run.
    """

    run: Run | None = None
    run_b: Run | None = None
    checkpoint: Checkpoint | None = None
    last_seen_s: float = field(default_factory=time.monotonic)
    state: VisitorState = field(default_factory=VisitorState)
    persistent: bool = False
    saved: dict[str, tuple[Any, float]] = field(default_factory=dict)
    restored: tuple[str, int] | None = None
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def runs(self) -> dict[str, Run]:
        """The visitor's runs by autosave slot: "a" (run A) and "b" (run B), where they exist."""
        return {slot: s for slot, s in (("a", self.run), ("b", self.run_b)) if s is not None}
