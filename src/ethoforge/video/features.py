"""Video features beside pose features: the ``--features`` choice, and adding a recording's
cached encoder output to its poses (frame ``i`` of the video is pose frame ``i``).

``--features pose`` (default) | ``video:ENCODER[:CROP]`` | ``pose+video:ENCODER[:CROP]``
become the `ethoforge.features.FeatureSpec` options ``pose``, ``video_encoder``,
``video_encoder_hash``, ``video_dim`` and ``video_crop`` (``none``, ``pose``, ``auto``: which
encoding of the video, see ``ethoforge encode --crop``). At the poses' rate a recording's
video frames are its pose frames (their counts are checked to agree at import); a video at
another rate (of the same duration, checked at import) has its features resampled onto the
pose frames, linearly in time (`ethoforge.features.resample`), which `video_rate_note` says.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from ethoforge.errors import ConfigError, InputError

if TYPE_CHECKING:
    from ethoforge.features import FeatureSpec
    from ethoforge.recording import Recording

FEATURE_CHOICES = ("pose", "video:ENCODER[:CROP]", "pose+video:ENCODER[:CROP]")


def parse_feature_choice(text: str) -> dict[str, Any]:
    """``"pose"`` → ``{}``; ``"video:motion"`` → ``{"pose": False, "video_encoder": "motion"}``;
    ``"pose+video:motion"`` → ``{"video_encoder": "motion"}``.

    Raises
    ------
    ConfigError
        Another form, or an unknown encoder (names ``--features``).
    """
    from ethoforge.video.crops import CROP_MODES
    from ethoforge.video.encoders import encoder_names

    text = text.strip()
    if text == "pose":
        return {"pose": True}
    head, _, rest = text.partition(":")
    encoder, _, crop = rest.partition(":")
    if head not in ("video", "pose+video") or not encoder:
        raise ConfigError(f"--features {text!r}: expected one of {', '.join(FEATURE_CHOICES)}")
    if encoder not in encoder_names():
        raise ConfigError(f"--features {text!r}: unknown encoder {encoder!r}; encoders: {', '.join(encoder_names())}")
    if crop and crop not in CROP_MODES:
        raise ConfigError(f"--features {text!r}: unknown crop {crop!r}; expected one of {', '.join(CROP_MODES)}")
    return {"pose": head == "pose+video", "video_encoder": encoder, "video_crop": crop or "none"}


def resolve_video_options(options: dict[str, Any]) -> dict[str, Any]:
    """Feature-spec options with a ``features`` choice string expanded and the encoder's
    weights hash and size filled in (when a ``video_encoder`` is named)."""
    from ethoforge.video.encoders import get_encoder

    options = dict(options)
    if "choice" in options:
        options.update(parse_feature_choice(str(options.pop("choice"))))
    name = options.get("video_encoder")
    if name:
        info = get_encoder(name).info
        options.setdefault("video_encoder_hash", info.weights_hash)
        options.setdefault("video_dim", info.dim)
    return options


def with_video_features(recording: Recording, spec: FeatureSpec) -> Recording:
    """``recording`` with its cached ``spec.video_encoder`` features as the poses'
    ``video_features (time, video_feature)`` variable (unchanged when the spec has none).

    Raises
    ------
    InputError
        The recording has no video.
    ConfigError
        This installation's encoder of that name has other weights than the spec's.
    NotFoundError
        The video is not encoded yet (says which command encodes it).
    """
    from ethoforge.video.encode import load_features
    from ethoforge.video.encoders import get_encoder

    encoder_name: str | None = getattr(spec, "video_encoder", None)
    if not encoder_name:
        return recording
    if "video_features" in recording.poses:
        return recording  # compute_features checks where they come from
    if recording.video_path is None or not recording.video_hash or recording.feature_cache is None:
        raise InputError(f"recording {recording.name!r} has no video, and the model uses video features "
                         f"({spec.video_encoder!r}); import its video with `ethoforge import videos`",
                         recording.source_path)
    encoder = get_encoder(encoder_name)
    if encoder.info.weights_hash != spec.video_encoder_hash:
        raise ConfigError(f"the model was trained on encoder {spec.video_encoder!r} with weights "
                          f"{str(spec.video_encoder_hash)[:12]}, but this installation's has "
                          f"{encoder.info.weights_hash[:12]}; retrain the model or install the same encoder")
    from ethoforge.video.workflow import crop_tag

    from ethoforge.features.resample import resample_rows

    crop = crop_tag(getattr(spec, "video_crop", "none"), recording.content_hash)
    video_fps, video_frames = _video_timeline(recording)
    values = load_features(recording.feature_cache, encoder, recording.video_hash, video_frames,
                           recording.name, crop)
    if video_frames != recording.n_frames:  # a video at another rate: matched to the pose frames by time
        values = resample_rows(values, recording.n_frames, video_fps, recording.fps)
    poses = recording.poses.assign(video_features=(("time", "video_feature"), values))
    poses["video_features"].attrs.update(encoder=encoder.info.name, encoder_hash=encoder.info.weights_hash,
                                         video_fps=video_fps)
    return dataclasses.replace(recording, poses=poses)


def video_rate_note(recording: Recording) -> str | None:
    """What resampling a recording's video features takes, when its video, at another rate
    than its poses, has another number of frames (None when they have as many frames, frame
    ``i`` being pose frame ``i``, or it has no video)."""
    video_fps, video_frames = _video_timeline(recording)
    if recording.video_hash is None or video_frames == recording.n_frames:
        return None
    return (f"{recording.name}: its video is at {video_fps:g} fps ({video_frames:,} frames) and its poses at "
            f"{recording.fps:g} fps ({recording.n_frames:,} frames): the video features were resampled from "
            f"{video_fps:g} to {recording.fps:g} fps, onto the pose frames")


def _video_timeline(recording: Recording) -> tuple[float, int]:
    """The video's ``(fps, frame count)`` (the recording's own when it does not say)."""
    return (float(recording.video_fps or recording.fps),
            int(recording.video_frames if recording.video_frames is not None else recording.n_frames))
