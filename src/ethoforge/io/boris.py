"""BORIS event exports (CSV or TSV), read and written as bouts.

Read, in any of the layouts BORIS has written (the header row is found by its column names,
so metadata lines above it are skipped):

- **tabular events**, BORIS < 8: metadata lines (``Observation id``, ``Media file(s)``,
  ``Player #1``, ...) then ``Time, Media file path, Total length, FPS, Subject, Behavior,
  Behavioral category, Comment, Status`` with one ``START``/``STOP`` (or ``POINT``) row per
  event;
- **tabular events**, BORIS >= 8: one header row ``Observation id, ..., Source, ..., FPS,
  Subject, Behavior, Behavioral category, [Modifier #1 ...], Behavior type, Time,
  Media file name, ...`` where ``Behavior type`` holds ``START``/``STOP``/``POINT``;
- **aggregated events**: one row per bout with ``Start (s)``, ``Stop (s)`` and ``Behavior
  type`` ``STATE``/``POINT`` (also ``State event``/``Point event``); ``FPS`` or
  ``FPS (frame/s)``; ``Media file``/``Media file name``/``Source``.

Conversions:

- seconds → frames with the recording's fps, rounded half up: ``start = round(t_start * fps)``,
  ``stop = round(t_stop * fps)`` (`ethoforge.io.labels.seconds_to_frame`); ``rounding="floor"``
  takes the frame on screen instead (``floor(t * fps)``, which is how the ethome5 per-frame
  labels were made from these BORIS files: all frames but one agree, against 99.7-99.9 % of
  frames when rounding to nearest).
  A ``POINT`` event, or a state shorter than half a frame, becomes a one-frame bout
  ``[start, start + 1)``.
- START and STOP are paired per (media file, subject, behavior, modifiers), in file order.
- ``Subject`` → ``agent`` (empty / ``No focal subject`` → ``None``); modifiers are ignored.
- recording: ``recording=`` when given, else the media file's name without its video
  extension (``.../e3v813a-20210610T122332-122642_reencode.avi`` →
  ``e3v813a-20210610T122332-122642_reencode``, kept as is), else the file stem.
- fps: the ``FPS`` column; ``fps=`` must agree with it (1e-6), and is needed without it.

BORIS project files (``.boris``) are read too, see `ethoforge.io.boris_project`.

Written: the BORIS < 8 tabular events layout (as in the ethome5 files), times ``frame / fps``
at full float precision, so reading back gives the same bouts (target, source, annotator and score
have no place in BORIS and are not written).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Literal

from ethoforge.errors import InputError, option
from ethoforge.io.labels import (
    check_bouts_at,
    check_fps,
    default_recording,
    read_text,
    seconds_to_frame,
    single_recording,
    write_text_atomic,
)
from ethoforge.labels import Bout, validate_bouts

_VIDEO_EXTENSIONS = {
    ".avi", ".mp4", ".mov", ".mkv", ".mpg", ".mpeg", ".m4v", ".wmv", ".webm", ".flv", ".h264",
    ".seq", ".mts", ".ts", ".ogv", ".3gp",
}
_NO_SUBJECT = {"", "no focal subject", "na"}
_MISSING = {"", "na", "nan", "not found"}
_ALIASES = {
    "time": ("time",),
    "status": ("status", "behavior type"),
    "media": ("media file path", "media file name", "media file", "source"),
    "fps": ("fps", "fps (frame/s)"),
    "subject": ("subject",),
    "behavior": ("behavior",),
    "start": ("start (s)",),
    "stop": ("stop (s)",),
}
_WRITE_HEADER = [
    "Time", "Media file path", "Total length", "FPS", "Subject", "Behavior",
    "Behavioral category", "Comment", "Status",
]


@dataclass
class _Row:
    line: int
    cells: dict[str, str]
    modifiers: str


def load_boris(
    path: str | Path,
    *,
    fps: float | None = None,
    recording: str | None = None,
    n_frames: int | None = None,
    rounding: Literal["nearest", "floor"] = "nearest",
) -> list[Bout]:
    """Read a BORIS tabular or aggregated events export (see the module docstring).

    Raises
    ------
    InputError
        No BORIS header; missing or contradictory fps; a START without STOP, a STOP without
        START, or a second START before the STOP; times that are not numbers; bouts past
        ``n_frames``. The message names the file, the line and the behavior.

    A BORIS project file (``.boris``, JSON) is read by `ethoforge.io.boris_project`.
    """
    if _is_project(path):
        from ethoforge.io.boris_project import load_boris_project

        return load_boris_project(path, fps=fps, recording=recording, n_frames=n_frames, rounding=rounding)
    header, rows = _read_table(path)
    aggregated = "start" in header and "stop" in header
    bouts: list[Bout] = []
    lines: list[str] = []
    if aggregated:
        for row in rows:
            rate = _row_fps(row, fps, path)
            start_s = _seconds(row, "start", path)
            kind = row.cells.get("status", "").upper()
            stop_s = start_s if kind.startswith("POINT") else _seconds(row, "stop", path)
            bouts.append(_bout(row, start_s, stop_s, rate, recording, path, rounding))
            lines.append(f"line {row.line}")
    else:
        open_events: dict[tuple[str, str, str, str], _Row] = {}
        for row in rows:
            status = row.cells.get("status", "").strip().upper()
            key = (row.cells.get("media", ""), row.cells.get("subject", ""), row.cells["behavior"], row.modifiers)
            if status == "START":
                if key in open_events:
                    raise InputError(
                        f"START of {row.cells['behavior']!r} while its START on line "
                        f"{open_events[key].line} has no STOP yet", path, f"line {row.line}",
                    )
                open_events[key] = row
            elif status == "STOP":
                begin = open_events.pop(key, None)
                if begin is None:
                    raise InputError(
                        f"STOP of {row.cells['behavior']!r} without a START before it", path, f"line {row.line}",
                    )
                rate = _row_fps(begin, fps, path)
                bouts.append(_bout(begin, _seconds(begin, "time", path), _seconds(row, "time", path),
                                   rate, recording, path, rounding))
                lines.append(f"line {row.line} (START on line {begin.line})")
            elif status == "POINT":
                time = _seconds(row, "time", path)
                bouts.append(_bout(row, time, time, _row_fps(row, fps, path), recording, path, rounding))
                lines.append(f"line {row.line}")
            else:
                raise InputError(
                    f"status {status or '(empty)'!r} of {row.cells['behavior']!r}; expected START, STOP or POINT",
                    path, f"line {row.line}",
                )
        if open_events:
            row = min(open_events.values(), key=lambda r: r.line)
            raise InputError(
                f"START of {row.cells['behavior']!r} has no matching STOP (unmatched START)",
                path, f"line {row.line}",
            )
    check_bouts_at(bouts, lines, path, n_frames=n_frames)
    order = sorted(range(len(bouts)), key=lambda i: (bouts[i].recording, bouts[i].start, bouts[i].behavior))
    return [bouts[i] for i in order]


def save_boris(
    bouts: Sequence[Bout],
    path: str | Path,
    *,
    fps: float | None = None,
    n_frames: int | None = None,
    behaviors: Sequence[str] | None = None,
) -> None:
    """Write bouts of one recording as a BORIS tabular events export (times ``frame / fps``).

    Raises
    ------
    InputError
        No ``fps``; bouts of several recordings; two bouts of one behavior and subject that
        overlap (BORIS state events cannot).
    """
    checked = validate_bouts(bouts, n_frames=n_frames, behaviors=behaviors, source=path)
    if fps is None or not (fps > 0 and math.isfinite(fps)):
        raise InputError(f"BORIS stores seconds: pass a positive {option('fps')} (got {fps!r})", path)
    name = single_recording(checked, path) or Path(path).stem
    total = f"{n_frames / fps:.3f}" if n_frames is not None else "NA"

    events: list[tuple[int, int, Bout]] = []  # (frame, 0 = STOP first at equal frames, bout)
    last_stop: dict[tuple[str | None, str], Bout] = {}
    for bout in sorted(checked, key=lambda b: (b.agent or "", b.behavior, b.start)):
        key = (bout.agent, bout.behavior)
        previous = last_stop.get(key)
        if previous is not None and bout.start < previous.stop:
            raise InputError(
                f"bouts of {bout.behavior!r} [{previous.start}, {previous.stop}) and "
                f"[{bout.start}, {bout.stop}) overlap; BORIS cannot hold overlapping events of one "
                "subject and behavior", path,
            )
        last_stop[key] = bout
        events += [(bout.start, 1, bout), (bout.stop, 0, bout)]
    events.sort(key=lambda e: (e[0], e[1], e[2].behavior, e[2].agent or ""))

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    width = len(_WRITE_HEADER)
    metadata = [
        ["Observation id", name], [], ["Media file(s)"], [], ["Player #1", name], [],
        ["Observation date", ""], [], ["Description", "written by EthoForge"], [],
        ["Time offset (s)", "0.0"], [], ["independent variables"], ["variable", "value"], [],
    ]
    for cells in metadata:
        writer.writerow(cells + [""] * (width - len(cells)))
    writer.writerow(_WRITE_HEADER)
    for frame, is_start, bout in events:
        writer.writerow([
            repr(frame / fps), name, total, repr(float(fps)), bout.agent or "", bout.behavior, "", "",
            "START" if is_start else "STOP",
        ])
    write_text_atomic(path, buffer.getvalue())


def _is_project(path: str | Path) -> bool:
    """A ``.boris`` name, or a file that starts with ``{`` (BORIS projects are JSON)."""
    source = Path(path)
    if source.suffix.lower() == ".boris":
        return True
    try:
        with open(source, "rb") as handle:
            return handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")
    except OSError:
        return False


def recording_from_media(media: str) -> str | None:
    """Recording name from a BORIS media cell: file name without a video extension.

    Handles Windows paths and BORIS >= 8 ``Source`` cells (``player #1:/path/video.mp4``);
    ``None`` when the cell names no file.
    """
    text = media.strip()
    if text.lower().startswith("player #") and ":" in text:
        text = text.split(":", 1)[1]
    text = text.split(";")[0].split("|")[0].strip()
    if text.lower() in _MISSING:
        return None
    name = (PureWindowsPath(text) if "\\" in text else PurePosixPath(text)).name
    suffix = PurePosixPath(name).suffix
    return name[: -len(suffix)] if suffix.lower() in _VIDEO_EXTENSIONS else name


def _read_table(path: str | Path) -> tuple[dict[str, int], list[_Row]]:
    text = read_text(path)
    first = text.splitlines()[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header: dict[str, int] | None = None
    modifier_columns: list[int] = []
    header_line = 0
    rows: list[_Row] = []
    line = 1
    for raw in reader:
        cells = [c.strip() for c in raw]
        if header is None:
            lowered = [c.lower() for c in cells]
            found = {key: next((lowered.index(a) for a in aliases if a in lowered), None)
                     for key, aliases in _ALIASES.items()}
            is_events = found["time"] is not None and found["status"] is not None
            is_aggregated = found["start"] is not None and found["stop"] is not None
            if found["behavior"] is not None and (is_events or is_aggregated):
                header = {key: index for key, index in found.items() if index is not None}
                header_line = line
                modifier_columns = [i for i, c in enumerate(lowered) if c.startswith("modifier")]
        elif any(cells):
            if len(cells) <= max(header.values()):
                raise InputError(
                    f"{len(cells)} fields but the header (line {header_line}) has "
                    f"{max(header.values()) + 1} or more (truncated row?)", path, f"line {line}",
                )
            values = {key: cells[index] for key, index in header.items()}
            if not values["behavior"]:
                raise InputError("empty 'Behavior' cell", path, f"line {line}")
            modifiers = "|".join(cells[i] for i in modifier_columns if i < len(cells))
            rows.append(_Row(line, values, modifiers))
        line = reader.line_num + 1
    if header is None:
        raise InputError(
            "no BORIS header row found; expected a row with 'Time', 'Behavior' and 'Status' "
            "(tabular events) or 'Behavior', 'Start (s)' and 'Stop (s)' (aggregated events)",
            path, "line 1",
        )
    return header, rows


def _row_fps(row: _Row, fps: float | None, path) -> float:
    where = f"line {row.line}"
    text = row.cells.get("fps", "")
    values = {v.strip() for v in text.replace("|", ";").split(";")} - {""}
    numbers = []
    for value in values:
        if value.lower() in _MISSING:
            continue
        try:
            numbers.append(float(value))
        except ValueError:
            raise InputError(f"FPS is {text!r}; expected a number", path, where) from None
    if numbers and max(numbers) - min(numbers) > 1e-6:
        raise InputError(f"several media with different fps ({text}); export one observation per media", path, where)
    return check_fps(fps, numbers[0] if numbers else None, path, where)


def _seconds(row: _Row, key: str, path) -> float:
    text = row.cells.get(key, "")
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InputError(
            f"time {text!r} of {row.cells['behavior']!r} is not a number of seconds", path, f"line {row.line}",
        )
    return value


def _bout(row: _Row, start_s: float, stop_s: float, fps: float, recording: str | None, path,
          rounding: Literal["nearest", "floor"]) -> Bout:
    if stop_s < start_s:
        raise InputError(
            f"{row.cells['behavior']!r} stops at {stop_s} s, before it starts at {start_s} s",
            path, f"line {row.line}",
        )
    name = recording or recording_from_media(row.cells.get("media", "")) or default_recording(path)
    return bout_from_seconds(name, row.cells["behavior"], start_s, stop_s, fps, rounding,
                             subject=row.cells.get("subject", ""))


def bout_from_seconds(recording: str, behavior: str, start_s: float, stop_s: float, fps: float,
                      rounding: Literal["nearest", "floor"], *, subject: str = "") -> Bout:
    """A BORIS event from ``start_s`` to ``stop_s`` seconds as a bout of at least one frame;
    ``subject`` empty or ``No focal subject`` → no agent."""
    start = seconds_to_frame(start_s, fps, rounding)
    stop = max(seconds_to_frame(stop_s, fps, rounding), start + 1)
    agent = None if subject.strip().lower() in _NO_SUBJECT else subject
    return Bout(recording=recording, behavior=behavior, start=start, stop=stop, agent=agent)
