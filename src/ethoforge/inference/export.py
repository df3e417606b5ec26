"""Files written after inference on one recording: per-frame table, bouts, BORIS, ethogram.

=============  ===============================  ================================================
format         file                             holds
=============  ===============================  ================================================
``parquet``    ``<name>_frames.parquet``        ``frame``, ``time_s``, one probability column
                                                per class (class names), ``label`` (class name)
``csv``        ``<name>_frames.csv``            the same table as CSV
``bouts``      ``<name>_bouts.csv``             `ethoforge.labels.bouts_to_dataframe` columns
``boris``      ``<name>_boris.csv``             BORIS tabular events (`ethoforge.io.labels`)
``ethogram``   ``<name>_ethogram.png``          lanes + probability traces (`plot_ethogram`)
=============  ===============================  ================================================

``time_s = frame / fps``. The ``label`` column is the post-processed label of each frame:
``labels`` when given, else the behavior of the bout covering the frame (``"none"`` outside
bouts). Every file is written atomically.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ethoforge.errors import InputError
from ethoforge.labels import Bout, bouts_to_frames

if TYPE_CHECKING:
    import pandas as pd

EXPORT_FORMATS: tuple[str, ...] = ("parquet", "csv", "bouts", "boris", "ethogram")
_RESERVED = ("frame", "time_s", "label")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")


def labels_from_bouts(bouts: Sequence[Bout], classes: Sequence[str], n_frames: int) -> np.ndarray:
    """Per-frame class indices ``(n_frames,)`` from bouts (0 = none; later behaviors win overlaps)."""
    matrix = bouts_to_frames(bouts, list(classes[1:]), n_frames)
    labels = np.zeros(n_frames, dtype=np.int64)
    for column in range(matrix.shape[1]):
        labels[matrix[:, column] > 0] = column + 1
    return labels


def frame_table(probs, classes: Sequence[str], fps: float, labels=None, bouts: Sequence[Bout] = ()) -> pd.DataFrame:
    """The per-frame table: ``frame``, ``time_s``, a probability column per class, ``label``."""
    import pandas as pd

    array = np.asarray(probs)
    if array.ndim != 2 or array.shape[1] != len(classes):
        raise InputError(f"probabilities have shape {array.shape}; expected (frames, {len(classes)}) "
                         f"for classes {list(classes)}")
    clashes = [c for c in classes if c in _RESERVED]
    if clashes:
        raise InputError(f"class name(s) {clashes} clash with the table columns {list(_RESERVED)}; rename them")
    n = array.shape[0]
    if labels is None:
        labels = labels_from_bouts(bouts, classes, n)
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    if labels.size != n:
        raise InputError(f"labels cover {labels.size} frames but the probabilities {n}")
    table = pd.DataFrame({"frame": np.arange(n, dtype=np.int64), "time_s": np.arange(n) / float(fps)})
    for column, name in enumerate(classes):
        table[name] = array[:, column]
    table["label"] = np.asarray(classes, dtype=object)[labels]
    return table


def write_inference_outputs(
    out_dir: str | Path,
    recording_name: str,
    probs,
    classes: Sequence[str],
    fps: float,
    bouts: Sequence[Bout],
    *,
    formats: Sequence[str] = EXPORT_FORMATS,
    labels=None,
) -> dict[str, Path]:
    """Write the chosen outputs of one recording's inference into ``out_dir``.

    Parameters
    ----------
    out_dir
        Folder for the files (created if missing).
    recording_name
        Used in file names (characters other than letters, digits, ``_.-`` become ``_``).
    probs
        ``(T, C)`` per-frame class probabilities over ``classes = ["none", *behaviors]``.
    fps
        Frames per second (positive).
    bouts
        Predicted bouts (e.g. from `probabilities_to_bouts`), frames ``[start, stop)``.
    formats
        Any of `EXPORT_FORMATS`.
    labels
        ``(T,)`` post-processed class indices for the ``label`` column (default: from bouts).

    Returns
    -------
    dict[str, Path]
        ``{format: path}`` of the files written.
    """
    from ethoforge.atomic import atomic_path, write_text_atomic

    unknown = [f for f in formats if f not in EXPORT_FORMATS]
    if unknown:
        raise InputError(f"unknown output format(s) {unknown}; expected some of {list(EXPORT_FORMATS)}")
    if not fps or fps <= 0:
        raise InputError(f"fps must be a positive number, got {fps!r}")
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    stem = _UNSAFE.sub("_", recording_name).strip("._") or "recording"
    bouts = list(bouts)
    written: dict[str, Path] = {}
    if "parquet" in formats or "csv" in formats:
        table = frame_table(probs, classes, fps, labels=labels, bouts=bouts)
    if "parquet" in formats:
        path = directory / f"{stem}_frames.parquet"
        with atomic_path(path) as temporary:
            table.to_parquet(temporary, index=False)
        written["parquet"] = path
    if "csv" in formats:
        path = directory / f"{stem}_frames.csv"
        write_text_atomic(path, table.to_csv(index=False))
        written["csv"] = path
    if "bouts" in formats:
        from ethoforge.labels import bouts_to_dataframe

        path = directory / f"{stem}_bouts.csv"
        write_text_atomic(path, bouts_to_dataframe(bouts).to_csv(index=False))
        written["bouts"] = path
    if "boris" in formats:
        from ethoforge.io.labels import save_labels

        path = directory / f"{stem}_boris.csv"
        save_labels(bouts, path, "boris", fps=fps, n_frames=int(np.asarray(probs).shape[0]))
        written["boris"] = path
    if "ethogram" in formats:
        from ethoforge.inference.ethogram import plot_ethogram

        array = np.asarray(probs)
        frame_labels = labels if labels is not None else labels_from_bouts(bouts, classes, array.shape[0])
        path = directory / f"{stem}_ethogram.png"
        written["ethogram"] = plot_ethogram(frame_labels, classes, fps, path, title=recording_name, probs=array)
    return written
