"""Poses on disk: one netCDF file per recording, written atomically (temp file + rename)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ethoforge.atomic import atomic_path

if TYPE_CHECKING:
    import xarray as xr

_METADATA_ATTR = "ethoforge_metadata"


def _netcdf_attrs(attrs: dict) -> dict:
    """Attributes netCDF can hold: drop ``None``, bools to int, paths and others to str."""
    clean: dict[str, object] = {}
    for key, value in attrs.items():
        if value is None:
            continue
        if isinstance(value, (bool, np.bool_)):
            clean[key] = int(value)
        elif isinstance(value, (str, int, float, np.integer, np.floating, np.ndarray)):
            clean[key] = value
        else:
            clean[key] = str(value)
    return clean


def write_poses(poses: "xr.Dataset", path: Path, metadata: dict | None = None) -> None:
    """Write ``poses`` to ``path`` as netCDF (h5netcdf); readers never see a partial file."""
    dataset = poses.copy()
    dataset.attrs = _netcdf_attrs(dataset.attrs)
    if metadata:
        dataset.attrs[_METADATA_ATTR] = json.dumps(metadata, default=str)
    for name in dataset.variables:
        dataset[name].attrs = _netcdf_attrs(dataset[name].attrs)
    with atomic_path(path) as temporary:
        dataset.to_netcdf(temporary, engine="h5netcdf")


def read_poses(path: Path) -> tuple["xr.Dataset", dict]:
    """Read poses written by `write_poses`: the dataset (in memory) and its metadata dict."""
    import xarray as xr

    with xr.open_dataset(path, engine="h5netcdf") as dataset:
        poses = dataset.load()
    metadata = json.loads(poses.attrs.pop(_METADATA_ATTR, "{}"))
    return poses, metadata
