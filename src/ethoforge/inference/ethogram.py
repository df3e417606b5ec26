"""Ethogram figure: one coloured lane per behavior, bouts as horizontal bars, over time.

Bouts are drawn as bars (``broken_barh``), one per bout, so a 10-hour recording costs its
bouts, not its frames; probability traces are reduced to at most ``_MAX_TRACE_POINTS``
points per behavior (block maxima, so short peaks stay visible).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ethoforge.errors import InputError

_MAX_TRACE_POINTS = 4000


def behavior_colors(behaviors: Sequence[str]) -> dict[str, tuple]:
    """A distinct RGBA colour per behavior (tab10, then tab20 for more than ten)."""
    from matplotlib import colormaps

    palette = colormaps["tab10" if len(behaviors) <= 10 else "tab20"]
    return {name: palette(i % palette.N) for i, name in enumerate(behaviors)}


def _time_unit(seconds: float) -> tuple[str, float]:
    if seconds <= 120:
        return "s", 1.0
    if seconds <= 3 * 3600:
        return "min", 60.0
    return "h", 3600.0


def _runs_of(labels: np.ndarray, value: int) -> list[tuple[int, int]]:
    """``(start, length)`` of every run of ``value`` (frames ``[start, start + length)``)."""
    active = np.concatenate(([0], (labels == value).astype(np.int8), [0]))
    edges = np.diff(active)
    starts = np.flatnonzero(edges == 1)
    stops = np.flatnonzero(edges == -1)
    return list(zip(starts.tolist(), (stops - starts).tolist()))


def _block_max(values: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Frame positions and values of ``values`` reduced to at most ``max_points`` block maxima."""
    n = values.shape[0]
    if n <= max_points:
        return np.arange(n, dtype=float), values
    block = int(np.ceil(n / max_points))
    padded = np.full((int(np.ceil(n / block)) * block,) + values.shape[1:], -np.inf)
    padded[:n] = values
    reduced = padded.reshape(-1, block, *values.shape[1:]).max(axis=1)
    return np.arange(reduced.shape[0]) * block + block / 2.0, reduced


def plot_ethogram(
    labels,
    classes: Sequence[str],
    fps: float,
    path: str | Path,
    *,
    title: str | None = None,
    probs=None,
) -> Path:
    """Write an ethogram PNG of per-frame labels (and, optionally, probability traces).

    Parameters
    ----------
    labels
        ``(T,)`` class indices over ``classes = ["none", *behaviors]`` (negative = unknown,
        drawn as nothing), or ``(T, C)`` probabilities, in which case labels are their argmax
        and the probabilities are also drawn as traces.
    classes
        ``["none", *behaviors]``; one lane per behavior.
    fps
        Frames per second; the time axis is in seconds, minutes or hours by duration.
    path
        The PNG to write (atomically).
    title
        Figure title (default: none).
    probs
        ``(T, C)`` probabilities to draw as traces beneath the lanes.

    Returns
    -------
    Path
        ``path``.
    """
    from matplotlib.figure import Figure

    from ethoforge.atomic import atomic_path

    array = np.asarray(labels)
    if array.ndim == 2:
        probs = array if probs is None else probs
        array = array.argmax(axis=1)
    if array.ndim != 1:
        raise InputError(f"labels have shape {array.shape}; expected (frames,) class indices or (frames, classes)")
    if not fps or fps <= 0:
        raise InputError(f"fps must be a positive number, got {fps!r}")
    behaviors = list(classes[1:])
    if probs is not None:
        probs = np.asarray(probs, dtype=float)
        if probs.shape != (array.size, len(classes)):
            raise InputError(f"probs have shape {probs.shape}; expected ({array.size}, {len(classes)})")
    n_frames = array.size
    unit, scale = _time_unit(n_frames / fps)
    to_time = 1.0 / (fps * scale)
    colors = behavior_colors(behaviors)

    lanes_height = 0.45 * len(behaviors) + 0.9
    traces_height = 1.8 if probs is not None else 0.0
    figure = Figure(figsize=(12, lanes_height + traces_height + 0.4))
    if probs is not None:
        lanes, traces = figure.subplots(
            2, 1, sharex=True, gridspec_kw={"height_ratios": [lanes_height, traces_height]}
        )
    else:
        lanes, traces = figure.add_subplot(), None

    for lane, name in enumerate(behaviors):
        runs = _runs_of(array, lane + 1)
        if runs:
            bars = [(start * to_time, length * to_time) for start, length in runs]
            # the edge line keeps one-frame bouts visible in a 10-hour figure
            lanes.broken_barh(bars, (lane - 0.4, 0.8), facecolors=[colors[name]], edgecolor=colors[name], linewidth=0.3)
    lanes.set_yticks(range(len(behaviors)), labels=behaviors)
    lanes.set_ylim(-0.6, len(behaviors) - 0.4)
    lanes.invert_yaxis()
    lanes.set_xlim(0, max(n_frames, 1) * to_time)
    lanes.grid(axis="x", alpha=0.3)
    if title:
        lanes.set_title(title)
    bottom = lanes
    if traces is not None:
        positions, reduced = _block_max(probs[:, 1:], _MAX_TRACE_POINTS)
        for column, name in enumerate(behaviors):
            traces.plot(positions * to_time, reduced[:, column], color=colors[name], linewidth=0.8, label=name)
        traces.set_ylim(0, 1.02)
        traces.set_ylabel("probability")
        traces.grid(alpha=0.3)
        bottom = traces
    bottom.set_xlabel(f"time ({unit})")
    figure.tight_layout()
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as temporary:
        figure.savefig(temporary, dpi=100, format="png")
    return target
