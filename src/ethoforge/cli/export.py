"""``ethoforge export labels`` and ``ethoforge export model``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ethoforge.cli._common import JsonOption, ProjectOption, emit_json, greedy, open_project, stdout

export_app = typer.Typer(help="Write stored data to files.", no_args_is_help=True)


@export_app.command("labels", cls=greedy("--recording"))
def labels(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file (one recording) or folder (several).")],
    format: Annotated[str, typer.Option("--format", "-f", help="boris, intervals, frames, simba, calms21, mabe, nwb.")],
    recording: Annotated[list[str] | None, typer.Option(help="Recording name or id; several: --recording R1 R2 (then --out is a folder); default: all.")] = None,
    behaviors: Annotated[str | None, typer.Option(help='Behaviors to write, ";"-separated (default: the dataset\'s).')] = None,
    project: ProjectOption = None,
    json: JsonOption = False,
) -> None:
    """Export a recording's bouts in a label format."""
    target = recording[0] if recording and len(recording) == 1 else recording
    names = [b.strip() for b in behaviors.split(";") if b.strip()] if behaviors else None
    with open_project(project) as opened:
        written = opened.export_labels(target, out, format, behaviors=names)
    if json:
        emit_json({"written": [str(p) for p in written]})
        return
    for path in written:
        stdout().print(f"wrote {path}")


@export_app.command("model")
def model(
    model: Annotated[str, typer.Argument(help="Registry id or name of a torch classifier or an embedder, or a bundle folder.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The file to write (.pt or .onnx); its description goes beside it (.pt.json / .onnx.json).")],
    format: Annotated[str, typer.Option("--format", "-f", help="torchscript, or onnx (frames >= the .json's input.min_frames).")] = "torchscript",
    project: ProjectOption = None,
    json: JsonOption = False,
) -> None:
    """Export a model as one standalone file (TorchScript or ONNX) with its feature steps documented beside it."""
    from ethoforge.cli.infer import _maybe_project
    from ethoforge.ssl.export import export_model
    from ethoforge.workflows import resolve_model

    opened = _maybe_project(project)
    try:
        path, _ = resolve_model(opened, model)
    finally:
        if opened is not None:
            opened.close()
    description = export_model(path, out, format)
    if json:
        emit_json({"written": str(out), "description": str(out) + ".json", "kind": description["kind"]})
        return
    stdout().print(f"wrote {out} ({description['kind']}, {format}) and {out}.json")


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
