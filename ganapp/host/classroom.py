"""The teacher's side of a classroom: the class at a glance (one card per run), class actions (a lesson for all,
pause all, resume all), a challenge with its leaderboard, and the class export. Who may act as the teacher is
:class:`ganapp.host.teacher_gate.TeacherGate`'s to say.

Nothing here knows about widgets; :mod:`ganapp.ui.teacher` shows it. A student's display name is plain text here
and everywhere it goes, and a spreadsheet opening the export reads it as text too.
"""

from __future__ import annotations

import bisect
import csv
import dataclasses
import io
import itertools
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, NamedTuple

import numpy as np

from ..gan.config import GANConfig
from ..gan.points2d import BOUNDS_2D
from ..run.lessons import LESSONS
from ..run.links import Link, encode
from ..run.run import ERROR, PAUSED, RUNNING, WAITING
from ..service.protocol import RunLostError
from .limits import LimitError, beyond_limits
from .registry import Registry
from .visitors import Visitor
from .teacher_gate import TeacherGate

THUMB_PX = 128  # a card's thumbnail: shown about 190 px wide on a 1366-px projector page, so never shrunk
POINT_PX = 3  # a 2D point on a thumbnail is a square this many pixels wide: a mode G covers shows, not a dot
SAMPLES_KEPT = 2000  # (step, time) samples kept per run, from which the leaderboard times when a row was reached
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet reads a cell starting with these as a formula


