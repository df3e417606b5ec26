"""Rolling statistics against a brute-force loop, at the edges too."""

from __future__ import annotations

import numpy as np
import pytest

from ethoforge.features import compute_window_features
from ethoforge.features.windows import window_statistics


def _brute(values: np.ndarray, size: int, stat: str) -> np.ndarray:
    half = size // 2
    return np.array([getattr(np, stat)(values[max(0, i - half) : i + half + 1], axis=0) for i in range(len(values))])


@pytest.mark.parametrize("block", [7, 64, 10_000])
def test_matches_brute_force_for_any_block(block: int) -> None:
    rng = np.random.default_rng(1)
    values = (rng.standard_normal((300, 3)) * 10 + 1000).astype(np.float32)  # large offset: no cancellation
    sizes = [3, 5, 11, 31]
    out, names = window_statistics(values, ["a", "b", "c"], sizes, block=block)
    assert out.shape == (300, 3 * 4 * 4)
    column = 0
    for size in sizes:
        for stat in ("mean", "std", "min", "max"):
            assert names[column] == f"a.w{size}.{stat}"
            np.testing.assert_allclose(out[:, column : column + 3], _brute(values, size, stat), atol=2e-3)
            column += 3


def _zero_runs_and_offsets(n: int = 3000) -> np.ndarray:
    """Columns as features really look: exact zeros for long stretches (a still animal's speed, a
    missing partner), noise on a large offset (coordinates in pixels of a big frame), spikes."""
    rng = np.random.default_rng(7)
    still = np.zeros(n)
    for start in range(0, n, 1000):
        still[start : start + 400] = 5e4 + 300 * rng.standard_normal(400)  # moving, then exactly 0
    offset = 1e6 + rng.standard_normal(n)
    offset[1500:2600] = 1e6  # exactly constant on a large offset
    spikes = np.zeros(n)
    spikes[rng.choice(n, 12, replace=False)] = 1e5
    return np.stack([still, offset, spikes], axis=1).astype(np.float32)


def test_statistics_do_not_depend_on_block_size_on_zero_runs_and_large_offsets() -> None:
    values = _zero_runs_and_offsets()
    exact = values.astype(np.float64)
    sizes = [5, 31, 61]
    results = [window_statistics(values, ["a", "b", "c"], sizes, block=block)[0] for block in (7, 64, 512, 10_000)]
    for other in results[1:]:
        np.testing.assert_array_equal(other, results[0])
    column = 0
    for size in sizes:
        constant = _brute(exact, size, "max") == _brute(exact, size, "min")
        for stat in ("mean", "std", "min", "max"):
            reference = _brute(exact, size, stat)
            for j in range(3):  # float32 output: a few ulps of the column's largest value
                atol = 1e-7 * float(np.abs(exact[:, j]).max())
                np.testing.assert_allclose(results[0][:, column + j], reference[:, j], rtol=1e-6, atol=atol)
            assert (results[0][:, column : column + 3][constant] == reference[constant]).all(), (size, stat)
            column += 3


def test_window_on_a_ramp() -> None:
    ramp = np.arange(20, dtype=np.float32)[:, None]
    matrix = compute_window_features(ramp, ["t"], [5], ["mean", "min", "max"])
    assert matrix.names == ["t", "t.w5.mean", "t.w5.min", "t.w5.max"]
    np.testing.assert_array_equal(matrix.values[:, 0], ramp[:, 0])
    np.testing.assert_allclose(matrix.values[2:-2, 1], ramp[2:-2, 0])  # centred: mean of a line is its middle
    np.testing.assert_array_equal(matrix.values[:, 2], np.maximum(ramp[:, 0] - 2, 0))
    np.testing.assert_array_equal(matrix.values[:, 3], np.minimum(ramp[:, 0] + 2, 19))
    assert matrix.values[0, 1] == 1.0  # edge window holds frames 0, 1, 2


def test_unknown_stat_is_refused() -> None:
    with pytest.raises(ValueError, match="median"):
        window_statistics(np.zeros((4, 1), np.float32), ["a"], [3], ["median"])
