"""Ethogram PNG: written, sensible size, lanes drawn in their colours at the right times."""

from __future__ import annotations

import numpy as np
import pytest

from ethoforge.errors import InputError
from ethoforge.inference.ethogram import behavior_colors, plot_ethogram

CLASSES = ["none", "attack", "groom"]


def _read(path):
    from matplotlib.image import imread

    return imread(path)[:, :, :3]


def _pixels_of(image, rgba, tolerance=0.02):
    return np.all(np.abs(image - np.asarray(rgba[:3])[None, None, :]) < tolerance, axis=2)


def test_lanes_drawn_where_bouts_are(tmp_path):
    # 60 s at 30 fps: attack in the first half only, groom in the second half only
    labels = np.zeros(1800, dtype=np.int64)
    labels[100:800] = 1
    labels[1000:1700] = 2
    path = plot_ethogram(labels, CLASSES, 30, tmp_path / "out" / "ethogram.png", title="test")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = _read(path)
    assert 100 < image.shape[0] < 1500 and 600 < image.shape[1] < 2000
    colors = behavior_colors(CLASSES[1:])
    attack = _pixels_of(image, colors["attack"])
    groom = _pixels_of(image, colors["groom"])
    assert attack.sum() > 1000 and groom.sum() > 1000
    # attack bars lie left of groom bars, and in a lane above them
    attack_rows, attack_cols = np.nonzero(attack)
    groom_rows, groom_cols = np.nonzero(groom)
    assert attack_cols.max() < groom_cols.min()
    assert attack_rows.mean() < groom_rows.mean()


def test_probabilities_draw_traces_and_ten_hours_is_cheap(tmp_path):
    import time

    rng = np.random.default_rng(0)
    n = 30 * 3600 * 10  # 10 hours at 30 fps
    labels = np.repeat(rng.integers(0, 3, 5000), rng.integers(1, 4000, 5000))[:n]
    probs = np.full((labels.size, 3), 0.1, dtype=np.float32)
    probs[np.arange(labels.size), labels] = 0.8
    started = time.perf_counter()
    path = plot_ethogram(probs, CLASSES, 30, tmp_path / "long.png")
    assert time.perf_counter() - started < 20
    short = plot_ethogram(probs[:300].argmax(axis=1), CLASSES, 30, tmp_path / "short.png")
    # the traces panel makes the figure taller
    assert _read(path).shape[0] > _read(short).shape[0]


def test_bad_inputs(tmp_path):
    with pytest.raises(InputError, match="fps"):
        plot_ethogram(np.zeros(5, int), CLASSES, 0, tmp_path / "x.png")
    with pytest.raises(InputError, match="probs have shape"):
        plot_ethogram(np.zeros(5, int), CLASSES, 30, tmp_path / "x.png", probs=np.zeros((4, 3)))
    assert not (tmp_path / "x.png").exists()
