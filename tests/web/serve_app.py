"""Serve a project for the browser tests: the API app, the web-support router and the
front end, with a job worker process, on 127.0.0.1:PORT (until killed).

Usage: ``python serve_app.py PROJECT PORT``.
"""

from __future__ import annotations

import sys
from pathlib import Path


def build_app(project_dir: Path):
    """`create_app` plus the web-support router (if the app lacks it) and the static front end."""
    from ethoforge.server import create_app
    from ethoforge.server.web_support import router
    from ethoforge.web import mount_web

    app = create_app(project_dir, web=False)
    paths = {getattr(route, "path", None) for route in app.router.routes}
    if "/api/v1/recordings/{recording}/draft" not in paths:
        app.include_router(router)
    mount_web(app)
    return app


def main() -> None:
    import uvicorn

    from ethoforge.jobs.worker import start_worker_process, stop_worker_process

    project_dir, port = Path(sys.argv[1]), int(sys.argv[2])
    (project_dir / "jobs").mkdir(exist_ok=True)
    worker = start_worker_process(project_dir, log_path=project_dir / "jobs" / "worker-web-test.log",
                                  env={"ETHOFORGE_JOB_HEARTBEAT_S": "0.5", "OMP_NUM_THREADS": "1"})
    try:
        uvicorn.run(build_app(project_dir), host="127.0.0.1", port=port, log_level="warning")
    finally:
        stop_worker_process(worker, timeout=5)


if __name__ == "__main__":
    main()
