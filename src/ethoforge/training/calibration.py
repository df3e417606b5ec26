"""Temperature scaling: one scalar ``T`` so that ``softmax(logits / T)`` has the lowest NLL.

Fitted on the validation set; it does not change the argmax, only how confident the
probabilities are (which matters for thresholds and review queues).
"""

from __future__ import annotations

import numpy as np


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax (float64, stable)."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def nll(logits: np.ndarray, targets: np.ndarray, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood of ``targets`` (``-1`` ignored) under ``softmax(logits / T)``."""
    keep = np.asarray(targets) >= 0
    if not keep.any():
        return float("nan")
    log_p = log_softmax(np.asarray(logits)[keep] / temperature)
    return float(-log_p[np.arange(keep.sum()), np.asarray(targets)[keep]].mean())


def fit_temperature(logits: np.ndarray, targets: np.ndarray, *, bounds: tuple[float, float] = (0.05, 20.0)) -> float:
    """Temperature minimising `nll` (golden-section search over ``log T`` within ``bounds``).

    Returns 1.0 when no frame is annotated.
    """
    keep = np.asarray(targets) >= 0
    if not keep.any():
        return 1.0
    logits, targets = np.asarray(logits)[keep], np.asarray(targets)[keep]
    if len(targets) > 200_000:  # a fixed subsample keeps this fast on long validation sets
        pick = np.random.default_rng(0).choice(len(targets), 200_000, replace=False)
        logits, targets = logits[pick], targets[pick]

    def loss(log_t: float) -> float:
        return nll(logits, targets, float(np.exp(log_t)))

    low, high = np.log(bounds[0]), np.log(bounds[1])
    ratio = (np.sqrt(5.0) - 1.0) / 2.0
    a, b = high - ratio * (high - low), low + ratio * (high - low)
    fa, fb = loss(a), loss(b)
    for _ in range(60):
        if fa < fb:
            high, b, fb = b, a, fa
            a = high - ratio * (high - low)
            fa = loss(a)
        else:
            low, a, fa = a, b, fb
            b = low + ratio * (high - low)
            fb = loss(b)
    best = float(np.exp((low + high) / 2.0))
    return best if loss(np.log(best)) <= loss(0.0) else 1.0
