"""Plain records the store hands out (detached from any database session)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from ethoforge.labels import Bout
from ethoforge.overlaps import OverlapReport


def _jsonable(record) -> dict:
    data = asdict(record)
    for key, value in data.items():
        if isinstance(value, datetime):
            data[key] = value.isoformat(timespec="seconds")
    return data


@dataclass(frozen=True)
class RecordingInfo:
    """A stored recording's metadata; its poses are at ``poses_path`` (relative to the project;
    ``""`` when it is video only) and its video, if any, at ``video_path`` (absolute)."""

    id: int
    name: str
    fps: float
    n_frames: int
    individuals: list[str]
    keypoints: list[str]
    source_format: str
    source_path: str | None
    content_hash: str
    poses_path: str
    created_at: datetime
    n_bouts: int = 0  # human (manual/confirmed) bouts; predictions are not labels
    video_path: str | None = None
    video_hash: str | None = None
    video_meta: dict | None = None
    """`ethoforge.io.video.VideoInfo.to_dict` of the video: size, codec, duration."""
    warnings: list[str] = field(default_factory=list)
    """Things to tell the user about this import (e.g. an assumed fps); not stored."""

    @property
    def duration_s(self) -> float:
        return self.n_frames / self.fps

    @property
    def video_fps(self) -> float:
        """The video's frame rate (the recording's when the video did not say; see `fps`)."""
        return float((self.video_meta or {}).get("fps") or self.fps)

    @property
    def video_frames(self) -> int:
        """The video's frame count (the recording's ``n_frames`` when the video did not say)."""
        return int((self.video_meta or {}).get("n_frames") or self.n_frames)

    @property
    def video_retimed(self) -> bool:
        """True when its video has another number of frames than its poses (a video at another
        rate, of the same duration): video and pose frames are then matched by time."""
        return self.has_video and self.video_frames != self.n_frames

    @property
    def has_poses(self) -> bool:
        return bool(self.poses_path)

    @property
    def has_video(self) -> bool:
        return bool(self.video_path)

    def to_dict(self) -> dict:
        """JSON-ready dict (with ``has_poses`` and ``has_video``)."""
        data = _jsonable(self)
        data["has_poses"], data["has_video"] = self.has_poses, self.has_video
        return data


@dataclass(frozen=True)
class DatasetInfo:
    """A dataset: its behaviors (mutually exclusive, in class order) and recordings."""

    id: int
    name: str
    behaviors: list[str]
    recordings: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    created_at: datetime | None = None

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return _jsonable(self)


@dataclass(frozen=True)
class LabelSet:
    """A recording's bouts (ordered by start) and the ``version`` of its human labels, read together."""

    recording: str
    bouts: list[Bout]
    version: str


@dataclass(frozen=True)
class LabelImport:
    """What `Project.import_labels` stored: ``bouts`` added, the ``overlaps`` it resolved (when
    asked to), and the bouts ``clipped`` at / ``dropped`` after the last pose frame (when asked to)."""

    bouts: int
    overlaps: OverlapReport | None = None
    clipped: int = 0
    dropped: int = 0

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return {"bouts": self.bouts, "overlaps": asdict(self.overlaps) if self.overlaps else None,
                "clipped": self.clipped, "dropped": self.dropped}


@dataclass(frozen=True)
class LabelCommit:
    """What `Project.commit_labels` stored: ``stored`` human bouts, ``superseded`` stored
    predictions removed under them, and the labels' new ``version``."""

    stored: int
    superseded: int
    version: str
