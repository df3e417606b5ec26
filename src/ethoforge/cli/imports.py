"""``ethoforge import poses|videos|labels``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypedDict

import typer

from ethoforge.cli._common import (
    JsonOption, ProjectOption, emit_json, open_project, parse_list, parse_pairs, parse_rename, print_warning,
    progress_bar, stderr, stdout,
)

if TYPE_CHECKING:
    from ethoforge.store.info import LabelImport
    from ethoforge.store.project import AskFps

import_app = typer.Typer(help="Import pose files, videos and label files into the project.", no_args_is_help=True)


@import_app.command("poses")
def poses(
    paths: Annotated[list[Path], typer.Argument(help="Pose files or folders (scanned for pose files).")],
    format: Annotated[str, typer.Option("--format", "-f", help="auto, dlc, sleap, lightning_pose, anipose, nwb, calms21, mabe, simba.")] = "auto",
    fps: Annotated[float | None, typer.Option(help="Frames per second (when the file does not say).")] = None,
    name: Annotated[str | None, typer.Option(help="Recording name (one file only; default: the file stem).")] = None,
    individuals: Annotated[str | None, typer.Option(help="Keep these individuals, comma-separated: a,b.")] = None,
    keypoints: Annotated[str | None, typer.Option(help="Keep these keypoints, comma-separated.")] = None,
    rename: Annotated[str | None, typer.Option(help="Rename individuals/keypoints: old:new,old2:new2.")] = None,
    skip_existing: Annotated[bool, typer.Option(
        "--skip-existing", help="Skip files already in the project (same content or same recording name).")] = False,
    video: Annotated[Path | None, typer.Option(help="The video of these poses (one file only; frame count and fps must agree).")] = None,
    project: ProjectOption = None,
    json: JsonOption = False,
) -> None:
    """Import pose files as recordings (each file one transaction; a file that fails does not stop the others).

    A file that does not say its frame rate: on a terminal you are asked for it (unless --fps
    is given); otherwise the assumed rate is used and a warning says how to change it.
    """
    from ethoforge.errors import ConfigError
    from ethoforge.store.project import ImportSummary

    ask = None if (json or fps is not None or not sys.stdin.isatty()) else _ask_fps
    options = _PoseOptions(format=format, fps=fps, individuals=parse_list(individuals),
                           keypoints=parse_list(keypoints), rename=parse_rename(rename), ask_fps=ask)
    with open_project(project) as opened:
        if name is not None or video is not None:
            if len(paths) != 1 or not paths[0].is_file():
                raise ConfigError("--name and --video apply to a single pose file")
            summary = ImportSummary(imported=[opened.import_recording(paths[0], name=name, video=video, **options)])
        else:
            with progress_bar("importing poses", enabled=not json) as update:
                summary = opened.import_recordings(paths, skip_existing=skip_existing, progress=update, **options)
    if len(summary.failed) == 1 and not summary.imported and not summary.skipped:
        raise next(iter(summary.failed.values()))  # a single file: its error, one red line
    _report_poses(summary, json)
    if summary.failed:
        raise typer.Exit(1)


class _PoseOptions(TypedDict):
    """The keyword arguments `Project.import_recording` and `Project.import_recordings` share."""

    format: str
    fps: float | None
    individuals: list[str] | None
    keypoints: list[str] | None
    rename: dict[str, str] | None
    ask_fps: AskFps | None


def _ask_fps(path: Path, assumed: float) -> float | None:
    """Ask on the terminal for the frame rate of a pose file that does not say it."""
    answer = typer.prompt(f"{path.name} does not say its frame rate; frames per second (--fps)",
                          default=f"{assumed:g}", err=True)
    try:
        return float(answer)
    except ValueError:
        from ethoforge.errors import InputError

        raise InputError(f"--fps must be a number of frames per second, got {answer!r}", path) from None


def _report_poses(summary, json: bool) -> None:
    """Warnings, then one line per file, then the sums (failures in red on stderr)."""
    from rich.text import Text

    from ethoforge.errors import ConflictError

    imported = summary.imported
    assumed = [r for r in imported if r.warnings]
    for info in imported:
        for note in info.warnings:
            print_warning(note)
    for path, error in summary.failed.items():
        stderr().print(Text(f"failed: {error}" if str(path) in str(error) else f"failed: {path}: {error}",
                            style="red"))
    if json:
        emit_json(summary.to_dict())
        return
    console = stdout()
    for info in imported:
        console.print(f"imported {info.name} (id {info.id}): {info.n_frames:,} frames at {info.fps:g} fps"
                      + (" (ASSUMED)" if info in assumed else "")
                      + f", {len(info.individuals)} individuals, {len(info.keypoints)} keypoints"
                      + (", with video" if info.has_video else ""))
    for path, error in summary.skipped.items():
        console.print(f"skipped {Path(path).name}: {_why_skipped(error)}")
    parts = [f"{len(imported)} imported ({sum(r.n_frames for r in imported):,} frames)"]
    if summary.skipped:
        parts.append(f"{len(summary.skipped)} skipped (already in the project)")
    if summary.failed:
        exists = sum(isinstance(error, ConflictError) for error in summary.failed.values())
        parts.append(f"{len(summary.failed)} failed" + (
            f" ({exists} already in the project: --skip-existing skips them)" if exists else ""))
    if assumed:
        parts.append(f"{len(assumed)} with an ASSUMED frame rate")
    console.print(", ".join(parts))


def _why_skipped(error: Exception) -> str:
    """The first clause of the conflict: which stored recording the file matches."""
    return str(error).split("; ", 1)[0]


@import_app.command("videos")
def videos(
    paths: Annotated[list[Path], typer.Argument(help="Video files (mp4, avi, mov, mkv, webm) or folders of them.")],
    name: Annotated[str | None, typer.Option(help="Recording name (one file only; default: the file stem).")] = None,
    recording: Annotated[str | None, typer.Option(help="Link to this pose recording (name or id; one file only).")] = None,
    skip_existing: Annotated[bool, typer.Option("--skip-existing", help="Skip videos already imported.")] = False,
    project: ProjectOption = None,
    json: JsonOption = False,
) -> None:
    """Import videos: each links to the pose recording of its name, or becomes a video-only recording."""
    from ethoforge.errors import ConfigError

    with open_project(project) as opened:
        if name is not None or recording is not None:
            if len(paths) != 1 or not paths[0].is_file():
                raise ConfigError("--name and --recording apply to a single video file")
            imported = [opened.import_video(paths[0], name=name, recording=recording)]
        else:
            with progress_bar("importing videos", enabled=not json) as update:
                imported = opened.import_videos(paths, skip_existing=skip_existing, progress=update)
    if json:
        emit_json({"imported": [r.to_dict() for r in imported], "frames": sum(r.n_frames for r in imported)})
        return
    console = stdout()
    for info in imported:
        meta = info.video_meta or {}
        kind = "linked to its poses" if info.has_poses else "video only"
        console.print(f"imported {info.name} (id {info.id}): {info.video_frames:,} frames at {info.video_fps:g} fps, "
                      f"{meta.get('width')}x{meta.get('height')}, {info.duration_s:.1f} s, {kind}")
        if info.has_poses and info.video_retimed:
            console.print(f"  its poses are at {info.fps:g} fps ({info.n_frames:,} frames): video features will be "
                          "resampled onto the pose frames", style="yellow", highlight=False)
    console.print(f"{len(imported)} videos, {sum(r.video_frames for r in imported):,} frames")


@import_app.command("labels")
def labels(
    paths: Annotated[list[Path], typer.Argument(help="Label files.")],
    format: Annotated[str, typer.Option("--format", "-f", help="boris, intervals, frames, simba, calms21, mabe, nwb.")],
    recording: Annotated[str | None, typer.Option(help="Recording (name or id) the labels belong to; default: matched by file name.")] = None,
    fps: Annotated[float | None, typer.Option(help="Frames per second of the label times (must agree with the recording).")] = None,
    annotator: Annotated[str | None, typer.Option(
        help="Who labelled; where the file names its annotators, import only this one's bouts.")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Replace the recording's human labels.")] = False,
    behaviors: Annotated[str | None, typer.Option(
        help='Import only these behaviors, e.g. "Supported;Unsupported" (other rows are left out).')] = None,
    columns: Annotated[str | None, typer.Option(
        help="intervals: the file's columns as ours, e.g. from=start_s,to=stop_s,type=behavior "
             "(start/stop: frames; start_s/stop_s: seconds).")] = None,
    overlap: Annotated[str | None, typer.Option(
        help="Resolve overlapping bouts of different behaviors: priority:A,B (A keeps the frames) or later-wins.")] = None,
    clip: Annotated[bool, typer.Option(
        "--clip", help="Cut bouts at the recording's last pose frame instead of refusing the file.")] = False,
    table: Annotated[str | None, typer.Option(
        help="nwb: the intervals table to read (default behavior_bouts, or the one with a behavior column).")] = None,
    project: ProjectOption = None,
    json: JsonOption = False,
) -> None:
    """Import bouts from label files (each file one transaction)."""
    from ethoforge.labels import parse_behaviors

    wanted = parse_behaviors(behaviors) if behaviors else None
    mapping = parse_pairs(columns, "--columns", "=", "theirs=ours (e.g. from=start_s,to=stop_s,type=behavior)")
    done_files: dict[str, LabelImport] = {}
    with open_project(project) as opened, progress_bar("importing labels", enabled=not json and len(paths) > 1) as update:
        for done, path in enumerate(paths, start=1):
            done_files[str(path)] = opened.import_labels(
                path, format, recording=recording, fps=fps, annotator=annotator, replace=replace, clip=clip,
                behaviors=wanted, columns=mapping, overlap=overlap, table=table)
            update(done, len(paths), path.name)
    if json:
        emit_json({"files": {file: result.to_dict() for file, result in done_files.items()},
                   "bouts": sum(result.bouts for result in done_files.values())})
        return
    console = stdout()
    for file, result in done_files.items():
        notes = [str(result.overlaps)] if result.overlaps else []
        if result.clipped or result.dropped:
            notes.append(f"{result.clipped} bouts cut at the last pose frame, {result.dropped} after it dropped")
        console.print(f"{Path(file).name}: {result.bouts} bouts" + "".join(f"; {note}" for note in notes))
    console.print(f"{sum(r.bouts for r in done_files.values())} bouts from {len(done_files)} files")


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
