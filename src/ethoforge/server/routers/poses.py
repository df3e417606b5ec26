"""Pose blocks and video frames of a recording, by frame index (frame-exact for the labeling UI)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from ethoforge.errors import InputError, NotFoundError
from ethoforge.server.deps import Settings
from ethoforge.server.schemas import Id, Index

router = APIRouter(tags=["recordings"])


@router.get("/recordings/{recording_id}/poses", summary="Positions of frames [start, stop)")
def get_poses(
    settings: Settings, recording_id: Id,
    start: int = Query(0, ge=0, le=2**31 - 1),
    stop: int | None = Query(None, ge=1, le=2**31 - 1, description="default: start + 1,000 (at most 10,000 frames)"),
    confidence: bool = Query(False, description="include the per-keypoint confidence"),
) -> dict:
    from ethoforge.server.media import POSE_DIMS, pose_arrays, to_json_lists

    info = settings.project.get_recording(recording_id)
    if start >= info.n_frames:
        raise InputError(f"start frame {start} is past the last frame ({info.n_frames - 1})", location="start")
    stop = start + 1000 if stop is None else stop
    if stop <= start:
        raise InputError(f"stop ({stop}) must be after start ({start}); frames are [start, stop)", location="stop")
    if stop - start > settings.max_poses_frames:
        raise InputError(f"at most {settings.max_poses_frames} frames per request, asked for {stop - start}",
                         location="stop")
    stop = min(stop, info.n_frames)
    position, conf = pose_arrays(settings.root, info)
    data = {"recording_id": info.id, "start": start, "stop": stop, "fps": info.fps, "individuals": info.individuals,
            "keypoints": info.keypoints, "dims": list(POSE_DIMS), "position": to_json_lists(position[start:stop])}
    if confidence:
        data["confidence"] = to_json_lists(conf[start:stop], 3)
    return data


@router.get("/recordings/{recording_id}/frames/{index}.jpg", summary="Video frame `index` as JPEG",
            response_class=Response, responses={200: {"content": {"image/jpeg": {}}}})
def get_frame(settings: Settings, recording_id: Id, index: Index) -> Response:
    from ethoforge.features.resample import nearest_frame
    from ethoforge.server.media import jpeg_frame, video_path

    info = settings.project.get_recording(recording_id)
    if not 0 <= index < info.n_frames:
        raise NotFoundError(f"no frame {index}: recording {info.name!r} has frames 0-{info.n_frames - 1}")
    video = video_path(settings, info)
    if video is None:
        raise NotFoundError(f"recording {info.name!r} has no video (put <name>.mp4 beside its pose file)")
    if info.video_retimed:  # a video at another rate than the poses: the video frame nearest in time
        index = nearest_frame(index, info.video_frames, info.video_fps, info.fps)
    return Response(jpeg_frame(video, index), media_type="image/jpeg",
                    headers={"Cache-Control": "private, max-age=3600"})
