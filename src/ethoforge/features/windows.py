"""Centred rolling statistics over time (mean, std, min, max), vectorised.

Each comes from a doubling table (log2(size) passes, O(T · F) each): min and max of
power-of-two pieces; mean and std from pairwise-merged ``(count, mean, M2)`` summaries in
float64 (stable: no sums of squares to cancel, a constant window has std exactly 0). A
window's value depends only on the frames in it, so processing in blocks changes nothing.
Windows are centred and shrink at the two ends (only real frames).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

STATS: tuple[str, ...] = ("mean", "std", "min", "max")
_Summary = tuple[np.ndarray, np.ndarray, np.ndarray]  # (count, mean, M2) of runs of frames


def rolling_mean_std(values: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Centred rolling mean and std (population) of ``values (T, F)`` over ``size`` frames."""
    values = np.asarray(values, dtype=np.float32)
    mean, std = np.empty_like(values), np.empty_like(values)
    _mean_std_into(values, [size], slice(0, len(values)), {size: (mean, std)})
    return mean, std


def rolling_extreme(values: np.ndarray, size: int, kind: str) -> np.ndarray:
    """Centred rolling ``"min"`` or ``"max"`` of ``values (T, F)`` over ``size`` frames."""
    values = np.asarray(values, dtype=np.float32)
    out = np.empty_like(values)
    _extreme_into(values, [size], kind, slice(0, len(values)), {size: out})
    return out


def _mean_std_into(values: np.ndarray, sizes: Sequence[int], rows: slice,
                   outs: dict[int, tuple[np.ndarray | None, np.ndarray | None]]) -> None:
    """Rolling mean and std of ``values[rows]`` for several sizes, written into ``outs[size]``.

    A doubling table of ``(count, mean, M2)`` summaries (M2: sum of squared deviations from
    the mean), merged pairwise (Chan et al.) in float64: ``levels[L][j]`` summarises
    ``padded[j : j + L]``; a window of ``size`` frames merges the power-of-two pieces of its
    binary decomposition, left to right from its first frame. Every number a window gets
    depends only on the frames inside it, so the result does not depend on where ``rows``
    starts (the block); a constant window has M2 exactly 0 and its mean exactly the constant,
    whatever the offset (no cancellation, unlike sums of squares). The rows around ``rows``
    are the context; padding beyond the recording counts 0 frames. Either output may be None.
    """
    n, f = values.shape
    half = max(sizes) // 2
    count = np.zeros((n + 2 * half, 1), np.float64)
    count[half : half + n] = 1.0
    mean = np.zeros((n + 2 * half, f), np.float64)
    mean[half : half + n] = values
    levels = {1: (count, mean, np.zeros_like(mean))}
    length = 1
    while 2 * length <= max(sizes):
        levels[2 * length] = _merge(_rows(levels[length], None, -length), _rows(levels[length], length, None))
        length *= 2
    k = rows.stop - rows.start
    for size in sizes:
        at = half - size // 2 + rows.start  # window of row i' of rows: padded[at + i' : at + i' + size]
        summary: _Summary | None = None
        for bit in reversed(range(size.bit_length())):
            piece = 1 << bit
            if size & piece:
                part = _rows(levels[piece], at, at + k)
                summary = part if summary is None else _merge(summary, part)
                at += piece
        assert summary is not None
        total, window_mean, m2 = summary
        mean_out, std_out = outs[size]
        if std_out is not None:
            std_out[...] = np.sqrt(m2 / total)  # every window holds its own frame: total >= 1
        if mean_out is not None:
            mean_out[...] = window_mean


def _rows(summary: _Summary, start: int | None, stop: int | None) -> _Summary:
    """The rows ``start:stop`` of each array of a ``(count, mean, M2)`` summary."""
    count, mean, m2 = summary
    return count[start:stop], mean[start:stop], m2[start:stop]


