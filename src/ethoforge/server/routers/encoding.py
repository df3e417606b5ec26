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


@router.get("/encoders", summary="Frame encoders: name, output size, input size, colour, weights hash")
def list_encoders() -> dict:
    from ethoforge.errors import EthoForgeError
    from ethoforge.video.encoders import encoder_names, get_encoder

    encoders = []
    for name in encoder_names():
        try:
            encoders.append({**get_encoder(name).info.to_dict(), "available": True})
        except EthoForgeError as error:  # weights absent on this machine
            encoders.append({"name": name, "available": False, "error": str(error)})
    return {"encoders": encoders}


@router.post("/encoding/jobs", status_code=status.HTTP_201_CREATED, summary="Encode recordings' videos (a job)")
def create_encoding_job(settings: Settings, body: EncodingJobCreate) -> dict:
    from ethoforge.jobs import get_job, submit_job

    params = body.model_dump(exclude_none=True)
    job_id = submit_job(settings.project, "encode", params, None, redis_url=settings.redis_url)
    return get_job(settings.project, job_id).to_dict()
