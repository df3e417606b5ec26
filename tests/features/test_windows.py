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
