"""Cleaning keypoint tracks: mask low-confidence detections, fill short gaps linearly.

Arrays have time first: ``position (T, ..., 2)``, ``confidence (T, ...)``. Vectorised over
every series at once (no loop over frames).
"""

from __future__ import annotations

import numpy as np


def mask_low_confidence(position: np.ndarray, confidence: np.ndarray | None, threshold: float) -> np.ndarray:
    """``position`` (float32 copy) with NaN where ``confidence < threshold``.

    NaN confidence (unknown) keeps the position. ``confidence`` has ``position``'s shape
    without the last (space) axis.
    """
    out = np.array(position, dtype=np.float32, copy=True)
    if confidence is not None and threshold > 0:
        low = np.asarray(confidence) < threshold  # NaN compares False: kept
        out[low] = np.nan
    return out


def interpolate_gaps(values: np.ndarray, max_gap: int | None = None) -> np.ndarray:
    """Fill NaN runs along axis 0 linearly between the valid frames around them.

    Parameters
    ----------
    values
        ``(T, ...)`` array; every trailing index is its own series.
    max_gap
        Runs of more than ``max_gap`` missing frames stay NaN (None: fill all). Leading and
        trailing runs (no valid frame on one side) take the nearest valid value under the
        same limit. A series with no valid frame stays NaN.

    Returns
    -------
    np.ndarray
        A float32 array of the same shape.

    Notes
    -----
    Work is O(T · series) for finding the missing entries, then O(missing): runs of
    missing frames are found from the sorted flat indices, not by scanning every frame.
    """
    values = np.asarray(values, dtype=np.float32)
    shape = values.shape
    n = shape[0]
    out = values.reshape(n, -1).copy()
    missing = np.isnan(out.T)  # (series, T): flat indices sorted by series, then frame
    flat = np.flatnonzero(missing)
    if flat.size == 0 or n == 0:
        return out.reshape(shape)
    series, frame = np.divmod(flat, n)
    starts = np.empty(flat.size, dtype=bool)
    starts[0] = True
    starts[1:] = (np.diff(flat) != 1) | (series[1:] != series[:-1])
    run = np.cumsum(starts) - 1
    first = frame[starts]
    last = np.empty_like(first)
    last[run] = frame  # the last write per run is its last frame
    prev, nxt = (first - 1)[run], (last + 1)[run]
    has_prev, has_next = prev >= 0, nxt < n
    before = out[np.maximum(prev, 0), series]
    after = out[np.minimum(nxt, n - 1), series]
    weight = ((frame - prev) / np.maximum(nxt - prev, 1)).astype(np.float32)
    both = has_prev & has_next
    filled = np.where(both, before + (after - before) * weight, np.where(has_prev, before, after))
    filled[~(has_prev | has_next)] = np.nan
    if max_gap is not None:
        filled[(last - first + 1)[run] > max_gap] = np.nan
    out[frame, series] = filled
    return out.reshape(shape)


def fill_nan(values: np.ndarray, value: float = 0.0) -> np.ndarray:
    """Replace NaN and ±inf by ``value`` in place; returns ``values``."""
    bad = ~np.isfinite(values)
    if bad.any():
        values[bad] = value
    return values
