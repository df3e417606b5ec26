"""The training report: ``performance_report.yaml``, ``history.json``, confusion matrix and plots.

Written into a model folder at the end of training (see docs/contracts.md, "Model bundle").
Each file is written atomically (temporary sibling + ``os.replace``).
"""

from __future__ import annotations

import dataclasses
import json
import math
import platform
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ethoforge.errors import InputError
from ethoforge.atomic import atomic_path, write_text_atomic

REPORT_FILE = "performance_report.yaml"
HISTORY_FILE = "history.json"
CONFUSION_PNG = "confusion_matrix_BEST.png"
CONFUSION_CSV = "confusion_matrix_BEST.csv"
SHARE_CSV = "class_share.csv"
PLOTS_DIR = "plots"

_DISTRIBUTIONS = {
    "numpy": "numpy", "torch": "torch", "lightgbm": "lightgbm", "sklearn": "scikit-learn",
    "ethoforge": "ethoforge",
}


def package_versions() -> dict[str, str]:
    """Versions of python and of numpy, torch, lightgbm, sklearn and ethoforge where installed.

    Read from package metadata, so nothing heavy is imported.
    """
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": platform.python_version()}
    for key, distribution in _DISTRIBUTIONS.items():
        try:
            versions[key] = version(distribution)
        except PackageNotFoundError:
            continue
    return versions


