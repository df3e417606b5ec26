"""Per-frame 0/1 label tables (CSV): generic ``frames`` tables and SimBA files.

One row per frame, one 0/1 column per behavior, a header row first. A table holds one
recording (``recording=``, default: the file stem) and no agent, target, annotator or
score: only which behavior is on at which frame. Overlapping or touching bouts of one
behavior merge into one bout when written.

``frames`` (e.g. ethome5 ``labels_frames``, BANOS/CalMS21 ``humanAnnotation_*.csv``):

- an optional frame column (``frame``, ``frames``, ``frame_index``, or an unnamed first
  column as pandas writes an index) holding strictly increasing frame numbers; frames the
  table skips are 0. Without it, row ``i`` is frame ``i``;
- every other column is a behavior, except the background columns ``other``, ``none`` and
  ``background`` (any case), which give no bouts (``behaviors=["other"]`` reads one anyway).

``simba`` (SimBA-style CSVs with poses, features and labels, e.g. ``crim13_simba_sample``):
behavior columns are those named ``<behavior>_prediction`` (read as ``<behavior>``), or,
in SimBA ``machine_results`` files, ``<behavior>`` columns beside ``Probability_<behavior>``.
For SimBA ``targets_inserted`` files, whose behavior columns carry no mark, pass
``behaviors=``. The frame column is ``frames`` if present. Written: ``frames`` then one
``<behavior>_prediction`` column per behavior.

Writing needs ``n_frames`` for trailing zero rows; without it the table ends at the last
bout's stop.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ethoforge.errors import InputError, option
from ethoforge.io.labels import (
    check_header_row,
    default_recording,
    read_text,
    single_recording,
    write_text_atomic,
)
from ethoforge.labels import Bout, bouts_to_frames, frames_to_bouts, validate_bouts

if TYPE_CHECKING:
    import pandas as pd

BACKGROUND_COLUMNS: tuple[str, ...] = ("other", "none", "background")
_FRAME_COLUMNS = ("frame", "frames", "frame_index", "")
_SIMBA_SUFFIX = "_prediction"


def load_frame_table(
    path: str | Path,
    *,
    fps: float | None = None,
    recording: str | None = None,
    n_frames: int | None = None,
    behaviors: Sequence[str] | None = None,
) -> list[Bout]:
    """Read a per-frame 0/1 table into bouts (``fps`` is not needed: rows are frames).

    Parameters
    ----------
    behaviors
        Columns to read (default: every column but the frame and background columns).

    Raises
    ------
    InputError
        Empty file, no header, a missing behavior column, a cell that is not 0 or 1, a frame
        column that does not increase, a table longer than ``n_frames``; the message names
        the file, the line and the column.
    """
    header = _header(path)
    frame_column = next((c for c in header if _plain(c) in _FRAME_COLUMNS), None)
    if behaviors is None:
        columns = [c for c in header if c != frame_column and c.strip().lower() not in BACKGROUND_COLUMNS]
        names = [c.strip() for c in columns]
    else:
        columns = _pick(header, behaviors, path, suffix=None)
        names = list(behaviors)
    if not columns:
        raise InputError(f"no behavior columns in header {header}; expected one 0/1 column per behavior",
                         path, "line 1")
    return _table_to_bouts(path, frame_column, columns, names, recording, n_frames, read_all=True)


def load_simba(
    path: str | Path,
    *,
    fps: float | None = None,
    recording: str | None = None,
    n_frames: int | None = None,
    behaviors: Sequence[str] | None = None,
) -> list[Bout]:
    """Read the 0/1 behavior columns of a SimBA CSV into bouts (see the module docstring)."""
    header = _header(path)
    frame_column = "frames" if "frames" in header else None
    if behaviors is not None:
        columns = _pick(header, behaviors, path, suffix=_SIMBA_SUFFIX)
        names = list(behaviors)
    else:
        columns = [c for c in header if c.endswith(_SIMBA_SUFFIX) and len(c) > len(_SIMBA_SUFFIX)]
        names = [c[: -len(_SIMBA_SUFFIX)] for c in columns]
        if not columns:
            columns = [c for c in header if f"Probability_{c}" in header]
            names = list(columns)
        if not columns:
            raise InputError(
                "no SimBA behavior columns: expected '<behavior>_prediction' columns, or "
                f"'<behavior>' beside 'Probability_<behavior>'; for other files pass {option('behaviors')}",
                path, "line 1",
            )
    return _table_to_bouts(path, frame_column, columns, names, recording, n_frames, read_all=False)


def save_frame_table(
    bouts: Sequence[Bout],
    path: str | Path,
    *,
    fps: float | None = None,
    n_frames: int | None = None,
    behaviors: Sequence[str] | None = None,
) -> None:
    """Write bouts of one recording as a ``frame`` column and one 0/1 column per behavior."""
    _save(bouts, path, n_frames, behaviors, frame_column="frame", suffix="")


def save_simba(
    bouts: Sequence[Bout],
    path: str | Path,
    *,
    fps: float | None = None,
    n_frames: int | None = None,
    behaviors: Sequence[str] | None = None,
) -> None:
    """Write bouts of one recording as ``frames`` and ``<behavior>_prediction`` 0/1 columns."""
    _save(bouts, path, n_frames, behaviors, frame_column="frames", suffix=_SIMBA_SUFFIX)


def _save(bouts, path, n_frames, behaviors, *, frame_column: str, suffix: str) -> None:
    import pandas as pd

    checked = validate_bouts(bouts, n_frames=n_frames, behaviors=behaviors, source=path)
    single_recording(checked, path)
    if n_frames is None:
        if not checked:
            raise InputError(f"no bouts to infer the table length from: pass {option('n_frames')}", path)
        n_frames = max(b.stop for b in checked)
    names = list(behaviors) if behaviors is not None else list(dict.fromkeys(b.behavior for b in checked))
    matrix = bouts_to_frames(checked, names, n_frames)
    table = pd.DataFrame(matrix, columns=[f"{n}{suffix}" for n in names])
    table.insert(0, frame_column, np.arange(n_frames, dtype=np.int64))
    buffer = io.StringIO()
    table.to_csv(buffer, index=False, lineterminator="\n")
    write_text_atomic(path, buffer.getvalue())


def _header(path: str | Path) -> list[str]:
    import pandas as pd

    text = read_text(path)
    try:
        header = list(pd.read_csv(io.StringIO(text), nrows=0).columns)
    except pd.errors.EmptyDataError:
        raise InputError("the file is empty; expected a header row then one row per frame", path, "line 1") from None
    check_header_row(header, path, 1, "column names such as 'frame,attack,investigation'")
    return header


def _pick(header: list[str], behaviors: Sequence[str], path, *, suffix: str | None) -> list[str]:
    columns = []
    for behavior in behaviors:
        candidates = [behavior] + ([f"{behavior}{suffix}"] if suffix else [])
        found = next((c for c in candidates if c in header), None)
        if found is None:
            raise InputError(f"no column for behavior {behavior!r}; the header has {header[:20]}", path, "line 1")
        columns.append(found)
    return columns


def _table_to_bouts(path, frame_column, columns, names, recording, n_frames, *, read_all: bool) -> list[Bout]:
    """Bouts from the 0/1 ``columns``; ``read_all`` parses every column (so rows with extra
    cells are caught), else only the needed ones (SimBA files hold hundreds of columns)."""
    import pandas as pd

    wanted = ([frame_column] if frame_column is not None else []) + list(columns)
    try:
        table = pd.read_csv(path, usecols=None if read_all else wanted, dtype=str, keep_default_na=False,
                            skip_blank_lines=False, encoding="utf-8-sig")
    except pd.errors.ParserError as error:
        match = re.search(r"line (\d+)", str(error))
        raise InputError(f"malformed row: {error}", path, f"line {match.group(1)}" if match else None) from None
    values = np.column_stack([_binary(table[c], c, path) for c in columns] or [np.zeros((len(table), 0))])
    if frame_column is not None:
        frames = _frame_numbers(table[frame_column], frame_column, path)
        length = int(frames[-1]) + 1 if len(frames) else 0
    else:
        frames = np.arange(len(table))
        length = len(table)
    if n_frames is not None:
        if length > n_frames:
            raise InputError(
                f"the table reaches frame {length - 1} but the recording has {n_frames} frames",
                path, f"line {int(np.searchsorted(frames, n_frames)) + 2}",
            )
        length = n_frames
    matrix = np.zeros((length, len(columns)), dtype=np.uint8)
    matrix[frames] = values
    return frames_to_bouts(matrix, names, recording or default_recording(path))


def _binary(column: pd.Series, name: str, path) -> np.ndarray:
    import pandas as pd

    text = column.str.strip()
    numbers = pd.to_numeric(text, errors="coerce")
    bad = numbers.isna() | ~numbers.isin([0, 1])
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        cell = text.iloc[row]
        what = "an empty cell (truncated row?)" if pd.isna(cell) or cell == "" else repr(cell)
        raise InputError(f"{what} where 0 or 1 was expected", path, f"line {row + 2}, column {name!r}")
    return numbers.to_numpy(dtype=np.uint8)


def _frame_numbers(column: pd.Series, name: str, path) -> np.ndarray:
    import pandas as pd

    numbers = pd.to_numeric(column.str.strip(), errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(numbers) & (numbers >= 0) & (numbers == np.round(numbers))
    if not ok.all():
        row = int(np.flatnonzero(~ok)[0])
        raise InputError(f"frame number {column.iloc[row]!r} is not a whole number >= 0",
                         path, f"line {row + 2}, column {name!r}")
    frames = numbers.astype(np.int64)
    steps = np.diff(frames)
    if (steps <= 0).any():
        row = int(np.flatnonzero(steps <= 0)[0]) + 1
        raise InputError(f"frame {frames[row]} does not follow frame {frames[row - 1]}; frames must increase",
                         path, f"line {row + 2}, column {name!r}")
    return frames


def _plain(name: str) -> str:
    text = name.strip().lower()
    return "" if text.startswith("unnamed: 0") else text
