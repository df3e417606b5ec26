"""Loopback is no trust boundary for browsers: what keeps other web pages from driving the API.

`BrowserGuard` (ASGI middleware, outermost) answers before any route runs:

- **Host** (on a loopback bind): a ``Host`` header that is not a loopback name
  (``127.0.0.1``, ``localhost``, ``[::1]``) is refused with 400 — a DNS-rebinding page
  reaches the server under its own name.
- **Origin**: a request (WebSocket handshakes included) whose ``Origin`` is not the app's
  own (``http[s]://`` + its ``Host``), or is ``null``, is refused with 403; so is an API
  request a browser marks ``Sec-Fetch-Site: cross-site`` or ``same-site`` (a page on another
  port of the same machine).
- **JSON only**: a state-changing API request (POST, PUT, PATCH, DELETE) whose body is not
  ``application/json`` is refused with 415 — HTML forms and ``no-cors`` fetches cannot send
  JSON to another origin.

Clients that are not browsers send no ``Origin`` and are not affected. Every response gets
``Referrer-Policy: no-referrer``, ``X-Content-Type-Options: nosniff`` and
``X-Frame-Options: DENY``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ethoforge.server.auth import is_loopback
from ethoforge.server.errors import deny

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
)
_BROWSER_OTHER_SITE = (b"cross-site", b"same-site")


def host_name(host: str) -> str:
    """The name part of a ``Host`` header or URL netloc: ``[::1]:8000`` → ``::1``, lowercased."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def check(scope, *, loopback: bool) -> tuple[int, str] | None:
    """``(status, message)`` if the request in ``scope`` must be refused, else None."""
    hosts = [value for key, value in scope.get("headers", []) if key == b"host"]
    if len(hosts) > 1:
        return 400, "more than one Host header"
    host = hosts[0].decode("latin-1") if hosts else None
    if loopback and host is not None and not is_loopback(host_name(host)):
        return 400, (f"Host {host!r} is not this server's loopback address; open the app at "
                     "http://127.0.0.1:<port>/ or http://localhost:<port>/")
    origin = _header(scope, b"origin")
    if origin is not None:
        parts = urlsplit(origin)
        if origin == "null" or parts.scheme not in ("http", "https") or host is None \
                or parts.netloc.lower() != host.strip().lower():
            return 403, f"requests from the web page at {origin!r} are refused: only the EthoForge app itself may call this server"
    api = scope["path"].startswith("/api/")
    fetch_site = _header(scope, b"sec-fetch-site")
    if api and fetch_site is not None and fetch_site.encode() in _BROWSER_OTHER_SITE:
        return 403, "requests from other web sites are refused: only the EthoForge app itself may call this server"
    if api and scope["type"] == "http" and scope["method"] in STATE_CHANGING and not _json_or_empty(scope):
        return 415, f"{scope['method']} requests take a JSON body only: send 'Content-Type: application/json'"
    return None


def _json_or_empty(scope) -> bool:
    """True for a JSON body, or no body and no ``Content-Type`` (``POST /jobs/1/cancel``)."""
    content_type = _header(scope, b"content-type")
    if content_type is None:
        length = _header(scope, b"content-length")
        return _header(scope, b"transfer-encoding") is None and (length is None or length.strip() == "0")
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


class BrowserGuard:
    """ASGI middleware: refuse requests `check` flags and add `SECURITY_HEADERS` to every response.

    Parameters
    ----------
    app
        The wrapped ASGI app.
    loopback
        The server is bound to a loopback address: check the ``Host`` header too.
    """

    def __init__(self, app, *, loopback: bool) -> None:
        self.app = app
        self.loopback = loopback

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        refused = check(scope, loopback=self.loopback)
        if refused is not None:
            status, message = refused
            await deny(scope, receive, send, status, message, headers=SECURITY_HEADERS)
            return

        async def with_headers(message) -> None:
            if message["type"] in ("http.response.start", "websocket.http.response.start"):
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        await self.app(scope, receive, with_headers)
