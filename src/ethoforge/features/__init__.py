"""Pose features: pure functions from a pose dataset to a ``(T, F)`` float32 matrix.

- `cleaning`: mask low-confidence keypoints, interpolate short gaps;
- `egocentric`: body centre, heading, keypoints in the body frame;
- `motion`: velocity, speed, acceleration, turning rate (per second);
- `social`: distances, relative heading and facing between every pair of animals;
- `windows`: centred rolling mean / std / min / max (for the tree model);
- `compute`: `compute_features` runs the steps a `FeatureSpec` asks for.

Normalisation lives in `ethoforge.bundles.normalise` (fitted on training data, stored in the bundle).
"""

from ethoforge.features.compute import (
    compute_features,
    compute_window_features,
    select_layout,
)
from ethoforge.features.spec import (
    FEATURE_GROUPS,
    GBDT_WINDOW_SIZES,
    FeatureMatrix,
    FeatureSpec,
)

__all__ = [
    "FEATURE_GROUPS", "GBDT_WINDOW_SIZES", "FeatureMatrix", "FeatureSpec",
    "compute_features", "compute_window_features", "select_layout",
]
