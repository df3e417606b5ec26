"""Poses and video frames for the web UI: pose blocks as JSON-ready lists, frames as JPEG."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ethoforge.io.video import VideoReader
    from ethoforge.server.deps import ServerState
    from ethoforge.store.info import RecordingInfo

from ethoforge.io.video import VIDEO_SUFFIXES
POSE_DIMS = ("time", "individual", "keypoint", "space")
_CACHE_SIZE = 4
_cache: OrderedDict[tuple[str, float], tuple[np.ndarray, np.ndarray]] = OrderedDict()
_lock = threading.Lock()


def pose_arrays(project_root: Path, info: RecordingInfo) -> tuple[np.ndarray, np.ndarray]:
    """Position ``(time, individual, keypoint, space)`` and confidence ``(time, individual, keypoint)``
    of a stored recording (the last few are kept in memory; pose files never change)."""
    from ethoforge.store.poses_file import read_poses

    if not info.has_poses:  # a video-only recording: frames without keypoints
        return (np.empty((info.n_frames, 0, 0, 2), dtype=np.float32), np.empty((info.n_frames, 0, 0), dtype=np.float32))
    path = project_root / info.poses_path
    key = (str(path), path.stat().st_mtime)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    poses, _metadata = read_poses(path)
    position = poses["position"].transpose("time", "individual", "keypoint", "space").values.astype(np.float32)
    if "confidence" in poses:
        confidence = poses["confidence"].transpose("time", "individual", "keypoint").values.astype(np.float32)
    else:
        confidence = np.full(position.shape[:3], np.nan, dtype=np.float32)
    with _lock:
        _cache[key] = (position, confidence)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return position, confidence


def to_json_lists(values: np.ndarray, decimals: int = 2) -> list:
    """Nested lists with NaN as None (JSON has no NaN), rounded to ``decimals``."""
    rounded = np.round(values.astype(np.float64), decimals)
    as_object = rounded.astype(object)
    as_object[np.isnan(rounded)] = None
    return as_object.tolist()


def video_path(settings: ServerState, info: RecordingInfo) -> Path | None:
    """The recording's video file (see `video_status`); None if it cannot be served."""
    return video_status(settings, info)[0]


def video_status(settings: ServerState, info: RecordingInfo) -> tuple[Path | None, str | None]:
    """``(video file, None)`` when the recording's video can be served, else ``(None, why not)``
    in words for the label page (``(None, None)`` when it has no video at all).

    The video is the one linked at import (``ethoforge import videos`` / ``--video``, or found
    beside the pose file then), wherever it lies; for recordings imported before links were
    stored, a file named like the recording beside its pose file, inside the allowed roots."""
    from ethoforge.server.paths import inside

    if info.video_path:  # stored by an import (the CLI, or REST inside the allowed roots)
        stored = Path(info.video_path)
        if stored.is_file():
            return stored, None
        return None, (f"its video {stored.name} is no longer where it was imported from (moved or deleted); "
                      "put it back, or import it again with `ethoforge import videos`")
    if not info.source_path:
        return None, None
    source = Path(info.source_path)
    own = settings.project.own_files
    for stem in sorted({info.name, source.stem}):
        for suffix in VIDEO_SUFFIXES:
            candidate = source.with_name(stem + suffix)
            if not candidate.is_file() or own.why(candidate) is not None:
                continue
            if inside(candidate.resolve(), settings.roots):
                return candidate.resolve(), None
            return None, (f"the video {candidate.name} beside its pose file lies outside the folders this server may "
                          "read; link it with `ethoforge import videos` or start `ethoforge serve` with --allow "
                          "and its folder")
    return None, None


def jpeg_frame(path: Path, index: int, quality: int = 85) -> bytes:
    """Frame ``index`` of the video at ``path`` as JPEG bytes (the open video is kept for the next read).

    Raises
    ------
    NotFoundError
        ``index`` is past the video's last frame.
    """
    import io

    from PIL import Image

    from ethoforge.errors import NotFoundError

    with _open_video(path) as reader:
        if not 0 <= index < reader.n_frames:
            raise NotFoundError(f"no frame {index}: the video {path.name} has frames 0-{reader.n_frames - 1}")
        rgb = reader.read(index)
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


_VIDEO_CACHE_SIZE = 4
_videos: OrderedDict[tuple[str, float], tuple[VideoReader, threading.Lock]] = OrderedDict()


@contextmanager
def _open_video(path: Path) -> Iterator[VideoReader]:
    """An open `VideoReader` of ``path``, held alone while the block runs.

    The last few videos stay open, so stepping frame by frame decodes forward from the last
    frame read instead of opening the file and seeking again.
    """
    from ethoforge.io.video import VideoReader

    key = (str(path), path.stat().st_mtime)
    with _lock:
        entry = _videos.get(key)
        if entry is not None:
            _videos.move_to_end(key)
    if entry is None:
        opened = (VideoReader(path), threading.Lock())
        with _lock:
            entry = _videos.setdefault(key, opened)
            _videos.move_to_end(key)
            while len(_videos) > _VIDEO_CACHE_SIZE:  # closed when the last reader lets go of it
                _videos.popitem(last=False)
    reader, reader_lock = entry
    with reader_lock:
        yield reader