def _merge(a: _Summary, b: _Summary) -> _Summary:
    """``(count, mean, M2)`` of two consecutive runs of frames from theirs (Chan et al.); an
    empty run (count 0, mean 0) leaves the other's mean unchanged to the bit."""
    count_a, mean_a, m2_a = a
    count_b, mean_b, m2_b = b
    count = count_a + count_b
    share_b = np.divide(count_b, count, out=np.zeros_like(count), where=count > 0)
    delta = np.subtract(mean_b, mean_a)
    mean = np.multiply(delta, share_b)
    mean += mean_a
    np.multiply(delta, delta, out=delta)
    delta *= count_a * share_b
    delta += m2_a
    delta += m2_b
    return count, mean, delta


def _extreme_into(values: np.ndarray, sizes: Sequence[int], kind: str, rows: slice,
                  outs: dict[int, np.ndarray]) -> None:
    """Rolling min or max of ``values[rows]`` for several sizes from one doubling table
    (log2(max size) passes), written into ``outs[size]``."""
    fn = np.minimum if kind == "min" else np.maximum
    fill = np.inf if kind == "min" else -np.inf
    n, half = values.shape[0], max(sizes) // 2
    level = np.full((n + 2 * half, values.shape[1]), fill, dtype=np.float32)
    level[half : half + n] = values
    levels = {1: level}  # levels[L][j] = extreme of padded[j : j + L]
    length = 1
    while 2 * length <= max(sizes):
        level = fn(level[:-length], level[length:])
        length *= 2
        levels[length] = level
    k = rows.stop - rows.start
    for size in sizes:
        r = size // 2
        length = 1 << (size.bit_length() - 1)  # largest power of two <= size
        table, start = levels[length], half - r + rows.start  # window of frame i: padded[start + i' : ... + size]
        fn(table[start : start + k], table[start + size - length : start + size - length + k], out=outs[size])


def window_statistics(
    values: np.ndarray,
    names: Sequence[str],
    sizes: Sequence[int],
    stats: Sequence[str] = STATS,
    out: np.ndarray | None = None,
    block: int = 512,
) -> tuple[np.ndarray, list[str]]:
    """``(T, F · len(sizes) · len(stats))`` rolling statistics and their names.

    Column order: for each size, for each stat, every feature; named
    ``"{feature}.w{size}.{stat}"``. ``out`` is an optional float32 array (or column slice)
    of that shape to write into. Rows are processed in blocks of ``block`` frames (plus
    half the largest window on each side), so the float64 temporaries stay in the L2 cache
    (512 rows measured 1.0-1.4x faster than 2048); the result does not depend on ``block``.
    """
    unknown = [s for s in stats if s not in STATS]
    if unknown:
        raise ValueError(f"unknown window statistics {unknown}; known: {list(STATS)}")
    sizes = [int(s) for s in sizes]
    values = np.asarray(values, dtype=np.float32)
    n, f = values.shape
    if out is None:
        out = np.empty((n, f * len(sizes) * len(stats)), dtype=np.float32)
    out_names = [f"{name}.w{size}.{stat}" for size in sizes for stat in stats for name in names]
    if not sizes or not stats or n == 0:
        return out, out_names
    half = max(sizes) // 2
    column = {(size, stat): (i * len(stats) + j) * f for i, size in enumerate(sizes) for j, stat in enumerate(stats)}
    for start in range(0, n, block):
        stop = min(start + block, n)
        first, last = max(start - half, 0), min(stop + half, n)
        rows = slice(start - first, stop - first)

        def view(size: int, stat: str, start: int = start, stop: int = stop) -> np.ndarray:
            return out[start:stop, column[size, stat] : column[size, stat] + f]

        def wanted(size: int, stat: str) -> np.ndarray | None:
            return view(size, stat) if stat in stats else None

        if "mean" in stats or "std" in stats:
            _mean_std_into(values[first:last], sizes, rows, {s: (wanted(s, "mean"), wanted(s, "std")) for s in sizes})
        for kind in ("min", "max"):
            if kind in stats:
                _extreme_into(values[first:last], sizes, kind, rows, {s: view(s, kind) for s in sizes})
    return out, out_names
