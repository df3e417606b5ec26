"""The REST + WebSocket API over a project (FastAPI), served by uvicorn.

`create_app(project_dir, token=..., allowed_roots=...)` builds the app; `ethoforge.server.run.serve`
starts a job worker and uvicorn. Every resource lives under ``/api/v1`` (spec at
``/api/v1/openapi.json``).
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "create_app": "ethoforge.server.app",
    "serve": "ethoforge.server.run",
    "API_PREFIX": "ethoforge.server.app",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'ethoforge.server' has no attribute {name!r}")
