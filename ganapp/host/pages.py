"""The pages open on a server: which visitor each page acts for, and what each page shows. A page is one browser tab
(Gradio's session_hash); two tabs of one visitor share that visitor's runs but not what each has drawn. Knows
nothing of the web framework or of sessions.

A page id is chosen by whoever sends the request, a visitor id only by the server (:mod:`ganapp.host.autosave`), so the
two never share a namespace: a page that attached acts for its visitor's id, one that did not for its own key
(:func:`own_key`), which no visitor id can be.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .autosave import VISITOR_ID

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
class Page:
    """One page.

    Attributes:
        visitor_id: the visitor it attached to with a token, or None: the page is then its own visitor.
        view: what the page shows (the UI's own values: what it has drawn, which outputs are visible ...).
        seen_s: ``time.monotonic()`` of its last request.
    """

    visitor_id: str | None = None
    view: dict[str, Any] = field(default_factory=dict)
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

    def view(self, page_id: str) -> dict[str, Any]:
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
                    page.view = {}
        return gone

    def __len__(self) -> int:
        with self._lock:
            return len(self._pages)

    def __contains__(self, page_id: str) -> bool:
        with self._lock:
            return page_id in self._pages
