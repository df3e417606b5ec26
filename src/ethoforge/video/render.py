"""Render poses as a video (honestly *rendered*, not filmed): each animal a shaded ellipse
along its tail → nose axis with its limbs (lines from the body centre to each keypoint), on a
textured background with per-frame noise. Used to measure video-only models where only
poses and labels exist (ethome5): the labels stay real, the pixels are drawn from the poses.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ethoforge.recording import Recording

_SHADES = (70, 120, 40, 150)  # grey level of each animal's body


def pose_frames(recording: Recording, width: int = 320, height: int = 240, *, seed: int = 0,
                noise: float = 6.0) -> Iterator[np.ndarray]:
    """RGB uint8 frames of ``recording``'s poses (robust bounds of all positions fill the frame)."""
    import cv2

    position = recording.poses["position"].transpose("time", "individual", "keypoint", "space").values
    finite = position[np.isfinite(position).all(axis=-1)]
    low, high = np.percentile(finite, 0.5, axis=0), np.percentile(finite, 99.5, axis=0)
    scale = 0.9 * min(width / max(high[0] - low[0], 1), height / max(high[1] - low[1], 1))
    offset = np.array([width, height]) / 2 - scale * (low + high) / 2
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    texture = 175 + 20 * np.sin(xx / 7.0) * np.cos(yy / 11.0) + rng.normal(0, 5, (height, width))
    keypoints = recording.keypoints
    nose = next((i for i, k in enumerate(keypoints) if k.lower() in ("nose", "snout")), 0)
    tail = next((i for i, k in enumerate(keypoints) if "tail" in k.lower()), len(keypoints) - 1)
    last = np.full(position.shape[1:], np.nan)
    for frame in position:
        frame = np.where(np.isfinite(frame), frame, last)  # a missing keypoint stays where it was
        last = frame
        image = (texture + rng.normal(0, noise, texture.shape)).clip(0, 255).astype(np.uint8)
        for animal, points in enumerate(frame):
            if not np.isfinite(points).all():
                continue
            pixels = points * scale + offset
            centre = pixels.mean(axis=0)
            axis = pixels[nose] - pixels[tail]
            length = max(float(np.hypot(*axis)), 4.0)
            angle = float(np.degrees(np.arctan2(axis[1], axis[0])))
            shade = _SHADES[animal % len(_SHADES)]
            for point in pixels:
                cv2.line(image, _int(centre), _int(point), shade + 20, 2, cv2.LINE_AA)
            cv2.ellipse(image, _int(centre), (int(length / 2), max(2, int(length / 5))), angle, 0, 360, shade, -1,
                        cv2.LINE_AA)
            cv2.circle(image, _int(pixels[nose]), max(2, int(length / 10)), max(shade - 30, 0), -1, cv2.LINE_AA)
        yield np.repeat(image[..., None], 3, axis=2)


def _int(point: np.ndarray) -> tuple[int, int]:
    return round(float(point[0])), round(float(point[1]))


def render_recording(recording: Recording, path: str | Path, width: int = 320, height: int = 240,
                     *, seed: int = 0) -> Path:
    """Write ``recording`` rendered by `pose_frames` as an H.264 video at its fps."""
    from ethoforge.video.synthetic import write_video

    return write_video(path, pose_frames(recording, width, height, seed=seed), recording.fps)
