"""Unsupported methods and unknown paths under the API prefix: 405 with the right ``Allow``, or 404.

Starlette answers a method a path does not take from the first route of that path only, and
the web front end's mount at ``/`` would take API paths no route matches; this middleware
answers both for API paths from every route, as JSON errors (`ethoforge.server.errors`).
"""

from __future__ import annotations

import json
import re  # noqa: F401  (RouteTable annotation)


RouteTable = list[tuple["re.Pattern[str]", frozenset[str]]]


def route_table(paths: list[tuple[str, set[str]]]) -> RouteTable:
    """Compiled ``(path, methods)`` of the API routes (paths with their prefix, as served)."""
    from starlette.routing import compile_path

    return [(compile_path(path)[0], frozenset(methods)) for path, methods in paths]


class MethodCheckMiddleware:
    """ASGI middleware: for an HTTP request under ``prefix`` that no API route takes, answer 405
    with ``Allow`` listing every method of the routes matching its path, or 404 if none does."""

    def __init__(self, app, prefix: str, routes: RouteTable) -> None:
        self.app = app
        self.prefix = prefix
        self.routes = routes

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path == self.prefix or path.startswith(self.prefix + "/"):
            allowed = self._allowed(path, scope["method"])
            if allowed is not None:
                if allowed:
                    await _answer(send, 405, f"{scope['method']} is not allowed here; this path takes "
                                  f"{', '.join(allowed)}", "MethodNotAllowed", allowed)
                else:
                    await _answer(send, 404, f"no API route {path}; the routes are listed at {self.prefix}/openapi.json",
                                  "NotFound")
                return
        await self.app(scope, receive, send)

    def _allowed(self, path: str, method: str) -> list[str] | None:
        """None when a route takes the request; else the methods of the routes matching the path (sorted)."""
        methods: set[str] = set()
        for pattern, taken in self.routes:
            if pattern.match(path):
                if method in taken:
                    return None
                methods |= taken
        return sorted(methods)


async def _answer(send, status: int, message: str, kind: str, allowed: list[str] | None = None) -> None:
    body = json.dumps({"detail": message, "error": kind}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if allowed:
        headers.append((b"allow", ", ".join(allowed).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
