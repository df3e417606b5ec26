"""Masking low confidence and filling gaps linearly, with a known right answer."""

from __future__ import annotations

import numpy as np
import pytest

from ethoforge.features.cleaning import fill_nan, interpolate_gaps, mask_low_confidence


def test_gap_is_filled_linearly() -> None:
    values = np.arange(10, dtype=np.float32) * 2.0  # 0, 2, 4, ... a straight line
    values[3:7] = np.nan
    np.testing.assert_allclose(interpolate_gaps(values), np.arange(10) * 2.0)


def test_each_series_is_filled_on_its_own() -> None:
    line = np.arange(8, dtype=np.float32)
    values = np.stack([line, 10 * line, -line], axis=1)
    holes = values.copy()
    holes[2:4, 0] = np.nan
    holes[5, 1] = np.nan
    holes[7, 2] = np.nan  # trailing gap: takes frame 6
    out = interpolate_gaps(holes)
    np.testing.assert_allclose(out[:, :2], values[:, :2])
    assert out[7, 2] == -6.0


def test_edges_take_the_nearest_value() -> None:
    values = np.array([np.nan, np.nan, 5.0, 6.0, np.nan], np.float32)
    np.testing.assert_array_equal(interpolate_gaps(values), [5.0, 5.0, 5.0, 6.0, 6.0])


def test_gaps_longer_than_max_gap_stay_missing() -> None:
    values = np.arange(12, dtype=np.float32)
    values[2:4] = np.nan  # 2 frames: filled
    values[6:10] = np.nan  # 4 frames: left
    out = interpolate_gaps(values, max_gap=3)
    np.testing.assert_array_equal(out[2:4], [2.0, 3.0])
    assert np.isnan(out[6:10]).all()
    assert np.isnan(interpolate_gaps(np.array([np.nan, np.nan, 1.0]), max_gap=1)[:2]).all()


def test_all_missing_series_stays_missing() -> None:
    assert np.isnan(interpolate_gaps(np.full((5, 2), np.nan))).all()


def test_matches_numpy_interp_on_random_gaps() -> None:
    rng = np.random.default_rng(0)
    values = np.cumsum(rng.normal(size=(500, 6)), axis=0).astype(np.float32)
    holes = np.where(rng.random(values.shape) < 0.2, np.nan, values)
    out = interpolate_gaps(holes)
    for column in range(6):
        ok = ~np.isnan(holes[:, column])
        expected = np.interp(np.arange(500), np.flatnonzero(ok), holes[ok, column])
        np.testing.assert_allclose(out[:, column], expected, rtol=1e-5, atol=1e-4)


def test_low_confidence_is_masked_and_unknown_kept() -> None:
    position = np.ones((3, 2, 2), np.float32)  # (T, K, xy)
    confidence = np.array([[0.9, 0.2], [np.nan, 0.5], [0.49, 1.0]])
    out = mask_low_confidence(position, confidence, 0.5)
    assert np.isnan(out[0, 1]).all() and np.isnan(out[2, 0]).all()
    assert np.isfinite(out[0, 0]).all() and np.isfinite(out[1]).all()  # NaN confidence, and 0.5 == threshold
    assert np.isfinite(position).all()  # input untouched


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_fill_nan(bad: float) -> None:
    np.testing.assert_array_equal(fill_nan(np.array([1.0, bad], np.float32)), [1.0, 0.0])
