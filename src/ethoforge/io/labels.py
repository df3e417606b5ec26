"""Registry of behavior-label file formats: `load_labels` / `save_labels` by format name.

Every format reads into and writes from `ethoforge.labels.Bout` lists: frames are
**0-based, half-open** ``[start, stop)``. Formats that store seconds convert with the
recording's fps by rounding half up (`seconds_to_frame`).

==============  ==========================================  =====================================
format          module                                      holds
==============  ==========================================  =====================================
``boris``       `ethoforge.io.boris`                        BORIS event exports (seconds)
``intervals``   `ethoforge.io.intervals`                    our bout CSV (frames, every field)
``frames``      `ethoforge.io.frame_table`                  one 0/1 column per behavior
``simba``       `ethoforge.io.frame_table`                  SimBA CSVs (``*_prediction`` columns)
``calms21``     `ethoforge.io.calms21`                      CalMS21 annotations
``mabe``        `ethoforge.io.mabe`                         MABe annotations
``nwb``         `ethoforge.io.nwb_labels`                   NWB ``TimeIntervals`` table
==============  ==========================================  =====================================

The helpers below (`default_recording`, `seconds_to_frame`, `check_bouts_at`,
`check_header_row`) are shared by the label format modules so that every format names bad
rows the same way.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal

from ethoforge.errors import InputError, option
from ethoforge.labels import Bout, validate_bouts

LABEL_FORMATS: tuple[str, ...] = ("boris", "intervals", "frames", "simba", "calms21", "mabe", "nwb")

# format -> (module, loader, saver)
_REGISTRY: dict[str, tuple[str, str, str]] = {
    "boris": ("ethoforge.io.boris", "load_boris", "save_boris"),
    "intervals": ("ethoforge.io.intervals", "load_intervals", "save_intervals"),
    "frames": ("ethoforge.io.frame_table", "load_frame_table", "save_frame_table"),
    "simba": ("ethoforge.io.frame_table", "load_simba", "save_simba"),
    "calms21": ("ethoforge.io.calms21", "load_calms21_labels", "save_calms21_labels"),
    "mabe": ("ethoforge.io.mabe", "load_mabe_labels", "save_mabe_labels"),
    "nwb": ("ethoforge.io.nwb_labels", "load_nwb_labels", "save_nwb_labels"),
}
# formats whose loader picks behavior columns itself (others are filtered after loading)
_SELECTS_BEHAVIORS = ("frames", "simba")


def load_labels(
    path: str | Path,
    format: str,
    *,
    fps: float | None = None,
    recording: str | None = None,
    n_frames: int | None = None,
    behaviors: Sequence[str] | None = None,
    columns: Mapping[str, str] | None = None,
    table: str | None = None,
) -> list[Bout]:
    """Read the bouts of a label file.

    Parameters
    ----------
    path
        The label file.
    format
        One of `LABEL_FORMATS`.
    fps
        Frames per second, needed where the file holds seconds and does not say its fps;
        where it does, the two must agree.
    recording
        The recording the bouts belong to where the file does not say (default: the file
        stem; BORIS: the media file name without its video extension). See each module for
        files that name their recordings.
    n_frames
        Frames in the recording; bouts past it are an error.
    behaviors
        Keep only these behaviors (per-frame tables read only these columns).
    columns
        ``intervals`` only: the file's column names mapped to ours, e.g. ``{"from": "start_s",
        "to": "stop_s", "type": "behavior"}`` (see `ethoforge.io.intervals`).
    table
        ``nwb`` only: the ``TimeIntervals`` table to read (default: ``behavior_bouts``, or the
        one table with a ``behavior`` column).

    Returns
    -------
    list[Bout]
        Bouts ``[start, stop)`` in frames, 0-based.

    Raises
    ------
    InputError
        Unknown format, or a file that does not fit it (names the file and the line).
    """
    loader = _function(format, 1)
    options: dict = {"fps": fps, "recording": recording, "n_frames": n_frames}
    if columns:
        if format != "intervals":
            raise InputError(f"{option('columns')} applies to bout tables (format 'intervals'), not {format!r}", path)
        options["columns"] = columns
    if table is not None:
        if format != "nwb":
            raise InputError(f"{option('table')} names an NWB intervals table (format 'nwb'), not {format!r}", path)
        options["table"] = table
    if format in _SELECTS_BEHAVIORS:
        return loader(path, **options, behaviors=behaviors)
    bouts = loader(path, **options)
    if behaviors is not None:
        bouts = [b for b in bouts if b.behavior in behaviors]
    return bouts


def save_labels(
    bouts: Iterable[Bout],
    path: str | Path,
    format: str,
    *,
    fps: float | None = None,
    n_frames: int | None = None,
    behaviors: Sequence[str] | None = None,
) -> None:
    """Write bouts to a label file in ``format`` (one of `LABEL_FORMATS`).

    ``fps`` is needed by formats that store seconds (BORIS, NWB); ``n_frames`` by per-frame
    tables to write trailing zero rows (default: the last bout's stop); ``behaviors`` fixes
    the behaviors written (and their column order), every bout must be one of them.
    """
    _function(format, 2)(list(bouts), path, fps=fps, n_frames=n_frames, behaviors=behaviors)


def _function(format: str, which: int):
    if format not in _REGISTRY:
        raise InputError(f"unknown label format {format!r}; expected one of {list(LABEL_FORMATS)}")
    entry = _REGISTRY[format]
    module = importlib.import_module(entry[0])
    return getattr(module, entry[which])


# ---- helpers shared by the label format modules -------------------------------------------

def default_recording(path: str | Path) -> str:
    """The recording name a label file implies: its file name without the extension."""
    return Path(path).stem


def seconds_to_frame(seconds: float, fps: float, rounding: Literal["nearest", "floor"] = "nearest") -> int:
    """Frame index of a time in seconds.

    ``"nearest"`` (default): ``round(seconds * fps)`` with halves rounded up; robust to times
    printed to the millisecond. ``"floor"``: the frame on screen at that time,
    ``floor(seconds * fps)``. A tolerance of 1e-6 frame absorbs binary float error
    (``0.15 * 30`` is 4.4999...).
    """
    if rounding == "floor":
        return math.floor(seconds * fps + 1e-6)
    return math.floor(seconds * fps + 0.5 + 1e-6)


def check_bouts_at(
    bouts: Sequence[Bout],
    lines: Sequence[str],
    path: str | Path,
    *,
    n_frames: int | None = None,
) -> list[Bout]:
    """`validate_bouts` each bout, naming ``lines[i]`` (e.g. ``"line 7"``) of ``path`` on error."""
    for bout, line in zip(bouts, lines):
        try:
            validate_bouts([bout], n_frames=n_frames)
        except InputError as error:
            raise InputError(error.detail, path, line) from None
    return list(bouts)


def check_header_row(cells: Sequence[str], path: str | Path, line: int, expected: str) -> None:
    """Refuse a table whose first row (``cells``, at ``line``) holds only numbers: its header row
    is missing. The message says what the header should hold (``expected``)."""
    named = [cell for cell in cells if cell]
    if named and all(_is_number(cell) for cell in named):
        raise InputError(f"no header row (the first row holds only numbers: {named[:6]}); expected {expected}",
                         path, f"line {line}")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def check_fps(fps: float | None, file_fps: float | None, path: str | Path, location: str | None = None) -> float:
    """The fps to use: ``file_fps`` and ``fps`` must agree (to 1e-6) where both are known."""
    if file_fps is not None and fps is not None and abs(file_fps - fps) > 1e-6:
        raise InputError(
            f"fps contradictory: the file says {file_fps:g} fps but {fps:g} fps was given ({option('fps')} or the "
            "recording's rate); fix the file or import its poses at the file's rate", path, location,
        )
    chosen = file_fps if file_fps is not None else fps
    if chosen is None:
        raise InputError(f"the file holds times in seconds but no fps: pass {option('fps')}", path, location)
    if not (chosen > 0 and math.isfinite(chosen)):
        raise InputError(f"fps must be a positive number, got {chosen!r}", path, location)
    return float(chosen)


def single_recording(bouts: Sequence[Bout], path: str | Path) -> str | None:
    """The one recording of ``bouts`` (None when empty); InputError if they span several."""
    names = sorted({b.recording for b in bouts})
    if len(names) > 1:
        raise InputError(
            f"this format holds one recording per file but the bouts span {len(names)}: "
            f"{names[:5]}; write one file per recording", path,
        )
    return names[0] if names else None


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, newlines as given (no half-written file)."""
    from ethoforge.atomic import write_text_atomic as _write

    _write(path, text, newline="")


def read_text(path: str | Path) -> str:
    """The text of a label file (UTF-8, BOM dropped); InputError when missing or empty."""
    source = Path(path)
    if not source.is_file():
        raise InputError("file not found", source)
    text = source.read_text(encoding="utf-8-sig", errors="replace")
    if not text.strip():
        raise InputError("the file is empty; expected a header row then data rows", source, "line 1")
    return text
