"""Bout-level metrics: match predicted to true bouts by temporal IoU.

Bouts are `ethoforge.labels.Bout`, frames ``[start, stop)`` 0-based half-open; the IoU of two
bouts is ``overlap / union`` in frames. Matching is **greedy by IoU**: within each
``(recording, agent, behavior)`` all pairs with ``IoU >= iou_threshold`` are taken in
descending IoU order (ties: earlier true bout, then earlier predicted bout), each bout matched
at most once. For thresholds above 0.5 and non-overlapping bouts of one behavior, a bout can
have at most one partner above the threshold, so greedy equals the optimal (Hungarian)
matching; at exactly 0.5 only exact ties can differ, which does not change the counts.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence

import numpy as np

from ethoforge.errors import InputError
from ethoforge.labels import Bout, BoutSource, frames_to_bouts


def labels_to_bouts(
    labels: np.ndarray,
    classes: Sequence[str],
    recording: str,
    *,
    agent: str | None = None,
    source: BoutSource = "manual",
    scores: np.ndarray | None = None,
) -> list[Bout]:
    """Bouts of every behavior from per-frame class indices ``(T,)``.

    Frames of class 0 (``"none"``) and negative values (unannotated) make no bout.
    ``scores`` ``(T, C)`` (e.g. probabilities) gives each bout the mean of its class column.
    """
    values = np.asarray(labels).reshape(-1)
    behaviors = list(classes[1:])
    onehot = values[:, None] == np.arange(1, len(classes))[None, :]
    bout_scores = None if scores is None else np.asarray(scores, dtype=float)[:, 1:]
    return frames_to_bouts(onehot, behaviors, recording, agent=agent, source=source, scores=bout_scores)


def bout_iou(a: Bout, b: Bout) -> float:
    """Temporal IoU of two bouts (frames ``[start, stop)``)."""
    overlap = min(a.stop, b.stop) - max(a.start, b.start)
    if overlap <= 0:
        return 0.0
    return overlap / (max(a.stop, b.stop) - min(a.start, b.start))


def match_bouts(true_bouts: Sequence[Bout], pred_bouts: Sequence[Bout], *, iou_threshold: float = 0.5) -> list[tuple[int, int, float]]:
    """Greedy one-to-one matching of bouts of one group; ``(true_index, pred_index, iou)`` triples."""
    order = sorted(range(len(pred_bouts)), key=lambda j: pred_bouts[j].start)
    starts = [pred_bouts[j].start for j in order]
    max_length = max((b.length for b in pred_bouts), default=0)
    candidates: list[tuple[float, int, int]] = []
    for i, t in enumerate(true_bouts):
        # predicted bouts that can overlap t start in [t.start - max_length, t.stop)
        k = bisect_left(starts, t.start - max_length)
        while k < len(order) and starts[k] < t.stop:
            j = order[k]
            iou = bout_iou(t, pred_bouts[j])
            if iou >= iou_threshold and iou > 0:
                candidates.append((-iou, i, j))
            k += 1
    candidates.sort()
    used_true: set[int] = set()
    used_pred: set[int] = set()
    matches = []
    for negative_iou, i, j in candidates:
        if i not in used_true and j not in used_pred:
            used_true.add(i)
            used_pred.add(j)
            matches.append((i, j, -negative_iou))
    return matches


def bout_metrics(
    true_bouts: Iterable[Bout],
    pred_bouts: Iterable[Bout],
    behaviors: Sequence[str],
    *,
    iou_threshold: float = 0.5,
) -> dict:
    """Per-behavior bout precision, recall and F1 from greedy IoU matching.

    Parameters
    ----------
    true_bouts, pred_bouts
        Bouts of any number of recordings; bouts match only within the same recording,
        agent and behavior. Bouts of behaviors not in ``behaviors`` are ignored.
    behaviors
        The behaviors to score (not ``"none"``).
    iou_threshold
        Minimum IoU (in (0, 1]) for a predicted bout to count as finding a true one.

    Returns
    -------
    dict
        ``per_behavior`` {name: {n_true, n_pred, matched, precision, recall, f1, mean_iou}}
        (precision/recall 0 when there is nothing to divide by; ``mean_iou`` over matches,
        ``None`` without any); ``macro_f1``, ``macro_precision``, ``macro_recall`` (mean over
        behaviors) and ``iou_threshold``.
    """
    if not 0.0 < iou_threshold <= 1.0:
        raise InputError(f"iou_threshold must be in (0, 1], got {iou_threshold}")
    wanted = set(behaviors)
    groups: dict[tuple, tuple[list[Bout], list[Bout]]] = {}
    for side, bouts in ((0, true_bouts), (1, pred_bouts)):
        for bout in bouts:
            if bout.behavior in wanted:
                groups.setdefault((bout.behavior, bout.recording, bout.agent), ([], []))[side].append(bout)
    counts = {name: {"n_true": 0, "n_pred": 0, "matched": 0, "iou_sum": 0.0} for name in behaviors}
    for (behavior, _, _), (truth, predicted) in groups.items():
        matches = match_bouts(truth, predicted, iou_threshold=iou_threshold)
        entry = counts[behavior]
        entry["n_true"] += len(truth)
        entry["n_pred"] += len(predicted)
        entry["matched"] += len(matches)
        entry["iou_sum"] += sum(iou for _, _, iou in matches)
    per_behavior = {}
    for name, entry in counts.items():
        matched, n_true, n_pred = entry["matched"], entry["n_true"], entry["n_pred"]
        precision = matched / n_pred if n_pred else 0.0
        recall = matched / n_true if n_true else 0.0
        per_behavior[name] = {
            "n_true": n_true,
            "n_pred": n_pred,
            "matched": matched,
            "precision": float(precision),
            "recall": float(recall),
            "f1": float(2 * matched / (n_true + n_pred)) if n_true + n_pred else 0.0,
            "mean_iou": float(entry["iou_sum"] / matched) if matched else None,
        }
    names = list(behaviors)

    def mean(key: str) -> float:
        return float(np.mean([per_behavior[n][key] for n in names])) if names else 0.0

    return {
        "per_behavior": per_behavior,
        "macro_f1": mean("f1"),
        "macro_precision": mean("precision"),
        "macro_recall": mean("recall"),
        "iou_threshold": float(iou_threshold),
    }
