"""`serve`: one process serving the API, with a job worker process beside it.

Binding 127.0.0.1 (the default) needs no token. Binding any other address turns on the
access token (`ethoforge.server.auth`): made on first start, kept in ``PROJECT/server_token``
(mode 0600) and printed only to a terminal; the logs never show it (`TokenRedactor`).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def serve(
    project_dir: str | Path,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    redis_url: str | None = None,
    *,
    worker: bool = True,
    require_token: bool = False,
    allowed_roots: Iterable[str | Path] | None = None,
    log_level: str = "info",
) -> None:
    """Serve the project's API until interrupted (blocks); start and stop a job worker with it.

    Parameters
    ----------
    project_dir
        The project folder.
    host, port
        Where to listen. Any host other than loopback requires the access token.
    redis_url
        Queue jobs on this Redis server (workers on other machines then take them too).
    worker
        Start a worker process for the project's queue (off when workers run elsewhere).
    require_token
        Ask for the token on loopback too.
    allowed_roots
        More folders clients may import from (besides the project and ``allowed_roots`` of
        ``project.yaml``).
    log_level
        uvicorn's log level.

    Raises
    ------
    ConfigError
        A port outside 1-65535.
    NotFoundError
        No project in ``project_dir``.
    """
    import uvicorn

    from ethoforge.errors import ConfigError
    from ethoforge.jobs import start_worker_process, stop_worker_process
    from ethoforge.server.app import create_app
    from ethoforge.server.auth import (
        TOKEN_FILE,
        TokenRedactor,
        is_loopback,
        load_or_create_token,
    )

    if not 0 < int(port) < 65536:
        raise ConfigError(f"port must be 1-65535, got {port}")
    root = Path(project_dir).expanduser().resolve()
    token = None
    if require_token or not is_loopback(host):
        token, created = load_or_create_token(root)
        state = "new access token" if created else "access token"
        shown = token if sys.stderr.isatty() else "<token>"  # never into a log file
        print(f"{state} in {root / TOKEN_FILE}; send it as 'Authorization: Bearer <token>' or open the web app at "
              f"http://{host}:{port}/?token={shown}", file=sys.stderr, flush=True)
    app = create_app(root, token=token, allowed_roots=allowed_roots, redis_url=redis_url, bind_host=host)
    process = start_worker_process(root, redis_url) if worker else None
    try:
        print(f"EthoForge serving {root} at http://{host}:{port}/ (API: /api/v1, spec: /api/v1/openapi.json)",
              file=sys.stderr, flush=True)
        config = uvicorn.Config(app, host=host, port=int(port), log_level=log_level, timeout_graceful_shutdown=5)
        for name in ("uvicorn.access", "uvicorn.error"):  # after Config set logging up
            logging.getLogger(name).addFilter(TokenRedactor(token))
        uvicorn.Server(config).run()
    finally:
        if process is not None:
            stop_worker_process(process)


def main(argv: list[str] | None = None) -> int:
    """``python -m ethoforge.server.run PROJECT [--host] [--port] [--redis] [--no-worker] [--allow DIR]``."""
    import argparse

    from ethoforge.errors import EthoForgeError

    parser = argparse.ArgumentParser(prog="python -m ethoforge.server.run", description=(serve.__doc__ or "").splitlines()[0])
    parser.add_argument("project")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--redis", default=None)
    parser.add_argument("--no-worker", action="store_true")
    parser.add_argument("--require-token", action="store_true")
    parser.add_argument("--allow", action="append", default=[], help="another folder clients may import from")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    try:
        serve(args.project, args.host, args.port, args.redis, worker=not args.no_worker,
              require_token=args.require_token, allowed_roots=args.allow, log_level=args.log_level)
    except EthoForgeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
