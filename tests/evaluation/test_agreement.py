"""Annotator agreement: hand-made cases, sklearn's kappa, and the real BANOS/CalMS21 figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ethoforge.errors import InputError
from ethoforge.evaluation.agreement import annotator_agreement, cohen_kappa

BEHAVIORS = ["attack", "investigation", "mount"]
PUBLISHED = {"attack": 0.740, "investigation": 0.812, "mount": 0.925}  # SOURCES.md


def test_hand_made_two_recordings():
    a1 = np.array([[1, 0], [1, 0], [0, 0], [0, 1]])
    b1 = np.array([[1, 0], [0, 0], [0, 0], [0, 1]])
    a2 = np.array([[0, 0], [0, 0]])
    b2 = np.array([[1, 0], [0, 0]])
    result = annotator_agreement([a1, a2], [b1, b2], ["x", "y"])
    x = result["per_behavior"]["x"]
    # pooled x: A marks 2 frames, B marks 2, both on 1 -> P = R = F1 = 0.5
    assert (x["precision"], x["recall"], x["f1"], x["frames_a"], x["frames_b"]) == (0.5, 0.5, 0.5, 2, 2)
    assert result["per_behavior"]["y"]["f1"] == 1.0
    assert result["macro_f1"] == pytest.approx(0.75)
    assert result["n_frames"] == 6
    assert result["per_recording"][1] == {"x": 0.0, "y": None}


def test_kappa_matches_sklearn():
    from sklearn.metrics import cohen_kappa_score

    rng = np.random.default_rng(1)
    a = rng.integers(0, 4, 500)
    b = np.where(rng.random(500) < 0.7, a, rng.integers(0, 4, 500))
    assert cohen_kappa(a, b, 4) == pytest.approx(cohen_kappa_score(a, b))
    assert cohen_kappa([1, 1], [1, 1], 2) == 1.0


def test_overlapping_behaviors_give_no_multiclass_kappa():
    frames = np.array([[1, 1], [0, 0]])
    assert annotator_agreement(frames, frames, ["x", "y"])["kappa"] is None


def test_shape_errors():
    with pytest.raises(InputError, match="expected \\(frames, 2\\)"):
        annotator_agreement(np.zeros((3, 3)), np.zeros((3, 2)), ["x", "y"])
    with pytest.raises(InputError, match="3 frames, B has 4"):
        annotator_agreement(np.zeros((3, 2)), np.zeros((4, 2)), ["x", "y"])


def test_banos_calms21_pooled_f1_matches_sources(shared_data):
    root = shared_data / "banos_calms21_labels"
    recordings = sorted(p for p in root.iterdir() if p.is_dir())
    assert len(recordings) == 10
    first = [pd.read_csv(p / "humanAnnotation_1.csv")[BEHAVIORS].to_numpy() for p in recordings]
    second = [pd.read_csv(p / "humanAnnotation_2.csv")[BEHAVIORS].to_numpy() for p in recordings]
    result = annotator_agreement(first, second, BEHAVIORS)
    assert result["n_frames"] == 184_499
    for name, published in PUBLISHED.items():
        assert result["per_behavior"][name]["f1"] == pytest.approx(published, abs=0.005)
    assert result["macro_f1"] == pytest.approx(0.826, abs=0.005)
    assert 0.7 < result["kappa"] < 0.9
