"""Pose tracks for pretraining and the features of pretext windows.

A track is one recording in the feature spec's layout, cleaned as `compute_features` cleans
(low-confidence keypoints masked, short gaps interpolated), with a third channel that says
whether the keypoint was observed: ``(N, I, K, 3)`` float32. Pretext transforms move that
channel with the positions, so the ``visibility`` features of a window stay true.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ethoforge.features.cleaning import fill_nan, interpolate_gaps, mask_low_confidence
from ethoforge.features.compute import frame_features, select_layout

if TYPE_CHECKING:
    from ethoforge.features import FeatureSpec
    from ethoforge.recording import Recording
    from ethoforge.ssl.pretext import Sample
    from ethoforge.bundles.normalise import Normalisation


def track_of(position: np.ndarray, confidence: np.ndarray | None, spec: FeatureSpec) -> np.ndarray:
    """``(N, I, K, 3)`` float32: cleaned x, y and an observed flag (1/0) from ``position (N, I, K, 2)``."""
    observed = ~np.isnan(position).any(axis=-1)
    if confidence is not None:
        observed &= ~(np.asarray(confidence) < spec.confidence_threshold)
    clean = interpolate_gaps(mask_low_confidence(position, confidence, spec.confidence_threshold), spec.max_gap)
    return np.concatenate([clean, observed[..., None].astype(np.float32)], axis=-1).astype(np.float32)


def recording_track(recording: Recording, spec: FeatureSpec) -> np.ndarray:
    """The track of a recording (layout by name, as the spec says)."""
    position, confidence = select_layout(recording.poses, spec)
    return track_of(position, confidence, spec)


@dataclass
class WindowFeaturizer:
    """Normalised features ``(T, F)`` of a window ``(T, I, K, 3)``, and the columns hidden cells decide."""

    spec: Any
    normalisation: Normalisation
    fps: float
    names: list[str]

    def __post_init__(self) -> None:
        self._unfilled = self.spec.model_copy(update={"max_gap": 0})  # a hidden cell stays NaN

    def __call__(self, window: np.ndarray) -> np.ndarray:
        return self.normalisation.apply(fill_nan(self._raw(window, self.spec)))

    def _raw(self, window: np.ndarray, spec: Any) -> np.ndarray:
        blocks, _ = frame_features(window[..., :2], window[..., 2], spec, self.fps)
        return np.concatenate(blocks, axis=1)

    def batch(self, samples: Sequence[Sample]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """``(features (B, T, F), labels (B,), hidden (B, T, F) or None)`` of pretext samples.

        ``hidden`` (``mask`` samples): see `hidden_columns`.
        """
        features = np.stack([self(s.window) for s in samples])
        labels = np.array([s.label for s in samples], dtype=np.int64)
        if samples[0].mask is None:
            return features, labels, None
        hidden = np.stack([self.hidden_columns(s.window, s.mask) for s in samples])  # type: ignore[arg-type]
        return features, labels, hidden

    def hidden_columns(self, window: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """``(T, F)`` bool: the feature cells that hidden keypoint × frame cells of ``mask (T, I, K)`` decide.

        Found by computing the features again with those cells missing (and not interpolated):
        a cell is hidden when its value changes or becomes undefined — the keypoint's own columns,
        but also the body centre and axis, velocities of neighbouring frames, distances to the
        other animal and positions in the partner's frame. A visible column has the same value
        whatever the hidden keypoints did, so none gives them away.
        """
        unseen = np.array(window, dtype=np.float32, copy=True)
        unseen[mask, :2] = np.nan
        unseen[mask, 2] = 0.0
        without, full = self._raw(unseen, self._unfilled), self._raw(window, self._unfilled)
        return ~((without == full) | (np.isnan(without) & np.isnan(full)))
