"""Undo an import: rename a recording, change its frame rate, delete it.

Each call is one write transaction. Changing the frame rate keeps every bout and annotated
scope at the same time in seconds: frame ``f`` becomes ``round(f * new_fps / old_fps)``
(bouts keep at least one frame; a scope that ended at the last frame still does).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from ethoforge.errors import ConflictError, InputError
from ethoforge.store.models import AnnotatedScopeRow, BoutRow, RecordingRow

if TYPE_CHECKING:
    from ethoforge.store.info import RecordingInfo
    from ethoforge.store.project import Project, RecordingRef

MAX_NAME_LENGTH = 255


@dataclass(frozen=True)
class FpsChange:
    """What `set_recording_fps` did: the recording after it and how many bouts moved or were dropped."""

    recording: RecordingInfo
    old_fps: float
    rescaled: int
    dropped: int

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return {"recording": self.recording.to_dict(), "old_fps": self.old_fps, "fps": self.recording.fps,
                "bouts_rescaled": self.rescaled, "bouts_dropped": self.dropped}


def rename_recording(project: Project, ref: RecordingRef, name: str) -> RecordingInfo:
    """Give a recording a new name (its labels, datasets and poses stay).

    Raises
    ------
    InputError
        An empty name, one with a path separator, or longer than 255 characters.
    ConflictError
        Another recording has that name.
    """
    name = (name or "").strip()
    if not name or "/" in name or "\\" in name or len(name) > MAX_NAME_LENGTH:
        raise InputError(f"a recording name must be 1-{MAX_NAME_LENGTH} characters without '/' or '\\', "
                         f"got {name!r}")
    with project._transaction() as session:
        row = project._recording_row(session, ref)
        if name != row.name:
            other = session.scalars(select(RecordingRow).where(RecordingRow.name == name)).first()
            if other is not None:
                raise ConflictError(f"a recording named {name!r} already exists (id {other.id}); pick another name")
            row.name = name
        row_id = row.id
    return project.get_recording(row_id)


def fps_changes(bouts: list[tuple[int, int]], n_frames: int, old_fps: float, new_fps: float
                ) -> list[tuple[int, int] | None]:
    """Each ``[start, stop)`` at ``old_fps`` in frames of ``new_fps`` (same seconds), or None
    when it starts at or after ``n_frames`` (no pose frame left for it)."""
    ratio = new_fps / old_fps
    moved: list[tuple[int, int] | None] = []
    for start, stop in bouts:
        new_start = round(start * ratio)
        if new_start >= n_frames:
            moved.append(None)
            continue
        new_stop = min(n_frames, max(new_start + 1, round(stop * ratio)))
        moved.append((new_start, new_stop))
    return moved


def set_recording_fps(project: Project, ref: RecordingRef, fps: float, *, drop_labels: bool = False) -> FpsChange:
    """Change a recording's frame rate; its bouts and annotated scopes keep their times in seconds.

    The pose frames do not change (a frame is a frame); only what a frame means in seconds.
    The poses file's metadata records that the rate was set by hand (no longer assumed).

    Parameters
    ----------
    fps
        The new frame rate (> 0).
    drop_labels
        Allow dropping bouts that would start past the last frame (a higher rate moves a
        bout's frames later, and the number of pose frames is fixed).

    Raises
    ------
    InputError
        ``fps`` is not a positive number.
    ConflictError
        Some bouts would be dropped and ``drop_labels`` is False, or the recording has a video
        (whose container fixes the rate); nothing is changed.
    """
    from ethoforge.store.poses_file import read_poses, write_poses

    try:
        fps = float(fps)
    except (TypeError, ValueError):
        raise InputError(f"fps must be a positive number, got {fps!r}") from None
    if not fps > 0 or fps == float("inf"):
        raise InputError(f"fps must be a positive number, got {fps!r}")
    with project._transaction() as session:
        row = project._recording_row(session, ref)
        if row.video_path:
            raise ConflictError(
                f"recording {row.name!r} has a video ({row.video_path}) whose container says {row.fps:g} fps; "
                "its poses and labels follow the video's frames, so its rate cannot be changed")
        old_fps = float(row.fps)
        bouts = session.scalars(select(BoutRow).where(BoutRow.recording_id == row.id).order_by(BoutRow.id)).all()
        moved = fps_changes([(b.start, b.stop) for b in bouts], row.n_frames, old_fps, fps)
        dropped = [b for b, new in zip(bouts, moved) if new is None]
        if dropped and not drop_labels:
            raise ConflictError(
                f"at {fps:g} fps, {len(dropped)} bout(s) of recording {row.name!r} would start after its last "
                f"frame ({row.n_frames} frames = {row.n_frames / fps:.1f} s) and be dropped; nothing was "
                "changed. Confirm to drop them")
        for bout, new in zip(bouts, moved):
            if new is None:
                session.delete(bout)
            else:
                bout.start, bout.stop = new
        scopes = session.scalars(select(AnnotatedScopeRow).where(AnnotatedScopeRow.recording_id == row.id)).all()
        for scope, new in zip(scopes, fps_changes([(s.start, s.stop) for s in scopes], row.n_frames, old_fps, fps)):
            if new is None:
                session.delete(scope)
            else:
                scope.start, scope.stop = new[0], row.n_frames if scope.stop == row.n_frames else new[1]
        row.fps = fps
        session.flush()
        path = project.root / row.poses_path
        poses, metadata = read_poses(path)
        metadata.update(fps_assumed=False, fps_set_by_hand=True, fps_before=old_fps)
        write_poses(poses, path, metadata)  # atomic; an error here rolls the database back
        row_id = row.id
    return FpsChange(project.get_recording(row_id), old_fps, len(bouts) - len(dropped), len(dropped))


def human_bout_count(project: Project, ref: RecordingRef) -> int:
    """How many human (manual or confirmed) bouts a recording has."""
    return project.get_recording(ref).n_bouts


def delete_recording(project: Project, ref: RecordingRef, *, drop_labels: bool = False) -> RecordingInfo:
    """Delete a recording: its row, bouts, annotated scopes, dataset memberships and poses file.

    Models trained on it stay (their bundles hold what they need); a linked video file is
    not touched (it was never copied into the project).

    Raises
    ------
    ConflictError
        It has human bouts and ``drop_labels`` is False (nothing is changed).
    """
    info = project.get_recording(ref)
    human = human_bout_count(project, info.id)
    if human and not drop_labels:
        raise ConflictError(f"recording {info.name!r} has {human} labelled bout(s); deleting it drops them. "
                            "Nothing was changed; confirm to delete")
    poses = project.root / info.poses_path
    aside: Path | None = None
    if info.poses_path and poses.is_file():
        aside = poses.with_name(f".deleted-{poses.name}-{uuid.uuid4().hex[:8]}")
        os.rename(poses, aside)
    try:
        with project._transaction() as session:
            session.delete(project._recording_row(session, info.id))
    except BaseException:
        if aside is not None:
            os.rename(aside, poses)
        raise
    if aside is not None:
        aside.unlink(missing_ok=True)
    return info


def recording_metadata(project: Project, ref: RecordingRef) -> dict:
    """The metadata stored with a recording's poses (e.g. ``fps_assumed``), read without the poses."""
    import json

    import xarray as xr

    from ethoforge.store.poses_file import _METADATA_ATTR

    info = project.get_recording(ref)
    if not info.poses_path:  # a video-only recording
        return {}
    path = project.root / info.poses_path
    with xr.open_dataset(path, engine="h5netcdf") as dataset:
        return json.loads(dataset.attrs.get(_METADATA_ATTR, "{}"))


__all__ = ["FpsChange", "delete_recording", "fps_changes", "human_bout_count", "recording_metadata",
           "rename_recording", "set_recording_fps"]
