"""``ethoforge dataset create|list|show``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ethoforge.cli._common import JsonOption, ProjectOption, emit_json, greedy, open_project, stdout, whole_table

dataset_app = typer.Typer(help="Datasets: recordings with 1-20 mutually exclusive behaviors.", no_args_is_help=True)


@dataset_app.command("create", cls=greedy("--recordings", "--folders"))
def create(
    name: Annotated[str, typer.Argument(help="One word: letters, digits, '_' or '-'.")],
    behaviors: Annotated[str, typer.Option(help='Behaviors separated by ";", e.g. "attack;mount;investigation".')],
    recordings: Annotated[list[str] | None, typer.Option(help="Recording names or ids: --recordings R1 R2 ...")] = None,
    folders: Annotated[list[Path] | None, typer.Option(help="Add the recordings imported from these folders: --folders F1 F2 ...")] = None,
    project: ProjectOption = None,
    json: JsonOption = False,
) -> None:
    """Create a dataset."""
    with open_project(project) as opened:
        info = opened.create_dataset(name, behaviors, recordings=recordings or [], folders=folders or [])
    _show(info, json)


@dataset_app.command("list")
def list_(project: ProjectOption = None, json: JsonOption = False) -> None:
    """List datasets."""
    with open_project(project) as opened:
        datasets = opened.datasets()
    if json:
        emit_json({"datasets": [d.to_dict() for d in datasets]})
        return
    table = whole_table("name", "behaviors", "recordings")
    for info in datasets:
        table.add_row(info.name, "; ".join(info.behaviors), str(len(info.recordings)))
    stdout().print(table)


@dataset_app.command("show")
def show(name: Annotated[str, typer.Argument(help="Dataset name or id.")],
         project: ProjectOption = None, json: JsonOption = False) -> None:
    """Show one dataset."""
    with open_project(project) as opened:
        info = opened.get_dataset(name)
    _show(info, json)


def _show(info, json: bool) -> None:
    if json:
        emit_json(info.to_dict())
        return
    console = stdout()
    console.print(f"dataset {info.name} (id {info.id})")
    console.print(f"behaviors: {'; '.join(info.behaviors)}")
    console.print(f"recordings ({len(info.recordings)}): {', '.join(info.recordings) or 'none'}")
    if info.folders:
        console.print(f"folders: {', '.join(info.folders)}")


def register(app: typer.Typer) -> None:
    app.add_typer(dataset_app, name="dataset")
