"""Centred rolling statistics over time (mean, std, min, max), vectorised.

Mean and std come from cumulative sums (float64, on values centred per column, so the
variance does not cancel); min and max from a doubling table (log2(size) passes). Each is
O(T · F) per window size. Windows are centred and shrink at the two ends (only real frames).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

STATS: tuple[str, ...] = ("mean", "std", "min", "max")


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

    One pair of float64 cumulative sums over all of ``values`` (the rows around ``rows``
    are the context); each result goes straight into its float32 output (either may be None).
    """
    n, f = values.shape
    half = max(sizes) // 2
    offset = values.mean(axis=0, dtype=np.float64) if n else np.zeros(f)
    padded = np.zeros((n + 2 * half + 1, f), np.float64)  # row 0 stays 0: cumsum starts there
    np.subtract(values, offset, out=padded[half + 1 : half + 1 + n])
    squares = np.cumsum(np.square(padded), axis=0)
    sums = np.cumsum(padded, axis=0, out=padded)
    frame = np.arange(rows.start, rows.stop)
    k = len(frame)
    mean, var, scratch = (np.empty((k, f), np.float64) for _ in range(3))
    for size in sizes:
        r = size // 2
        lo = half - r + rows.start  # window of frame i = padded rows (lo + i', lo + i' + size], i' = i - rows.start
        count = (np.minimum(frame + r + 1, n) - np.maximum(frame - r, 0)).astype(np.float64)[:, None]
        np.subtract(sums[lo + size : lo + size + k], sums[lo : lo + k], out=mean)
        np.divide(mean, count, out=mean)
        np.subtract(squares[lo + size : lo + size + k], squares[lo : lo + k], out=var)
        np.divide(var, count, out=var)
        np.subtract(var, np.multiply(mean, mean, out=scratch), out=var)
        np.maximum(var, 0.0, out=var)
        mean_out, std_out = outs[size]
        if std_out is not None:
            std_out[...] = np.sqrt(var, out=var)  # float64 → float32 on copy (a casting ufunc is slower)
        if mean_out is not None:
            mean_out[...] = np.add(mean, offset, out=mean)


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

        def view(size: int, stat: str, start: int = start, stop: int = stop) -> np.ndarray | None:
            if stat not in stats:
                return None
            return out[start:stop, column[size, stat] : column[size, stat] + f]

        if "mean" in stats or "std" in stats:
            _mean_std_into(values[first:last], sizes, rows, {s: (view(s, "mean"), view(s, "std")) for s in sizes})
        for kind in ("min", "max"):
            if kind in stats:
                _extreme_into(values[first:last], sizes, kind, rows, {s: view(s, kind) for s in sizes})
    return out, out_names
