"""The teacher's side of a classroom: who may act as the teacher, the class at a glance (one card per run), class
actions (a lesson for all, pause all, resume all), a challenge with its leaderboard, and the class export.

Nothing here knows about widgets; :mod:`ganapp.ui.teacher` shows it. A student's display name is plain text here
and everywhere it goes.
"""

from __future__ import annotations

import csv
import hmac
import io
import itertools
import tempfile
import threading
import time
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .points2d import BOUNDS_2D
from .media import points_image
from .lessons import LESSONS
from .registry import SessionRegistry, Visitor
from .session import ERROR, PAUSED, RUNNING, WAITING

MAX_NAME_CHARS = 32
THUMB_PX = 96


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


class TeacherGate:
    """Who may act as the teacher: the host's token, compared in constant time, with a wait that doubles after
    each wrong try from the same client (1 s, 2 s, 4 s ... up to ``max_wait_s``); a try during the wait is refused
    unchecked.

    Args:
        token: the host's token (GANAPP_TEACHER_TOKEN), at least 12 characters.
        max_wait_s: the longest wait after wrong tries.

    Raises:
        ValueError: a token shorter than 12 characters.
    """

    MIN_TOKEN_CHARS = 12

    def __init__(self, token: str, max_wait_s: float = 60.0):
        if not isinstance(token, str) or len(token) < self.MIN_TOKEN_CHARS:
            raise ValueError(f"the teacher token must have at least {self.MIN_TOKEN_CHARS} characters")
        self._token = token.encode()
        self.max_wait_s = max_wait_s
        self._wrong: dict[str, tuple[int, float]] = {}  # client -> (wrong tries in a row, refused until)
        self._lock = threading.Lock()

    def check(self, given: Any, client: str) -> bool:
        """True when ``given`` is the token and ``client`` is not waiting after wrong tries."""
        now = time.monotonic()
        with self._lock:
            tries, until = self._wrong.get(client, (0, 0.0))
            if now < until:
                return False
            ok = isinstance(given, str) and hmac.compare_digest(given.encode(), self._token)
            if ok:
                self._wrong.pop(client, None)
            else:
                self._wrong[client] = (tries + 1, now + min(self.max_wait_s, 2.0 ** tries))
                if len(self._wrong) > 10_000:  # forget clients whose wait is long over
                    self._wrong = {k: v for k, v in self._wrong.items() if v[1] > now - self.max_wait_s}
            return ok


