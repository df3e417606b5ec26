"""``ethoforge recordings list|show|rename|set-fps|delete``."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ethoforge.cli._common import JsonOption, ProjectOption, emit_json, open_project, stdout, whole_table

recordings_app = typer.Typer(help="Recordings in the project.", no_args_is_help=True)
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do it without asking, even when labels are dropped.")]


@recordings_app.command("list")
def list_(project: ProjectOption = None, json: JsonOption = False) -> None:
    """List recordings."""
    with open_project(project) as opened:
        recordings = opened.recordings()
    if json:
        emit_json({"recordings": [r.to_dict() for r in recordings]})
        return
    table = whole_table("id", "name", "frames", "fps", "animals", "keypoints", "video", "bouts", "format",
                        widest={"name": max((len(r.name) for r in recordings), default=4)})
    for info in recordings:
        table.add_row(str(info.id), info.name, f"{info.n_frames:,}", f"{info.fps:g}", ", ".join(info.individuals),
                      str(len(info.keypoints)), "yes" if info.has_video else "-", str(info.n_bouts), info.source_format)
    stdout().print(table)


@recordings_app.command("show")
def show(recording: Annotated[str, typer.Argument(help="Recording name or id.")],
         project: ProjectOption = None, json: JsonOption = False) -> None:
    """Show one recording, and whether its frame rate was assumed."""
    from ethoforge.store.recording_edits import recording_metadata

    with open_project(project) as opened:
        info = opened.get_recording(recording)
        metadata = recording_metadata(opened, info.id)
    data = {**info.to_dict(), "fps_assumed": bool(metadata.get("fps_assumed"))}
    data.pop("warnings", None)
    if json:
        emit_json(data)
        return
    console = stdout()
    for key, value in data.items():
        if key == "fps_assumed":
            continue
        if key == "fps":
            value = f"{value:g}" + (f" (ASSUMED: the pose file does not say its frame rate; if it is wrong: "
                                    f"ethoforge recordings set-fps {info.name} FPS)" if data["fps_assumed"] else "")
        console.print(f"{key}: {', '.join(value) if isinstance(value, list) else value}")


@recordings_app.command("rename")
def rename(recording: Annotated[str, typer.Argument(help="Recording name or id.")],
           new_name: Annotated[str, typer.Argument(help="The new name.")],
           project: ProjectOption = None, json: JsonOption = False) -> None:
    """Rename a recording (labels, datasets and poses stay)."""
    from ethoforge.store.recording_edits import rename_recording

    with open_project(project) as opened:
        before = opened.get_recording(recording).name
        info = rename_recording(opened, recording, new_name)
    if json:
        emit_json({**info.to_dict(), "old_name": before})
    else:
        stdout().print(f"renamed {before} → {info.name} (id {info.id})")


@recordings_app.command("set-fps")
def set_fps(recording: Annotated[str, typer.Argument(help="Recording name or id.")],
            fps: Annotated[float, typer.Argument(help="The true frame rate (frames per second).")],
            yes: YesOption = False, project: ProjectOption = None, json: JsonOption = False) -> None:
    """Change a recording's frame rate; its labels keep their times in seconds (frames are moved)."""
    from ethoforge.errors import ConflictError
    from ethoforge.store.recording_edits import set_recording_fps

    with open_project(project) as opened:
        try:
            change = set_recording_fps(opened, recording, fps, drop_labels=yes)
        except ConflictError as error:
            if not _confirmed(f"{error}?"):
                raise ConflictError(f"{error}: pass --yes") from None
            change = set_recording_fps(opened, recording, fps, drop_labels=True)
    if json:
        emit_json(change.to_dict())
        return
    stdout().print(f"{change.recording.name}: {change.old_fps:g} → {change.recording.fps:g} fps; "
                   f"{change.rescaled} bouts moved to the frames of the same seconds"
                   + (f", {change.dropped} dropped (past the last frame)" if change.dropped else ""))


@recordings_app.command("delete")
def delete(recording: Annotated[str, typer.Argument(help="Recording name or id.")],
           yes: YesOption = False, project: ProjectOption = None, json: JsonOption = False) -> None:
    """Delete a recording with its labels and stored poses (asks first when it has labels)."""
    from ethoforge.errors import ConflictError
    from ethoforge.store.recording_edits import delete_recording, human_bout_count

    with open_project(project) as opened:
        info = opened.get_recording(recording)
        labelled = human_bout_count(opened, info.id)
        if labelled and not yes:
            question = f"recording {info.name!r} has {labelled} labelled bout(s); delete it and drop them?"
            if not _confirmed(question):
                raise ConflictError(f"recording {info.name!r} has {labelled} labelled bout(s); deleting it drops "
                                    "them. Nothing was changed; pass --yes to delete")
        delete_recording(opened, info.id, drop_labels=True)
    if json:
        emit_json({"deleted": info.to_dict(), "labelled_bouts_dropped": labelled})
    else:
        stdout().print(f"deleted recording {info.name} (id {info.id})"
                       + (f" and its {labelled} labelled bouts" if labelled else ""))


def _confirmed(question: str) -> bool:
    """Ask yes/no on an interactive terminal; False (no answer) when stdin is not one."""
    if not sys.stdin.isatty():
        return False
    return typer.confirm(question, default=False, err=True)


def register(app: typer.Typer) -> None:
    app.add_typer(recordings_app, name="recordings")
