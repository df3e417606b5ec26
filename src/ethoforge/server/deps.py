"""What every route needs from the app: the open project and the server settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from fastapi import (  # resolved at runtime by FastAPI's dependency injection
    Depends,
    Request,
)

if TYPE_CHECKING:
    from ethoforge.store import Project


@dataclass
class ServerState:
    """Settings of one app: the open project, allowed roots, queue and limits."""

    project: Project
    roots: list[Path]
    redis_url: str | None = None
    ws_poll_s: float = 0.25
    max_poses_frames: int = 10_000
    token_required: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def root(self) -> Path:
        return self.project.root


def state(request: Request) -> ServerState:
    """The `ServerState` of the app serving ``request`` (works for WebSockets too)."""
    return request.app.state.ethoforge


def project(request: Request) -> Project:
    """The app's open project."""
    return request.app.state.ethoforge.project


Settings = Annotated[ServerState, Depends(state)]
"""Route parameter type for the app's `ServerState`."""
