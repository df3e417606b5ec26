"""The FastAPI app over one project: routers per resource under ``/api/v1``.

Nothing here touches a file or the database at import; `create_app` opens the project.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

API_PREFIX = "/api/v1"


def create_app(
    project_dir: str | Path,
    *,
    token: str | None = None,
    allowed_roots: Iterable[str | Path] | None = None,
    redis_url: str | None = None,
    max_body_bytes: int | None = None,
    ws_poll_s: float = 0.25,
    web: bool = True,
    bind_host: str = "127.0.0.1",
) -> FastAPI:
    """Build the API app over the project in ``project_dir``.

    Parameters
    ----------
    project_dir
        An existing project folder (`ethoforge.store.Project.open`).
    token
        When given, every API request must carry it (``Authorization: Bearer`` or
        ``?token=``); `ethoforge.server.run.serve` passes one whenever it binds beyond loopback.
    allowed_roots
        Folders (besides the project folder and ``allowed_roots`` of ``project.yaml``) that
        clients may import pose files from.
    redis_url
        Queue jobs on this Redis server instead of the project's SQLite queue.
    max_body_bytes
        Larger request bodies get 413 (default `ethoforge.server.limits.DEFAULT_MAX_BODY_BYTES`).
    ws_poll_s
        How often a job WebSocket polls the job table.
    web
        Serve the static front end at ``/`` (when `ethoforge.web` is installed).
    bind_host
        The address the server listens on; on a loopback address, requests must name a
        loopback host (`ethoforge.server.browser.BrowserGuard` also refuses other web pages'
        requests on any address).
    """
    from contextlib import asynccontextmanager

    from fastapi import FastAPI

    from ethoforge.server.auth import TokenMiddleware, is_loopback
    from ethoforge.server.browser import BrowserGuard
    from ethoforge.server.deps import ServerState
    from ethoforge.server.errors import document_errors, install_error_handlers
    from ethoforge.server.limits import DEFAULT_MAX_BODY_BYTES, BodyLimitMiddleware
    from ethoforge.server.methods import MethodCheckMiddleware, route_table
    from ethoforge.server.paths import allowed_roots as resolve_roots
    from ethoforge.server.routers import ROUTERS
    from ethoforge.store import Project

    project = Project.open(Path(project_dir))
    settings = ServerState(project=project, roots=resolve_roots(project.root, project.config, allowed_roots),
                           redis_url=redis_url, ws_poll_s=ws_poll_s, token_required=bool(token))

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        import threading

        from ethoforge.jobs.api import reap_periodically

        stop = threading.Event()  # the server marks jobs of dead workers failed, worker or not
        reaper = threading.Thread(target=reap_periodically, args=(project, stop), name="reaper", daemon=True)
        reaper.start()
        try:
            yield
        finally:
            stop.set()
            reaper.join(timeout=5)
            project.close()

    app = FastAPI(
        title="EthoForge",
        summary="Recordings, labels, datasets, training and inference jobs, and models of one project.",
        version=_version(),
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.ethoforge = settings
    install_error_handlers(app)
    from starlette.routing import Route

    from ethoforge.server.web_support import router as web_router

    served = [(API_PREFIX, router) for router in ROUTERS] + [("", web_router)]  # web_router carries the prefix
    for prefix, router in served:
        document_errors(router.routes)
        app.include_router(router, prefix=prefix)
    paths = [(f"{prefix}{route.path}", set(route.methods)) for prefix, router in served for route in router.routes
             if isinstance(route, Route) and route.methods]
    paths += [(f"{API_PREFIX}/openapi.json", {"GET", "HEAD"}), (f"{API_PREFIX}/docs", {"GET", "HEAD"})]
    app.add_middleware(MethodCheckMiddleware, prefix=API_PREFIX, routes=route_table(paths))
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes or DEFAULT_MAX_BODY_BYTES)
    if token:
        app.add_middleware(TokenMiddleware, token=token)
    app.add_middleware(BrowserGuard, loopback=is_loopback(bind_host))  # outermost: before the token
    if web:
        _mount_web(app)
    return app


def _mount_web(app: FastAPI) -> None:
    from ethoforge.web import mount_web

    mount_web(app)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ethoforge")
    except PackageNotFoundError:
        return "0"
