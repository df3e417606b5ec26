"""MABe 2025 ("Social Action Recognition in Mice") tracking and annotation parquet files.

Tracking: one long parquet per video, columns ``video_frame, mouse_id, bodypart, x, y``
(an optional ``video_id`` column splits one file into several recordings; otherwise the file
stem names the recording). ``video_frame`` is the 0-based video frame: the recording spans
frames ``0 .. max(video_frame)`` and untracked points are NaN. Mice ``1, 2, ...`` are named
``mouse1, mouse2, ...``. MABe gives no per-point score: confidence is 1 where a point is
tracked and 0 where it is missing. No fps in the file: pass it (the competition's metadata
CSV lists it per video), else 30 is assumed.

Annotations: columns ``agent_id, target_id, action, start_frame, stop_frame``. We take
``stop_frame`` as **exclusive**, the same ``[start, stop)`` as our `Bout` (the competition's
scoring marks frames ``range(start_frame, stop_frame)``), and write it back the same way.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

import numpy as np

from ethoforge.errors import InputError
from ethoforge.labels import Bout, validate_bouts

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

TRACKING_COLUMNS: tuple[str, ...] = ("video_frame", "mouse_id", "bodypart", "x", "y")
ANNOTATION_COLUMNS: tuple[str, ...] = ("agent_id", "target_id", "action", "start_frame", "stop_frame")
_MOUSE = re.compile(r"^mouse(\d+)$")


def mouse_name(mouse_id: object) -> str:
    """``1`` → ``"mouse1"``; names that are not integers are kept as they are."""
    text = str(mouse_id).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return f"mouse{int(number)}" if number.is_integer() else text


def mouse_id(name: str | None) -> object:
    """Inverse of `mouse_name`: ``"mouse1"`` → ``1``; other names unchanged."""
    if name is None:
        return None
    match = _MOUSE.match(name)
    return int(match.group(1)) if match else name


def _read_parquet(path: Path, required: Sequence[str]) -> "pd.DataFrame":
    import pandas as pd
    import pyarrow

    if path.stat().st_size == 0:
        raise InputError("the file is empty; expected a parquet table", path)
    try:
        table = pd.read_parquet(path)
    except (OSError, ValueError, pyarrow.ArrowException) as error:
        raise InputError(f"not a readable parquet file: {error}", path) from None
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise InputError(
            f"missing column(s) {missing}; found {list(table.columns)}, expected {list(required)}", path, "header"
        )
    return table


def _numeric(table: "pd.DataFrame", column: str, path: Path, integer: bool = False) -> np.ndarray:
    import pandas as pd

    values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(values) & table[column].notna().to_numpy()
    if integer:
        bad |= np.isnan(values) | (values != np.round(values))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        kind = "a whole number" if integer else "a number"
        value = table[column].iloc[row]
        shown = repr(value) if isinstance(value, str) else str(value)
        raise InputError(f"{column} = {shown} is not {kind}", path, f"row {row + 1}")
    return values


def read_mabe_poses(path: str | Path) -> list[tuple[str, "xr.Dataset", float | None, dict]]:
    """Each video's poses in a MABe tracking parquet: ``(name, movement dataset, None, metadata)``."""
    path = Path(path)
    table = _read_parquet(path, TRACKING_COLUMNS)
    if len(table) == 0:
        raise InputError("the tracking table has no rows", path)
    if "video_id" in table.columns:
        groups = [(str(video), part.reset_index(drop=True)) for video, part in table.groupby("video_id", sort=False)]
    else:
        groups = [(path.stem, table)]
    return [(name, _poses_from_long(part, path), None, {"video_id": name}) for name, part in groups]


def _poses_from_long(table: "pd.DataFrame", path: Path) -> "xr.Dataset":
    import pandas as pd
    from movement.io import load_poses

    frames = _numeric(table, "video_frame", path, integer=True).astype(np.int64)
    if (frames < 0).any():
        row = int(np.flatnonzero(frames < 0)[0])
        raise InputError(f"video_frame {frames[row]} is negative; frames are 0-based", path, f"row {row + 1}")
    x = _numeric(table, "x", path)
    y = _numeric(table, "y", path)
    mice, mouse_index = np.unique(table["mouse_id"].astype(str).to_numpy(), return_inverse=True)
    bodyparts_codes, bodyparts = pd.factorize(table["bodypart"].astype(str), sort=False)
    individuals = [mouse_name(m) for m in mice]
    order = sorted(range(len(mice)), key=lambda i: (_MOUSE.match(individuals[i]) is None, individuals[i]))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    mouse_index = rank[mouse_index]
    individuals = [individuals[i] for i in order]
    key = (frames * len(bodyparts) + bodyparts_codes) * len(individuals) + mouse_index
    unique_keys, first = np.unique(key, return_index=True)
    if unique_keys.size != key.size:
        seen = np.zeros(key.size, dtype=bool)
        seen[first] = True
        row = int(np.flatnonzero(~seen)[0])
        raise InputError(
            f"frame {frames[row]}, mouse {table['mouse_id'].iloc[row]}, bodypart "
            f"{table['bodypart'].iloc[row]!r} appears twice", path, f"row {row + 1}",
        )
    n_frames = int(frames.max()) + 1
    position = np.full((n_frames, 2, len(bodyparts), len(individuals)), np.nan, dtype=np.float32)
    confidence = np.zeros((n_frames, len(bodyparts), len(individuals)), dtype=np.float32)
    position[frames, 0, bodyparts_codes, mouse_index] = x
    position[frames, 1, bodyparts_codes, mouse_index] = y
    confidence[frames, bodyparts_codes, mouse_index] = np.isfinite(x) & np.isfinite(y)
    return load_poses.from_numpy(
        position, confidence, individual_names=individuals, keypoint_names=[str(b) for b in bodyparts],
        fps=None, source_software="MABe",
    )


