"""One place that turns errors into JSON answers: ``{"detail": message, "error": kind}``.

Every error has that shape (`ErrorBody`): `ethoforge.errors` map to statuses (`STATUS`);
request validation errors are 422 too, with a ``detail`` naming each bad field and the same
problems listed in ``problems``; anything unexpected is logged and answered 500 without a
traceback. `document_errors` writes the 4xx answers of every route into the OpenAPI spec.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from ethoforge.errors import (
    Cancelled,
    ConfigError,
    ConflictError,
    EthoForgeError,
    InputError,
    NotFoundError,
)

if TYPE_CHECKING:
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

log = logging.getLogger("ethoforge.server")

STATUS: tuple[tuple[type[EthoForgeError], int], ...] = (
    (NotFoundError, 404),
    (ConflictError, 409),
    (Cancelled, 409),
    (ConfigError, 422),
    (InputError, 422),
    (EthoForgeError, 400),
)
"""Error class → HTTP status, first match wins (a `PathNotAllowed` is 403, see `status_of`)."""


class Problem(BaseModel):
    """One invalid part of a request: where (``["body", "bouts", 3, "start"]``), what, and its kind."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    """Every error answer (4xx and 5xx): a message for people and the kind of error."""

    detail: str = Field(description="what is wrong and what was expected (names the field, file, line or frame)")
    error: str = Field(description="kind of error: ValidationError, InputError, ConfigError, NotFoundError, "
                                   "ConflictError, Unauthorized, RequestTooLarge, MethodNotAllowed...")
    problems: list[Problem] | None = Field(None, description="request validation errors: each invalid field")


_DESCRIPTIONS: dict[int, str] = {
    400: "malformed request (e.g. a bad Content-Length) or refused by the server's request checks",
    401: "missing or wrong access token (when the server requires one)",
    403: "refused: a path outside the allowed folders, or a request from another site",
    404: "no such recording, dataset, model, job or file",
    409: "conflicts with the stored state (duplicate, stale labels version, job in the wrong state)",
    413: "request body over the size limit",
    422: "invalid values: request validation (see `problems`) or refused by the project's rules",
    428: "the labels version read is required (If-Match header or `version` field)",
    503: "the project database is busy; retry after `Retry-After` seconds",
}


def document_errors(routes: Any) -> None:
    """Add the error answers each API route can give to its OpenAPI ``responses``, all with
    the `ErrorBody` schema: 400, 401, 403 and 503 everywhere; 404 and 422 where the route
    takes parameters or a body; 413 with a body; 409 for routes that change state. A route's
    own ``responses`` entries (such as 428) keep their description."""
    from fastapi.routing import APIRoute

    for route in routes:
        if not isinstance(route, APIRoute):
            continue
        statuses = {400, 401, 403, 503}
        if route.dependant.path_params or route.dependant.query_params or route.dependant.header_params \
                or route.body_field is not None:
            statuses |= {404, 422}
        if route.body_field is not None:
            statuses.add(413)
        if (route.methods or set()) - {"GET", "HEAD"}:
            statuses.add(409)
        statuses |= {code for code in route.responses if isinstance(code, int) and 400 <= code < 600}
        for code in sorted(statuses):
            entry = dict(route.responses.get(code, {}))
            entry.setdefault("description", _DESCRIPTIONS.get(code, "error"))
            entry["model"] = ErrorBody
            route.responses[code] = entry


def status_of(error: EthoForgeError) -> int:
    """The HTTP status of an EthoForge error."""
    from ethoforge.server.paths import PathNotAllowed

    if isinstance(error, PathNotAllowed):
        return 403
    for kind, status in STATUS:
        if isinstance(error, kind):
            return status
    return 400


def error_response(status: int, message: str, kind: str, headers: dict | None = None) -> JSONResponse:
    from fastapi.responses import JSONResponse

    return JSONResponse({"detail": message, "error": kind}, status_code=status, headers=headers)


async def deny(scope, receive, send, status: int, message: str, kind: str | None = None,
               headers: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    """Answer an ASGI request from a middleware with ``status`` and ``{"detail", "error"}``.

    A WebSocket handshake gets the answer as its HTTP response where the server supports it
    (uvicorn does), else it is closed with code 1008 before being accepted.
    """
    import json

    body = json.dumps({"detail": message, "error": kind or _http_kind(status)}).encode()
    start = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers]
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": status, "headers": start})
        await send({"type": "http.response.body", "body": body})
    elif "websocket.http.response" in scope.get("extensions", {}):
        await receive()  # websocket.connect
        await send({"type": "websocket.http.response.start", "status": status, "headers": start})
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await receive()
        await send({"type": "websocket.close", "code": 1008, "reason": message[:120]})


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    from fastapi.exceptions import RequestValidationError
    from sqlalchemy.exc import OperationalError
    from starlette.exceptions import HTTPException

    async def ethoforge_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, EthoForgeError)
        return error_response(status_of(error), _public(request, error.message("rest")), type(error).__name__)

    async def http_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, HTTPException)
        detail = error.detail if isinstance(error.detail, str) else str(error.detail)
        return error_response(error.status_code, _public(request, detail), _http_kind(error.status_code),
                              getattr(error, "headers", None))

    async def validation_error(_request: Request, error: Exception) -> JSONResponse:
        from fastapi.encoders import jsonable_encoder
        from fastapi.responses import JSONResponse

        assert isinstance(error, RequestValidationError)
        problems = [{k: v for k, v in p.items() if k in ("loc", "msg", "type")} for p in error.errors()]
        detail = "; ".join(f"{_field(p.get('loc', ()))}: {p.get('msg', '')}" for p in problems) or "invalid request"
        return JSONResponse({"detail": detail, "error": "ValidationError", "problems": jsonable_encoder(problems)},
                            status_code=422)

    async def database_busy(_request: Request, error: Exception) -> JSONResponse:
        log.warning("database error: %s", error)
        return error_response(503, "the project database is busy or unavailable; try again in a moment",
                              "ServiceUnavailable", {"Retry-After": "1"})

    async def overflow(_request: Request, error: Exception) -> JSONResponse:
        return error_response(422, "a number in the request is too large", "ValidationError")

    async def unexpected(_request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return error_response(500, f"internal error ({type(error).__name__}); see the server log", "InternalError")

    app.add_exception_handler(EthoForgeError, ethoforge_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(OperationalError, database_busy)
    app.add_exception_handler(OverflowError, overflow)
    app.add_exception_handler(Exception, unexpected)


def _field(loc) -> str:
    """``["body", "bouts", 3, "start"]`` → ``bouts[3].start``; a query or path parameter keeps its place."""
    parts = list(loc)
    name = "" if not parts or parts[0] == "body" else f"{parts[0]} "
    text = ""
    for part in parts[1:] if parts and parts[0] in ("body", "query", "path", "header", "cookie") else parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return f"{name}{text}" if text else (name.strip() or "request")


def _http_kind(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase.replace(" ", "")
    except ValueError:
        return "Error"


def _public(request: Request, message: str) -> str:
    """``message`` naming paths relative to the project or allowed roots (`public_text`)."""
    from ethoforge.server.paths import public_text

    settings = getattr(request.app.state, "ethoforge", None)
    return message if settings is None else public_text(message, settings.roots)
