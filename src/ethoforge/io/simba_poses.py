"""Poses from SimBA CSVs: the ``<bodypart>_x``, ``<bodypart>_y``, ``<bodypart>_p`` columns.

SimBA's input, outlier-corrected, feature and target files (e.g. ``crim13_simba_sample``)
carry the pose as column triplets beside hundreds of feature and label columns, one header
row, one row per frame (a ``frames`` column, if any, is not needed: rows are frames in order).
Every triplet whose three columns are present is a keypoint; other columns are ignored.

Animals: SimBA numbers body parts per animal (``Nose_1``, ``Nose_2``); when every keypoint name
ends in ``_<n>`` they are grouped into individuals ``animal_<n>`` holding the keypoints without
the suffix (``Nose``), else there is one individual, ``individual_0``. ``_p`` is the
confidence. The file carries no frame rate (it is in SimBA's ``video_info.csv``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ethoforge.errors import InputError

if TYPE_CHECKING:
    import xarray as xr

_ANIMAL = re.compile(r"^(?P<part>.+)_(?P<animal>\d+)$")


def simba_keypoint_columns(header: list[str]) -> list[str]:
    """The body parts of a SimBA header: names ``b`` with ``b_x``, ``b_y`` and ``b_p`` columns, in order."""
    names = set(header)
    return [c[:-2] for c in header if c.endswith("_x") and f"{c[:-2]}_y" in names and f"{c[:-2]}_p" in names]


def read_simba_poses(path: str | Path, fps: float | None = None) -> tuple["xr.Dataset", float | None]:
    """A SimBA CSV's pose columns → a dataset with singular dims (and no fps: the file has none).

    Raises
    ------
    InputError
        No ``_x/_y/_p`` triplets, or a cell that is not a number (names the line and column).
    """
    import pandas as pd
    import xarray as xr

    path = Path(path)
    try:
        header = list(pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read as a SimBA CSV: {error}", path, "line 1") from None
    parts = simba_keypoint_columns(header)
    if not parts:
        raise InputError(f"no SimBA pose columns: expected '<bodypart>_x', '_y' and '_p' triplets; the header starts "
                         f"{header[:6]}", path, "line 1")
    wanted = [f"{part}_{axis}" for part in parts for axis in "xyp"]
    try:
        table = pd.read_csv(path, usecols=wanted, encoding="utf-8-sig")[wanted]
    except (pd.errors.ParserError, ValueError) as error:
        raise InputError(f"malformed SimBA CSV: {error}", path) from None
    values = table.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.isnan(values) & table.notna().to_numpy()
    if bad.any():
        row, column = (int(i) for i in np.argwhere(bad)[0])
        raise InputError(f"{table.iat[row, column]!r} where a number was expected", path,
                         f"line {row + 2}, column {wanted[column]!r}")
    individuals, keypoints, slots = _layout(parts)
    n_frames = len(table)
    position = np.full((n_frames, 2, len(keypoints), len(individuals)), np.nan)
    confidence = np.full((n_frames, len(keypoints), len(individuals)), np.nan)
    triplets = values.reshape(n_frames, len(parts), 3)
    for index, (individual, keypoint) in enumerate(slots):
        position[:, :, keypoint, individual] = triplets[:, index, :2]
        confidence[:, keypoint, individual] = triplets[:, index, 2]
    dataset = xr.Dataset(
        {"position": (("time", "space", "keypoint", "individual"), position),
         "confidence": (("time", "keypoint", "individual"), confidence)},
        coords={"time": np.arange(n_frames), "space": ["x", "y"], "keypoint": keypoints, "individual": individuals},
        attrs={"source_software": "SimBA"},
    )
    return dataset, None


def _layout(parts: list[str]) -> tuple[list[str], list[str], list[tuple[int, int]]]:
    """Individuals, keypoints and each body part's ``(individual, keypoint)`` index."""
    matches = [_ANIMAL.match(part) for part in parts]
    if not all(matches):
        return ["individual_0"], list(parts), [(0, k) for k in range(len(parts))]
    animals = list(dict.fromkeys(f"animal_{m['animal']}" for m in matches if m))
    keypoints = list(dict.fromkeys(m["part"] for m in matches if m))
    slots = [(animals.index(f"animal_{m['animal']}"), keypoints.index(m["part"])) for m in matches if m]
    return animals, keypoints, slots
