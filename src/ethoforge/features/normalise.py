"""Per-feature normalisation: statistics over training matrices, applied to any matrix."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def normalisation_stats(matrices: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and std (float32) over the finite values of every ``(T, F)`` matrix.

    Accumulated in float64 one matrix at a time (no stacked copy). A feature with no finite
    value gets mean 0; a std that is 0 or undefined becomes 1.
    """
    matrices = list(matrices)
    if not matrices:
        raise ValueError("normalisation_stats needs at least one matrix")
    width = np.shape(matrices[0])[1]
    total, square, count = np.zeros(width), np.zeros(width), np.zeros(width)
    for matrix in matrices:
        m = np.asarray(matrix, dtype=np.float64)
        finite = np.isfinite(m)
        m = np.where(finite, m, 0.0)
        total += m.sum(axis=0)
        count += finite.sum(axis=0)
        square += (m * m).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / count, 0.0)
        var = np.where(count > 0, square / count - mean * mean, np.nan)
    std = np.sqrt(np.maximum(var, 0.0))
    std = np.where(np.isfinite(std) & (std > 1e-8 * np.maximum(1.0, np.abs(mean))), std, 1.0)
    return mean.astype(np.float32), std.astype(np.float32)


def apply_normalisation(values: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """``(values - mean) / std`` as float32 with non-finite results set to 0 (the mean)."""
    out = (np.asarray(values, dtype=np.float32) - mean) / std
    return np.nan_to_num(out, copy=False, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32, copy=False)
