"""``ethoforge jobs list|resume``: background jobs of a project."""

from __future__ import annotations

from typing import Annotated

import typer

from ethoforge.cli._common import JsonOption, ProjectOption, emit_json, open_project, stdout

jobs_app = typer.Typer(help="Background jobs: list them, resume a failed (or cancelled encode) one.",
                       no_args_is_help=True)


@jobs_app.command("list")
def list_jobs(project: ProjectOption = None, json_out: JsonOption = False) -> None:
    """Jobs, newest first: id, kind, status and the last line of their log."""
    from ethoforge.jobs import list_jobs as listed

    with open_project(project) as opened:
        jobs = listed(opened)
    if json_out:
        emit_json({"jobs": [job.to_dict() for job in jobs]})
        return
    console = stdout()
    for job in jobs:
        last = job.log_lines[-1] if job.log_lines else ""
        console.print(f"{job.id:>4}  {job.kind:<8} {job.status:<10} {last}")
    if not jobs:
        console.print("no jobs yet")


@jobs_app.command("resume")
def resume(
    job_id: Annotated[int, typer.Argument(help="Id of a failed job, or of a cancelled encode job "
                                               "(see `ethoforge jobs list`).", min=1)],
    redis: Annotated[str | None, typer.Option(
        "--redis", envvar="ETHOFORGE_REDIS_URL", help="Queue on this Redis server (the workers' queue).")] = None,
    project: ProjectOption = None,
    json_out: JsonOption = False,
) -> None:
    """Queue a failed job again (a worker runs it): a training job continues from its last checkpoint; an
    encode job (also when cancelled) skips recordings already encoded and continues the others from their last
    finished chunk."""
    from ethoforge.jobs import resume_job

    with open_project(project) as opened:
        job = resume_job(opened, job_id, redis_url=redis)
    if json_out:
        emit_json(job.to_dict())
        return
    stdout().print(f"job {job.id} is {job.status} again: {job.log_lines[-1] if job.log_lines else ''}")


def register(app: typer.Typer) -> None:
    app.add_typer(jobs_app, name="jobs")