def load_mabe_labels(
    path: str | Path,
    *,
    fps: float | None = None,
    recording: str | None = None,
    n_frames: int | None = None,
) -> list[Bout]:
    """Bouts from a MABe annotation parquet (``stop_frame`` exclusive, see module docstring).

    Parameters
    ----------
    path
        Annotation parquet.
    fps
        Unused (frames are the unit); accepted for the label-format registry.
    recording
        Recording name for the bouts (default: the ``video_id`` column, else the file stem).
    n_frames
        When given, bouts must end by it.
    """
    path = Path(path)
    table = _read_parquet(path, ANNOTATION_COLUMNS)
    starts = _numeric(table, "start_frame", path, integer=True).astype(np.int64)
    stops = _numeric(table, "stop_frame", path, integer=True).astype(np.int64)
    videos = (
        table["video_id"].astype(str).to_numpy() if recording is None and "video_id" in table.columns
        else np.full(len(table), recording or path.stem, dtype=object)
    )
    bouts = []
    for row in range(len(table)):
        agent, target, action = table["agent_id"].iloc[row], table["target_id"].iloc[row], table["action"].iloc[row]
        if action is None or (isinstance(action, float) and np.isnan(action)) or not str(action).strip():
            raise InputError("empty action", path, f"row {row + 1}")
        bouts.append(Bout(
            recording=str(videos[row]),
            behavior=str(action),
            start=int(starts[row]),
            stop=int(stops[row]),
            agent=None if _missing(agent) else mouse_name(agent),
            target=None if _missing(target) else mouse_name(target),
        ))
    try:
        return validate_bouts(bouts, n_frames=n_frames, source=path)
    except InputError as error:  # name the table row ("bout 3 (...)" is row 3)
        parts = (error.location or "").split()
        where = f"row {parts[1]}" if len(parts) > 1 and parts[0] == "bout" and parts[1].isdigit() else error.location
        raise InputError(error.detail, path, where) from None


def _missing(value: object) -> bool:
    import pandas as pd

    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def save_mabe_labels(
    bouts: Iterable[Bout],
    path: str | Path,
    *,
    fps: float | None = None,
    n_frames: int | Mapping[str, int] | None = None,
    behaviors: Sequence[str] | None = None,
) -> None:
    """Write bouts as a MABe annotation parquet (``stop_frame`` exclusive).

    Agents/targets named ``mouseN`` are written as the integer ``N`` (MABe's ids). A
    ``video_id`` column is added when the bouts span several recordings or their one
    recording is not the file stem. ``behaviors`` keeps only those; ``n_frames`` (int or
    ``{recording: n}``) checks bouts end in time; ``fps`` is unused.
    """
    import pandas as pd

    path = Path(path)
    bouts = [b for b in bouts if behaviors is None or b.behavior in behaviors]
    for rec in {b.recording for b in bouts}:
        length = n_frames.get(rec) if isinstance(n_frames, Mapping) else n_frames
        validate_bouts([b for b in bouts if b.recording == rec], n_frames=length, source=path)
    bouts.sort(key=lambda b: (b.recording, b.start, b.stop, b.behavior))
    agents = [mouse_id(b.agent) for b in bouts]
    targets = [mouse_id(b.target) for b in bouts]
    frame = pd.DataFrame({
        "agent_id": _id_column(agents),
        "target_id": _id_column(targets),
        "action": pd.Series([b.behavior for b in bouts], dtype=object),
        "start_frame": np.array([b.start for b in bouts], dtype=np.int64),
        "stop_frame": np.array([b.stop for b in bouts], dtype=np.int64),
    })
    recordings = {b.recording for b in bouts}
    if recordings and recordings != {path.stem}:
        frame["video_id"] = [b.recording for b in bouts]
    from ethoforge.atomic import atomic_path

    with atomic_path(path) as temporary:
        frame.to_parquet(temporary, index=False)


def _id_column(values: list[object]) -> "pd.Series":
    import pandas as pd

    if all(isinstance(v, int) or v is None for v in values):
        return pd.Series(values, dtype="Int64")
    return pd.Series([None if v is None else str(v) for v in values], dtype=object)
