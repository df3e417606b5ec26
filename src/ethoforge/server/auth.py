"""The access token: made once per project (``PROJECT/server_token``, mode 0600) and checked
on every API request when the server is reachable from other machines.

HTTP clients send ``Authorization: Bearer <token>``; the web app trades ``?token=`` once
for a session cookie (`TokenMiddleware`). The OpenAPI spec and the static front end need no token.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from ethoforge.server.errors import deny
from ethoforge.store.own_files import TOKEN_FILE

PUBLIC_PATHS = ("/api/v1/openapi.json", "/api/v1/docs", "/api/v1/health")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost); a name
    such as ``127.0.0.1.example.com`` is not one."""
    import ipaddress

    host = host.lower()
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_or_create_token(project_root: str | Path) -> tuple[str, bool]:
    """The project's access token and whether it was made now.

    The token (``secrets.token_urlsafe(32)``) is written to ``PROJECT/server_token`` with mode
    0600, created exclusively so two servers starting at once agree on one token.
    """
    path = Path(project_root) / TOKEN_FILE
    token = secrets.token_urlsafe(32)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        os.chmod(path, 0o600)
        stored = path.read_text().strip()
        if stored:
            return stored, False
        path.unlink()
        return load_or_create_token(project_root)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(token + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return token, True


def session_value(token: str) -> str:
    """The session cookie's value: derived from the token (so it is not the token itself, and
    a new token ends every session) and checked without any state on the server."""
    return hmac.new(token.encode(), b"ethoforge web session", hashlib.sha256).hexdigest()


def cookie_name(scope) -> str:
    """One cookie per port: browsers share cookies between ports of a host, servers do not."""
    server = scope.get("server") or ("", 0)
    return f"ethoforge_session_{server[1] or 0}"


def _bearer(scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, credential = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and credential.strip():
                return credential.strip()
    return None


def _cookie(scope) -> str | None:
    from http.cookies import CookieError, SimpleCookie

    wanted = cookie_name(scope)
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            try:
                jar = SimpleCookie(value.decode("latin-1"))
            except CookieError:
                continue
            if wanted in jar:
                return jar[wanted].value
    return None


def _query_without_token(scope) -> tuple[str | None, str]:
    """The ``token`` of the query string and the query string without it."""
    pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    token = next((value for key, value in pairs if key == "token"), None)
    return token, urlencode([(key, value) for key, value in pairs if key != "token"])


class TokenMiddleware:
    """ASGI middleware: API requests (HTTP and WebSocket) under ``/api/`` need the token.

    Clients send ``Authorization: Bearer <token>``. The web app is opened once at
    ``/?token=<token>``: that answer is a redirect to the same page without the token that
    sets an HttpOnly, SameSite=Strict session cookie (`session_value`), which then
    authenticates the app's requests, its WebSocket and its images. A token in the URL of an
    API request is not accepted (URLs end up in logs, history and ``Referer`` headers).

    A refused HTTP request gets 401 with a JSON message; a refused WebSocket gets a 401
    denial response where the server supports it, else it is closed with code 1008.
    """

    def __init__(self, app, token: str) -> None:
        self.app = app
        self.token = token
        self.session = session_value(token)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        if not scope["path"].startswith("/api/"):  # the web app's pages: where ?token= is traded
            given, rest = _query_without_token(scope)
            if given is None or scope["type"] != "http":
                await self.app(scope, receive, send)
            elif secrets.compare_digest(given.encode(), self.token.encode()):
                await self._start_session(scope, send, rest)
            else:
                await deny(scope, receive, send, 401, "wrong access token in the address; open the URL "
                           "`ethoforge serve` printed, or the one with the token of the project's server_token file",
                           "Unauthorized")
            return
        bearer = _bearer(scope)
        if bearer is not None and secrets.compare_digest(bearer.encode(), self.token.encode()):
            await self.app(scope, receive, send)
            return
        cookie = _cookie(scope)
        if bearer is None and cookie is not None and secrets.compare_digest(cookie.encode(), self.session.encode()):
            await self.app(scope, receive, send)
            return
        message = ("wrong access token" if bearer is not None
                   else "the session has expired: open the app again with ?token=<token>" if cookie is not None
                   else "missing access token: send 'Authorization: Bearer <token>' (the token is in the "
                        "project's server_token file), or open the web app once at /?token=<token>")
        await deny(scope, receive, send, 401, message, "Unauthorized", headers=((b"www-authenticate", b"Bearer"),))

    async def _start_session(self, scope, send, query: str) -> None:
        """303 to the same page without the token, setting the session cookie."""
        secure = "; Secure" if scope.get("scheme") == "https" else ""
        cookie = f"{cookie_name(scope)}={self.session}; Path=/; HttpOnly; SameSite=Strict{secure}"
        path = scope.get("raw_path") or scope["path"].encode("utf-8")
        location = b"/" + path.lstrip(b"/") + (f"?{query}".encode("latin-1") if query else b"")  # never //host
        await send({"type": "http.response.start", "status": 303, "headers": [
            (b"location", location), (b"set-cookie", cookie.encode("latin-1")),
            (b"cache-control", b"no-store"), (b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})


class TokenRedactor(logging.Filter):
    """A logging filter that writes ``token=[redacted]`` for any ``token=`` query value, and
    ``[redacted]`` for the token itself wherever it appears, so access logs never print it."""

    _QUERY = re.compile(r"(?i)([?&]token=)[^&\s\"']*")

    def __init__(self, token: str | None) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self._QUERY.sub(r"\1[redacted]", message)
        if self.token:
            redacted = redacted.replace(self.token, "[redacted]")
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
