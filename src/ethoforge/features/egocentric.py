"""Egocentric alignment: each animal's keypoints in its own body frame.

The body frame of an animal at a frame has its origin at the body centre and +x along the
body axis (back keypoint → front keypoint), +y 90° counter-clockwise from it (in image
coordinates, where y points down, that is to the animal's right when seen from above).
Arrays are ``(T, I, K, 2)`` (time, individual, keypoint, xy).
"""

from __future__ import annotations

import numpy as np


def body_centre(position: np.ndarray, centre: int | None = None) -> np.ndarray:
    """``(T, I, 2)`` centre of each animal: keypoint ``centre`` or the mean of all keypoints."""
    if centre is not None:
        return position[:, :, centre, :].copy()
    total = position[:, :, 0, :].copy()
    for k in range(1, position.shape[2]):  # a few keypoints: faster than a strided mean
        total += position[:, :, k, :]
    total *= np.float32(1.0 / position.shape[2])
    return total


def heading(position: np.ndarray, back: int, front: int) -> np.ndarray:
    """``(T, I, 2)`` unit vector from keypoint ``back`` to ``front`` (NaN where they coincide)."""
    axis = position[:, :, front, :] - position[:, :, back, :]
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
