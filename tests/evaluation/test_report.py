"""write_training_report: files, numbers equal to frame_metrics, valid non-blank images."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from ethoforge.errors import InputError
from ethoforge.evaluation.metrics import frame_metrics
from ethoforge.evaluation.report import write_training_report

CLASSES = ["none", "attack", "groom"]


def _image(path):
    from matplotlib.image import imread

    return imread(path)


def _assert_nontrivial_png(path):
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = _image(path)
    assert pixels.shape[0] > 100 and pixels.shape[1] > 100
    assert len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)) > 10  # not one flat colour


def _history(n):
    return [
        {
            "epoch": epoch, "train_loss": 1.0 / (epoch + 1), "val_loss": 1.2 / (epoch + 1),
            "val_macro_f1": 0.1 * epoch, "lr": 1e-3,
            "per_class": {name: {"precision": 0.1 * epoch, "recall": 0.2, "f1": 0.15} for name in CLASSES[1:]},
        }
        for epoch in range(n)
    ]


def _probs_for(labels, n_classes):
    probs = np.full((len(labels), n_classes), 0.1)
    probs[np.arange(len(labels)), labels] = 0.8
    return probs / probs.sum(axis=1, keepdims=True)


def test_hand_checkable_report(tmp_path):
    y_true = np.array([0, 0, 1, 1, 1, 2, 2, -1, 0, 1])
    y_pred = np.array([0, 1, 1, 1, 0, 2, 1, 2, 0, 1])
    history = _history(4)
    config = {"model": "conv_bilstm", "lr": 0.001, "window": (1, 2)}
    split = {"train": ["a", "b"], "val": ["c"]}
    report = write_training_report(
        tmp_path / "model", classes=CLASSES, y_true=y_true, y_prob=_probs_for(y_pred, 3),
        history=history, split=split, config=config, seed=7, extra={"best_epoch": 3},
    )
    out = tmp_path / "model"
    loaded = yaml.safe_load((out / "performance_report.yaml").read_text())
    assert loaded == report
    expected = frame_metrics(y_true, y_pred, CLASSES)
    for name in CLASSES:
        assert loaded["frame"]["per_class"][name] == pytest.approx(expected["per_class"][name])
    for key in ("macro_f1", "weighted_f1", "accuracy", "macro_precision", "macro_recall"):
        assert loaded["frame"][key] == pytest.approx(expected[key])
    assert loaded["frame"]["confusion_matrix"] == [[2, 1, 0], [1, 3, 0], [0, 1, 1]]
    assert loaded["seed"] == 7
    assert loaded["split"] == split
    assert loaded["config"]["window"] == [1, 2]
    assert loaded["extra"] == {"best_epoch": 3}
    assert {"python", "numpy", "sklearn", "ethoforge"} <= set(loaded["versions"])
    assert "created_at" in loaded
    # bout level: true attack bouts [2,5) and [9,10); predicted (argmax, frame 7 unannotated ->
    # background) attack [1,4) IoU 2/4, [6,7) no, [9,10) exact -> 2 matched of 2 true / 3 predicted
    attack = loaded["bout"]["per_behavior"]["attack"]
    assert (attack["n_true"], attack["n_pred"], attack["matched"]) == (2, 3, 2)

    assert json.loads((out / "history.json").read_text()) == history
    matrix = pd.read_csv(out / "confusion_matrix_BEST.csv", index_col=0)
    assert list(matrix.columns) == CLASSES and list(matrix.index) == CLASSES
    assert matrix.to_numpy().tolist() == [[2, 1, 0], [1, 3, 0], [0, 1, 1]]
    share = pd.read_csv(out / "class_share.csv")
    assert share.set_index("class").loc["attack", "predicted_share"] == pytest.approx(5 / 9)
    for name in ("confusion_matrix_BEST.png", "plots/loss.png", "plots/f1.png", "plots/precision.png",
                 "plots/recall.png", "plots/class_share.png"):
        _assert_nontrivial_png(out / name)
        assert name in loaded["files"]
    assert not list(out.rglob(".*tmp*")), "temporary files left behind"


def test_one_entry_history_and_pydantic_config(tmp_path):
    from pydantic import BaseModel

    class Config(BaseModel):
        family: str = "gbdt"
        rounds: int = 100

    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 3, 300)
    probs = rng.random((300, 3))
    history = [{"epoch": 0, "train_loss": 0.5, "val_loss": 0.6, "val_macro_f1": 0.4}]
    report = write_training_report(
        tmp_path, classes=CLASSES, y_true=y_true, y_prob=probs, history=history,
        split={"val": ["x"]}, config=Config(), seed=None,
    )
    assert report["config"] == {"family": "gbdt", "rounds": 100}
    _assert_nontrivial_png(tmp_path / "plots" / "loss.png")
    _assert_nontrivial_png(tmp_path / "plots" / "f1.png")  # from val_macro_f1 when no per_class


def test_segments_keep_bouts_inside_recordings(tmp_path):
    y_true = np.array([1, 1, 1, 1])
    report = write_training_report(
        tmp_path, classes=["none", "attack"], y_true=y_true, y_prob=_probs_for(y_true, 2),
        history=[], split={}, config={}, seed=0, segments=[2, 2],
    )
    assert report["bout"]["per_behavior"]["attack"]["n_true"] == 2


def test_shape_mismatch_is_input_error(tmp_path):
    with pytest.raises(InputError, match="y_prob has shape"):
        write_training_report(tmp_path, classes=CLASSES, y_true=np.zeros(5, int), y_prob=np.zeros((5, 2)),
                              history=[], split={}, config={}, seed=0)
