"""The access token: made once per project (``PROJECT/server_token``, mode 0600) and checked
on every API request when the server is reachable from other machines.

HTTP clients send ``Authorization: Bearer <token>``; a WebSocket (and an ``<img>`` URL) may
send ``?token=<token>`` instead. The OpenAPI spec and the static front end need no token.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs

from ethoforge.store.own_files import TOKEN_FILE

PUBLIC_PATHS = ("/api/v1/openapi.json", "/api/v1/docs", "/api/v1/health")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    return host in LOOPBACK_HOSTS or host.startswith("127.")


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


def _token_of(scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, credential = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and credential.strip():
                return credential.strip()
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    values = query.get("token")
    return values[0] if values else None


class TokenMiddleware:
    """ASGI middleware: API requests (HTTP and WebSocket) under ``/api/`` need the token.

    A refused HTTP request gets 401 with a JSON message; a refused WebSocket gets a 401
    denial response where the server supports it, else it is closed with code 1008.
    """

    def __init__(self, app, token: str) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket") or not self._protected(scope["path"]):
            await self.app(scope, receive, send)
            return
        given = _token_of(scope)
        if given is not None and secrets.compare_digest(given.encode(), self.token.encode()):
            await self.app(scope, receive, send)
            return
        message = ("missing access token: send 'Authorization: Bearer <token>' (or ?token= for a WebSocket); "
                   "the token is in the project's server_token file" if given is None
                   else "wrong access token")
        body = json.dumps({"detail": message, "error": "Unauthorized"}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                   (b"www-authenticate", b"Bearer")]
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 401, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        elif "websocket.http.response" in scope.get("extensions", {}):
            await receive()  # websocket.connect
            await send({"type": "websocket.http.response.start", "status": 401, "headers": headers})
            await send({"type": "websocket.http.response.body", "body": body})
        else:
            await receive()
            await send({"type": "websocket.close", "code": 1008, "reason": "unauthorized"})

    @staticmethod
    def _protected(path: str) -> bool:
        return path.startswith("/api/") and path not in PUBLIC_PATHS
