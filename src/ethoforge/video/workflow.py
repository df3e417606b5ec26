"""Encode a project's recordings (the CLI, the ``encode`` job and REST call this)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ethoforge.errors import ConfigError, InputError
from ethoforge.recording import content_hash
from ethoforge.video.encode import CHUNK_FRAMES, EncodeResult, encode_video
from ethoforge.video.encoders import DEFAULT_ENCODER, get_encoder

if TYPE_CHECKING:
    from ethoforge.store import Project, RecordingInfo

RecordingProgress = Callable[[int, int, dict], "bool | None"]
"""``progress(done_frames, total_frames, info)`` over all recordings; False cancels."""


def recordings_to_encode(project: Project, recordings: Sequence[str | int] | None) -> list[RecordingInfo]:
    """The named recordings (default: every recording with a video).

    Raises
    ------
    InputError
        A named recording has no video (they are all listed).
    """
    infos = [project.get_recording(r) for r in recordings] if recordings else \
        [r for r in project.recordings() if r.has_video]
    missing = [r.name for r in infos if not r.has_video]
    if missing:
        raise InputError(f"recording(s) {missing} have no video; import it with `ethoforge import videos`")
    return infos


def encode_recordings(
    project: Project,
    recordings: Sequence[str | int] | None = None,
    encoder: str = DEFAULT_ENCODER,
    *,
    chunk_frames: int = CHUNK_FRAMES,
    progress: RecordingProgress | None = None,
    crop: str = "none",
) -> list[dict]:
    """Encode the videos of ``recordings`` with ``encoder`` into the project's feature cache,
    skipping what is cached; returns one summary dict per recording. ``crop``: ``none``
    (whole frames), ``pose`` or ``auto`` (`ethoforge.video.crops`).

    Raises
    ------
    ConfigError
        Unknown encoder (before any work).
    InputError
        A recording without a video, a video that changed since it was imported (its
        SHA-256 differs), or frames that cannot be decoded.
    EncodingCancelled
        ``progress`` returned False; finished chunks are kept and a new call resumes.
    """
    from ethoforge.video.crops import CROP_MODES

    if crop not in CROP_MODES:
        raise ConfigError(f"--crop {crop!r}: expected one of {', '.join(CROP_MODES)}")
    frame_encoder = get_encoder(encoder)
    if crop != "none" and frame_encoder.info.input_size is None:
        raise ConfigError(f"encoder {encoder!r} finds the animal itself; --crop applies to encoders with a fixed "
                          "input size (efficientnet_lite0, dinov2_*)")
    infos = recordings_to_encode(project, recordings)
    if crop == "pose":
        missing = [r.name for r in infos if not r.has_poses]
        if missing:
            raise ConfigError(f"--crop pose needs poses; recording(s) {missing} have none (use --crop auto)")
    total = sum(r.video_frames for r in infos)
    before = 0
    summaries = []
    for info in infos:
        video_path = _video_path(info)
        if content_hash(video_path) != info.video_hash:
            raise InputError(f"the video of recording {info.name!r} changed since it was imported (its content "
                             "differs); import it again under a new name", video_path)

        def relay(done: int, _n: int, extra: dict, offset: int = before, name: str = info.name):
            if progress is not None:
                return progress(offset + done, total, {**extra, "recording": name})
            return None

        boxes = crop_boxes(project, info, crop)
        result: EncodeResult = encode_video(video_path, frame_encoder, project.feature_cache_dir,
                                            info.video_hash, chunk_frames=chunk_frames, progress=relay,
                                            boxes=boxes, crop=crop_tag(crop, info.content_hash))
        before += info.video_frames
        if progress is not None and result.cached:
            progress(before, total, {"recording": info.name, "cached": True})
        summaries.append({"recording": info.name, "encoder": frame_encoder.info.name, "frames": result.n_frames,
                          "dim": result.dim, "crop": crop, "cached": result.cached, "resumed_from": result.resumed_from,
                          "seconds": round(result.seconds, 2), "frames_per_s": round(result.n_frames / result.seconds, 1)
                          if result.seconds and not result.cached else None})
    return summaries


def _video_path(info: RecordingInfo) -> str:
    """The recording's video file (callers check `RecordingInfo.has_video` first)."""
    if not info.video_path:
        raise InputError(f"recording {info.name!r} has no video; import it with `ethoforge import videos`")
    return info.video_path


def crop_tag(crop: str, content_hash: str) -> str:
    """The cache tag of a crop mode: ``""`` (none), ``"auto"``, ``"pose-<poses hash[:12]>"``."""
    return {"none": "", "auto": "auto"}.get(crop, f"pose-{content_hash[:12]}")


def crop_boxes(project: Project, info: RecordingInfo, crop: str):
    """The crop boxes of a recording's video frames for ``crop`` (None for ``none``); boxes
    from poses at another rate are resampled onto the video frames."""
    from ethoforge.features.resample import resample_rows
    from ethoforge.io.video import VideoReader
    from ethoforge.video.crops import auto_boxes, pose_boxes

    if crop == "none":
        return None
    if crop == "pose":
        meta = info.video_meta or {}
        boxes = pose_boxes(project.load_recording(info.name).poses, int(meta["width"]), int(meta["height"]))
        if not info.video_retimed:
            return boxes
        return resample_rows(boxes, info.video_frames, info.fps, info.video_fps)
    with VideoReader(_video_path(info)) as reader:
        return auto_boxes(reader)


def cached_crop_boxes(project: Project, info: RecordingInfo, crop: str):
    """`crop_boxes` (per video frame), kept in ``features/crops/`` (keyed like the encodings), for drawing them."""
    import numpy as np

    from ethoforge.atomic import atomic_path

    path = project.feature_cache_dir / "crops" / f"{info.video_hash}-{crop_tag(crop, info.content_hash) or 'none'}.npy"
    if path.is_file():
        return np.load(path)
    boxes = crop_boxes(project, info, crop)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temporary, open(temporary, "wb") as handle:
        np.save(handle, boxes)
    return boxes
