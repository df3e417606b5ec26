"""The `Recording`: one video's worth of poses as a movement dataset with singular dims.

Poses are an ``xarray.Dataset`` in movement's layout, always with the **singular** dim names
whatever movement version loaded them:

- ``position``: ``(time, space, keypoint, individual)`` float, pixels (NaN where missing);
- ``confidence``: ``(time, keypoint, individual)`` float in [0, 1] (NaN where unknown).

``time`` is the 0-based frame index (integers), not seconds: frames are the unit of time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ethoforge.errors import InputError

if TYPE_CHECKING:
    import xarray as xr

_PLURAL_TO_SINGULAR = {"keypoints": "keypoint", "individuals": "individual"}
POSITION_DIMS = ("time", "space", "keypoint", "individual")
CONFIDENCE_DIMS = ("time", "keypoint", "individual")


def to_singular_dims(poses: "xr.Dataset") -> "xr.Dataset":
    """Return ``poses`` with movement's plural dims (<0.17) renamed to singular ones.

    Also makes ``time`` a 0-based integer frame index and orders dims as
    ``POSITION_DIMS`` / ``CONFIDENCE_DIMS``.
    """
    renames = {old: new for old, new in _PLURAL_TO_SINGULAR.items() if old in poses.dims}
    if renames:
        poses = poses.rename(renames)
    poses = poses.assign_coords(time=np.arange(poses.sizes["time"], dtype=np.int64))
    poses = poses.transpose(*POSITION_DIMS, ...) if "position" in poses else poses
    if "confidence" in poses:
        poses["confidence"] = poses["confidence"].transpose(*CONFIDENCE_DIMS)
    return poses


def validate_poses(poses: "xr.Dataset", source: str | Path | None = None) -> None:
    """Raise `InputError` unless ``poses`` has the canonical layout and some finite position."""
    if "position" not in poses:
        raise InputError("no 'position' variable in the pose dataset", source)
    dims = tuple(poses["position"].dims)
    if dims != POSITION_DIMS:
        raise InputError(f"position dims are {dims}, expected {POSITION_DIMS}", source)
    if poses.sizes["time"] == 0:
        raise InputError("the pose data has no frames", source)
    position = poses["position"].values
    if not np.isfinite(position).any():
        raise InputError("every keypoint is NaN: no usable pose in any frame", source)


def content_hash(path: str | Path) -> str:
    """SHA-256 of a file's bytes (hex), read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def array_hash(poses: "xr.Dataset") -> str:
    """SHA-256 of the position array (for recordings that do not come from one file)."""
    return hashlib.sha256(np.ascontiguousarray(poses["position"].values).tobytes()).hexdigest()


def empty_poses(n_frames: int) -> "xr.Dataset":
    """The poses of a video-only recording: ``n_frames`` frames, no keypoints, no individuals."""
    import xarray as xr

    return xr.Dataset(
        {"position": (POSITION_DIMS, np.empty((n_frames, 2, 0, 0), dtype=np.float32)),
         "confidence": (CONFIDENCE_DIMS, np.empty((n_frames, 0, 0), dtype=np.float32))},
        coords={"time": np.arange(n_frames, dtype=np.int64), "space": ["x", "y"], "keypoint": [], "individual": []},
    )


@dataclass
class Recording:
    """Poses of one recording, with where they came from.

    Attributes
    ----------
    name
        Unique name inside a project (the file stem unless given).
    poses
        movement dataset with singular dims (see module docstring).
    fps
        Frames per second of the source video.
    source_path
        The file the poses were read from, if any.
    content_hash
        SHA-256 of the source file (or of the positions when there is no file).
    source_format
        Name of the reader that produced it (``"dlc"``, ``"sleap"``, ``"calms21"``, ...;
        ``"video"`` for a video-only recording, whose poses are `empty_poses`).
    video_path, video_hash
        The recording's video, when it has one, and the SHA-256 of its bytes.
    video_fps, video_frames
        The video's frame rate and frame count (None: those of the poses). At the poses' rate,
        frame ``i`` of the video is pose frame ``i``; at another rate the two cover the same
        time and video features are resampled onto the pose frames.
    feature_cache
        The folder of cached video features (`ethoforge.video.encode`), when in a project.
    """

    name: str
    poses: "xr.Dataset"
    fps: float
    source_path: Path | None = None
    content_hash: str = ""
    source_format: str = "unknown"
    metadata: dict = field(default_factory=dict)
    video_path: Path | None = None
    video_hash: str | None = None
    feature_cache: Path | None = None
    video_fps: float | None = None
    video_frames: int | None = None

    def __post_init__(self) -> None:
        if not (self.fps and np.isfinite(self.fps) and self.fps > 0):
            raise InputError(f"fps must be a positive number, got {self.fps!r}", self.source_path)
        if not self.content_hash:
            self.content_hash = array_hash(self.poses)

    @property
    def n_frames(self) -> int:
        return int(self.poses.sizes["time"])

    @property
    def individuals(self) -> list[str]:
        return [str(v) for v in self.poses["individual"].values]

    @property
    def keypoints(self) -> list[str]:
        return [str(v) for v in self.poses["keypoint"].values]

    @property
    def duration_s(self) -> float:
        return self.n_frames / self.fps
