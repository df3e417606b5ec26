"""Request bodies of the API (pydantic): what a client may send, checked before any work."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_ID = 2**31 - 1
Id = Annotated[int, Path(ge=0, le=MAX_ID, description="numeric id")]
"""A path id: bounded, so a huge number is a 422, not an overflow in the database."""
Index = Annotated[int, Path(ge=0, le=MAX_ID)]
Ref = Annotated[str, Field(min_length=1, max_length=255)] | Annotated[int, Field(ge=0, le=MAX_ID)]
Behavior = Annotated[str, Field(min_length=1, max_length=64, description="behavior name; 'none' (any case) is "
                                "the reserved background class")]
Frame = Annotated[int, Field(ge=0, le=MAX_ID, strict=True)]
"""A frame number: a JSON integer (``true`` or ``1.0`` are refused, not read as 1)."""


class _Strict(BaseModel):
    """A request body: unknown fields refused, and JSON types as the schema says (``0`` is not
    ``false``, ``"5"`` is not ``5``), so what the OpenAPI spec refuses the server refuses."""

    model_config = ConfigDict(extra="forbid", strict=True)


class ImportRecordings(_Strict):
    """Import a pose file, or every pose file of a folder, from inside the allowed roots."""

    path: str = Field(min_length=1, max_length=4096, description="file or folder; relative paths are "
                      "relative to the project folder")
    format: str = Field("auto", max_length=32, description="pose format (see `ethoforge.io.poses.POSE_FORMATS`), or "
                        "'video' to import videos (mp4, avi, mov, mkv, webm)")
    name: str | None = Field(None, min_length=1, max_length=255, description="recording name (one file only)")
    fps: float | None = Field(None, gt=0, le=10_000)
    skip_existing: bool = Field(True, description="skip files already imported (same content)")


class RecordingUpdate(_Strict):
    """Rename a recording and/or change its frame rate (bouts keep their times in seconds)."""

    name: str | None = Field(None, min_length=1, max_length=255, description="new recording name")
    fps: float | None = Field(None, gt=0, le=10_000, description="new frame rate; bouts are moved to the "
                              "frames of the same seconds")
    confirm: bool = Field(False, description="allow dropping bouts that the new fps moves past the last frame")


class DatasetCreate(_Strict):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$")
    behaviors: list[Behavior] = Field(min_length=1, max_length=20)
    recordings: list[Ref] = Field(default_factory=list, max_length=10_000,
                                        description="recording names or ids")
    folders: list[str] = Field(default_factory=list, max_length=100,
                               description="folders inside the allowed roots: their imported recordings join")


class DatasetUpdate(_Strict):
    name: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$")
    behaviors: list[Behavior] | None = Field(None, min_length=1, max_length=20,
                                             description="the new list; dropping a behavior that stored bouts of the "
                                             "dataset's recordings still use is refused (409)")
    recordings: list[Ref] | None = Field(None, max_length=10_000, description="replaces the recordings")
    add_recordings: list[Ref] = Field(default_factory=list, max_length=10_000)
    remove_recordings: list[Ref] = Field(default_factory=list, max_length=10_000)


class BoutIn(BaseModel):
    """One bout, frames ``[start, stop)`` 0-based. A ``predicted`` bout is stored only when
    ``modified`` (then as ``manual``); unmodified predictions are dropped."""

    model_config = ConfigDict(extra="ignore", strict=True)  # clients may echo fields they were given (recording, id)

    behavior: Behavior
    start: Frame
    stop: Frame = Field(ge=1)
    agent: str | None = Field(None, max_length=64, description="one of the recording's individuals")
    target: str | None = Field(None, max_length=64, description="one of the recording's individuals")
    source: Literal["manual", "confirmed", "predicted"] = "manual"
    annotator: str | None = Field(None, max_length=64)
    score: float | None = Field(None, allow_inf_nan=False)
    modified: bool = Field(False, description="a prediction a person changed (stored as manual)")


MAX_BOUTS_PER_COMMIT = 200_000


class LabelsCommit(_Strict):
    """The complete set of a recording's human bouts (it replaces them)."""

    bouts: list[BoutIn] = Field(max_length=MAX_BOUTS_PER_COMMIT)
    version: str | None = Field(None, max_length=64, description="the version read with the labels "
                                "(or send it as If-Match); '*' overwrites whatever is stored")
    annotator: str | None = Field(None, max_length=64, description="default annotator of the bouts")
    mark_annotated: bool = Field(False, description="mark the whole recording as looked at by a person")
    rejected_predictions: list[BoutIn] = Field(
        default_factory=list, max_length=200_000,
        description="stored predictions a person deleted (matched on behavior, agent, start, stop): removed for good")

    @field_validator("bouts", mode="before")
    @classmethod
    def _not_too_many(cls, value: Any) -> Any:
        """Count before validating each bout: an oversized list is refused in milliseconds."""
        if isinstance(value, list) and len(value) > MAX_BOUTS_PER_COMMIT:
            raise ValueError(f"at most {MAX_BOUTS_PER_COMMIT} bouts per commit, got {len(value)}; "
                             "commit the labels of one recording at a time")
        return value


class TrainingJobCreate(_Strict):
    dataset: Ref = Field(description="dataset name or id")
    params: dict[str, Any] = Field(default_factory=dict, description="training options (TrainConfig fields, "
                                   "plus recordings, model_name, activate)")


class PretrainingJobCreate(_Strict):
    """Pretrain a self-supervised embedder (no labels needed) on a dataset's recordings, the
    recordings named in ``params``, or by default every recording with poses."""

    dataset: Ref | None = Field(None, description="dataset name or id: its recordings, and the embedder is "
                                "registered under it")
    params: dict[str, Any] = Field(default_factory=dict, description="pretraining options (PretrainConfig fields: "
                                   "tasks, preset, epochs, window, emb_dim, ...; plus recordings, model_name)")


class InferenceJobCreate(_Strict):
    """Run a model over recordings (names or ids), a folder inside the allowed roots (its pose
    files are imported first), or by default the recordings of the model's dataset."""

    model_id: int = Field(ge=1, le=2**31 - 1)
    kind: Literal["infer", "prelabel"] = "infer"
    recordings: list[Ref] | None = Field(None, min_length=1, max_length=10_000)
    folder: str | None = Field(None, min_length=1, max_length=4096)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    min_bout: int = Field(1, ge=1, le=1_000_000)
    smoothing: int = Field(1, ge=1, le=1_000_000)
    merge_gap: int = Field(0, ge=0, le=1_000_000)
    formats: list[str] | None = Field(None, min_length=1, max_length=10)
