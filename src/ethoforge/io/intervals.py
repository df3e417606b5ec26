"""Interval CSV, EthoForge's own bout table: one row per bout, frames ``[start, stop)``.

Columns (header row required, order free, extra columns ignored)::

    recording, behavior, start, stop, agent, target, source, annotator, score

- ``start``/``stop`` are 0-based frames, ``stop`` exclusive. ``start_frame``/``stop_frame``
  are accepted as synonyms; ``start_s``/``stop_s`` (seconds) are accepted with ``fps``
  and rounded half up to frames.
- ``recording`` may be missing: then every bout belongs to ``recording=`` (default: the file
  stem). When the column is there and ``recording=`` is given, only that recording's rows
  are returned.
- Other tables (e.g. ``from, to, type`` in seconds) read through ``columns``, a mapping of
  their column names to these: ``{"from": "start_s", "to": "stop_s", "type": "behavior"}``
  (``--columns from=start_s,to=stop_s,type=behavior`` on the command line).
- Empty cells are ``None`` (so an empty-string agent reads back as ``None``); ``source``
  defaults to ``"manual"``.

Writing uses every `Bout` field, so a round trip is lossless.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from ethoforge.errors import InputError, option
from ethoforge.io.labels import (
    check_bouts_at,
    check_fps,
    check_header_row,
    default_recording,
    read_text,
    seconds_to_frame,
    write_text_atomic,
)
from ethoforge.labels import BOUT_COLUMNS, Bout, bouts_from_dataframe, bouts_to_dataframe, validate_bouts

_FRAME_COLUMNS = (("start", "stop"), ("start_frame", "stop_frame"))
_SECOND_COLUMNS = ("start_s", "stop_s")
MAPPABLE_COLUMNS: tuple[str, ...] = (*BOUT_COLUMNS, "start_frame", "stop_frame", *_SECOND_COLUMNS)
"""The names a ``columns`` mapping may give a file's columns."""


def load_intervals(
    path: str | Path,
    *,
    fps: float | None = None,
    recording: str | None = None,
    n_frames: int | None = None,
    columns: Mapping[str, str] | None = None,
) -> list[Bout]:
    """Read an interval CSV into bouts (see the module docstring for the columns).

    ``columns`` maps the file's column names to ours (`MAPPABLE_COLUMNS`), e.g.
    ``{"from": "start_s", "to": "stop_s", "type": "behavior"}``; unmapped columns keep their names.

    Raises
    ------
    InputError
        Empty file, no header, missing columns, a row with the wrong number of fields,
        non-numeric frames or score, ``stop <= start``, a bout past ``n_frames``; the
        message names the file and the line.
    """
    import pandas as pd

    rows = _read_rows(path)
    header_line, header = rows[0]
    if columns:
        header = _mapped_header(header, columns, path, header_line)
    index = {name: i for i, name in enumerate(header)}
    start_col, stop_col, in_seconds = _time_columns(index, header, path, header_line)
    if "behavior" not in index:
        raise InputError(f"no 'behavior' column; expected columns {list(BOUT_COLUMNS)}", path, f"line {header_line}")
    rate = check_fps(fps, None, path, f"line {header_line}") if in_seconds else 0.0

    records, lines = [], []
    for line, row in rows[1:]:
        if len(row) != len(header):
            raise InputError(
                f"{len(row)} fields but the header has {len(header)} (truncated or extra cells?)",
                path, f"line {line}",
            )
        cells = {name: (row[i].strip() or None) for name, i in index.items()}
        if "recording" in index:
            if cells["recording"] is None:
                raise InputError("empty 'recording' cell", path, f"line {line}")
            if recording is not None and cells["recording"] != recording:
                continue
        if cells["behavior"] is None:
            raise InputError("empty 'behavior' cell", path, f"line {line}")
        start = _number(cells[start_col], start_col, path, line, whole=not in_seconds)
        stop = _number(cells[stop_col], stop_col, path, line, whole=not in_seconds)
        if in_seconds:
            start, stop = seconds_to_frame(start, rate), seconds_to_frame(stop, rate)
        if cells.get("score") is not None:
            _number(cells["score"], "score", path, line, whole=False)
        records.append({
            **{name: cells.get(name) for name in BOUT_COLUMNS},
            "recording": cells.get("recording") or recording or default_recording(path),
            "start": int(start),
            "stop": int(stop),
        })
        lines.append(f"line {line}")

    if recording is not None and "recording" in index and not records and len(rows) > 1:
        present = sorted({row[index["recording"]] for _, row in rows[1:]})
        raise InputError(f"no bouts of recording {recording!r}; the file has {present[:10]}", path)
    bouts = bouts_from_dataframe(pd.DataFrame(records, columns=list(BOUT_COLUMNS)), path)
    return check_bouts_at(bouts, lines, path, n_frames=n_frames)


