"""From per-frame class probabilities to labels and bouts: smoothing, thresholds, bout rules.

Conventions: ``probs`` is ``(T, C)`` over ``classes = ["none", *behaviors]`` (mutually
exclusive classes, rows summing to 1); labels are ``(T,)`` class indices; bouts are
`ethoforge.labels.Bout` with frames ``[start, stop)``, 0-based, half-open. Everything is
vectorised over frames (a 10-hour recording at 30 fps is ~1 M frames).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ethoforge.errors import InputError
from ethoforge.labels import Bout


def _check_probs(probs, classes: Sequence[str] | None = None) -> np.ndarray:
    array = np.asarray(probs)
    if array.ndim != 2 or (classes is not None and array.shape[1] != len(classes)):
        expected = f"(frames, {len(classes)})" if classes is not None else "(frames, classes)"
        raise InputError(f"probabilities have shape {array.shape}; expected {expected}"
                         + (f" for classes {list(classes)}" if classes is not None else ""))
    return array


def smooth_probabilities(probs, window_frames: int) -> np.ndarray:
    """Centred moving average of each class column over ``window_frames`` frames.

    Frame ``t`` averages frames ``t - window//2 .. t + (window-1)//2``; near the ends the
    window is cut to the frames that exist, so rows still sum to 1. ``window_frames <= 1``
    returns a copy. The dtype of ``probs`` is kept (sums run in float64).
    """
    array = _check_probs(probs)
    window = int(window_frames)
    if window <= 1 or array.shape[0] == 0:
        return array.copy()
    n = array.shape[0]
    cumulative = np.concatenate([np.zeros((1, array.shape[1])), np.cumsum(array, axis=0, dtype=np.float64)])
    frames = np.arange(n)
    low = np.clip(frames - window // 2, 0, n)
    high = np.clip(frames + (window - 1) // 2 + 1, 0, n)
    smoothed = (cumulative[high] - cumulative[low]) / (high - low)[:, None]
    return smoothed.astype(array.dtype if np.issubdtype(array.dtype, np.floating) else np.float64)


def _per_behavior(value: float | Mapping[str, float] | None, classes: Sequence[str], default: float,
                  name: str) -> np.ndarray:
    """A per-class array (index 0 unused) from one number or a {behavior: value} dict."""
    out = np.full(len(classes), float(default))
    if value is None:
        return out
    if isinstance(value, Mapping):
        unknown = [k for k in value if k not in classes[1:]]
        if unknown:
            raise InputError(f"{name} names unknown behavior(s) {unknown}; expected some of {list(classes[1:])}")
        for key, number in value.items():
            out[list(classes).index(key)] = float(number)
    else:
        out[1:] = float(value)
    return out


def decide_labels(probs, classes: Sequence[str], *, thresholds: Mapping[str, float] | None = None) -> np.ndarray:
    """Per-frame class index: the argmax, set to background where the winner misses its threshold.

    A behavior wins a frame only where it is the most probable class **and** its probability
    is ``>=`` its threshold; otherwise the frame is background (class 0). The runner-up is
    never promoted: a frame the model calls 70 % groom does not become attack because groom
    missed a 0.8 threshold. Behaviors missing from ``thresholds`` have none; without
    thresholds this is the plain argmax.

    Returns
    -------
    np.ndarray
        ``(T,)`` int64 class indices.
    """
    array = _check_probs(probs, classes)
    if not thresholds:
        return array.argmax(axis=1).astype(np.int64)
    limits = _per_behavior(thresholds, classes, -np.inf, "thresholds")
    limits[0] = -np.inf
    if np.any((limits[1:] > 1) | ((limits[1:] < 0) & np.isfinite(limits[1:]))):
        raise InputError(f"thresholds must be probabilities in [0, 1], got {dict(thresholds)}")
    winner = array.argmax(axis=1)
    passes = array[np.arange(array.shape[0]), winner] >= limits[winner]
    return np.where(passes, winner, 0).astype(np.int64)


def _runs(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run-length encoding: ``(values, lengths)``; ``np.repeat(values, lengths)`` undoes it."""
    if labels.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    starts = np.concatenate(([0], np.flatnonzero(np.diff(labels)) + 1))
    lengths = np.diff(np.concatenate((starts, [labels.size])))
    return labels[starts], lengths


def merge_gaps(labels, classes: Sequence[str], merge_gap_frames: int | Mapping[str, int]) -> np.ndarray:
    """Fill background gaps of fewer than ``merge_gap_frames`` frames between two bouts of one behavior.

    Only gaps that are all background are filled (a bout of another behavior in between
    keeps the two apart). ``merge_gap_frames`` is one number or ``{behavior: frames}``.
    """
    values, lengths = _runs(np.asarray(labels, dtype=np.int64))
    limits = _per_behavior(merge_gap_frames, classes, 0, "merge_gap_frames")
    if values.size < 3:
        return np.asarray(labels, dtype=np.int64).copy()
    middle = np.arange(1, values.size - 1)
    before, after = values[middle - 1], values[middle + 1]
    fill = (values[middle] == 0) & (before == after) & (before > 0) & (lengths[middle] < limits[before])
    new_values = values.copy()
    new_values[middle[fill]] = before[fill]
    return np.repeat(new_values, lengths)


def drop_short_bouts(labels, classes: Sequence[str], min_bout_frames: int | Mapping[str, int]) -> np.ndarray:
    """Set bouts shorter than their behavior's minimum (frames) to background."""
    values, lengths = _runs(np.asarray(labels, dtype=np.int64))
    limits = _per_behavior(min_bout_frames, classes, 1, "min_bout_frames")
    short = (values > 0) & (lengths < limits[values])
    return np.repeat(np.where(short, 0, values), lengths)


def probabilities_to_bouts(
    probs,
    classes: Sequence[str],
    recording: str,
    *,
    thresholds: Mapping[str, float] | None = None,
    min_bout_frames: int | Mapping[str, int] = 1,
    smoothing_frames: int = 1,
    merge_gap_frames: int | Mapping[str, int] = 0,
    agent: str | None = None,
) -> tuple[np.ndarray, list[Bout]]:
    """Per-frame labels and predicted bouts from class probabilities.

    Steps, in order: `smooth_probabilities` over ``smoothing_frames``; `decide_labels` with
    ``thresholds``; `merge_gaps` (background gaps of fewer than ``merge_gap_frames`` between
    two bouts of one behavior become that behavior; 0 = off); `drop_short_bouts` (bouts
    shorter than ``min_bout_frames`` become background). Numbers apply to every behavior;
    dicts give per-behavior values (behaviors left out: threshold none, minimum 1, no merging).

    Returns
    -------
    labels : np.ndarray
        ``(T,)`` int64 class indices after all steps.
    bouts : list[Bout]
        One bout per run of a behavior, frames ``[start, stop)``, ``source="predicted"``,
        ``score`` = mean (smoothed) probability of its behavior over its frames.
    """
    from ethoforge.evaluation.bouts import labels_to_bouts

    array = _check_probs(probs, classes)
    smoothed = smooth_probabilities(array, smoothing_frames)
    labels = decide_labels(smoothed, classes, thresholds=thresholds)
    labels = merge_gaps(labels, classes, merge_gap_frames)
    labels = drop_short_bouts(labels, classes, min_bout_frames)
    bouts = labels_to_bouts(labels, classes, recording, agent=agent, source="predicted", scores=smoothed)
    return labels, bouts
