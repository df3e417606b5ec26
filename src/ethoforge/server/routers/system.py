"""``/health``: is the server up, and which project does it serve."""

from __future__ import annotations

from fastapi import APIRouter

from ethoforge.server.deps import Settings

router = APIRouter(tags=["system"])


@router.get("/health", summary="Liveness and the project served (its folder only when no token is required)")
def health(settings: Settings) -> dict:
    answer = {"status": "ok", "project_name": settings.root.name, "schema_revision": settings.project.revision}
    if not settings.token_required:  # /health needs no token: say nothing of the server's folders then
        answer["project"] = str(settings.root)
    return answer
