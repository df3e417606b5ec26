"""Frame metrics on hand-countable labels."""

from __future__ import annotations

import numpy as np
import pytest

from ethoforge.errors import InputError
from ethoforge.evaluation.metrics import binary_f1, frame_metrics, pooled_f1

CLASSES = ["none", "attack", "groom"]


def test_frame_metrics_hand_counted():
    # frame:   0  1  2  3  4  5  6  7  8  9
    y_true = [0, 0, 1, 1, 1, 2, 2, -1, 0, 1]
    y_pred = [0, 1, 1, 1, 0, 2, 1, 2, 0, 1]
    scores = frame_metrics(y_true, y_pred, CLASSES)
    # frame 7 is unannotated: 9 frames scored
    assert scores["n_frames"] == 9
    # rows = true: none -> [2 none, 1 attack, 0 groom]; attack -> [1, 3, 0]; groom -> [0, 1, 1]
    assert scores["confusion_matrix"] == [[2, 1, 0], [1, 3, 0], [0, 1, 1]]
    attack = scores["per_class"]["attack"]
    assert attack["precision"] == pytest.approx(3 / 5)
    assert attack["recall"] == pytest.approx(3 / 4)
    assert attack["f1"] == pytest.approx(2 * 3 / (4 + 5))
    assert attack["support"] == 4
    groom = scores["per_class"]["groom"]
    assert (groom["precision"], groom["recall"], groom["support"]) == (1.0, 0.5, 2)
    assert groom["f1"] == pytest.approx(2 / 3)
    # macro over behaviors only (not "none")
    assert scores["macro_f1"] == pytest.approx((2 * 3 / 9 + 2 / 3) / 2)
    assert scores["macro_recall"] == pytest.approx((0.75 + 0.5) / 2)
    # weighted by support over every class, background included: none 3 frames (F1 2/3), attack 4, groom 2
    assert scores["weighted_f1"] == pytest.approx((3 * 2 / 3 + 4 * 2 * 3 / 9 + 2 * 2 / 3) / 9)
    assert scores["accuracy"] == pytest.approx(6 / 9)
    share = scores["share"]["attack"]
    assert share["true_share"] == pytest.approx(4 / 9)
    assert share["predicted_share"] == pytest.approx(5 / 9)
    assert share["ratio"] == pytest.approx(5 / 4)


def test_one_behavior_macro_excludes_background_and_weighted_weighs_by_frames():
    # none: 4 true, 4 predicted, 3 right -> F1 3/4; act: 2 true, 2 predicted, 1 right -> F1 1/2
    scores = frame_metrics([0, 0, 0, 0, 1, 1], [0, 0, 0, 1, 1, 0], ["none", "act"])
    assert scores["macro_f1"] == pytest.approx(0.5)  # the behavior alone
    assert scores["macro_f1_with_background"] == pytest.approx((0.75 + 0.5) / 2)
    assert scores["weighted_f1"] == pytest.approx((4 * 0.75 + 2 * 0.5) / 6)
    assert scores["weighted_f1"] != pytest.approx(scores["macro_f1"])


def test_never_predicted_class_and_absent_class():
    scores = frame_metrics([0, 1, 1], [0, 0, 0], CLASSES)
    assert scores["per_class"]["attack"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 2}
    assert scores["share"]["groom"]["ratio"] is None
    assert scores["macro_f1"] == 0.0


def test_values_are_plain_python():
    scores = frame_metrics(np.array([0, 1]), np.array([1, 1]), CLASSES)
    assert type(scores["macro_f1"]) is float
    assert type(scores["per_class"]["none"]["support"]) is int
    assert all(type(v) is int for row in scores["confusion_matrix"] for v in row)


def test_bad_inputs_raise_input_error():
    with pytest.raises(InputError, match="same frames"):
        frame_metrics([0, 1], [0], CLASSES)
    with pytest.raises(InputError, match="class index 3"):
        frame_metrics([0, 1], [0, 3], CLASSES)
    with pytest.raises(InputError, match="at least one behavior"):
        frame_metrics([0], [0], ["none"])


def test_binary_f1():
    assert binary_f1([1, 1, 0, 0], [1, 0, 1, 0]) == pytest.approx(0.5)
    assert binary_f1([0, 0], [0, 0]) == 0.0
    assert binary_f1([True, True], [True, True]) == 1.0


def test_pooled_f1_weighs_frames_not_recordings():
    # recording 1: attack perfect on 1 frame; recording 2: 3 true attack frames, 1 found
    true = [np.array([1, 0]), np.array([1, 1, 1, 0])]
    pred = [np.array([1, 0]), np.array([1, 0, 0, 0])]
    pooled = pooled_f1(true, pred, CLASSES)
    # pooled: tp 2, true 4, pred 2 -> F1 = 4/6; the mean of per-recording F1s would be (1 + 0.5)/2
    assert pooled["attack"] == pytest.approx(4 / 6)
    assert set(pooled) == {"attack", "groom"}
