"""Pretext window features: a hidden keypoint leaves no trace in the columns the encoder sees."""

from __future__ import annotations

import numpy as np
import pytest

from ethoforge.ssl.config import PretrainConfig
from ethoforge.ssl.train import _prepare


@pytest.fixture
def featurizer_and_window(circling_recordings):
    featurizer, tracks, _ = _prepare(circling_recordings, PretrainConfig(window=24, emb_dim=16, heads=2))
    return featurizer, tracks[0][100:124]


def _visible_input(featurizer, window, hidden):
    return np.where(hidden, 0.0, featurizer(window))


def test_moving_a_hidden_keypoint_changes_no_visible_column(featurizer_and_window):
    featurizer, window = featurizer_and_window
    mask = np.zeros(window.shape[:3], bool)
    mask[10, 0, 0] = True  # the first animal's nose in frame 10
    hidden = featurizer.hidden_columns(window, mask)
    moved = window.copy()
    moved[10, 0, 0, :2] += 25.0
    np.testing.assert_allclose(_visible_input(featurizer, moved, hidden), _visible_input(featurizer, window, hidden),
                               atol=1e-5)
    changed = ~np.isclose(featurizer(moved), featurizer(window), atol=1e-5)
    assert changed.any() and (changed <= hidden).all()  # every column the nose decides is hidden
    names = np.array(featurizer.names)
    hidden_names = set(names[hidden[10]])
    assert "m0.nose.ego_x" in hidden_names
    assert any("~" in n and "nose" in n for n in hidden_names)  # the distances to the partner too
    assert "m1.nose.ego_x" not in hidden_names  # the partner's own pose stays visible
    assert not hidden[:8].any() and not hidden[13:].any()  # an acceleration reads at most two frames away


def test_hiding_one_animal_leaves_the_other_visible(featurizer_and_window):
    featurizer, window = featurizer_and_window
    mask = np.zeros(window.shape[:3], bool)
    mask[5:20, 1] = True
    hidden = featurizer.hidden_columns(window, mask)
    names = np.array(featurizer.names, dtype=str)
    partner = np.char.startswith(names, "m1.") & (np.char.find(names, "visible") < 0)
    assert hidden[8][partner].all() and hidden[8][np.char.find(names, "~") >= 0].all()
    assert not hidden[:, np.char.startswith(names, "m0.nose.ego")].any()
