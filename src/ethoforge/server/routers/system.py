"""``/health``: is the server up, and which project does it serve."""

from __future__ import annotations

from fastapi import APIRouter

from ethoforge.server.deps import Settings

router = APIRouter(tags=["system"])


@router.get("/health", summary="Liveness and the project served")
def health(settings: Settings) -> dict:
    return {"status": "ok", "project": str(settings.root), "schema_revision": settings.project.revision}
