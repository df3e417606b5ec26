"""``/recordings``: list, import from a path inside the allowed roots, details with layout and label
counts, rename / change the frame rate, delete."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Query, Response, status

from ethoforge.errors import ConflictError, InputError
from ethoforge.server.deps import ServerState, Settings
from ethoforge.server.paths import (
    PathNotAllowed,
    inside,
    public_path,
    public_text,
    resolve_inside,
)
from ethoforge.server.schemas import Id, ImportRecordings, RecordingUpdate

router = APIRouter(tags=["recordings"])


@router.get("/recordings", summary="Every recording, in import order")
def list_recordings(settings: Settings) -> dict:
    return {"recordings": [_public(r.to_dict(), settings) for r in settings.project.recordings()]}


@router.post("/recordings", status_code=status.HTTP_201_CREATED,
             summary="Import a pose file or a folder of them (format 'video': videos)")
def import_recordings(settings: Settings, body: ImportRecordings) -> dict:
    from ethoforge.store import find_pose_files

    project = settings.project
    path = resolve_inside(body.path, project.root, settings.roots)
    project.own_files.check(path, given_as="field 'path'")
    if not path.exists():
        raise InputError("no such file or folder", path)
    if body.format == "video":
        return _import_videos(settings, path, body)
    if body.name is not None:
        if not path.is_file():
            raise InputError("'name' names one recording; give a file, not a folder", path)
        info = project.import_recording(path, format=body.format, name=body.name, fps=body.fps)
        return {"imported": [_public(info.to_dict(), settings)], "skipped": 0}
    files = find_pose_files([path], format=body.format, own=project.own_files)
    outside = [f for f in files if not inside(f.resolve(), settings.roots)]
    if outside:
        raise PathNotAllowed(f"{outside[0]} links outside the allowed folders; it was not imported", location="path")
    summary = project.import_recordings(files, format=body.format, fps=body.fps, skip_existing=body.skip_existing)
    if summary.failed and not summary.imported and len(files) == 1:
        raise next(iter(summary.failed.values()))  # one file: its own error and status code
    data = summary.to_dict()

    def public(files: dict) -> dict:  # {file: message} with paths relative to the roots
        return {public_path(f, settings.roots): public_text(m, settings.roots) for f, m in files.items()}

    return {"imported": [_public(r.to_dict(), settings) for r in summary.imported], "skipped": len(summary.skipped),
            "skipped_files": public(data["skipped"]), "failed": public(data["failed"]),
            "warnings": [public_text(note, settings.roots) for r in summary.imported for note in r.warnings]}


@router.get("/recordings/{recording_id}", summary="A recording: layout, label counts, datasets")
def get_recording(settings: Settings, recording_id: Id) -> dict:
    from ethoforge.server.media import video_status
    from ethoforge.store.recording_edits import recording_metadata

    project = settings.project
    info = project.get_recording(recording_id)
    data = _public(info.to_dict(), settings)
    data["layout"] = {"individuals": info.individuals, "keypoints": info.keypoints, "fps": info.fps,
                      "n_frames": info.n_frames, "duration_s": info.duration_s}
    data["label_counts"] = project.label_counts(info.id)
    data["datasets"] = [d.name for d in project.datasets() if info.name in d.recordings]
    video, why_not = video_status(settings, info)
    data["has_video"] = video is not None
    data["video_note"] = why_not  # why a video cannot be shown, for the label page (None: fine, or none at all)
    data["video"] = info.video_meta
    data["fps_assumed"] = bool(recording_metadata(project, info.id).get("fps_assumed"))
    return data


def _import_videos(settings: Settings, path: Path, body: ImportRecordings) -> dict:
    """Videos link to the pose recording of their name or become video-only recordings."""
    from ethoforge.store import find_video_files

    if body.fps is not None:
        raise InputError("'fps' does not apply to videos: their container says it", location="fps")
    if body.name is not None:
        if not path.is_file():
            raise InputError("'name' names one recording; give a file, not a folder", path)
        info = settings.project.import_video(path, name=body.name)
        return {"imported": [_public(info.to_dict(), settings)], "skipped": 0}
    files = find_video_files([path], own=settings.project.own_files)
    outside = [f for f in files if not inside(f.resolve(), settings.roots)]
    if outside:
        raise PathNotAllowed(f"{outside[0]} links outside the allowed folders; it was not imported", location="path")
    imported = settings.project.import_videos(files, skip_existing=body.skip_existing)
    return {"imported": [_public(r.to_dict(), settings) for r in imported], "skipped": len(files) - len(imported)}


@router.patch("/recordings/{recording_id}", summary="Rename a recording or change its frame rate")
def update_recording(settings: Settings, recording_id: Id, body: RecordingUpdate) -> dict:
    from ethoforge.store.recording_edits import rename_recording, set_recording_fps

    project = settings.project
    info = project.get_recording(_by_id(settings, recording_id))
    changed: dict = {}
    if body.fps is not None:
        try:
            changed = set_recording_fps(project, info.id, body.fps, drop_labels=body.confirm).to_dict()
        except ConflictError as error:
            raise ConflictError(f'{error}: send "confirm": true') from None
    if body.name is not None:
        info = rename_recording(project, info.id, body.name)
    data = _public(project.get_recording(info.id).to_dict(), settings)
    if changed:
        data.update(old_fps=changed["old_fps"], bouts_rescaled=changed["bouts_rescaled"],
                    bouts_dropped=changed["bouts_dropped"])
    return data


@router.delete("/recordings/{recording_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
               summary="Delete a recording with its labels and poses (models trained on it stay)")
def delete_recording(settings: Settings, recording_id: Id,
                     confirm: bool = Query(False, description="needed when the recording has labelled bouts")
                     ) -> Response:
    from ethoforge.store.recording_edits import delete_recording as delete
    from ethoforge.store.recording_edits import human_bout_count

    project = settings.project
    info = project.get_recording(_by_id(settings, recording_id))
    labelled = human_bout_count(project, info.id)
    if labelled and not confirm:
        raise ConflictError(f"recording {info.name!r} has {labelled} labelled bout(s); deleting it drops them. "
                            "Nothing was changed; repeat with ?confirm=true to delete")
    delete(project, info.id, drop_labels=True)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _by_id(settings: ServerState, recording_id: int) -> int:
    """The recording id, checked to exist as an id (the store would also take a name like "3")."""
    from ethoforge.errors import NotFoundError

    if not any(r.id == recording_id for r in settings.project.recordings()):
        raise NotFoundError(f"no recording with id {recording_id}; GET /api/v1/recordings lists them")
    return recording_id


def _public(data: dict, settings: ServerState) -> dict:
    """A recording dict without server-side paths: ``source_path`` relative to the project or
    allowed root holding it (`public_path`), ``source_file`` and ``video_file`` their names."""
    data = dict(data)
    data.pop("poses_path", None)
    if data.get("video_path"):
        data["video_file"] = Path(data.pop("video_path")).name
    data.pop("warnings", None) if not data.get("warnings") else None
    if data.get("source_path"):
        data["source_file"] = Path(data["source_path"]).name
        data["source_path"] = public_path(data["source_path"], settings.roots)
    if data.get("warnings"):
        data["warnings"] = [public_text(note, settings.roots) for note in data["warnings"]]
    return data
