"""Animal-centred crop boxes per frame (``--crop pose | auto | none``).

``pose``: the box around each frame's confident keypoints (every animal), padded, smoothed
over time and taken as the union over a centred sliding window (Supervisely's sliding-window
crop), so a crop holds the animal through the window. ``auto`` (video only): the same from
the bounding boxes of the largest blobs that differ from the background model. Boxes are
``(T, 4)`` float ``x0, y0, x1, y1`` in pixels of the full frame; frames with nothing found
take the nearest found box (the whole frame when there is none at all).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

CropMode = Literal["none", "pose", "auto"]
CROP_MODES: tuple[str, ...] = ("none", "pose", "auto")


def boxes_from_points(points: np.ndarray, confidence: np.ndarray | None, threshold: float = 0.5) -> np.ndarray:
    """Per-frame bounding boxes ``(T, 4)`` of ``points`` ``(T, N, 2)`` whose confidence
    ``(T, N)`` reaches ``threshold`` (NaN rows where no point counts)."""
    usable = np.isfinite(points).all(axis=-1)
    if confidence is not None:
        usable &= ~(confidence < threshold)
    x = np.where(usable, points[..., 0], np.nan)
    y = np.where(usable, points[..., 1], np.nan)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.stack([np.nanmin(x, 1), np.nanmin(y, 1), np.nanmax(x, 1), np.nanmax(y, 1)], axis=1)


def finish_boxes(boxes: np.ndarray, width: int, height: int, *, pad: float = 0.25, min_size: float = 32.0,
                 smooth: int = 5, window: int = 15) -> np.ndarray:
    """Fill missing frames from the nearest found one, pad by ``pad`` of the box size (at least
    to ``min_size`` px), smooth each edge over ``smooth`` frames, take the union over a centred
    ``window``, and clip to the frame."""
    boxes = np.array(boxes, dtype=np.float64)
    found = np.flatnonzero(np.isfinite(boxes).all(axis=1))
    if not len(found):
        return np.tile(np.array([0.0, 0.0, width, height]), (len(boxes), 1))
    frames = np.arange(len(boxes))
    after = np.clip(np.searchsorted(found, frames), 0, len(found) - 1)
    before = np.clip(after - 1, 0, len(found) - 1)
    nearest = np.where(np.abs(frames - found[before]) <= np.abs(found[after] - frames), found[before], found[after])
    boxes = boxes[nearest]
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2
    half = np.maximum((boxes[:, 2:] - boxes[:, :2]) * (1 + 2 * pad), min_size) / 2
    boxes = np.concatenate([centre - half, centre + half], axis=1)
    if smooth > 1:
        kernel = np.ones(smooth) / smooth
        padded = np.pad(boxes, ((smooth // 2, smooth // 2), (0, 0)), mode="edge")
        boxes = np.stack([np.convolve(padded[:, i], kernel, mode="valid") for i in range(4)], axis=1)
    if window > 1:
        from scipy.ndimage import maximum_filter1d, minimum_filter1d

        boxes = np.concatenate([minimum_filter1d(boxes[:, :2], window, axis=0, mode="nearest"),
                                maximum_filter1d(boxes[:, 2:], window, axis=0, mode="nearest")], axis=1)
    return np.clip(boxes, 0, [width, height, width, height])


def pose_boxes(poses, width: int, height: int, *, threshold: float = 0.5, **options) -> np.ndarray:
    """`finish_boxes` of the confident keypoints of every animal in a pose dataset."""
    position = poses["position"].transpose("time", "individual", "keypoint", "space").values
    points = position.reshape(len(position), -1, 2)
    confidence = None
    if "confidence" in poses:
        confidence = poses["confidence"].transpose("time", "individual", "keypoint").values.reshape(len(position), -1)
    return finish_boxes(boxes_from_points(points, confidence, threshold), width, height, **options)


def blob_box(mask: np.ndarray) -> np.ndarray:
    """``x0, y0, x1, y1`` of the largest 8-connected blob of a binary mask (NaN when empty)."""
    import cv2

    count, _labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if count < 2:
        return np.full(4, np.nan)
    index = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    x, y, w, h = stats[index, :4]
    return np.array([x, y, x + w, y + h], dtype=np.float64)


def auto_boxes(reader, *, size: tuple[int, int] = (160, 120), stop: int | None = None, **options) -> np.ndarray:
    """`finish_boxes` of the largest blob differing from the background model (the ``motion``
    encoder's), found on grey frames decoded at ``size``, in full-frame pixels (one pass over
    frames ``[0, stop)``, default all)."""
    from ethoforge.video.encode import _Sampler
    from ethoforge.video.motion import MotionEncoder

    motion = MotionEncoder(width=size[0])
    size = motion.frame_size(reader.width, reader.height)
    motion.prepare(_Sampler(reader, size, "gray"))
    scale = np.array([reader.width / size[0], reader.height / size[1]] * 2)
    boxes = np.array([blob_box(motion.animal_mask(frame)) * scale
                      for frame in reader.frames(0, stop, size=size, format="gray")])
    return finish_boxes(boxes, reader.width, reader.height, **options)


def crop_and_resize(frame: np.ndarray, box: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The ``box`` of ``frame`` resized to ``size = (width, height)``."""
    import cv2

    x0, y0, x1, y1 = (round(float(v)) for v in box)
    x1, y1 = max(x1, x0 + 1), max(y1, y0 + 1)
    return cv2.resize(frame[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA)