@dataclass
class RunCard:
    """One student's run as the teacher sees it.

    Attributes:
        visitor_id: whose run (server side only; never shown or sent to a page).
        seat: the student's number in the class (1, 2, ...), stable while the server runs.
        name: their display name, or "" when they set none.
        dataset, model, loss: the run's settings.
        state: idle, waiting, running, paused, stopped or error.
        step: G updates done; it_s: steps per second now.
        modes, n_modes, high_quality: PacGAN's modes covered, of how many, and the high-quality share in [0, 1]
            (ring8, grid25), else None.
        fd, digits: the MNIST Fréchet distance and the digits present (0..10), else None.
        thumbnail: (THUMB_PX, THUMB_PX, 3) uint8 for 2D data (real points grey, fakes orange), or the sample grid.
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

    def label(self, unnamed: str = "Student {seat}") -> str:
        return self.name or unnamed.format(seat=self.seat)


# The challenges a teacher can set: (applies to the run, reached, sort key: smaller ranks higher among the rest).
Challenge = tuple[Callable[[RunCard], bool], Callable[[RunCard], bool], Callable[[RunCard], tuple]]
CHALLENGES: dict[str, Challenge] = {
    # first to cover every mode of ring8 or grid25 with at least 90% of samples of high quality (PacGAN's metrics)
    "all_modes": (lambda c: c.n_modes is not None,
                  lambda c: c.modes == c.n_modes and (c.high_quality or 0.0) >= 0.9,
                  lambda c: (-(c.modes or 0), -(c.high_quality or 0.0))),
    # first to draw all 10 MNIST digits (the shipped classifier's count), the lower FD first among the rest
    "all_digits": (lambda c: c.digits is not None,
                   lambda c: c.digits == 10,
                   lambda c: (-(c.digits or 0), c.fd if c.fd is not None else float("inf"))),
    # the lowest MNIST Fréchet distance; nobody "reaches" it, the ranking is the live one
    "lowest_fd": (lambda c: c.fd is not None, lambda c: False, lambda c: (c.fd,)),
}
SORT_KEYS: dict[str, Callable[[RunCard], Any]] = {
    "seat": lambda c: c.seat,
    "name": lambda c: (c.name.casefold() or "\uffff", c.seat),
    "state": lambda c: (c.state, c.seat),
    "step": lambda c: -c.step,
    "speed": lambda c: -c.it_s,
    "score": lambda c: (-(c.modes if c.modes is not None else -1), -(c.high_quality or 0.0),
                        c.fd if c.fd is not None else float("inf")),
}


class Classroom:
    """The class as the teacher sees and steers it.

    Args:
        registry: the server's visitors.
        gate: who may act as the teacher.

    Attributes:
        lesson: the lesson set for the class and its number (each new one counts up), or None.
    """

    def __init__(self, registry: SessionRegistry, gate: TeacherGate):
        self.registry = registry
        self.gate = gate
        self.lesson: tuple[str, int] | None = None
        self._seats: dict[str, int] = {}
        self._next_seat = itertools.count(1)
        self._thumbs: dict[str, tuple[Any, np.ndarray]] = {}  # visitor id -> (grid version, thumbnail)
        self._challenge: tuple[str, float] | None = None  # (name, time.monotonic() it started)
        self._reached: dict[str, float] = {}  # visitor id -> seconds into the challenge it was reached
        self._lock = threading.Lock()

    # ----- the class at a glance -----

    def _seat(self, visitor_id: str) -> int:
        with self._lock:
            if visitor_id not in self._seats:
                self._seats[visitor_id] = next(self._next_seat)
            return self._seats[visitor_id]

    def cards(self, sort: str = "seat") -> list[RunCard]:
        """A card per student run now in memory, sorted by ``sort`` (one of SORT_KEYS).

        Raises:
            ValueError: an unknown sort key.
        """
        if sort not in SORT_KEYS:
            raise ValueError(f"sort={sort!r} is not allowed: choose one of {', '.join(SORT_KEYS)}")
        cards = [self._card(vid, v) for vid, v in self.registry.visitors() if v.session is not None]
        alive = {c.visitor_id for c in cards}
        with self._lock:
            self._thumbs = {k: t for k, t in self._thumbs.items() if k in alive}
        return sorted(cards, key=SORT_KEYS[sort])

    def _card(self, vid: str, v: Visitor) -> RunCard:
        snap = v.session.snapshot(None)
        c = snap.config
        card = RunCard(vid, self._seat(vid), v.state.name, c.dataset, c.model, c.loss, snap.state,
                       snap.step, snap.it_s)
        if snap.view_metrics and "modes" in snap.view_metrics[-1]:
            last = snap.view_metrics[-1]
            card.modes, card.n_modes, card.high_quality = int(last["modes"]), int(last["n_modes"]), \
                float(last["high_quality"])
        scored = [r for r in snap.scores if "frechet_distance" in r]
        if scored:
            card.fd, card.digits = float(scored[-1]["frechet_distance"]), int(scored[-1]["classes"])
        with self._lock:
            cached = self._thumbs.get(vid)
        version = (v.session.build_id, snap.grid_version)
        if cached is not None and cached[0] == version:
            card.thumbnail = cached[1]
        else:
            if snap.points is not None:
                card.thumbnail = points_image(snap.points, BOUNDS_2D[c.dataset], THUMB_PX)
            elif snap.grid is not None:
                step = max(1, snap.grid.shape[0] // (2 * THUMB_PX))
                card.thumbnail = np.ascontiguousarray(snap.grid[::step, ::step])
            with self._lock:
                self._thumbs[vid] = (version, card.thumbnail)
        return card

    # ----- class actions -----

    def set_lesson(self, name: str) -> int:
        """Every student's page takes lesson ``name`` into its controls (each still presses Start). Returns the
        lesson's number.

        Raises:
            ValueError: an unknown lesson.
        """
        if name not in LESSONS:
            raise ValueError(f"lesson={name!r} is not allowed: choose one of {', '.join(LESSONS)}")
        with self._lock:
            number = (self.lesson[1] if self.lesson else 0) + 1
            self.lesson = (name, number)
        return number

    def pause_all(self) -> int:
        """Pause every run that is training (run B too). Returns how many were paused."""
        n = 0
        for _, v in self.registry.visitors():
            for session in v.runs().values():
                if session.state in (RUNNING, WAITING):
                    session.pause()
                    n += 1
        return n

    def resume_all(self) -> int:
        """Resume every paused run (run B too; not one that failed, was stopped or never started). Returns how
        many."""
        n = 0
        for _, v in self.registry.visitors():
            for session in v.runs().values():
                if session.state == PAUSED:
                    session.resume()
                    n += 1
        return n

    # ----- a challenge -----

    def start_challenge(self, name: str) -> None:
        """Start challenge ``name`` (one of CHALLENGES) now; the leaderboard counts time from here.

        Raises:
            ValueError: an unknown challenge.
        """
        if name not in CHALLENGES:
            raise ValueError(f"challenge={name!r} is not allowed: choose one of {', '.join(CHALLENGES)}")
        with self._lock:
            self._challenge = (name, time.monotonic())
            self._reached = {}

    def leaderboard(self, cards: list[RunCard]) -> tuple[str | None, list[tuple[int, RunCard, float | None]]]:
        """The challenge's ranking of the runs it applies to: those who reached the goal first, in the order they
        reached it, then the rest by the challenge's metric.

        Returns:
            (the challenge's name, or None when none is set; [(rank, card, seconds into the challenge it was
            reached or None)]).
        """
        with self._lock:
            challenge = self._challenge
        if challenge is None:
            return None, []
        name, started = challenge
        applies, reached, key = CHALLENGES[name]
        now = time.monotonic() - started
        entries = [c for c in cards if applies(c)]
        with self._lock:
            for c in entries:
                if reached(c) and c.visitor_id not in self._reached:
                    self._reached[c.visitor_id] = now
            done = dict(self._reached)
        ranked = sorted(entries, key=lambda c: (0, done[c.visitor_id]) if c.visitor_id in done else (1, *key(c)))
        return name, [(i + 1, c, done.get(c.visitor_id)) for i, c in enumerate(ranked)]

    # ----- export -----

    def export(self, folder: str | Path | None = None) -> Path:
        """Every run's checkpoint (G, D, fixed_z; see ganapp.checkpoints) in one .zip, with ``class.csv``: seat,
        name, settings, state, step and scores, one row per run, naming its checkpoint file.

        Returns:
            the .zip's path (in ``folder``, else a new temporary folder).
        Raises:
            OSError: the files cannot be written.
        """
        folder = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="ganapp-class-"))
        folder.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = folder / f"ganapp-class-{stamp}.zip"
        columns = ["seat", "name", "file", "dataset", "model", "loss", "z_dim", "g_width", "d_width", "batch_size",
                   "lr_g", "lr_d", "beta1", "beta2", "n_critic", "seed", "state", "step", "modes", "n_modes",
                   "high_quality", "fd", "digits"]
        table = io.StringIO()
        writer = csv.DictWriter(table, fieldnames=columns)
        writer.writeheader()
        with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for card in self.cards("seat"):
                v = self.registry.peek(card.visitor_id)
                if v is None or v.session is None or card.state == ERROR:
                    continue
                name = f"run_{card.seat:03d}.safetensors"
                v.session.save_checkpoint(Path(tmp) / name)
                zf.write(Path(tmp) / name, name)
                c = v.session.config
                writer.writerow({"seat": card.seat, "name": card.name, "file": name, "state": card.state,
                                 "step": card.step, "modes": card.modes, "n_modes": card.n_modes,
                                 "high_quality": card.high_quality, "fd": card.fd, "digits": card.digits,
                                 **{k: getattr(c, k) for k in columns[3:16]}})
            zf.writestr("class.csv", table.getvalue())
        return path


__all__ = ["CHALLENGES", "Classroom", "MAX_NAME_CHARS", "RunCard", "SORT_KEYS", "TeacherGate", "check_name"]
