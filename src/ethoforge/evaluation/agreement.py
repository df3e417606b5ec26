"""Agreement between two annotators of the same frames.

Annotator A is the reference: per-behavior precision, recall and F1 are those of B scored
against A (F1 itself is symmetric). Cohen's kappa corrects raw agreement for chance.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ethoforge.errors import InputError


def _as_matrices(frames, behaviors: Sequence[str], side: str) -> list[np.ndarray]:
    """One ``(T, B)`` bool matrix per recording from a matrix or a sequence of matrices."""
    if isinstance(frames, np.ndarray) or hasattr(frames, "to_numpy"):
        items = [frames]
    else:
        items = list(frames)
    matrices = []
    for index, item in enumerate(items):
        matrix = np.asarray(item)
        if matrix.ndim == 1 and len(behaviors) == 1:
            matrix = matrix[:, None]
        if matrix.ndim != 2 or matrix.shape[1] != len(behaviors):
            raise InputError(
                f"annotator {side}, recording {index}: shape {matrix.shape}, expected (frames, "
                f"{len(behaviors)}) with one 0/1 column per behavior {list(behaviors)}"
            )
        matrices.append(matrix.astype(bool))
    return matrices


def _class_labels(matrix: np.ndarray) -> np.ndarray | None:
    """Class index per frame (0 = none, k = behavior k) or None when some frame has two behaviors."""
    if (matrix.sum(axis=1) > 1).any():
        return None
    return np.where(matrix.any(axis=1), matrix.argmax(axis=1) + 1, 0)


def cohen_kappa(labels_a, labels_b, n_classes: int) -> float:
    """Cohen's kappa of two integer label arrays with values in ``0..n_classes-1``.

    ``(p_observed - p_chance) / (1 - p_chance)``; 1.0 when both annotators use one single
    class throughout (chance agreement is then total, so kappa is undefined; they agree).
    """
    a = np.asarray(labels_a, dtype=np.int64).reshape(-1)
    b = np.asarray(labels_b, dtype=np.int64).reshape(-1)
    if a.size == 0:
        return 0.0
    joint = np.bincount(a * n_classes + b, minlength=n_classes * n_classes).reshape(n_classes, n_classes)
    total = joint.sum()
    observed = np.trace(joint) / total
    chance = float((joint.sum(axis=1) * joint.sum(axis=0)).sum()) / total**2
    return 1.0 if chance == 1.0 else float((observed - chance) / (1.0 - chance))


def annotator_agreement(frames_a, frames_b, behaviors: Sequence[str]) -> dict:
    """Frame-level agreement of annotator B with annotator A, pooled over recordings.

    Parameters
    ----------
    frames_a, frames_b
        0/1 matrices ``(T, B)`` (one column per behavior; a frame with none is background),
        or equal-length sequences of them, one per recording (frames are pooled).
    behaviors
        Column names, in column order.

    Returns
    -------
    dict
        ``per_behavior`` {name: {f1, precision, recall, kappa, frames_a, frames_b}} (B
        against A; ``kappa`` is Cohen's kappa of the binary column); ``macro_f1``; ``kappa``:
        Cohen's kappa over the classes ``none + behaviors`` when no frame holds two behaviors
        in either annotation (else ``None``); ``n_frames``; ``per_recording``: one
        {behavior: f1} per recording (``None`` where neither annotator marks the behavior).
    """
    from ethoforge.evaluation.metrics import binary_f1

    a_list = _as_matrices(frames_a, behaviors, "A")
    b_list = _as_matrices(frames_b, behaviors, "B")
    if len(a_list) != len(b_list):
        raise InputError(f"annotator A has {len(a_list)} recordings but B has {len(b_list)}")
    for index, (a, b) in enumerate(zip(a_list, b_list)):
        if a.shape[0] != b.shape[0]:
            raise InputError(f"recording {index}: annotator A has {a.shape[0]} frames, B has {b.shape[0]}")
    a_all = np.concatenate(a_list)
    b_all = np.concatenate(b_list)
    per_behavior = {}
    for column, name in enumerate(behaviors):
        a, b = a_all[:, column], b_all[:, column]
        tp = int(np.count_nonzero(a & b))
        n_a, n_b = int(a.sum()), int(b.sum())
        per_behavior[name] = {
            "f1": binary_f1(a, b),
            "precision": tp / n_b if n_b else 0.0,
            "recall": tp / n_a if n_a else 0.0,
            "kappa": cohen_kappa(a, b, 2),
            "frames_a": n_a,
            "frames_b": n_b,
        }
    labels_a, labels_b = _class_labels(a_all), _class_labels(b_all)
    kappa = None
    if labels_a is not None and labels_b is not None and a_all.shape[0]:
        kappa = cohen_kappa(labels_a, labels_b, len(behaviors) + 1)
    return {
        "per_behavior": per_behavior,
        "macro_f1": float(np.mean([v["f1"] for v in per_behavior.values()])),
        "kappa": kappa,
        "n_frames": int(a_all.shape[0]),
        "per_recording": [
            {
                name: binary_f1(a[:, c], b[:, c]) if (a[:, c].any() or b[:, c].any()) else None
                for c, name in enumerate(behaviors)
            }
            for a, b in zip(a_list, b_list)
        ],
    }
