"""``ethoforge serve PROJECT``: the REST + WebSocket API and the web UI, with a job worker."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ethoforge.cli._common import ProjectArgument, ProjectOption, project_folder


def serve(
    project: ProjectArgument = None,
    host: Annotated[str, typer.Option(
        "--host", help="Address to listen on; anything but 127.0.0.1/localhost requires the access token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8000,
    redis: Annotated[str | None, typer.Option(
        "--redis", envvar="ETHOFORGE_REDIS_URL",
        help="Queue jobs on this Redis server (redis://host:port/db) so workers on other machines take them.")] = None,
    worker: Annotated[bool, typer.Option(
        "--worker/--no-worker", help="Start a job worker beside the server (off when workers run elsewhere).")] = True,
    require_token: Annotated[bool, typer.Option(
        "--require-token", help="Ask for the access token on loopback too.")] = False,
    allow: Annotated[list[Path] | None, typer.Option(
        "--allow", help="Another folder clients may import pose files from (repeatable).")] = None,
    project_option: ProjectOption = None,
) -> None:
    """Serve the project's API (/api/v1) and web UI; run its jobs in a worker process.

    The project is PROJECT, else --project, else the one at or above the current folder.
    """
    from ethoforge.server.run import serve as run_server

    run_server(project_folder(project, project_option), host, port, redis, worker=worker, require_token=require_token, allowed_roots=allow or [])


def register(root: typer.Typer) -> None:
    """Add the ``serve`` command to the root app (the CLI package's module protocol)."""
    root.command("serve")(serve)
