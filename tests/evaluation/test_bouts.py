"""Bout extraction from labels and IoU bout matching, with [start, stop) edges."""

from __future__ import annotations

import numpy as np
import pytest

from ethoforge.errors import InputError
from ethoforge.evaluation.bouts import bout_iou, bout_metrics, labels_to_bouts
from ethoforge.labels import Bout


def bout(start, stop, behavior="attack", recording="r1", agent=None):
    return Bout(recording, behavior, start, stop, agent=agent)


def test_labels_to_bouts_edges_and_unannotated():
    labels = np.array([1, 1, 0, -1, 2, 2, 2, 1])
    bouts = labels_to_bouts(labels, ["none", "attack", "groom"], "r1")
    assert [(b.behavior, b.start, b.stop) for b in bouts] == [
        ("attack", 0, 2), ("groom", 4, 7), ("attack", 7, 8),
    ]


def test_labels_to_bouts_scores_are_mean_class_probability():
    labels = np.array([0, 1, 1])
    probs = np.array([[0.9, 0.1], [0.4, 0.6], [0.2, 0.8]])
    (only,) = labels_to_bouts(labels, ["none", "attack"], "r1", source="predicted", scores=probs)
    assert only.score == pytest.approx(0.7)
    assert only.source == "predicted"


def test_bout_iou_half_open():
    assert bout_iou(bout(0, 10), bout(5, 15)) == pytest.approx(5 / 15)
    assert bout_iou(bout(0, 10), bout(10, 20)) == 0.0  # touching, not overlapping
    assert bout_iou(bout(0, 10), bout(0, 10)) == 1.0


def test_bout_metrics_hand_counted():
    true = [bout(0, 10), bout(20, 30), bout(40, 50), bout(0, 4, "groom")]
    pred = [
        bout(1, 10),    # IoU 0.9 with [0, 10)
        bout(25, 35),   # IoU 5/15 < 0.5: miss and false positive
        bout(40, 50),   # exact
        bout(60, 70),   # false positive
        bout(0, 4, "groom", recording="r2"),  # other recording: no match
    ]
    scores = bout_metrics(true, pred, ["attack", "groom"])
    attack = scores["per_behavior"]["attack"]
    assert (attack["n_true"], attack["n_pred"], attack["matched"]) == (3, 4, 2)
    assert attack["precision"] == pytest.approx(0.5)
    assert attack["recall"] == pytest.approx(2 / 3)
    assert attack["f1"] == pytest.approx(4 / 7)
    assert attack["mean_iou"] == pytest.approx((0.9 + 1.0) / 2)
    groom = scores["per_behavior"]["groom"]
    assert (groom["matched"], groom["f1"], groom["mean_iou"]) == (0, 0.0, None)
    assert scores["macro_f1"] == pytest.approx(2 / 7)


def test_each_bout_matched_once_and_threshold_edge():
    # two predictions split one true bout exactly in half: IoU 0.5 each, only one may match
    scores = bout_metrics([bout(0, 10)], [bout(0, 5), bout(5, 10)], ["attack"], iou_threshold=0.5)
    assert scores["per_behavior"]["attack"]["matched"] == 1
    strict = bout_metrics([bout(0, 10)], [bout(0, 5)], ["attack"], iou_threshold=0.51)
    assert strict["per_behavior"]["attack"]["matched"] == 0


def test_agents_are_matched_separately():
    scores = bout_metrics([bout(0, 10, agent="m1")], [bout(0, 10, agent="m2")], ["attack"])
    assert scores["per_behavior"]["attack"]["matched"] == 0


def test_bad_threshold():
    with pytest.raises(InputError, match="iou_threshold"):
        bout_metrics([], [], ["attack"], iou_threshold=0)
