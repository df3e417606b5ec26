"""Egocentric alignment: each animal's keypoints in its own body frame.

The body frame of an animal at a frame has its origin at the body centre and +x along the
body axis (back keypoint → front keypoint), +y 90° counter-clockwise from it (in image
coordinates, where y points down, that is to the animal's right when seen from above).
Arrays are ``(T, I, K, 2)`` (time, individual, keypoint, xy).
"""

from __future__ import annotations

import numpy as np


def body_centre(position: np.ndarray, centre: int | None = None) -> np.ndarray:
    """``(T, I, 2)`` centre of each animal: keypoint ``centre``, or the mean of the keypoints present.

    NaN-aware: a lost keypoint leaves the mean of the others (and a lost ``centre`` keypoint
    that mean too); NaN only where every keypoint of the animal is missing.
    """
    total = np.zeros(position.shape[:2] + (2,), np.float32)
    count = np.zeros(position.shape[:2], np.float32)
    for k in range(position.shape[2]):  # a few keypoints: faster than a strided nanmean
        point = position[:, :, k, :]
        present = ~(np.isnan(point[..., 0]) | np.isnan(point[..., 1]))
        total += np.where(present[..., None], point, np.float32(0.0))
        count += present
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / np.where(count > 0, count, np.nan).astype(np.float32)[..., None]
    if centre is None:
        return mean
    named = position[:, :, centre, :].copy()
    lost = np.isnan(named[..., 0]) | np.isnan(named[..., 1])
    named[lost] = mean[lost]
    return named


def heading(position: np.ndarray, back: int, front: int, centre: np.ndarray | None = None) -> np.ndarray:
    """``(T, I, 2)`` unit vector from keypoint ``back`` to ``front``.

    Where one of them is lost and ``centre`` ``(T, I, 2)`` is given, the axis runs from the
    centre to ``front`` (back lost) or from ``back`` to the centre (front lost), so one lost
    keypoint does not cost the animal its body frame. NaN where no axis is left (or its ends
    coincide).
    """
    back_point, front_point = position[:, :, back, :], position[:, :, front, :]
    if centre is not None:
        back_point = np.where(np.isnan(back_point), centre, back_point)
        front_point = np.where(np.isnan(front_point), centre, front_point)
    axis = front_point - back_point
    norm = np.sqrt(axis[..., 0] ** 2 + axis[..., 1] ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return axis / np.where(norm > 0, norm, np.nan)[..., None]


def rotate_into(vectors: np.ndarray, unit: np.ndarray) -> np.ndarray:
    """Express ``vectors (T, I, ..., 2)`` in the frame whose +x is ``unit (T, I, 2)``."""
    extra = vectors.ndim - unit.ndim
    u = unit.reshape(unit.shape[:2] + (1,) * extra + (2,))
    ux, uy = u[..., 0], u[..., 1]
    vx, vy = vectors[..., 0], vectors[..., 1]
    return np.stack([vx * ux + vy * uy, vy * ux - vx * uy], axis=-1)


def egocentric_positions(position: np.ndarray, centre: np.ndarray, unit: np.ndarray) -> np.ndarray:
    """``(T, I, K, 2)`` keypoints relative to ``centre`` in the body frame ``unit``."""
    return rotate_into(position - centre[:, :, None, :], unit)
