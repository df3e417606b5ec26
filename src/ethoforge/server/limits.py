"""Request size limit: bodies over ``max_bytes`` are refused with 413 before they are read."""

from __future__ import annotations

import json

DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024  # a commit of 100,000 bouts is ~12 MB of JSON


def _too_large(message: str):
    from starlette.exceptions import HTTPException

    return HTTPException(status_code=413, detail=message)


class BodyLimitMiddleware:
    """ASGI middleware: 413 for a declared ``Content-Length`` over the limit, and for a streamed
    (chunked) body once it passes the limit."""

    def __init__(self, app, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await self._refuse(send, 400, "Content-Length is not a number")
                    return
                if declared > self.max_bytes:
                    await self._refuse(send, 413, self._message(declared))
                    return
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _too_large(self._message(received))  # FastAPI passes HTTPException through
            return message

        await self.app(scope, limited_receive, send)

    def _message(self, size: int) -> str:
        return (f"request body of {size} bytes is over the limit of {self.max_bytes} bytes; "
                "send less at a time (e.g. labels of one recording per request)")

    @staticmethod
    async def _refuse(send, status: int, message: str) -> None:
        body = json.dumps({"detail": message, "error": "RequestTooLarge" if status == 413 else "BadRequest"}).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
