"""Temperature scaling finds the temperature that generated the data."""

from __future__ import annotations

import numpy as np
import pytest

from ethoforge.training.calibration import fit_temperature, nll


def _sample(true_temperature: float, n: int = 20_000):
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, (n, 3))
    p = np.exp(logits / true_temperature)
    p /= p.sum(axis=1, keepdims=True)
    targets = np.array([rng.choice(3, p=row) for row in p])
    return logits, targets


@pytest.mark.parametrize("true_temperature", [0.5, 2.5])
def test_recovers_the_temperature_and_lowers_nll(true_temperature):
    logits, targets = _sample(true_temperature)
    fitted = fit_temperature(logits, targets)
    assert fitted == pytest.approx(true_temperature, rel=0.1)
    assert nll(logits, targets, fitted) < nll(logits, targets, 1.0)


def test_ignores_unannotated_frames_and_handles_none():
    logits, targets = _sample(2.0, 5000)
    targets[:100] = -1
    assert fit_temperature(logits, targets) == pytest.approx(2.0, rel=0.15)
    assert fit_temperature(logits, np.full(len(targets), -1)) == 1.0
