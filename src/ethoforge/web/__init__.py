"""The browser front end: static files (plain ES modules, no build step) served at ``/``.

`mount_web(app)` serves ``static/`` with ``index.html`` at ``/``. Call it after every API
router is included: a mount at ``/`` matches every path, so routes added later would be
hidden behind it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

STATIC_DIR = Path(__file__).resolve().parent / "static"


def mount_web(app: FastAPI) -> None:
    """Serve the front end of ``STATIC_DIR`` at ``/`` (``index.html`` for ``/``).

    Does nothing if the app already has a mount named ``"web"``.
    """
    from fastapi.staticfiles import StaticFiles

    if any(getattr(route, "name", None) == "web" for route in app.router.routes):
        return
    app.mount("/", StaticFiles(directory=STATIC_DIR, html=True), name="web")
