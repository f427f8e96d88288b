"""Who may act as the teacher: :class:`TeacherGate`, the host's token checked in constant time, with wrong tries
slowed down and the right token always let through at once. Knows nothing of the web framework: the UI passes in
the token it was given and the client's address, and holds a wrong answer for as long as the gate says.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable
from typing import Any, NamedTuple


class Verdict(NamedTuple):
    """The gate's answer to one try.

    Attributes:
        ok: the token given is the host's.
        delay_s: how long the caller holds a wrong answer before it refuses (seconds, ≥ 0; 0 when ``ok``).
    """

    ok: bool
    delay_s: float


def _utf8(text: str) -> bytes:
    """``text`` as bytes for the comparison. A lone surrogate (JSON may carry "\\ud800"; an environment variable
    may hold one from undecodable bytes) is encoded as it is, so that any string compares, and two strings compare
    equal exactly when their bytes do."""
    return text.encode("utf-8", "surrogatepass")


class TeacherGate:
    """Who may act as the teacher: the host's token, compared in constant time.

    The right token is accepted at once, always: no wrong try, from any address, holds it up (a class shares one
    NAT address with its teacher). Wrong tries are slowed by holding their answers:

    - per client: the k-th wrong try in a row from one address is answered after min(``max_wait_s``, 2^(k−1)) s
      (1 s, 2 s, 4 s ...); the count is forgotten after ``forget_after_s`` without a wrong try;
    - per server, whatever the address: wrong answers go out at most ``server_rate_hz`` a second on average (bursts
      of ``server_burst``), so that many addresses, real or forged, gain nothing.

    A caller that waits for its answers (a script, a browser) is slowed this way. What keeps a guesser who does not
    wait out is the token's length: at least MIN_TOKEN_CHARS characters.

    Args:
        token: the host's token (GANAPP_TEACHER_TOKEN), at least MIN_TOKEN_CHARS characters.
        max_wait_s: the longest a wrong answer is held, > 0.
        server_rate_hz: wrong answers per second the server gives on average, > 0.
        server_burst: wrong answers the server may give at once before ``server_rate_hz`` applies, ≥ 1.
        forget_after_s: a client's count of wrong tries is forgotten after this long without one, > 0.
        clock: the time in seconds (``time.monotonic``; a test may pass its own).

    Raises:
        ValueError: a token shorter than MIN_TOKEN_CHARS characters, or a setting out of its range.
    """

    MIN_TOKEN_CHARS = 12
    MAX_CLIENTS = 10_000  # addresses remembered before those whose count is over are forgotten

    def __init__(self, token: str, max_wait_s: float = 60.0, server_rate_hz: float = 1.0, server_burst: int = 10,
                 forget_after_s: float = 600.0, clock: Callable[[], float] = time.monotonic):
        if not isinstance(token, str) or len(token) < self.MIN_TOKEN_CHARS:
            raise ValueError(f"the teacher token must have at least {self.MIN_TOKEN_CHARS} characters")
        if not max_wait_s > 0:
            raise ValueError(f"max_wait_s={max_wait_s!r} is out of range: it must be > 0")
        if not server_rate_hz > 0:
            raise ValueError(f"server_rate_hz={server_rate_hz!r} is out of range: it must be > 0")
        if not isinstance(server_burst, int) or server_burst < 1:
            raise ValueError(f"server_burst={server_burst!r} is out of range: it must be an integer ≥ 1")
        if not forget_after_s > 0:
            raise ValueError(f"forget_after_s={forget_after_s!r} is out of range: it must be > 0")
        self._token = _utf8(token)
        self.max_wait_s, self.server_rate_hz, self.server_burst = max_wait_s, server_rate_hz, server_burst
        self.forget_after_s = forget_after_s
        self._clock = clock
        self._lock = threading.Lock()  # guards _wrong and _due
        self._wrong: dict[str, tuple[int, float]] = {}  # client -> (wrong tries in a row, time of the last)
        self._due = 0.0  # when the server's next wrong answer is due, at its rate (GCRA's theoretical arrival time)

    def check(self, given: Any, client: str) -> Verdict:
        """Whether ``given`` is the host's token; for a wrong one (anything that is not that string, a lone
        surrogate included), how long to hold the refusal. Every wrong try counts."""
        ok = isinstance(given, str) and hmac.compare_digest(_utf8(given), self._token)
        if ok:
            return Verdict(True, 0.0)
        now = self._clock()
        with self._lock:
            tries, last = self._wrong.get(client, (0, -float("inf")))
            if now - last > self.forget_after_s:
                tries = 0
            self._wrong[client] = (tries + 1, now)
            if len(self._wrong) > self.MAX_CLIENTS:
                self._wrong = {k: v for k, v in self._wrong.items() if now - v[1] <= self.forget_after_s}
            interval = 1.0 / self.server_rate_hz
            due = max(self._due, now)
            server_delay = max(0.0, due - self.server_burst * interval - now)
            # a flood must not push the server's schedule beyond the longest wait: once it ends, answers recover
            self._due = min(due + interval, now + self.max_wait_s + self.server_burst * interval)
        return Verdict(False, min(self.max_wait_s, max(2.0 ** tries, server_delay)))

    def wrong_tries(self, client: str) -> int:
        """Wrong tries in a row counted for ``client`` now (0 once forgotten)."""
        with self._lock:
            tries, last = self._wrong.get(client, (0, -float("inf")))
            return tries if self._clock() - last <= self.forget_after_s else 0


__all__ = ["TeacherGate", "Verdict"]
