"""``ethoforge worker PROJECT``: run background jobs of a project (training, inference)."""

from __future__ import annotations

from typing import Annotated

import typer

from ethoforge.cli._common import ProjectArgument, ProjectOption, project_folder

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Background job workers.")


@app.callback()
def _group() -> None:
    """Background job workers (keeps ``worker`` a sub-command)."""


@app.command("worker")
def worker(
    project: ProjectArgument = None,
    redis: Annotated[str | None, typer.Option(
        "--redis", envvar="ETHOFORGE_REDIS_URL",
        help="Redis URL of a shared queue (redis://host:port/db); default: the project's SQLite queue.")] = None,
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, help="Jobs run at the same time.")] = 1,
    stale_after: Annotated[float | None, typer.Option(
        "--stale-after", min=1.0, envvar="ETHOFORGE_JOB_STALE_S",
        help="Seconds without heartbeat after which a running job is marked failed (default 30).")] = None,
    project_option: ProjectOption = None,
) -> None:
    """Run jobs from the project's queue until stopped (Ctrl-C lets running jobs finish; twice stops now)."""
    import logging

    from ethoforge.jobs.worker import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    run_worker(project_folder(project, project_option), redis_url=redis, workers=workers, stale_after_s=stale_after)


def register(root: typer.Typer) -> None:
    """Add the ``worker`` command to the root app (the CLI package's module protocol)."""
    root.command("worker")(worker)
