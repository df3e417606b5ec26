"""``/encoding``: frame encoders and ``encode`` jobs (video features, cached per video and encoder)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, status
from pydantic import Field

from ethoforge.server.deps import Settings
from ethoforge.server.schemas import _Strict

router = APIRouter(tags=["encoding"])


class EncodingJobCreate(_Strict):
    """Encode recordings' videos; default: every recording with a video, with ``motion``."""

    encoder: str = Field("motion", min_length=1, max_length=64, description="frame encoder name (GET /encoders)")
    recordings: list[str] | None = Field(None, max_length=10_000, description="recording names")
    crop: Literal["none", "pose", "auto"] = Field("none", description="crop frames around the animal first")
    chunk_frames: int = Field(512, ge=1, le=100_000, description="frames decoded and encoded at a time")


@router.get("/encoders", summary="Frame encoders; motion described in full, the others load their weights when used")
def list_encoders() -> dict:
    from ethoforge.video.encoders import DEFAULT_ENCODER, encoder_names, get_encoder

    encoders = [{**get_encoder(DEFAULT_ENCODER).info.to_dict(), "weights": "none"}]
    encoders += [{"name": name, "weights": "loaded (and checked) when an encode job starts"}
                 for name in encoder_names() if name != DEFAULT_ENCODER]
    return {"encoders": encoders}


@router.post("/encoding/jobs", status_code=status.HTTP_201_CREATED, summary="Encode recordings' videos (a job)")
def create_encoding_job(settings: Settings, body: EncodingJobCreate) -> dict:
    from ethoforge.jobs import get_job, submit_job

    params = body.model_dump(exclude_none=True)
    job_id = submit_job(settings.project, "encode", params, None, redis_url=settings.redis_url)
    return get_job(settings.project, job_id).to_dict()


@router.get("/recordings/{recording_id}/crops", summary="Animal-centred crop boxes of frames [start, stop)")
def get_crops(settings: Settings, recording_id: int, mode: Literal["pose", "auto"] = "pose", start: int = 0,
              stop: int | None = None) -> dict:
    """``boxes``: ``[x0, y0, x1, y1]`` per frame in video pixels (see `ethoforge.video.crops`);
    ``auto`` boxes are computed once per video (one decoding pass) and kept in the feature cache."""
    from ethoforge.errors import InputError
    from ethoforge.features.resample import resample_rows
    from ethoforge.video.workflow import cached_crop_boxes

    info = settings.project.get_recording(recording_id)
    if not info.has_video:
        raise InputError(f"recording {info.name!r} has no video: crops are drawn on video frames", location="mode")
    if mode == "pose" and not info.has_poses:
        raise InputError(f"recording {info.name!r} has no poses; ask for mode=auto", location="mode")
    stop = info.n_frames if stop is None else min(stop, info.n_frames)
    if not 0 <= start < stop:
        raise InputError(f"frames [{start}, {stop}) are outside the recording (0..{info.n_frames - 1})", location="start")
    boxes = cached_crop_boxes(settings.project, info, mode)  # per video frame
    if info.video_retimed:
        boxes = resample_rows(boxes, info.n_frames, info.video_fps, info.fps, nearest=True)
    boxes = boxes[start:stop]
    return {"recording_id": info.id, "mode": mode, "start": start, "stop": stop,
            "boxes": [[round(float(v), 1) for v in box] for box in boxes]}
