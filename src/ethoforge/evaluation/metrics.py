"""Frame-level metrics of per-frame class labels.

Conventions: ``classes = ["none", *behaviors]`` (index 0 is the background class) and
per-frame targets are int class indices where ``ignore_index`` (default ``-1``) marks frames
nobody annotated; those frames are left out of every score. ``macro_*`` averages run over
the **behaviors only** (classes 1..C-1, background excluded), so a model that predicts
background everywhere does not look good because background is common;
``macro_f1_with_background`` is the plain mean over every class. ``weighted_*`` averages
weigh every class, background included, by its annotated frames (scikit-learn's
``average="weighted"``), so they differ from the macro ones even with a single behavior.

Every number returned is a plain Python ``int``/``float`` (ready for JSON and YAML).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ethoforge.errors import InputError


def _check_labels(y_true, y_pred, classes: Sequence[str], ignore_index: int) -> tuple[np.ndarray, np.ndarray]:
    """Flatten, check and drop the ignored frames; return ``(true, pred)`` int64 arrays."""
    true = np.asarray(y_true).reshape(-1)
    pred = np.asarray(y_pred).reshape(-1)
    if true.shape != pred.shape:
        raise InputError(
            f"y_true has {true.size} frames but y_pred has {pred.size}; they must cover the same frames"
        )
    if len(classes) < 2:
        raise InputError(f"classes must be ['none', *behaviors] with at least one behavior, got {list(classes)}")
    true = true.astype(np.int64, copy=False)
    pred = pred.astype(np.int64, copy=False)
    keep = true != ignore_index
    true, pred = true[keep], pred[keep]
    n_classes = len(classes)
    for name, values in (("y_true", true), ("y_pred", pred)):
        bad = np.flatnonzero((values < 0) | (values >= n_classes))
        if bad.size:
            raise InputError(
                f"{name} holds class index {int(values[bad[0]])}, expected 0..{n_classes - 1} "
                f"(classes {list(classes)}; {ignore_index} only in y_true for unannotated frames)",
                location=f"annotated frame {int(bad[0])}",
            )
    return true, pred


def frame_metrics(y_true, y_pred, classes: Sequence[str], *, ignore_index: int = -1) -> dict:
    """Per-class and averaged frame-level scores of predicted class labels.

    Parameters
    ----------
    y_true, y_pred
        Per-frame class indices, same length; ``y_true == ignore_index`` frames are skipped.
    classes
        ``["none", *behaviors]``.
    ignore_index
        Target value of unannotated frames.

    Returns
    -------
    dict
        ``per_class`` {name: {precision, recall, f1, support}} for every class;
        ``macro_f1``, ``macro_precision``, ``macro_recall`` (unweighted mean over behaviors,
        background excluded); ``macro_f1_with_background`` (unweighted mean over all classes);
        ``weighted_f1``, ``weighted_precision``, ``weighted_recall`` (mean over all classes,
        background included, weighted by support; 0 when nothing is annotated); ``accuracy``;
        ``n_frames`` (annotated frames scored); ``confusion_matrix`` (list of lists, rows =
        true class, columns = predicted, in ``classes`` order); ``share`` {name:
        {true_share, predicted_share, ratio}}: the fraction of annotated frames truly of /
        predicted as each class, and predicted / true (``None`` when the class never occurs),
        which shows over-prediction. A class never predicted has precision 0.
    """
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    true, pred = _check_labels(y_true, y_pred, classes, ignore_index)
    labels = list(range(len(classes)))
    if true.size:
        precision, recall, f1, support = precision_recall_fscore_support(
            true, pred, labels=labels, average=None, zero_division=0
        )
        matrix = confusion_matrix(true, pred, labels=labels)
    else:
        precision = recall = f1 = np.zeros(len(classes))
        support = np.zeros(len(classes), dtype=np.int64)
        matrix = np.zeros((len(classes), len(classes)), dtype=np.int64)
    per_class = {
        name: {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
        }
        for i, name in enumerate(classes)
    }
    weights = support.astype(float)
    total = weights.sum()

    def weighted(values: np.ndarray) -> float:
        return float((values * weights).sum() / total) if total else 0.0

    n = int(true.size)
    true_counts = np.bincount(true, minlength=len(classes))
    pred_counts = np.bincount(pred, minlength=len(classes))
    share = {
        name: {
            "true_share": float(true_counts[i] / n) if n else 0.0,
            "predicted_share": float(pred_counts[i] / n) if n else 0.0,
            "ratio": float(pred_counts[i] / true_counts[i]) if true_counts[i] else None,
        }
        for i, name in enumerate(classes)
    }
    return {
        "per_class": per_class,
        "macro_f1": float(np.mean(f1[1:])),
        "macro_precision": float(np.mean(precision[1:])),
        "macro_recall": float(np.mean(recall[1:])),
        "macro_f1_with_background": float(np.mean(f1)),
        "weighted_f1": weighted(f1),
        "weighted_precision": weighted(precision),
        "weighted_recall": weighted(recall),
        "accuracy": float(np.mean(true == pred)) if n else 0.0,
        "n_frames": n,
        "confusion_matrix": matrix.astype(int).tolist(),
        "share": share,
    }


def binary_f1(true_mask, pred_mask) -> float:
    """F1 of a boolean prediction against a boolean truth (0 when both are empty of positives).

    Parameters
    ----------
    true_mask, pred_mask
        Same-shaped 0/1 or boolean arrays (any shape; flattened).
    """
    true = np.asarray(true_mask).reshape(-1).astype(bool)
    pred = np.asarray(pred_mask).reshape(-1).astype(bool)
    if true.shape != pred.shape:
        raise InputError(f"true_mask has {true.size} frames but pred_mask has {pred.size}")
    tp = int(np.count_nonzero(true & pred))
    denominator = int(np.count_nonzero(true)) + int(np.count_nonzero(pred))
    return 2.0 * tp / denominator if denominator else 0.0


def pooled_f1(
    y_true: Sequence[np.ndarray],
    y_pred: Sequence[np.ndarray],
    classes: Sequence[str],
    *,
    ignore_index: int = -1,
) -> dict[str, float]:
    """Frame F1 per behavior pooled over several recordings (frames of all concatenated).

    Pooling weighs each recording by its frames, unlike averaging per-recording F1s.

    Parameters
    ----------
    y_true, y_pred
        One per-frame class-index array per recording (pairs of equal length).
    classes
        ``["none", *behaviors]``.

    Returns
    -------
    dict[str, float]
        ``{behavior: f1}`` for each behavior (not ``"none"``); the macro F1 is their mean.
    """
    if len(y_true) != len(y_pred):
        raise InputError(f"{len(y_true)} true arrays but {len(y_pred)} predicted; give one pair per recording")
    if not len(y_true):
        raise InputError("pooled_f1 needs at least one recording")
    for index, (t, p) in enumerate(zip(y_true, y_pred)):
        if np.asarray(t).size != np.asarray(p).size:
            raise InputError(f"recording {index}: {np.asarray(t).size} true frames but {np.asarray(p).size} predicted")
    scores = frame_metrics(
        np.concatenate([np.asarray(t).reshape(-1) for t in y_true]),
        np.concatenate([np.asarray(p).reshape(-1) for p in y_pred]),
        classes,
        ignore_index=ignore_index,
    )
    return {name: scores["per_class"][name]["f1"] for name in classes[1:]}
