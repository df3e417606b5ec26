"""SQLAlchemy 2 ORM tables of a project database (the schema the Alembic chain builds).

Frames are 0-based and bouts/scopes cover ``[start, stop)``. Big arrays live in files;
rows hold their paths relative to the project folder.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy import func, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

JOB_KINDS: tuple[str, ...] = ("train", "infer", "prelabel", "encode", "pretrain")
JOB_STATUSES: tuple[str, ...] = ("pending", "preparing", "training", "completed", "failed", "cancelled")

# Deterministic constraint names so Alembic migrations (batch mode on SQLite) can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time in UTC (timezone-naive, as SQLite stores it)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class RecordingRow(Base):
    """One imported recording: poses in ``poses_path`` (netCDF; ``""`` for a video-only
    recording) and/or a video at ``video_path`` (absolute, not copied), whose SHA-256 is
    ``video_hash`` and whose `ethoforge.io.video.VideoInfo` is ``video_meta``."""

    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    source_path: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    fps: Mapped[float] = mapped_column(Float)
    n_frames: Mapped[int] = mapped_column(Integer)
    individuals: Mapped[list[str]] = mapped_column(JSON)
    keypoints: Mapped[list[str]] = mapped_column(JSON)
    source_format: Mapped[str] = mapped_column(String(32))
    poses_path: Mapped[str] = mapped_column(Text)
    video_path: Mapped[str | None] = mapped_column(Text)
    video_hash: Mapped[str | None] = mapped_column(String(64))
    video_meta: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, server_default=func.current_timestamp())

    __table_args__ = (
        CheckConstraint("fps > 0", name="fps_positive"),
        CheckConstraint("n_frames > 0", name="n_frames_positive"),
    )

    bouts: Mapped[list["BoutRow"]] = relationship(back_populates="recording", passive_deletes=True)


class DatasetRow(Base):
    """A named set of recordings with 1-20 mutually exclusive behaviors."""

    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    behaviors: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, server_default=func.current_timestamp())

    recordings: Mapped[list[RecordingRow]] = relationship(
        secondary="dataset_recordings", order_by="RecordingRow.id"
    )
    folders: Mapped[list["DatasetFolderRow"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class DatasetRecordingRow(Base):
    __tablename__ = "dataset_recordings"

    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True)
    recording_id: Mapped[int] = mapped_column(
        ForeignKey("recordings.id", ondelete="CASCADE"), primary_key=True
    )


class DatasetFolderRow(Base):
    """A folder whose pose files belong to a dataset."""

    __tablename__ = "dataset_folders"

    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True)
    folder: Mapped[str] = mapped_column(Text, primary_key=True)


class BoutRow(Base):
    """One bout, frames ``[start, stop)``."""

    __tablename__ = "bouts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"))
    behavior: Mapped[str] = mapped_column(String(64))
    start: Mapped[int] = mapped_column(Integer)
    stop: Mapped[int] = mapped_column(Integer)
    agent: Mapped[str | None] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16), default="manual", server_default="manual")
    annotator: Mapped[str | None] = mapped_column(String(64))
    score: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, server_default=func.current_timestamp())

    __table_args__ = (
        CheckConstraint("stop > start", name="stop_after_start"),
        CheckConstraint("start >= 0", name="start_nonnegative"),
        CheckConstraint(_in("source", ("manual", "predicted", "confirmed")), name="source_known"),
        Index("ix_bouts_recording_behavior", "recording_id", "behavior"),
    )

    recording: Mapped[RecordingRow] = relationship(back_populates="bouts")


class AnnotatedScopeRow(Base):
    """Frames ``[start, stop)`` a person looked at for ``behavior`` (NULL: for every behavior)."""

    __tablename__ = "annotated_scopes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"), index=True)
    behavior: Mapped[str | None] = mapped_column(String(64))
    start: Mapped[int] = mapped_column(Integer)
    stop: Mapped[int] = mapped_column(Integer)
    annotator: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, server_default=func.current_timestamp())

    __table_args__ = (
        CheckConstraint("stop > start", name="stop_after_start"),
        CheckConstraint("start >= 0", name="start_nonnegative"),
    )


class ModelRow(Base):
    """A trained model bundle in the registry (the bundle itself is the folder ``path``)."""

    __tablename__ = "models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("datasets.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    family: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16), default="classifier", server_default="classifier", index=True)
    path: Mapped[str] = mapped_column(Text)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, server_default=func.current_timestamp())


class JobRow(Base):
    """A background job; this table is the source of truth for its state."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("datasets.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending", index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    progress: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    log: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(String(128))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, server_default=func.current_timestamp())
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("0"))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))

    __table_args__ = (
        CheckConstraint(_in("kind", JOB_KINDS), name="kind_known"),
        CheckConstraint(_in("status", JOB_STATUSES), name="status_known"),
    )
