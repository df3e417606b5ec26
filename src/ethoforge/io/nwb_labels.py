"""Behavior bouts in NWB files, as a ``TimeIntervals`` table (default name ``behavior_bouts``).

Columns: ``start_time``, ``stop_time`` (seconds, ``frame / fps``) and ``recording``,
``behavior``, ``agent``, ``target``, ``source``, ``annotator``, ``score``, ``start_frame``,
``stop_frame`` (0-based, half-open ``[start_frame, stop_frame)``). The frame columns make a
round trip frame-exact; ``None`` is stored as ``""`` (text) or NaN (score) and read back
as ``None``. The table description records the fps.

Writing adds the table to ``path`` if it exists (an NWB file), else creates a new NWB file.
Reading takes the ``behavior_bouts`` table, or the one ``TimeIntervals`` table with a
``behavior`` (or ``label``) column; tables without frame columns are converted from seconds
with ``fps=`` (rounded half up).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from ethoforge.errors import InputError, option
from ethoforge.io.labels import check_bouts_at, check_fps, default_recording, seconds_to_frame
from ethoforge.labels import Bout, BoutSource, validate_bouts

TABLE_NAME = "behavior_bouts"
_TEXT_COLUMNS = {
    "recording": "recording the bout belongs to",
    "behavior": "behavior name",
    "agent": "individual doing the behavior ('' = none)",
    "target": "individual the behavior is directed at ('' = none)",
    "source": "manual, predicted or confirmed",
    "annotator": "who labelled the bout ('' = unknown)",
}


def save_nwb_labels(
    bouts: Sequence[Bout],
    path: str | Path,
    *,
    fps: float | None = None,
    n_frames: int | None = None,
    behaviors: Sequence[str] | None = None,
    table: str = TABLE_NAME,
) -> None:
    """Write bouts as a ``TimeIntervals`` table into a new or an existing NWB file.

    Raises
    ------
    InputError
        No ``fps`` (NWB times are seconds); the existing file already has a table ``table``
        or is not an NWB file.
    """
    from pynwb import NWBHDF5IO, NWBFile
    from pynwb.epoch import TimeIntervals

    checked = validate_bouts(bouts, n_frames=n_frames, behaviors=behaviors, source=path)
    if fps is None or not (fps > 0 and math.isfinite(fps)):
        raise InputError(f"NWB stores times in seconds: pass a positive {option('fps')} (got {fps!r})", path)
    intervals = TimeIntervals(
        name=table,
        description=f"behavior bouts, frames [start_frame, stop_frame) 0-based half-open; fps={fps!r}",
    )
    _fill(intervals, checked, fps)
    target = Path(path)
    if target.exists():
        try:
            with NWBHDF5IO(str(target), "a") as io:
                nwbfile = io.read()
                if table in nwbfile.intervals:
                    raise InputError(f"the NWB file already has an intervals table {table!r}; "
                                     "write to a new file or choose another table name", path)
                nwbfile.add_time_intervals(intervals)
                io.write(nwbfile)
        except InputError:
            raise
        except Exception as error:  # noqa: BLE001 - h5py/hdmf raise many types on non-NWB input
            raise InputError(f"cannot append to this file, is it NWB? ({type(error).__name__}: {error})",
                             path) from None
        return
    nwbfile = NWBFile(
        session_description="behavior labels written by EthoForge",
        identifier=str(uuid.uuid4()),
        session_start_time=datetime.now(UTC),
    )
    nwbfile.add_time_intervals(intervals)
    from ethoforge.atomic import atomic_path

    with atomic_path(target) as temporary, NWBHDF5IO(str(temporary), "w") as io:
        io.write(nwbfile)


def load_nwb_labels(
    path: str | Path,
    *,
    fps: float | None = None,
    recording: str | None = None,
    n_frames: int | None = None,
    table: str | None = None,
) -> list[Bout]:
    """Read bouts from an NWB ``TimeIntervals`` table (see the module docstring).

    ``recording=`` selects rows of that recording when the table has a ``recording`` column,
    else names the recording (default: the file stem).

    Raises
    ------
    InputError
        Not an NWB file; no fitting table; seconds without fps; ``fps=`` that contradicts the
        table's frames; bad bouts (naming the table row).
    """
    from pynwb import NWBHDF5IO

    source = Path(path)
    if not source.is_file():
        raise InputError("file not found", path)
    try:
        with NWBHDF5IO(str(source), "r") as io:
            nwbfile = io.read()
            frame = _find_table(nwbfile, table, path).to_dataframe()
    except InputError:
        raise
    except Exception as error:  # noqa: BLE001 - h5py/hdmf raise many types on non-NWB input
        raise InputError(f"not a readable NWB file ({type(error).__name__}: {error})", path) from None

    behavior_column = "behavior" if "behavior" in frame.columns else "label"
    has_frames = "start_frame" in frame.columns and "stop_frame" in frame.columns
    if has_frames and fps is not None:
        for row_number, row in enumerate(frame.itertuples(index=False), start=1):
            for seconds, stored in ((row.start_time, row.start_frame), (row.stop_time, row.stop_frame)):
                if abs(seconds * fps - stored) > 0.5:
                    raise InputError(
                        f"fps contradictory: {option('fps', fps)} puts {seconds:g} s at frame "
                        f"{seconds_to_frame(seconds, fps)}, the table says frame {stored}",
                        path, f"table row {row_number}",
                    )
    rate = 0.0 if has_frames else check_fps(fps, None, path)

    bouts, where = [], []
    for row_number, row in enumerate(frame.to_dict("records"), start=1):
        name = _text(row.get("recording")) or recording or default_recording(path)
        if recording is not None and name != recording:
            continue
        if has_frames:
            start, stop = int(row["start_frame"]), int(row["stop_frame"])
        else:
            start, stop = seconds_to_frame(row["start_time"], rate), seconds_to_frame(row["stop_time"], rate)
        score = row.get("score")
        bouts.append(Bout(
            recording=name, behavior=str(row[behavior_column]), start=start, stop=stop,
            agent=_text(row.get("agent")), target=_text(row.get("target")),
            source=cast(BoutSource, _text(row.get("source")) or "manual"), annotator=_text(row.get("annotator")),
            score=None if score is None or (isinstance(score, float) and math.isnan(score)) else float(score),
        ))
        where.append(f"table row {row_number}")
    return check_bouts_at(bouts, where, path, n_frames=n_frames)


def _fill(intervals, bouts: Sequence[Bout], fps: float) -> None:
    """Add the bout columns (typed, so that an empty table can be written) and one row per bout."""
    import h5py
    import numpy as np

    columns = {name: (description, h5py.string_dtype()) for name, description in _TEXT_COLUMNS.items()}
    columns["score"] = ("confidence of a predicted bout (NaN = none)", np.float64)
    columns["start_frame"] = ("first frame of the bout (0-based)", np.int64)
    columns["stop_frame"] = ("first frame after the bout (exclusive)", np.int64)
    for name, (description, dtype) in columns.items():
        if bouts:
            intervals.add_column(name=name, description=description)
        else:
            intervals.add_column(name=name, description=description, data=np.array([], dtype=dtype))
    for bout in bouts:
        intervals.add_row(
            start_time=bout.start / fps, stop_time=bout.stop / fps,
            **{name: getattr(bout, name) or "" for name in _TEXT_COLUMNS},
            score=math.nan if bout.score is None else float(bout.score),
            start_frame=int(bout.start), stop_frame=int(bout.stop),
        )


def _find_table(nwbfile, table: str | None, path):
    intervals = dict(nwbfile.intervals) if nwbfile.intervals else {}
    if table is not None or TABLE_NAME in intervals:
        name = table or TABLE_NAME
        if name not in intervals:
            raise InputError(f"no intervals table {name!r}; the file has {sorted(intervals)}", path)
        return intervals[name]
    fitting = [t for t in intervals.values() if {"behavior", "label"} & set(t.colnames)]
    if len(fitting) != 1:
        raise InputError(
            f"expected one TimeIntervals table with a 'behavior' column, found {len(fitting)} "
            f"among {sorted(intervals)}; name it with {option('table')}", path,
        )
    return fitting[0]


def _text(value) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = value.decode() if isinstance(value, bytes) else str(value)
    return text or None
