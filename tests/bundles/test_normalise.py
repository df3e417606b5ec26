"""Normalisation: z-score and the robust (log / asinh) transform, fitted then applied."""

from __future__ import annotations

import numpy as np
import pytest

from ethoforge.bundles.normalise import Normalisation, fit_normalisation


def _features():
    rng = np.random.default_rng(0)
    distance = rng.lognormal(5, 1, 5000)  # non-negative, heavy tail
    velocity = rng.standard_t(2, 5000) * 50  # signed, heavy tail
    constant = np.full(5000, 3.0)
    return np.column_stack([distance, velocity, constant]).astype(np.float32)


@pytest.mark.parametrize("kind", ["zscore", "robust"])
def test_fitted_features_have_zero_mean_unit_std(kind):
    values = _features()
    norm = fit_normalisation([values[:2500], values[2500:]], kind)
    out = norm.apply(values)
    assert out.dtype == np.float32 and np.isfinite(out).all()
    np.testing.assert_allclose(out[:, :2].mean(axis=0), 0, atol=1e-3)
    np.testing.assert_allclose(out[:, :2].std(axis=0), 1, atol=1e-3)
    assert np.all(out[:, 2] == 0)  # a constant column becomes 0, not NaN


def test_robust_uses_log_for_non_negative_and_asinh_for_signed():
    values = _features()
    norm = fit_normalisation([values], "robust")
    assert norm.log.tolist() == [True, False, True]
    assert norm.scale[0] == pytest.approx(np.median(values[:, 0]), rel=1e-5)
    out = norm.apply(values)
    # a glitch 1000x the median moves the robust value a few units, the z-score hundreds
    glitch = np.array([[np.median(values[:, 0]) * 1000, 0, 3]], np.float32)
    z = fit_normalisation([values], "zscore")
    assert norm.apply(glitch)[0, 0] < 15 and z.apply(glitch)[0, 0] > 100
    assert out[:, 0].max() < 15


def test_round_trip_and_non_finite_values():
    values = _features()
    norm = fit_normalisation([values], "robust")
    again = Normalisation.from_dict(norm.to_dict())
    np.testing.assert_array_equal(again.apply(values), norm.apply(values))
    bad = values[:3].copy()
    bad[0, 0], bad[1, 1] = np.nan, np.inf
    out = norm.apply(bad)
    assert out[0, 0] == 0 and out[1, 1] == 0


def test_none_keeps_values_and_zeroes_non_finite():
    values = _features()
    norm = Normalisation.from_dict(fit_normalisation([values], "none").to_dict())
    assert norm.kind == "none"
    np.testing.assert_array_equal(norm.apply(values), values.astype(np.float32))
    bad = values[:3].astype(np.float32)
    bad[0, 0], bad[1, 1] = np.nan, -np.inf
    out = norm.apply(bad)
    assert out[0, 0] == 0 and out[1, 1] == 0 and out[2, 2] == bad[2, 2]
