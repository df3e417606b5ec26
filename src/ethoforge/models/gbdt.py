"""`GbdtClassifier`: LightGBM multiclass gradient boosting on per-frame (window) features."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ethoforge.errors import ConfigError, InputError
from ethoforge.models.config import GbdtConfig, resolve_config


class GbdtClassifier:
    """A LightGBM booster (softmax objective; binary for two classes), one row per frame.

    Rows whose target is negative (``-1``: not annotated) are ignored by `fit`.

    Parameters
    ----------
    n_features, n_classes
        Columns of ``X`` and number of classes (class 0 is the background ``"none"``).
    config
        A `GbdtConfig`, a dict of its options, or None for the defaults.
    """

    family = "gbdt"

    def __init__(self, n_features: int, n_classes: int, config: GbdtConfig | dict | None = None) -> None:
        if n_classes < 2:
            raise ConfigError(f"gbdt needs at least 2 classes (background + 1 behavior), got {n_classes}")
        self.n_features = int(n_features)
        self.n_classes = int(n_classes)
        self.config: GbdtConfig = resolve_config("gbdt", config)
        self.booster: Any = None
        self.best_iteration: int | None = None

    # ------------------------------------------------------------------ training
    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        sample_weight: np.ndarray | None = None,
        X_val: np.ndarray | None = None,
        y_val: np.ndarray | None = None,
        class_weight: Mapping[int, float] | str | None = None,
        seed: int = 0,
        on_round: Callable[[int, int, float | None], bool | None] | None = None,
    ) -> GbdtClassifier:
        """Train on ``X (N, F)`` and int targets ``y (N,)``; early-stop on ``(X_val, y_val)``.

        Parameters
        ----------
        sample_weight
            Per-row weights (multiplied by the class weights).
        X_val, y_val
            Validation rows; with them, training stops after ``early_stopping_rounds``
            rounds without improving the validation log-loss, keeping the best round.
        class_weight
            ``{class index: weight}``, ``"balanced"`` (inverse frequency), or None to use
            ``config.class_weight``.
        seed
            Seed of LightGBM's bagging and feature sampling (training is deterministic).
        on_round
            ``on_round(round, max_rounds, validation loss or None)`` every `ROUND_REPORT_EVERY`
            boosting rounds and at the last; returning False stops boosting there (the caller
            decides what a stop means).
        """
        import lightgbm as lgb

        X, y, weight = self._rows(X, y, sample_weight, "X")
        class_weight = self.config.class_weight if class_weight is None else class_weight
        weight = weight * self._class_weights(y, class_weight)[y]
        objective = {"objective": "binary"} if self.n_classes == 2 else {"objective": "multiclass",
                                                                        "num_class": self.n_classes}
        params = {
            **objective,  # two classes: one tree per round instead of two (half the training and predict time)
            "learning_rate": self.config.learning_rate,
            "num_leaves": self.config.num_leaves,
            "max_depth": self.config.max_depth,
            "min_child_samples": self.config.min_child_samples,
            "bagging_fraction": self.config.subsample,
            "bagging_freq": 1 if self.config.subsample < 1.0 else 0,
            "feature_fraction": self.config.colsample_bytree,
            "lambda_l2": self.config.reg_lambda,
            "max_bin": self.config.max_bin,
            "num_threads": self.config.num_threads or os.cpu_count() or 1,
            "seed": seed,
            "deterministic": True,
            "force_row_wise": True,
            "verbosity": -1,
        }
        train_set = lgb.Dataset(X, label=y, weight=weight, free_raw_data=True)
        valid_sets: list = []
        callbacks: list = []
        if X_val is not None and y_val is not None:
            Xv, yv, _ = self._rows(X_val, y_val, None, "X_val")
            if len(yv):
                valid_sets = [lgb.Dataset(Xv, label=yv, reference=train_set)]
                if self.config.early_stopping_rounds:
                    callbacks.append(lgb.early_stopping(self.config.early_stopping_rounds, verbose=False))
        reporter = _RoundReporter(on_round, self.config.n_estimators) if on_round is not None else None
        if reporter is not None:
            callbacks.append(reporter)
        self.booster = lgb.train(params, train_set, num_boost_round=self.config.n_estimators,
                                 valid_sets=valid_sets or None, callbacks=callbacks)
        if reporter is not None:
            reporter.finish(self.booster.current_iteration())
        best = getattr(self.booster, "best_iteration", 0) or 0
        self.best_iteration = int(best) if best > 0 else self.booster.current_iteration()
        return self

    def _rows(self, X: np.ndarray, y: np.ndarray, weight: np.ndarray | None, what: str):
        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y).astype(np.int64, copy=False)
        if X.ndim != 2 or X.shape[1] != self.n_features or len(X) != len(y):
            raise InputError(f"{what} must be (N, {self.n_features}) with one target per row; "
                             f"got {X.shape} and {y.shape} targets")
        if y.max(initial=-1) >= self.n_classes:
            raise InputError(f"targets must be class indices < {self.n_classes} (or -1), got max {y.max()}")
        keep = y >= 0
        weight = np.ones(len(y), np.float64) if weight is None else np.asarray(weight, np.float64)
        if not keep.all():
            X, y, weight = X[keep], y[keep], weight[keep]
        if what == "X" and len(y) == 0:
            raise InputError("no annotated rows (every target is -1): nothing to train on")
        return X, y, weight

    def _class_weights(self, y: np.ndarray, class_weight: Mapping[int, float] | str | None) -> np.ndarray:
        weights = np.ones(self.n_classes, np.float64)
        if class_weight == "balanced":
            counts = np.bincount(y, minlength=self.n_classes).astype(np.float64)
            present = counts > 0
            weights[present] = len(y) / (present.sum() * counts[present])
        elif isinstance(class_weight, Mapping):
            for index, value in class_weight.items():
                weights[int(index)] = float(value)
        elif class_weight is not None:
            raise ConfigError(f"class_weight must be 'balanced', a {{class index: weight}} dict or None, "
                              f"got {class_weight!r}")
        return weights

    # ------------------------------------------------------------------ prediction
    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities ``(N, C)`` float32 of the rows of ``X (N, F)``."""
        if self.booster is None:
            raise ConfigError("the gbdt model is not trained: call fit() or load() first")
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise InputError(f"expected features of shape (N, {self.n_features}), got {X.shape}")
        if len(X) == 0:
            return np.zeros((0, self.n_classes), np.float32)
        prob = self.booster.predict(X, num_iteration=self.best_iteration,
                                    num_threads=self.config.num_threads or os.cpu_count() or 1)
        prob = np.asarray(prob, dtype=np.float32)
        if self.n_classes == 2 and prob.ndim == 1:  # binary objective: P(class 1)
            return np.stack([1.0 - prob, prob], axis=1)
        return prob.reshape(len(X), self.n_classes)

    def feature_importance(self, kind: str = "gain") -> np.ndarray:
        """Importance of each feature (``"gain"`` or ``"split"``), float64 ``(F,)``."""
        return np.asarray(self.booster.feature_importance(importance_type=kind, iteration=self.best_iteration),
                          dtype=np.float64)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write the booster as LightGBM's text model (best iteration only), atomically."""
        if self.booster is None:
            raise ConfigError("the gbdt model is not trained: nothing to save")
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp")
        self.booster.save_model(str(tmp), num_iteration=self.best_iteration)
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: str | Path, config: GbdtConfig | dict | None = None) -> GbdtClassifier:
        """Read a text model written by `save` (``config`` only sets prediction threads)."""
        import lightgbm as lgb

        path = Path(path)
        if not path.is_file():
            raise InputError("no LightGBM model file here", path)
        try:
            booster = lgb.Booster(model_file=str(path))
        except lgb.basic.LightGBMError as error:
            raise InputError(f"not a LightGBM text model: {error}", path) from None
        model = cls(booster.num_feature(), max(2, booster.num_model_per_iteration()), config)  # 1: binary
        model.booster = booster
        model.best_iteration = booster.current_iteration()
        return model


ROUND_REPORT_EVERY = 10


class _RoundReporter:
    """A LightGBM callback calling ``on_round`` every `ROUND_REPORT_EVERY` rounds (and the last;
    `finish` reports a last round that LightGBM ended early, e.g. with nothing left to split)."""

    order = 40  # after early stopping's bookkeeping (order 30)

    def __init__(self, on_round: Callable[[int, int, float | None], bool | None], max_rounds: int):
        self.on_round = on_round
        self.max_rounds = max_rounds
        self.reported = 0
        self.last_loss: float | None = None

    def __call__(self, env: Any) -> None:
        import lightgbm as lgb

        done = env.iteration + 1
        losses = [value for _, _, value, _ in (env.evaluation_result_list or [])]
        self.last_loss = float(losses[0]) if losses else None
        if done % ROUND_REPORT_EVERY and done != env.end_iteration:
            return
        self.reported = done
        if self.on_round(done, self.max_rounds, self.last_loss) is False:
            raise lgb.callback.EarlyStopException(env.iteration, env.evaluation_result_list or [])

    def finish(self, rounds_done: int) -> None:
        if 0 < rounds_done and self.reported < rounds_done:
            self.reported = rounds_done
            self.on_round(rounds_done, self.max_rounds, self.last_loss)
