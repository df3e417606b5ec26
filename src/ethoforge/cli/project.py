"""``ethoforge init``, ``ethoforge sample`` and ``ethoforge summary``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ethoforge.cli._common import JsonOption, ProjectOption, emit_json, open_project, progress_bar, stdout


def init(
    directory: Annotated[Path, typer.Argument(help="Folder for the new project (created if missing).")],
    sample: Annotated[bool, typer.Option("--sample", help="Also import the bundled ethome5 sample.")] = False,
    json: JsonOption = False,
) -> None:
    """Create a project folder: ethoforge.db, poses/ and project.yaml."""
    from ethoforge.store import Project

    with Project.create(directory) as project:
        if sample:
            from ethoforge.store.sample import import_sample

            with progress_bar("importing sample", enabled=not json) as update:
                _show_summary(import_sample(project, progress=update), json)
            return
        if json:
            emit_json({"project": str(project.root), "schema_revision": project.revision})
        else:
            stdout().print(f"Created project {project.root}")


def sample(project: ProjectOption = None, json: JsonOption = False) -> None:
    """Import the bundled ethome5 sample (5 recordings, 'interact' labels) and show a summary."""
    from ethoforge.store.sample import import_sample

    with open_project(project) as opened, progress_bar("importing sample", enabled=not json) as update:
        data = import_sample(opened, progress=update)
    _show_summary(data, json)


def summary(project: ProjectOption = None, json: JsonOption = False) -> None:
    """Show counts: recordings, frames, bouts per behavior, datasets, models, jobs."""
    with open_project(project) as opened:
        data = opened.summary()
    _show_summary(data, json)


def _show_summary(data: dict, json: bool) -> None:
    if json:
        emit_json(data)
        return
    from rich.table import Table

    console = stdout()
    console.print(f"Project {data['project']} (schema {data['schema_revision']})")
    console.print(f"{data['recordings']} recordings, {data['frames']:,} frames "
                  f"({data['duration_s'] / 60:.1f} min), {data['bouts']} bouts")
    if data["behaviors"]:
        table = Table("behavior", "bouts", "frames")
        for name, counts in data["behaviors"].items():
            table.add_row(name, str(counts["bouts"]), f"{counts['frames']:,}")
        console.print(table)
    for dataset in data["datasets"]:
        console.print(f"dataset {dataset['name']}: {'; '.join(dataset['behaviors'])} "
                      f"({dataset['recordings']} recordings)")
    console.print(f"{data['models']} models, jobs: {data['jobs'] or 'none'}")


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(sample)
    app.command()(summary)
