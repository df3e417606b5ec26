"""Feature normalisation fitted on the training recordings and stored in the model bundle.

``zscore``: ``(x - mean) / std``. ``robust`` (default): first squash heavy tails, then
z-score — non-negative features (distances, speeds) become ``log1p(x / median)`` and signed
ones ``asinh(x / (1.4826 · MAD))``. Pose features have tracking glitches (speeds of 10⁴ px/s,
distances across the image) that would otherwise compress the useful range near contact to
a sliver of the z-scored axis. ``none`` (default of the tree family, whose splits do not
care about monotonic rescaling) leaves values as they are. Non-finite values become 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np

NormalisationKind = Literal["zscore", "robust", "none"]
APPLY_ROWS = 32  # rows per block of `Normalisation.apply`


@dataclass
class Normalisation:
    """Per-feature transform: optional ``scale`` + log/asinh squashing, then ``(y - mean) / std``."""

    mean: np.ndarray
    std: np.ndarray
    kind: NormalisationKind = "zscore"
    scale: np.ndarray | None = None  # robust only: x / scale before squashing
    log: np.ndarray | None = None  # robust only: True → log1p (non-negative feature), False → asinh

    def apply(self, values: np.ndarray) -> np.ndarray:
        """Normalised ``(T, F)`` float32, finite (computed in cache-sized row blocks: ~2x faster)."""
        x = np.asarray(values, dtype=np.float32)
        if self.kind == "none":
            return np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
        if x.ndim != 2 or len(x) <= APPLY_ROWS:
            return self._apply_block(x)
        out = np.empty(x.shape, np.float32)
        for row in range(0, len(x), APPLY_ROWS):
            out[row : row + APPLY_ROWS] = self._apply_block(x[row : row + APPLY_ROWS])
        return out

    def _apply_block(self, x: np.ndarray) -> np.ndarray:
        if self.kind == "robust":
            x = _squash(x, *self._robust_parts())
        out = (x - self.mean) / self.std
        return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32, copy=False)

    def to_dict(self) -> dict:
        """JSON-ready dict (``mean``, ``std`` and, for ``robust``, ``scale`` and ``log``)."""
        out = {"kind": self.kind, "mean": self.mean.tolist(), "std": self.std.tolist()}
        if self.kind == "robust":
            scale, log = self._robust_parts()
            out.update(scale=scale.tolist(), log=log.astype(bool).tolist())
        return out

    def _robust_parts(self) -> tuple[np.ndarray, np.ndarray]:
        """``(scale, log)`` of a ``robust`` normalisation, which cannot work without them."""
        if self.scale is None or self.log is None:
            raise ValueError("a 'robust' normalisation needs both 'scale' and 'log'")
        return self.scale, self.log

    @classmethod
    def from_dict(cls, value: dict) -> "Normalisation":
        kind = value.get("kind", "zscore")
        scale = np.asarray(value["scale"], np.float32) if kind == "robust" else None
        log = np.asarray(value["log"], bool) if kind == "robust" else None
        return cls(np.asarray(value["mean"], np.float32), np.asarray(value["std"], np.float32), kind, scale, log)

    @classmethod
    def identity(cls, n_features: int) -> "Normalisation":
        """Leaves features as they are (for data that is already normalised)."""
        return cls(np.zeros(n_features, np.float32), np.ones(n_features, np.float32))


def _squash(x: np.ndarray, scale: np.ndarray, log: np.ndarray) -> np.ndarray:
    y = x / scale
    with np.errstate(invalid="ignore"):
        return np.where(log, np.log1p(np.maximum(y, 0.0)), np.arcsinh(y)).astype(np.float32)


def fit_normalisation(matrices: Sequence[np.ndarray], kind: NormalisationKind = "robust") -> Normalisation:
    """Fit a `Normalisation` on the finite values of ``matrices`` (each ``(T, F)``)."""
    if kind == "none":
        n_features = int(np.asarray(matrices[0]).shape[1]) if len(matrices) else 0
        return Normalisation(np.zeros(n_features, np.float32), np.ones(n_features, np.float32), "none")
    stacked = np.concatenate([np.asarray(m, dtype=np.float64) for m in matrices], axis=0)
    stacked = np.where(np.isfinite(stacked), stacked, np.nan)
    scale = log = None
    if kind == "robust":
        with np.errstate(all="ignore"):
            minimum = np.nanmin(stacked, axis=0)
            median = np.nanmedian(stacked, axis=0)
            mad = 1.4826 * np.nanmedian(np.abs(stacked - median), axis=0)
            fallback = np.nanstd(stacked, axis=0)
        log = np.nan_to_num(minimum, nan=-1.0) >= 0
        scale = np.where(log, median, mad)
        scale = np.where(np.isfinite(scale) & (scale > 1e-8), scale, fallback)
        scale = np.where(np.isfinite(scale) & (scale > 1e-8), scale, 1.0).astype(np.float32)
        stacked = _squash(stacked, scale, log).astype(np.float64)
    with np.errstate(all="ignore"):
        mean = np.nan_to_num(np.nanmean(stacked, axis=0), nan=0.0)
        std = np.nanstd(stacked, axis=0)
    std = np.where(np.isfinite(std) & (std > 1e-8), std, 1.0)
    return Normalisation(mean.astype(np.float32), std.astype(np.float32), kind, scale, log)
