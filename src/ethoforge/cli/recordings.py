"""``ethoforge recordings list|show``."""

from __future__ import annotations

from typing import Annotated

import typer

from ethoforge.cli._common import JsonOption, ProjectOption, emit_json, open_project, stdout

recordings_app = typer.Typer(help="Recordings in the project.", no_args_is_help=True)


@recordings_app.command("list")
def list_(project: ProjectOption = None, json: JsonOption = False) -> None:
    """List recordings."""
    with open_project(project) as opened:
        recordings = opened.recordings()
    if json:
        emit_json({"recordings": [r.to_dict() for r in recordings]})
        return
    from rich.table import Table

    table = Table("id", "name", "frames", "fps", "individuals", "keypoints", "video", "bouts", "format")
    for info in recordings:
        table.add_row(str(info.id), info.name, f"{info.n_frames:,}", f"{info.fps:g}", ", ".join(info.individuals),
                      str(len(info.keypoints)), "yes" if info.has_video else "-", str(info.n_bouts), info.source_format)
    stdout().print(table)


@recordings_app.command("show")
def show(recording: Annotated[str, typer.Argument(help="Recording name or id.")],
         project: ProjectOption = None, json: JsonOption = False) -> None:
    """Show one recording."""
    with open_project(project) as opened:
        info = opened.get_recording(recording)
    if json:
        emit_json(info.to_dict())
        return
    console = stdout()
    for key, value in info.to_dict().items():
        console.print(f"{key}: {', '.join(value) if isinstance(value, list) else value}")


def register(app: typer.Typer) -> None:
    app.add_typer(recordings_app, name="recordings")
