"""One place that turns errors into JSON answers: ``{"detail": message, "error": kind}``.

`ethoforge.errors` map to statuses (`STATUS`); validation errors of FastAPI stay 422 with
their list of problems; anything unexpected is logged and answered 500 without a traceback.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

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


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    from fastapi.exceptions import RequestValidationError
    from sqlalchemy.exc import OperationalError
    from starlette.exceptions import HTTPException

    async def ethoforge_error(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, EthoForgeError)
        return error_response(status_of(error), error.message("rest"), type(error).__name__)

    async def http_error(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, HTTPException)
        detail = error.detail if isinstance(error.detail, str) else str(error.detail)
        return error_response(error.status_code, detail, _http_kind(error.status_code), getattr(error, "headers", None))

    async def validation_error(_request: Request, error: Exception) -> JSONResponse:
        from fastapi.encoders import jsonable_encoder
        from fastapi.responses import JSONResponse

        assert isinstance(error, RequestValidationError)
        problems = [{k: v for k, v in p.items() if k in ("loc", "msg", "type")} for p in error.errors()]
        return JSONResponse({"detail": jsonable_encoder(problems), "error": "ValidationError"}, status_code=422)

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


def _http_kind(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase.replace(" ", "")
    except ValueError:
        return "Error"