def spreadsheet_text(value: Any) -> Any:
    """``value`` as a CSV cell that a spreadsheet shows as it is: a string starting with =, +, -, @, a tab or a
    carriage return gets a leading apostrophe, as OWASP advises against CSV injection, so that a name such as
    ``=HYPERLINK("http://e.vil","x")`` is text, not a formula. Other values are returned unchanged."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_LEADS) else value


def thumbnail_2d(points: dict[str, np.ndarray], bounds: tuple[float, float, float, float],
                 size: int = THUMB_PX, point_px: int = POINT_PX) -> np.ndarray:
    """A card's picture of a 2D run: real points grey, G's points orange on top, each a ``point_px`` square on
    white, y upwards.

    Args:
        points: ``{"real": (N, 2), "fake": (M, 2)}`` in data coordinates (either may be missing).
        bounds: (x0, x1, y0, y1), the data window drawn.
    Returns:
        (size, size, 3) uint8.
    """
    image = np.full((size, size, 3), 255, dtype=np.uint8)
    x0, x1, y0, y1 = bounds
    half = point_px // 2
    for key, colour in (("real", (150, 150, 150)), ("fake", (230, 110, 0))):
        p = np.asarray(points.get(key, np.zeros((0, 2))), dtype=np.float64).reshape(-1, 2)
        p = p[np.isfinite(p).all(axis=1)]
        col = ((p[:, 0] - x0) / (x1 - x0) * (size - 1)).round().astype(int)
        row = ((y1 - p[:, 1]) / (y1 - y0) * (size - 1)).round().astype(int)
        for dy in range(-half, point_px - half):
            for dx in range(-half, point_px - half):
                r, c = row + dy, col + dx
                inside = (c >= 0) & (c < size) & (r >= 0) & (r < size)
                image[r[inside], c[inside]] = colour
    return image


def row_scores(row: dict[str, Any]) -> dict[str, Any]:
    """A card's score fields from one progress row: a 2D view-metrics row gives ``modes``, ``n_modes`` and
    ``high_quality``; an MNIST score row gives ``fd`` and ``digits``; any other row, nothing."""
    if "modes" in row:
        return {"modes": int(row["modes"]), "n_modes": int(row["n_modes"]), "high_quality": float(row["high_quality"])}
    if "frechet_distance" in row:
        return {"fd": float(row["frechet_distance"]), "digits": int(row["classes"])}
    return {}


@dataclass
class RunCard:
    """One student's run as the teacher sees it: the run's real setup, read from the run itself.

    Attributes:
        visitor_id: whose run (server side only; never shown or sent to a page).
        seat: the student's number in the class (1, 2, ...), stable while the server runs.
        name: their display name, or "" when they set none.
        dataset, model, loss: the run's settings ("" for a run lost before it was ever read).
        state: idle, waiting, running, paused, stopped or error.
        step: G updates done; it_s: steps per second now.
        modes, n_modes, high_quality: PacGAN's modes covered, of how many, and the high-quality share in [0, 1]
            (ring8, grid25), else None.
        fd, digits: the MNIST Fréchet distance and the digits present (0..10), else None.
        thumbnail: (THUMB_PX, THUMB_PX, 3) uint8 for 2D data (real points grey, fakes orange), or the sample grid.
        lesson: the lesson the run follows (:mod:`ganapp.run.lessons`), else None.
        lost: the run died with the training worker (its state is ``error``; the card shows what was last seen).
        config: the run's whole config, or None for a run lost before it was ever read.
        progress: the rows a challenge reads, oldest first: the 2D view's metric rows with modes, or the MNIST
            score rows (each with its ``step``).
    """

    visitor_id: str
    seat: int
    name: str
    dataset: str
    model: str
    loss: str
    state: str
    step: int
    it_s: float
    modes: int | None = None
    n_modes: int | None = None
    high_quality: float | None = None
    fd: float | None = None
    digits: int | None = None
    thumbnail: np.ndarray | None = field(default=None, repr=False)
    lesson: str | None = None
    lost: bool = False
    config: GANConfig | None = field(default=None, repr=False)
    progress: list[dict[str, Any]] = field(default_factory=list, repr=False)

    def label(self, unnamed: str = "Student {seat}") -> str:
        return self.name or unnamed.format(seat=self.seat)


class Challenge(NamedTuple):
    """A challenge a teacher can set.

    Attributes:
        applies: whether a run takes part (by its card).
        reached: whether one progress row of a run meets the goal.
        key: among the runs that have not reached it, the smaller ranks higher.
    """

    applies: Callable[[RunCard], bool]
    reached: Callable[[dict[str, Any]], bool]
    key: Callable[[RunCard], tuple]


CHALLENGES: dict[str, Challenge] = {
    # first to cover every mode of ring8 or grid25 with at least 90% of samples of high quality (PacGAN's metrics)
    "all_modes": Challenge(lambda c: c.n_modes is not None,
                           lambda r: "modes" in r and r["modes"] == r["n_modes"] and r["high_quality"] >= 0.9,
                           lambda c: (-(c.modes or 0), -(c.high_quality or 0.0))),
    # first to draw all 10 MNIST digits (the shipped classifier's count), the lower FD first among the rest
    "all_digits": Challenge(lambda c: c.digits is not None,
                            lambda r: r.get("classes") == 10,
                            lambda c: (-(c.digits or 0), c.fd if c.fd is not None else float("inf"))),
    # the lowest MNIST Fréchet distance; nobody "reaches" it, the ranking is the live one
    "lowest_fd": Challenge(lambda c: c.fd is not None, lambda r: False, lambda c: (c.fd,)),
}
SORT_KEYS: dict[str, Callable[[RunCard], Any]] = {
    "seat": lambda c: c.seat,
    "name": lambda c: (c.name.casefold() or "\uffff", c.seat),
    "state": lambda c: (c.state, c.seat),
    "step": lambda c: (-c.step, c.seat),
    "speed": lambda c: (-c.it_s, c.seat),
    "score": lambda c: (-(c.modes if c.modes is not None else -1), -(c.high_quality or 0.0),
                        c.fd if c.fd is not None else float("inf"), c.seat),
}
CSV_SETTINGS = ("dataset", "model", "loss", "z_dim", "g_width", "d_width", "batch_size", "lr_g", "lr_d", "beta1",
                "beta2", "n_critic", "seed", "r1_gamma", "lr_decay")


class ClassLesson(NamedTuple):
    """The lesson a teacher set for the class.

    Attributes:
        name: the lesson (a key of :data:`ganapp.run.lessons.LESSONS`).
        number: counts up with each lesson set; a page takes each number once.
        applied: the teacher applied it at once ("apply now": every run paused, kept as a checkpoint, and the
            lesson built in its place), rather than offering it (the student's run untouched until they act).
        link: a setup the teacher pushed as a link (:mod:`ganapp.run.links`, its query string), offered as a lesson
            is; ``name`` is then the link's lesson, or "" for none. "" for a plain lesson.
    """

    name: str
    number: int
    applied: bool = False
    link: str = ""


class LeaderboardEntry(NamedTuple):
    """One line of the leaderboard.

    Attributes:
        rank: 1, 2, ...
        card: the run; for a run that reached the goal, with the step and the score of the row that reached it.
        reached_s: seconds from the challenge's start to when the run reached the goal, or None.
    """

    rank: int
    card: RunCard
    reached_s: float | None


class Classroom:
    """The class as the teacher sees and steers it.

    Args:
        registry: the server's visitors.
        gate: who may act as the teacher.
        clock: the time in seconds (``time.monotonic``; a test may pass its own).

    Attributes:
        lesson: the lesson set for the class (:class:`ClassLesson`), or None.
        ruled_out: the lessons the host's limits rule out, each with why (see
            :func:`ganapp.host.limits.beyond_limits`); the teacher cannot set them.

    Locks: ``_lock`` guards the seats, thumbnails, lesson and challenge records; it is never held while a run is
    read (a call to the training worker).
    """

    def __init__(self, registry: Registry, gate: TeacherGate, clock: Callable[[], float] = time.monotonic):
        self.registry = registry
        self.gate = gate
        self.lesson: ClassLesson | None = None
        self._locked: dict[str, Any] = {}  # the pushed link's locked controls and their values (see locked)
        self.ruled_out: dict[str, LimitError] = beyond_limits(registry.limits)
        self._clock = clock
        self._seats: dict[str, int] = {}
        self._next_seat = itertools.count(1)
        self._thumbs: dict[str, tuple[Any, np.ndarray]] = {}  # visitor id -> (run and grid version, thumbnail)
        self._samples: dict[str, list[tuple[int, float]]] = {}  # visitor id -> (step, time) seen, in order
        self._challenge: tuple[str, float] | None = None  # (name, the clock's time it started)
        self._start_steps: dict[str, int] = {}  # visitor id -> the run's step when the challenge started
        self._reached: dict[str, tuple[float, dict[str, Any]]] = {}  # visitor id -> (seconds in, the row)
        self._lock = threading.Lock()

    # ----- the class at a glance -----

    def _seat(self, visitor_id: str) -> int:
        with self._lock:
            if visitor_id not in self._seats:
                self._seats[visitor_id] = next(self._next_seat)
            return self._seats[visitor_id]

    def visitor_at(self, seat: int) -> str | None:
        """The visitor whose run has seat number ``seat``, or None."""
        with self._lock:
            return next((vid for vid, s in self._seats.items() if s == seat), None)

    def cards(self, sort: str = "seat") -> list[RunCard]:
        """A card per student run now in memory, sorted by ``sort`` (one of SORT_KEYS). A run lost with the
        training worker has a card too (``lost``), until its student's next request brings it back or they Reset.

        Raises:
            ValueError: an unknown sort key.
        """
        if sort not in SORT_KEYS:
            raise ValueError(f"sort={sort!r} is not allowed: choose one of {', '.join(SORT_KEYS)}")
        visitors = self.registry.visitors()
        cards = [self._card(vid, v) for vid, v in visitors if v.run is not None]
        now = self._clock()
        alive, known = {c.visitor_id for c in cards}, {vid for vid, _ in visitors}
        with self._lock:
            # a seat is kept while its visitor is in memory (a Reset keeps it), and freed once the registry forgot
            # them: on a public Space, seats of visitors long gone would pile up for as long as the server runs
            self._seats = {k: s for k, s in self._seats.items() if k in known}
            self._thumbs = {k: t for k, t in self._thumbs.items() if k in alive}
            self._samples = {k: s for k, s in self._samples.items() if k in alive}
            for c in cards:
                self._sample(c, now)
        return sorted(cards, key=SORT_KEYS[sort])

    def _sample(self, card: RunCard, now: float) -> None:
        """Note that ``card``'s run was at its step at ``now`` (under the lock): the leaderboard times a row by it."""
        samples = self._samples.setdefault(card.visitor_id, [])
        if samples and card.step < samples[-1][0]:  # a new run (Reset): its steps start again
            samples.clear()
            self._start_steps[card.visitor_id] = -1  # every row of the new run counts for the challenge
        samples.append((card.step, now))
        if len(samples) > SAMPLES_KEPT:
            del samples[1:-1:2]

    def _time_at(self, visitor_id: str, step: int) -> float | None:
        """When the run was at ``step``, from its samples (under the lock): linear between the two around it; the
        first sample's time for a step before it, the last one's for a step after it; None without samples."""
        samples = self._samples.get(visitor_id)
        if not samples:
            return None
        i = bisect.bisect_left([s for s, _ in samples], step)
        if i == 0:
            return samples[0][1]
        if i == len(samples):
            return samples[-1][1]
        (s0, t0), (s1, t1) = samples[i - 1], samples[i]
        return t0 + (t1 - t0) * (step - s0) / (s1 - s0)

    def _card(self, vid: str, v: Visitor) -> RunCard:
        run = v.run
        seat, name = self._seat(vid), v.state.name
        try:
            snap = run.snapshot(None)
        except RunLostError:  # the run died with the training worker before anything read it: nothing to show
            return RunCard(vid, seat, name, "", "", "", ERROR, 0, 0.0, lost=True)
        c = snap.config
        card = RunCard(vid, seat, name, c.dataset, c.model, c.loss, snap.state, snap.step, snap.it_s,
                       lesson=snap.lesson, lost=bool(run.lost), config=c)
        card.progress = [r for r in snap.view_metrics if "modes" in r] or \
            [r for r in snap.scores if "frechet_distance" in r]
        if card.progress:
            for k, value in row_scores(card.progress[-1]).items():
                setattr(card, k, value)
        with self._lock:
            cached = self._thumbs.get(vid)
        version = (id(run), snap.grid_version)  # a new run is a new object (a run lost has no build id to read)
        if cached is not None and cached[0] == version:
            card.thumbnail = cached[1]
        else:
            if snap.points is not None:
                card.thumbnail = thumbnail_2d(snap.points, BOUNDS_2D[c.dataset])
            elif snap.grid is not None:
                step = max(1, snap.grid.shape[0] // (2 * THUMB_PX))
                card.thumbnail = np.ascontiguousarray(snap.grid[::step, ::step])
            with self._lock:
                self._thumbs[vid] = (version, card.thumbnail)
        return card

    # ----- class actions -----

    def set_lesson(self, name: str, applied: bool = False) -> int:
        """Lesson ``name`` reaches every student's page: as an offer (its settings fill their controls; their runs
        go on untouched until they act), or ``applied`` (the caller has rebuilt every run as the lesson). Returns
        the lesson's number.

        Raises:
            ValueError: an unknown lesson.
            ganapp.host.limits.LimitError: the host's limits rule the lesson out (see :attr:`ruled_out`).
        """
        if name not in LESSONS:
            raise ValueError(f"lesson={name!r} is not allowed: choose one of {', '.join(LESSONS)}")
        if name in self.ruled_out:
            raise self.ruled_out[name]
        with self._lock:
            number = (self.lesson.number if self.lesson else 0) + 1
            self.lesson = ClassLesson(name, number, applied)
            self._locked = {}  # a new lesson ends the locks of a pushed link
        return number

    def push_link(self, link: Link) -> int:
        """A setup as a link (:class:`ganapp.run.links.Link`, with its hidden and locked controls) reaches every
        student's page as a lesson does (:meth:`set_lesson`): offered, their runs untouched until they act. Its
        locks hold for every student until the teacher sets another lesson or link: :meth:`locked` is what the
        server keeps them to, whatever link a student opens. The link's language is left out (each page keeps
        its own). Returns its number (one count with the lessons': a page takes the latest of either).

        Raises:
            ValueError: the link has refused parts (it is pushed whole or not at all), or its lesson is unknown.
            ganapp.host.limits.LimitError: the host's limits rule its lesson out.
        """
        if link.refused:
            raise link.refused[0]
        if link.lesson is not None and link.lesson in self.ruled_out:
            raise self.ruled_out[link.lesson]
        query = encode(link.values, lesson=link.lesson, hide=link.hide, lock=link.lock)
        locked = link.locked_values()
        with self._lock:
            number = (self.lesson.number if self.lesson else 0) + 1
            self.lesson = ClassLesson(link.lesson or "", number, False, query)
            self._locked = locked
        return number

    def locked(self) -> dict[str, Any]:
        """The controls the teacher's pushed link locks, with their values (``{field: value}``; empty when the
        latest class action was not a link with locks). Every student handler that changes a setting refuses
        another value for these."""
        with self._lock:
            return dict(self._locked)

    def pause_all(self) -> int:
        """Pause every run that is training (run B too). Returns how many were paused. Each student's runs are
        paused under their visitor's lock (:attr:`ganapp.host.visitors.Visitor.lock`), one student at a time, so
        a student's command in progress ends first."""
        n = 0
        for _, v in self.registry.visitors():
            with v.lock:  # after a student's command in progress (a Reset replacing the run), not in its middle
                for run in v.runs().values():
                    if run.state in (RUNNING, WAITING):
                        run.pause()
                        n += 1
        return n

    def resume_all(self) -> int:
        """Resume every paused run (run B too; not one that failed, was stopped or never started). Returns how
        many."""
        n = 0
        for _, v in self.registry.visitors():
            with v.lock:  # as pause_all
                for run in v.runs().values():
                    if run.state == PAUSED:
                        run.resume()
                        n += 1
        return n

    # ----- a challenge -----

    def start_challenge(self, name: str) -> None:
        """Start challenge ``name`` (one of CHALLENGES) now; the leaderboard counts time from here. A run that
        already meets the goal has reached it at once.

        Raises:
            ValueError: an unknown challenge.
        """
        if name not in CHALLENGES:
            raise ValueError(f"challenge={name!r} is not allowed: choose one of {', '.join(CHALLENGES)}")
        cards = self.cards()
        with self._lock:
            self._challenge = (name, self._clock())
            self._start_steps = {c.visitor_id: c.step for c in cards}
            self._reached = {c.visitor_id: (0.0, c.progress[-1]) for c in cards
                             if c.progress and CHALLENGES[name].reached(c.progress[-1])}

    def leaderboard(self, cards: list[RunCard]) -> tuple[str | None, list[LeaderboardEntry]]:
        """The challenge's ranking of the runs it applies to: those who reached the goal first, in the order they
        reached it, then the rest by the challenge's metric. When a run reached it is read from its own rows (the
        first row since the challenge started that meets the goal), timed by when the run was at that row's step;
        its entry shows that row's step and score, which met the goal.

        Returns:
            (the challenge's name, or None when none is set; the entries, best first).
        """
        with self._lock:
            challenge = self._challenge
        if challenge is None:
            return None, []
        name, started = challenge
        rules = CHALLENGES[name]
        entries = [c for c in cards if rules.applies(c)]
        now = self._clock()
        with self._lock:
            for c in entries:
                vid = c.visitor_id
                if vid in self._reached:
                    continue
                after = self._start_steps.get(vid, -1)  # a run that came after the start: all its rows count
                row = next((r for r in c.progress if r["step"] > after and rules.reached(r)), None)
                if row is not None:
                    at = self._time_at(vid, int(row["step"]))
                    self._reached[vid] = (max(0.0, (at if at is not None else now) - started), row)
            done = dict(self._reached)
        ranked = sorted(entries, key=lambda c: (0, done[c.visitor_id][0], c.seat) if c.visitor_id in done
                        else (1, *rules.key(c), c.seat))
        out = []
        for i, c in enumerate(ranked):
            if c.visitor_id in done:
                seconds, row = done[c.visitor_id]
                shown = dataclasses.replace(c, step=int(row["step"]), **row_scores(row))
                out.append(LeaderboardEntry(i + 1, shown, seconds))
            else:
                out.append(LeaderboardEntry(i + 1, c, None))
        return name, out

    # ----- export -----

    def export(self, folder: str | Path | None = None) -> Path:
        """Every run's checkpoint (G, D, fixed_z; see ganapp.gan.checkpoints) in one .zip, with ``class.csv``: seat,
        name, the lesson followed, the run's real settings, state, step and scores, one row per run, naming its
        checkpoint file ("" for a run that failed or was lost with the training worker, whose state says so).
        Every text cell is safe to open in a spreadsheet (:func:`spreadsheet_text`).

        Returns:
            the .zip's path (in ``folder``, else a new temporary folder).
        Raises:
            OSError: the files cannot be written.
        """
        folder = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="ganapp-class-"))
        folder.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = folder / f"ganapp-class-{stamp}.zip"
        columns = ["seat", "name", "file", "lesson", *CSV_SETTINGS, "state", "step", "modes", "n_modes",
                   "high_quality", "fd", "digits"]
        table = io.StringIO()
        writer = csv.DictWriter(table, fieldnames=columns)
        writer.writeheader()
        with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for card in self.cards("seat"):
                file = ""
                v = self.registry.peek(card.visitor_id)
                if v is not None and v.run is not None and card.state != ERROR:
                    file = f"run_{card.seat:03d}.safetensors"
                    try:
                        v.run.save_checkpoint(Path(tmp) / file)
                        zf.write(Path(tmp) / file, file)
                    except RunLostError:  # the worker died during the export
                        file, card.state, card.lost = "", ERROR, True
                row = {"seat": card.seat, "name": card.name, "file": file, "lesson": card.lesson or "",
                       "state": "lost" if card.lost else card.state, "step": card.step, "modes": card.modes,
                       "n_modes": card.n_modes, "high_quality": card.high_quality, "fd": card.fd,
                       "digits": card.digits,
                       **({k: getattr(card.config, k) for k in CSV_SETTINGS} if card.config is not None else {})}
                writer.writerow({k: spreadsheet_text(value) for k, value in row.items()})
            zf.writestr("class.csv", table.getvalue())
        return path


__all__ = ["CHALLENGES", "ClassLesson", "Classroom", "LeaderboardEntry", "RunCard", "SORT_KEYS", "row_scores",
           "spreadsheet_text", "thumbnail_2d"]
