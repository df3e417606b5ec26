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
    mean, std = _mean_std_many(np.asarray(values, dtype=np.float32), [size])[0]
    return mean, std


def _mean_std_many(values: np.ndarray, sizes: Sequence[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Rolling mean and std for several sizes from one pair of float64 cumulative sums."""
    n, f = values.shape
    half = max(sizes) // 2
    offset = values.mean(axis=0, dtype=np.float64) if n else np.zeros(f)
    padded = np.zeros((n + 2 * half + 1, f), np.float64)  # row 0 stays 0: cumsum starts there
    np.subtract(values, offset, out=padded[half + 1 : half + 1 + n])
    squares = np.cumsum(padded * padded, axis=0)
    sums = np.cumsum(padded, axis=0, out=padded)
    frame = np.arange(n)
    results = []
    for size in sizes:
        r = size // 2
        lo, hi = half - r, half - r + n  # window of frame i = padded rows (lo + i, lo + i + size]
        count = (np.minimum(frame + r + 1, n) - np.maximum(frame - r, 0)).astype(np.float64)[:, None]
        mean = (sums[lo + size : hi + size] - sums[lo:hi]) / count
        var = (squares[lo + size : hi + size] - squares[lo:hi]) / count - mean * mean
        np.maximum(var, 0.0, out=var)
        results.append(((mean + offset).astype(np.float32), np.sqrt(var).astype(np.float32)))
    return results


def rolling_extreme(values: np.ndarray, size: int, kind: str) -> np.ndarray:
    """Centred rolling ``"min"`` or ``"max"`` of ``values (T, F)`` over ``size`` frames."""
    return _extreme_many(np.asarray(values, dtype=np.float32), [size], kind)[0]


def _extreme_many(values: np.ndarray, sizes: Sequence[int], kind: str) -> list[np.ndarray]:
    """Rolling min or max for several sizes from one doubling table (log2(max size) passes)."""
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
    results = []
    for size in sizes:
        r = size // 2
        length = 1 << (size.bit_length() - 1)  # largest power of two <= size
        table, start = levels[length], half - r  # window of frame i = padded[start + i : start + i + size]
        results.append(fn(table[start : start + n], table[start + size - length : start + size - length + n]))
    return results


def window_statistics(
    values: np.ndarray,
    names: Sequence[str],
    sizes: Sequence[int],
    stats: Sequence[str] = STATS,
    out: np.ndarray | None = None,
    block: int = 2048,
) -> tuple[np.ndarray, list[str]]:
    """``(T, F · len(sizes) · len(stats))`` rolling statistics and their names.

    Column order: for each size, for each stat, every feature; named
    ``"{feature}.w{size}.{stat}"``. ``out`` is an optional float32 array (or column slice)
    of that shape to write into. Rows are processed in blocks of ``block`` frames (plus
    half the largest window on each side), so temporaries stay in cache and the float64
    sums stay small; the result does not depend on ``block``.
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
    for start in range(0, n, block):
        stop = min(start + block, n)
        first, last = max(start - half, 0), min(stop + half, n)
        results = _block_statistics(values[first:last], sizes, stats)
        rows = slice(start - first, stop - first)
        column = 0
        for size in sizes:
            for stat in stats:
                out[start:stop, column : column + f] = results[size, stat][rows]
                column += f
    return out, out_names


def _block_statistics(values: np.ndarray, sizes: list[int], stats: Sequence[str]) -> dict:
    results: dict[tuple[int, str], np.ndarray] = {}
    if "mean" in stats or "std" in stats:
        for size, (mean, std) in zip(sizes, _mean_std_many(values, sizes)):
            results[size, "mean"], results[size, "std"] = mean, std
    for kind in ("min", "max"):
        if kind in stats:
            for size, extreme in zip(sizes, _extreme_many(values, sizes, kind)):
                results[size, kind] = extreme
    return results
