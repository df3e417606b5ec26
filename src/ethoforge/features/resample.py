"""Resampling in time: poses, per-frame targets and probabilities from one frame rate to another.

A model runs at one frame rate (its bundle's ``fps``): its windows and window statistics
count frames of that rate. A recording at another rate is resampled to the model's rate
first (`resample_poses`, linear in time, a lost keypoint stays lost), and the model's output
is brought back to the recording's frames (`resample_rows`).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import xarray as xr

RATE_TOLERANCE = 0.01  # rates within 1 % count as the same


def same_rate(a: float, b: float) -> bool:
    """True when the frame rates ``a`` and ``b`` differ by at most `RATE_TOLERANCE`."""
    return abs(float(a) - float(b)) <= RATE_TOLERANCE * max(float(a), float(b))


def resampled_length(n_frames: int, from_fps: float, to_fps: float) -> int:
    """Frames at ``to_fps`` covering the ``n_frames`` of a recording at ``from_fps`` (at least 1)."""
    return max(1, int(round(n_frames * float(to_fps) / float(from_fps))))


def _source_times(n_out: int, n_in: int, from_fps: float, to_fps: float) -> np.ndarray:
    """For each output frame, its position in input frames (clipped to the recording)."""
    return np.clip(np.arange(n_out) * (float(from_fps) / float(to_fps)), 0, n_in - 1)


def nearest_frame(index: int, n_in: int, from_fps: float, to_fps: float) -> int:
    """The frame of a recording at ``from_fps`` (``n_in`` frames) nearest in time to frame
    ``index`` at ``to_fps`` (as `resample_rows` with ``nearest`` picks it)."""
    return int(np.rint(np.clip(index * (float(from_fps) / float(to_fps)), 0, n_in - 1)))


def resample_rows(values: np.ndarray, n_out: int, from_fps: float, to_fps: float, *,
                  nearest: bool = False) -> np.ndarray:
    """``values (T, ...)`` at ``from_fps`` → ``(n_out, ...)`` at ``to_fps``.

    Linear interpolation in time (NaN where a neighbour is NaN), or the nearest frame with
    ``nearest`` (for class indices).
    """
    values = np.asarray(values)
    at = _source_times(n_out, len(values), from_fps, to_fps)
    if nearest:
        return values[np.rint(at).astype(np.int64)]
    low = np.floor(at).astype(np.int64)
    high = np.minimum(low + 1, len(values) - 1)
    weight = (at - low).reshape((-1,) + (1,) * (values.ndim - 1)).astype(np.float32)
    out = values[low] * (1 - weight) + values[high] * weight
    return out.astype(values.dtype if values.dtype.kind == "f" else np.float32, copy=False)


def resample_poses(poses: "xr.Dataset", from_fps: float, to_fps: float) -> "xr.Dataset":
    """The pose dataset at ``to_fps`` (linear in time; ``time`` renumbered 0..; ``attrs["fps"]`` set)."""
    import xarray as xr

    n_in = int(poses.sizes["time"])
    n_out = resampled_length(n_in, from_fps, to_fps)
    data: dict[Hashable, xr.DataArray | tuple[tuple[Hashable, ...], np.ndarray]] = {}
    for name, array in poses.data_vars.items():
        if "time" not in array.dims:
            data[name] = array
            continue
        moved = array.transpose("time", ...)
        values = resample_rows(np.asarray(moved.values, dtype=np.float32), n_out, from_fps, to_fps)
        data[name] = (moved.dims, values)
    coords = {k: v for k, v in poses.coords.items() if "time" not in v.dims}
    coords["time"] = np.arange(n_out)
    out = xr.Dataset(data, coords=coords, attrs=dict(poses.attrs))
    out.attrs["fps"] = float(to_fps)
    return out.transpose(*poses["position"].dims, ...) if "position" in poses else out


def common_rate(rates: list[float]) -> float:
    """The rate most of ``rates`` share (within `RATE_TOLERANCE`; a tie goes to the first listed)."""
    counts = [sum(same_rate(r, other) for other in rates) for r in rates]
    return float(rates[counts.index(max(counts))])


def rate_notes(rates: dict[str, float], model_fps: float) -> list[str]:
    """One note per recording whose rate is not ``model_fps`` (it is resampled to it)."""
    return [f"{name} is at {rate:g} fps, the model at {model_fps:g} fps: its poses and labels were resampled to "
            f"{model_fps:g} fps for training" for name, rate in rates.items() if not same_rate(rate, model_fps)]
