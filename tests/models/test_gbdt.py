"""`GbdtClassifier`: learns tabular synthetic data, ignores -1 rows, early stops, saves and loads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ethoforge.errors import ConfigError, InputError
from ethoforge.models import GbdtClassifier, build_model


def _tabular(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Three classes set by two of six features: 0 if x0 < 0, else 1 if x1 < 0.5, else 2."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 6)).astype(np.float32)
    y = np.where(X[:, 0] < 0, 0, np.where(X[:, 1] < 0.5, 1, 2)).astype(np.int64)
    return X, y


def _small(**options) -> GbdtClassifier:
    return build_model("gbdt", 6, 3, {"n_estimators": 60, "num_threads": 1, **options})


def test_learns_tabular_rule() -> None:
    X, y = _tabular(3000, 0)
    X_test, y_test = _tabular(2000, 1)
    model = _small().fit(X, y, seed=0)
    prob = model.predict_proba(X_test)
    assert prob.shape == (2000, 3) and prob.dtype == np.float32
    np.testing.assert_allclose(prob.sum(axis=1), 1.0, atol=1e-5)
    assert (prob.argmax(axis=1) == y_test).mean() > 0.95


def test_unannotated_rows_are_ignored() -> None:
    X, y = _tabular(3000, 0)
    y_hidden = y.copy()
    y_hidden[::2] = -1
    with_hidden = _small().fit(X, y_hidden, seed=0)
    only_annotated = _small().fit(X[1::2], y[1::2], seed=0)
    np.testing.assert_allclose(with_hidden.predict_proba(X), only_annotated.predict_proba(X), atol=1e-6)


def test_early_stopping_keeps_best_round(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((600, 6)).astype(np.float32)
    y = rng.integers(0, 3, 600)  # pure noise: validation loss stops improving early
    X_val = rng.standard_normal((300, 6)).astype(np.float32)
    y_val = rng.integers(0, 3, 300)
    model = build_model("gbdt", 6, 3, {"n_estimators": 300, "early_stopping_rounds": 5, "num_threads": 1})
    model.fit(X, y, X_val=X_val, y_val=y_val)
    assert model.best_iteration is not None and model.best_iteration < 300


def test_save_load_round_trip(tmp_path: Path) -> None:
    X, y = _tabular(1000, 0)
    model = _small().fit(X, y)
    path = model.save(tmp_path / "model.lgb")
    assert path.read_text().startswith("tree")
    loaded = GbdtClassifier.load(path)
    assert (loaded.n_features, loaded.n_classes) == (6, 3)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_same_seed_same_model() -> None:
    X, y = _tabular(1000, 0)
    first = _small().fit(X, y, seed=3).predict_proba(X)
    again = _small().fit(X, y, seed=3).predict_proba(X)
    np.testing.assert_array_equal(first, again)


def test_class_weight_shifts_predictions_towards_the_weighted_class() -> None:
    X, y = _tabular(2000, 0)
    plain = _small(class_weight=None).fit(X, y).predict_proba(X)[:, 2].mean()
    heavy = _small(class_weight=None).fit(X, y, class_weight={2: 10.0}).predict_proba(X)[:, 2].mean()
    assert heavy > plain


def test_bad_inputs() -> None:
    model = _small()
    with pytest.raises(ConfigError, match="not trained"):
        model.predict_proba(np.zeros((2, 6), np.float32))
    with pytest.raises(InputError, match=r"\(N, 6\)"):
        model.fit(np.zeros((4, 5), np.float32), np.zeros(4, np.int64))
    with pytest.raises(InputError, match="every target is -1"):
        model.fit(np.zeros((4, 6), np.float32), np.full(4, -1))
    with pytest.raises(InputError, match="class indices < 3"):
        model.fit(np.zeros((4, 6), np.float32), np.array([0, 1, 2, 3]))
    with pytest.raises(InputError, match="LightGBM"):
        GbdtClassifier.load(Path(__file__))


def test_two_classes_use_one_tree_per_round_and_round_trip(tmp_path: Path) -> None:
    X, y = _tabular(2000, 0)
    y = (y > 0).astype(np.int64)  # class 1 where x0 >= 0
    X_test, y_test = _tabular(1000, 1)
    model = build_model("gbdt", 6, 2, {"n_estimators": 40, "num_threads": 1}).fit(X, y, seed=0)
    assert model.booster.num_model_per_iteration() == 1
    prob = model.predict_proba(X_test)
    assert prob.shape == (1000, 2) and prob.dtype == np.float32
    np.testing.assert_allclose(prob.sum(axis=1), 1.0, atol=1e-6)
    assert (prob.argmax(axis=1) == (y_test > 0)).mean() > 0.95
    loaded = GbdtClassifier.load(model.save(tmp_path / "binary.lgb"))
    assert (loaded.n_features, loaded.n_classes) == (6, 2)
    np.testing.assert_array_equal(loaded.predict_proba(X_test), prob)


def test_on_round_reports_boosting_progress_with_validation_loss_and_can_stop() -> None:
    X, y = _tabular(2000, 0)
    X_val, y_val = _tabular(500, 1)
    calls: list[tuple[int, int, float | None]] = []
    _small(early_stopping_rounds=1000).fit(X, y, X_val=X_val, y_val=y_val, on_round=lambda *a: calls.append(a))
    assert [c[0] for c in calls] == [10, 20, 30, 40, 50, 60] and all(c[1] == 60 for c in calls)
    losses = [c[2] for c in calls]
    assert all(isinstance(v, float) for v in losses) and losses[-1] < losses[0]  # validation log-loss falls
    stop_at_20: list[int] = []
    model = _small(early_stopping_rounds=1000).fit(X, y, X_val=X_val, y_val=y_val,
                                               on_round=lambda done, *_: stop_at_20.append(done) or done < 20)
    assert stop_at_20 == [10, 20] and model.booster.current_iteration() == 20
