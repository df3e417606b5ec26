"""Generated recordings with a known answer for the pretext tasks.

Two animals (nose, neck, tail) walk side by side on concentric circles at a constant angular
speed, so a partner shifted ahead in time is ahead on the circle, and a faster playback is a
faster walk: a small encoder can learn ``shift`` and ``warp`` almost perfectly.
"""

from __future__ import annotations

import numpy as np
import pytest

KEYPOINTS = ["nose", "neck", "tail"]


def make_recording(position: np.ndarray, name: str = "synthetic", fps: float = 30.0, individuals=None):
    """A `Recording` from ``position (T, I, K, 2)`` (confidence 1 everywhere)."""
    import xarray as xr

    from ethoforge.recording import Recording

    n_frames, n_ind, n_kp, _ = position.shape
    individuals = individuals or [f"m{i}" for i in range(n_ind)]
    poses = xr.Dataset(
        {
            "position": (("time", "space", "keypoint", "individual"), position.transpose(0, 3, 2, 1)),
            "confidence": (("time", "keypoint", "individual"), np.ones((n_frames, n_kp, n_ind), np.float32)),
        },
        coords={"time": np.arange(n_frames), "space": ["x", "y"], "keypoint": KEYPOINTS[:n_kp],
                "individual": individuals},
        attrs={"fps": fps},
    )
    return Recording(name, poses, fps)


def circling(n_frames: int = 2000, n_individuals: int = 2, omega: float = 0.05, seed: int = 0) -> np.ndarray:
    """``(T, I, 3, 2)``: animal ``i`` on a circle of radius ``100 + 40 i``, heading along it, tiny noise."""
    rng = np.random.default_rng(seed)
    angle = omega * np.arange(n_frames) + rng.uniform(0, 2 * np.pi)
    out = np.empty((n_frames, n_individuals, 3, 2), np.float32)
    for i in range(n_individuals):
        radius = 100.0 + 40.0 * i
        centre = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=-1) + 300.0
        tangent = np.stack([-np.sin(angle), np.cos(angle)], axis=-1)
        for k, offset in enumerate((8.0, 0.0, -8.0)):  # nose, neck, tail along the heading
            out[:, i, k] = centre + offset * tangent
    return out + rng.normal(0, 0.05, out.shape).astype(np.float32)


@pytest.fixture
def circling_recordings():
    return [make_recording(circling(seed=s), name=f"circle{s}") for s in range(2)]


@pytest.fixture
def one_animal_recording():
    return make_recording(circling(n_frames=400, n_individuals=1), name="alone")