def to_plain(value: Any) -> Any:
    """Turn configs, numpy values, paths and tuples into plain YAML/JSON types (NaN/inf → None)."""
    if hasattr(value, "model_dump"):  # pydantic
        return to_plain(value.model_dump(mode="json"))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [to_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_plain(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return number if math.isfinite(number) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)


def _segment_bounds(n: int, segments: Sequence[int] | None) -> list[tuple[int, int]]:
    if segments is None:
        return [(0, n)]
    lengths = [int(s) for s in segments]
    if sum(lengths) != n or any(s < 0 for s in lengths):
        raise InputError(f"segments {lengths} must be frame counts summing to the {n} frames of y_true")
    ends = np.cumsum(lengths)
    return [(int(e - s), int(e)) for s, e in zip(lengths, ends)]


def evaluate_predictions(
    classes: Sequence[str],
    y_true,
    y_prob,
    *,
    segments: Sequence[int] | None = None,
    iou_threshold: float = 0.5,
) -> dict:
    """Frame- and bout-level scores of argmax predictions against targets (no files).

    Bouts are runs of one class in ``y_true`` and in ``argmax(y_prob)``; predictions on
    unannotated frames (``y_true == -1``) are set to background first so they make no bout.
    ``segments`` (frames per recording, in concatenation order) keeps bouts from running
    across recordings; without it all frames are one recording.
    """
    from ethoforge.evaluation.bouts import bout_metrics, labels_to_bouts
    from ethoforge.evaluation.metrics import frame_metrics

    true = np.asarray(y_true).reshape(-1).astype(np.int64)
    prob = np.asarray(y_prob)
    if prob.ndim != 2 or prob.shape != (true.size, len(classes)):
        raise InputError(
            f"y_prob has shape {prob.shape}; expected (frames, classes) = ({true.size}, {len(classes)}) "
            f"for classes {list(classes)}"
        )
    pred = prob.argmax(axis=1)
    frame = frame_metrics(true, pred, classes)
    pred_for_bouts = np.where(true < 0, 0, pred)
    true_bouts, pred_bouts = [], []
    for index, (start, stop) in enumerate(_segment_bounds(true.size, segments)):
        name = f"segment_{index}"
        true_bouts += labels_to_bouts(true[start:stop], classes, name)
        pred_bouts += labels_to_bouts(pred_for_bouts[start:stop], classes, name, source="predicted")
    bout = bout_metrics(true_bouts, pred_bouts, list(classes[1:]), iou_threshold=iou_threshold)
    return {"frame": frame, "bout": bout}


def _confusion_csv(matrix: list[list[int]], classes: Sequence[str]) -> str:
    import pandas as pd

    table = pd.DataFrame(matrix, index=list(classes), columns=list(classes))
    table.index.name = "true\\predicted"
    return table.to_csv()


def _share_csv(share: dict, classes: Sequence[str]) -> str:
    import pandas as pd

    rows = [{"class": name, **share[name]} for name in classes]
    return pd.DataFrame(rows, columns=["class", "true_share", "predicted_share", "ratio"]).to_csv(index=False)


def write_training_report(
    out_dir: str | Path,
    *,
    classes: Sequence[str],
    y_true,
    y_prob,
    history: Sequence[dict],
    split: Any,
    config: Any,
    seed: int | None,
    extra: dict | None = None,
    segments: Sequence[int] | None = None,
) -> dict:
    """Score the best model's validation predictions and write the report files.

    Parameters
    ----------
    out_dir
        The model folder (created if missing).
    classes
        ``["none", *behaviors]``.
    y_true
        ``(N,)`` int targets, ``-1`` = not annotated.
    y_prob
        ``(N, C)`` class probabilities of the best model; predictions are their argmax.
    history
        One dict per epoch (or boosting round; a single entry is fine), e.g. ``{"epoch",
        "train_loss", "val_loss", "val_macro_f1", "lr", "per_class": {name: {"precision",
        "recall", "f1"}}}``; saved as given in ``history.json`` (NaN → null).
    split
        Which recordings went where (saved as given).
    config
        The resolved training config (pydantic model, dataclass or dict).
    seed
        The random seed used.
    extra
        More entries for the report (e.g. ``best_epoch``, ``calibration``).
    segments
        Frames per recording in ``y_true``'s concatenation order, so bouts do not run
        across recordings (optional).

    Returns
    -------
    dict
        The report as written to ``performance_report.yaml``: ``created_at``, ``seed``,
        ``classes``, ``summary`` (frame macro/weighted F1, accuracy, bout macro F1),
        ``frame`` (`frame_metrics`), ``bout`` (`bout_metrics`, IoU ≥ 0.5), ``split``,
        ``config``, ``versions``, ``files`` (paths relative to ``out_dir``), ``extra``.

    Notes
    -----
    Files: ``performance_report.yaml``, ``history.json``, ``confusion_matrix_BEST.png`` and
    ``.csv`` (class names as header and index; rows = true), ``class_share.csv``,
    ``plots/{loss,f1,precision,recall,lr,class_share}.png`` (those the history allows).
    """
    import yaml

    from ethoforge.evaluation.figures import plot_class_share, plot_confusion_matrix, plot_history

    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    scores = evaluate_predictions(classes, y_true, y_prob, segments=segments)
    frame, bout = scores["frame"], scores["bout"]
    behaviors = list(classes[1:])

    write_text_atomic(directory / HISTORY_FILE, json.dumps(to_plain(list(history)), indent=1))
    write_text_atomic(directory / CONFUSION_CSV, _confusion_csv(frame["confusion_matrix"], classes))
    write_text_atomic(directory / SHARE_CSV, _share_csv(frame["share"], classes))
    side = {"test": "test", "val": "validation"}.get(str((extra or {}).get("reported_on", "val")), "validation")
    recordings = split.get(str((extra or {}).get("reported_on", "val")), []) if isinstance(split, dict) else []
    plot_confusion_matrix(frame["confusion_matrix"], classes, directory / CONFUSION_PNG,
                          title=f"confusion matrix, best model ({side} frames"
                                + (f": {', '.join(recordings)})" if recordings else ")"))
    plots = plot_history(history, directory / PLOTS_DIR, behaviors)
    plots["class_share"] = plot_class_share(frame["share"], behaviors, directory / PLOTS_DIR / "class_share.png")
    files = [HISTORY_FILE, CONFUSION_CSV, SHARE_CSV, CONFUSION_PNG]
    files += [p.relative_to(directory).as_posix() for p in plots.values()]

    report = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": seed,
        "classes": list(classes),
        "summary": {
            "frame_macro_f1": frame["macro_f1"],
            "frame_weighted_f1": frame["weighted_f1"],
            "frame_accuracy": frame["accuracy"],
            "bout_macro_f1": bout["macro_f1"],
            "n_frames": frame["n_frames"],
            "epochs": len(history),
        },
        "frame": frame,
        "bout": bout,
        "split": split,
        "config": config,
        "versions": package_versions(),
        "files": [REPORT_FILE, *files],
        "extra": extra or {},
    }
    report = to_plain(report)
    with atomic_path(directory / REPORT_FILE) as temporary:
        temporary.write_text(yaml.safe_dump(report, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return report
