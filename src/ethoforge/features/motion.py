"""Rates of change over time by finite differences, scaled by fps (units per second).

Central differences inside, one-sided at the two ends (like ``np.gradient``), on float32.
"""

from __future__ import annotations

import numpy as np


def time_derivative(values: np.ndarray, fps: float = 1.0) -> np.ndarray:
    """d/dt of ``values (T, ...)`` along axis 0, in units per second (zeros when T == 1)."""
    values = np.asarray(values, dtype=np.float32)
    out = np.empty_like(values)
    n = values.shape[0]
    if n < 2:
        out[...] = 0.0
        return out
    scale = np.float32(fps)
    np.subtract(values[2:], values[:-2], out=out[1:-1])
    out[1:-1] *= scale * np.float32(0.5)
    out[0] = (values[1] - values[0]) * scale
    out[-1] = (values[-1] - values[-2]) * scale
    return out


def angular_rate(unit: np.ndarray, fps: float = 1.0) -> np.ndarray:
    """d/dt of the angle of unit vectors ``unit (T, ..., 2)`` in rad/s (wrap-safe)."""
    unit = np.asarray(unit, dtype=np.float32)
    n = unit.shape[0]
    out = np.zeros(unit.shape[:-1], dtype=np.float32)
    if n < 2:
        return out

    def turn(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        cross = a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
        dot = a[..., 0] * b[..., 0] + a[..., 1] * b[..., 1]
        return np.arctan2(cross, dot)

    scale = np.float32(fps)
    out[1:-1] = turn(unit[:-2], unit[2:]) * (scale * np.float32(0.5))
    out[0] = turn(unit[0], unit[1]) * scale
    out[-1] = turn(unit[-2], unit[-1]) * scale
    return out


def magnitude(vectors: np.ndarray) -> np.ndarray:
    """Euclidean norm over the last axis (float32)."""
    return np.sqrt(vectors[..., 0] ** 2 + vectors[..., 1] ** 2)
