"""The ``gbdt`` family behind the same `ethoforge.training.train`: LightGBM on per-frame window features.

No torch loop: rows are the annotated frames of the training recordings (their features
already hold the window statistics of the feature spec), class balance becomes LightGBM
class weights (``balanced``/``weighted``/``focal`` → inverse frequency, ``uniform`` → none,
``class_weights`` → as given), early stopping uses the validation recordings, and trials
differ by seed. Calibration, report and bundle are the same as for the torch families.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from ethoforge.models.config import GbdtConfig
from ethoforge.training.calibration import fit_temperature

if TYPE_CHECKING:
    from ethoforge.training.config import TrainConfig
    from ethoforge.training.data import RecordingData, TrainingData
    from ethoforge.training.loop import TrainResult

MAX_TRAIN_ROWS = 400_000


def _rows(records: list["RecordingData"], step: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Annotated frames of ``records`` (every ``step``-th frame of each recording)."""
    kept = [(r.features[::step], r.targets[::step]) for r in records]
    return np.concatenate([x[t >= 0] for x, t in kept]), np.concatenate([t[t >= 0] for _, t in kept])


def train_gbdt(
    config: "TrainConfig",
    data: "TrainingData",
    out_dir: Path,
    split: dict[str, list[str]],
    progress: Callable[[int, int, dict], "bool | None"] | None,
) -> "TrainResult":
    """Fit `ethoforge.models.GbdtClassifier` trials and write the bundle (see module docstring)."""
    from ethoforge.bundles.files import commit_bundle, softmax, write_bundle_files
    from ethoforge.models import build_model
    from ethoforge.training.loop import (
        TrainingCancelled,
        TrainResult,
        _scores,
        _work_dir,
        frame_scores,
        model_config_for,
    )

    classes = data.classes
    train_records = data.by_name(split["train"])
    model_config = model_config_for(config, int(sum((r.targets >= 0).sum() for r in train_records)))
    X, y = _rows(train_records, GbdtConfig(**model_config).frame_step)
    rng = np.random.default_rng(config.seed)
    if len(y) > MAX_TRAIN_ROWS:
        keep = np.sort(rng.choice(len(y), MAX_TRAIN_ROWS, replace=False))
        X, y = X[keep], y[keep]
    X_val, y_val = _rows(data.by_name(split["val"]))
    if config.class_weights is not None:
        class_weight: dict | str | None = {i: config.class_weights.get(c, 1.0) for i, c in enumerate(classes)}
    else:
        class_weight = None if config.sampling == "uniform" else "balanced"
    work = _work_dir(out_dir)
    work.mkdir(parents=True, exist_ok=True)
    tic = time.monotonic()
    history, best, best_f1, best_trial = [], None, -np.inf, 0
    rounds = GbdtConfig(**model_config).n_estimators
    for trial in range(config.trials):
        model = build_model("gbdt", data.n_features, len(classes), model_config)
        stopped: list[bool] = []

        def on_round(done: int, total: int, val_loss: float | None, trial: int = trial) -> bool:
            """Boosting progress as steps of all trials' rounds (early stopping may end a trial sooner)."""
            metrics = {"trial": trial, "round": done, "rounds": total, "val_loss": val_loss}
            if progress is not None and progress(trial * total + done, config.trials * total, metrics) is False:
                stopped.append(True)
                return False
            return True

        model.fit(X, y, X_val=X_val, y_val=y_val, class_weight=class_weight, seed=config.seed + trial, on_round=on_round)
        if stopped:
            raise TrainingCancelled(f"training cancelled in gbdt trial {trial}")
        val_logits = np.log(np.clip(model.predict_proba(X_val), 1e-7, 1.0))
        f1 = frame_scores(y_val, val_logits.argmax(axis=1), classes)["macro_f1"]
        row = {"trial": trial, "epoch": 0, "boosting_rounds": model.best_iteration, "val_macro_f1": f1,
               "seconds": time.monotonic() - tic}
        history.append(row)
        if f1 > best_f1:
            best, best_f1, best_trial = model, f1, trial
        if progress is not None and progress((trial + 1) * rounds, config.trials * rounds, dict(row)) is False:
            raise TrainingCancelled(f"training cancelled after gbdt trial {trial}")
    assert best is not None
    val_logits = np.log(np.clip(best.predict_proba(X_val), 1e-7, 1.0))
    temperature = fit_temperature(val_logits, y_val) if config.calibrate else 1.0
    results = {"val": _scores(val_logits, y_val, classes, temperature)}
    report = (y_val, softmax(val_logits / temperature))
    if split["test"]:
        X_test, y_test = _rows(data.by_name(split["test"]))
        test_logits = np.log(np.clip(best.predict_proba(X_test), 1e-7, 1.0))
        results["test"] = _scores(test_logits, y_test, classes, temperature)
        report = (y_test, softmax(test_logits / temperature))
    extra = {"best_trial": best_trial, "best_epoch": 0, "reported_on": "test" if split["test"] else "val",
             "train_seconds": time.monotonic() - tic}
    write_bundle_files(work, data=data, config=config, model_config=model_config, temperature=temperature,
                       metrics=results, history=history, split=split, extra=extra, gbdt=best, report=report)
    bundle_dir = commit_bundle(work, out_dir)
    return TrainResult(bundle_dir, results, history, best_trial, 0, temperature, split, config, best)
