"""The landing page of ``python -m ganapp rooms``: one small page, served by the standard library's http.server,
that lists the rooms with a link to each. It answers ``GET /`` alone; everything else is 404."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_HOSTNAME = re.compile(r"[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]")


class LandingPage:
    """A tiny page, served by the standard library, that lists the rooms with a link to each.

    Args:
        render: the page's HTML for the host name a browser reached it by (links point at that host).
        host, port: where to listen.
    """

    def __init__(self, render: Callable[[str], str], host: str, port: int):
        fallback = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                if self.path.split("?", 1)[0] != "/":
                    self.send_error(404)
                    return
                body = render(_request_host(self.headers.get("Host", ""), fallback)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("X-Content-Type-Options", "nosniff")
                self.send_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (http.server's name)
                pass  # the rooms' own logs are what a host reads

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, name="landing-page", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _request_host(header: str, fallback: str) -> str:
    """The host name in a request's ``Host`` header (without its port), when it is a plain name or address; else
    ``fallback``. The page links to the rooms on the host the browser already reached."""
    name = header.strip()
    if name.startswith("["):
        name = name.split("]", 1)[0] + "]"
    else:
        name = name.rsplit(":", 1)[0] if name.count(":") == 1 else name
    return name if _HOSTNAME.fullmatch(name) else fallback
