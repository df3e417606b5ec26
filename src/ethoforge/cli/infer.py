"""``ethoforge infer``: run a model over recordings or pose files and write its outputs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ethoforge.cli._common import (
    DeviceOption,
    JsonOption,
    ProjectOption,
    emit_json,
    greedy,
    open_project,
    print_warning,
    progress_bar,
    stderr,
    stdout,
)

if TYPE_CHECKING:
    from ethoforge.store import Project


def infer(
    model: Annotated[str, typer.Argument(help="Registry id or name of a model, or a model bundle folder.")],
    paths: Annotated[list[str] | None, typer.Argument(help="Pose files or recording names (as --recordings).")] = None,
    recordings: Annotated[list[str] | None, typer.Option(
        help="Project recording names/ids or pose files: --recordings R1 R2 file.csv ...")] = None,
    out: Annotated[Path | None, typer.Option(
        help="Output folder (default PROJECT/inference/model_<id>, or ./inference without a project).")] = None,
    threshold: Annotated[str | None, typer.Option(
        help='Probability threshold: one number for every behavior, or "attack=0.6,mount=0.4".')] = None,
    min_bout: Annotated[str | None, typer.Option(
        help='Shortest bout in frames: N for every behavior, or "attack=5,mount=10" (default 1).')] = None,
    smooth: Annotated[int, typer.Option(help="Moving-average window over probabilities, frames (1 = off).")] = 1,
    merge_gap: Annotated[str | None, typer.Option(
        help="Merge bouts of one behavior separated by fewer frames than this: N or behavior=N,...")] = None,
    fps: Annotated[float | None, typer.Option(help="Frames per second of pose files that do not say.")] = None,
    keypoint_map: Annotated[str | None, typer.Option(
        "--map", help="Rename keypoints of the poses to the model's names: old:new,old2:new2.")] = None,
    device: DeviceOption = "auto",
    project: ProjectOption = None,
    json: JsonOption = False,
) -> None:
    """Per-frame probabilities (parquet + CSV), bouts, BORIS file and ethogram PNG per recording.

    A recording or file that fails is reported (one red line naming it and why) and skipped;
    the others finish. The exit code is 1 when any failed, 0 otherwise.
    """
    from ethoforge.cli._common import parse_rename
    from ethoforge.errors import label
    from ethoforge.workflows import infer_many, parse_per_behavior

    sources = [*(paths or []), *(recordings or [])]
    options = {
        "thresholds": parse_per_behavior(threshold, label("thresholds"), float),
        "min_bout": parse_per_behavior(min_bout, label("min_bout"), int) or 1,
        "merge_gap": parse_per_behavior(merge_gap, label("merge_gap"), int) or 0,
        "smoothing": smooth, "device": device, "fps": fps, "keypoint_map": parse_rename(keypoint_map, "--map"),
    }
    opened = _maybe_project(project)
    try:
        with progress_bar("inference", enabled=not json, eta=True) as update:
            run = infer_many(model, sources, out, project=opened, progress=update, **options)
    finally:
        if opened is not None:
            opened.close()
    from rich.text import Text

    for message in run.warnings:
        print_warning(message)
    for source, message in run.failed.items():
        stderr().print(Text(f"failed: {source}: {message}", style="red"))
    if json:
        emit_json(run.to_dict())
    else:
        console = stdout()
        for name in run.outputs:
            console.print(f"{name}: {run.bouts[name]} bouts")
        console.print(f"{len(run.outputs)} of {len(sources)} recordings done; outputs in {run.out_dir.resolve()}")
    if run.failed:
        raise typer.Exit(1)


def _maybe_project(directory: Path | None) -> Project | None:
    """The project named by --project, else the one at or above the cwd, else None."""
    from ethoforge.errors import NotFoundError

    if directory is not None:
        return open_project(directory)
    try:
        return open_project(None)
    except NotFoundError:
        return None


def register(app: typer.Typer) -> None:
    app.command("infer", cls=greedy("--recordings"))(infer)