def save_intervals(
    bouts: Sequence[Bout],
    path: str | Path,
    *,
    fps: float | None = None,
    n_frames: int | None = None,
    behaviors: Sequence[str] | None = None,
) -> None:
    """Write bouts as an interval CSV with every `Bout` field (``fps`` is not needed)."""
    checked = validate_bouts(bouts, n_frames=n_frames, behaviors=behaviors, source=path)
    table = bouts_to_dataframe(checked)
    buffer = io.StringIO()
    table.to_csv(buffer, index=False, lineterminator="\n")
    write_text_atomic(path, buffer.getvalue())


def _mapped_header(header: list[str], columns: Mapping[str, str], path, line: int) -> list[str]:
    """The header with the file's column names replaced by ours as ``columns`` says."""
    unknown = [name for name in columns if name not in header]
    if unknown:
        raise InputError(f"{option('columns')} names column(s) {unknown} the file does not have; its header is "
                         f"{header}", path, f"line {line}")
    wrong = [target for target in columns.values() if target not in MAPPABLE_COLUMNS]
    if wrong:
        raise InputError(f"{option('columns')} maps to {wrong}; expected some of {list(MAPPABLE_COLUMNS)}", path)
    mapped = [columns.get(name, name) for name in header]
    twice = sorted({name for name in mapped if name and mapped.count(name) > 1})
    if twice:
        raise InputError(f"after {option('columns')} the header has {twice} twice: {mapped}", path, f"line {line}")
    return mapped


def _read_rows(path: str | Path) -> list[tuple[int, list[str]]]:
    """Non-blank CSV rows with the 1-based line each starts on; the first must be a header."""
    text = read_text(path)
    reader = csv.reader(io.StringIO(text))
    rows: list[tuple[int, list[str]]] = []
    line = 1
    for row in reader:
        if any(cell.strip() for cell in row):
            rows.append((line, [cell.strip() for cell in row]))
        line = reader.line_num + 1
    if not rows:
        raise InputError("the file is empty; expected a header row then data rows", path, "line 1")
    first_line, header = rows[0]
    check_header_row(header, path, first_line, f"columns {list(BOUT_COLUMNS)}")
    return rows


def _time_columns(columns: dict[str, int], header: list[str], path, line: int) -> tuple[str, str, bool]:
    for start, stop in _FRAME_COLUMNS:
        if start in columns and stop in columns:
            return start, stop, False
    if all(name in columns for name in _SECOND_COLUMNS):
        return _SECOND_COLUMNS[0], _SECOND_COLUMNS[1], True
    raise InputError(
        f"no start/stop columns in header {header}; expected 'start, stop' (frames), "
        "'start_frame, stop_frame' or 'start_s, stop_s' (seconds, with fps)",
        path, f"line {line}",
    )


def _number(text: str | None, column: str, path, line: int, *, whole: bool) -> float:
    expected = "a whole frame number" if whole else "a number"
    if text is None:
        raise InputError(f"empty {column!r} cell; expected {expected}", path, f"line {line}, column {column!r}")
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or (whole and value != int(value)):
        hint = ""
        if math.isfinite(value):
            hint = f" (times in seconds? name the columns start_s and stop_s, e.g. {option('columns', {'from': 'start_s', 'to': 'stop_s'})})"
        raise InputError(f"{column!r} is {text!r}; expected {expected}{hint}", path, f"line {line}, column {column!r}")
    return value
