"""The landing page of ``python -m ganapp rooms``: the rooms, each a link to its page and its teacher's view, in
both languages at once (the page is plain HTML, served by :class:`ganapp.host.rooms.LandingPage`, with no script to
switch languages)."""

from __future__ import annotations

import html
from collections.abc import Sequence

from .i18n import LANGS, t


def landing_html(rooms: Sequence[tuple[str, int]], host: str) -> str:
    """The landing page listing ``rooms`` ((name, port) pairs), each linked at ``http://<host>:<port>/``. Every
    name and the host are escaped: they are shown as text, never read as HTML."""
    both = lambda key: " · ".join(html.escape(t(code, key)) for code in LANGS)  # noqa: E731
    items = []
    for name, port in rooms:
        url = html.escape(f"http://{host}:{int(port)}/", quote=True)
        items.append(f'<li><a href="{url}">{html.escape(name)}</a> '
                     f'(<a href="{url}teacher">{both("rooms_teacher")}</a>)</li>')
    intro = "<br>".join(html.escape(t(code, "rooms_intro")) for code in LANGS)
    return ("<!doctype html>\n"
            '<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>ganapp · {both('rooms_title')}</title>"
            "<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:2em auto;padding:0 1em}"
            "li{margin:0.6em 0;font-size:1.2em}</style></head>"
            f"<body><h1>{both('rooms_title')}</h1><p>{intro}</p>"
            f'<ul id="rooms">{"".join(items)}</ul></body></html>\n')
