"""Post-processing on hand-made probabilities with known answers; [start, stop) edges."""

from __future__ import annotations

import numpy as np
import pytest

from ethoforge.errors import InputError
from ethoforge.inference.postprocess import (
    decide_labels,
    drop_short_bouts,
    merge_gaps,
    probabilities_to_bouts,
    smooth_probabilities,
)

CLASSES = ["none", "attack", "groom"]


def probs_from_labels(labels, n_classes=3, high=0.9):
    """One-hot-ish probabilities: ``high`` on the labelled class, the rest shared evenly."""
    labels = np.asarray(labels)
    probs = np.full((labels.size, n_classes), (1 - high) / (n_classes - 1), dtype=np.float32)
    probs[np.arange(labels.size), labels] = high
    return probs


def test_smoothing_centred_and_cut_at_edges():
    column = np.array([0.0, 0.0, 3.0, 0.0, 0.0, 6.0])
    probs = np.stack([column, 1 - column], axis=1)
    smoothed = smooth_probabilities(probs, 3)
    assert smoothed[:, 0] == pytest.approx([0.0, 1.0, 1.0, 1.0, 2.0, 3.0])  # ends average 2 frames
    assert np.allclose(smoothed.sum(axis=1), 1.0)
    # even window: frames t-2 .. t+1
    assert smooth_probabilities(probs, 4)[2, 0] == pytest.approx((0 + 0 + 3 + 0) / 4)
    assert smooth_probabilities(probs, 1) == pytest.approx(probs)


def test_smoothing_matches_naive_loop_and_keeps_dtype():
    rng = np.random.default_rng(0)
    probs = rng.random((50, 3)).astype(np.float32)
    window = 7
    naive = np.array([probs[max(0, t - 3) : t + 4].mean(axis=0) for t in range(50)])
    result = smooth_probabilities(probs, window)
    assert result.dtype == np.float32
    assert result == pytest.approx(naive, abs=1e-6)


def test_decide_labels_thresholds():
    probs = np.array([
        [0.2, 0.45, 0.35],  # argmax attack misses 0.5 -> background (groom is not promoted)
        [0.5, 0.3, 0.2],    # none wins outright
        [0.1, 0.6, 0.3],    # attack clears 0.5
        [0.3, 0.2, 0.5],    # groom 0.5 >= 0.5: the threshold edge is inclusive
        [0.1, 0.2, 0.7],
    ])
    assert decide_labels(probs, CLASSES).tolist() == [1, 0, 1, 2, 2]
    assert decide_labels(probs, CLASSES, thresholds={"attack": 0.5, "groom": 0.5}).tolist() == [0, 0, 1, 2, 2]
    # one behavior thresholded: only it is restricted
    assert decide_labels(probs, CLASSES, thresholds={"groom": 0.8}).tolist() == [1, 0, 1, 0, 0]


def test_decide_labels_bad_thresholds():
    probs = probs_from_labels([0, 1])
    with pytest.raises(InputError, match="unknown behavior"):
        decide_labels(probs, CLASSES, thresholds={"sniff": 0.5})
    with pytest.raises(InputError, match="in \\[0, 1\\]"):
        decide_labels(probs, CLASSES, thresholds={"attack": 1.5})
    with pytest.raises(InputError, match="expected \\(frames, 3\\)"):
        decide_labels(np.zeros((4, 2)), CLASSES)


def test_merge_gaps_only_background_between_same_behavior():
    labels = np.array([1, 1, 0, 1, 0, 0, 1, 2, 0, 2, 1, 0, 0, 0, 1])
    merged = merge_gaps(labels, CLASSES, 3)
    # gaps of 1 and 2 frames between attack filled; the 3-frame gap (11..13) is not (< 3 only)
    assert merged.tolist() == [1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 0, 0, 0, 1]
    # per-behavior: only groom merges
    assert merge_gaps(labels, CLASSES, {"groom": 2}).tolist() == [1, 1, 0, 1, 0, 0, 1, 2, 2, 2, 1, 0, 0, 0, 1]
    # leading and trailing background are never "gaps"
    assert merge_gaps(np.array([0, 1, 0]), CLASSES, 10).tolist() == [0, 1, 0]


def test_drop_short_bouts_per_behavior():
    labels = np.array([1, 1, 0, 2, 2, 2, 1, 1, 1])
    assert drop_short_bouts(labels, CLASSES, 3).tolist() == [0, 0, 0, 2, 2, 2, 1, 1, 1]
    assert drop_short_bouts(labels, CLASSES, {"groom": 4}).tolist() == [1, 1, 0, 0, 0, 0, 1, 1, 1]


def test_probabilities_to_bouts_edges_and_scores():
    #          0  1  2  3  4  5  6  7  8  9
    labels = [1, 1, 1, 0, 0, 2, 0, 1, 1, 1]
    probs = probs_from_labels(labels)
    frame_labels, bouts = probabilities_to_bouts(probs, CLASSES, "rec", agent="resident")
    assert frame_labels.tolist() == labels
    assert [(b.behavior, b.start, b.stop) for b in bouts] == [
        ("attack", 0, 3), ("groom", 5, 6), ("attack", 7, 10),  # first frame and last frame (stop = T)
    ]
    assert all(b.source == "predicted" and b.recording == "rec" and b.agent == "resident" for b in bouts)
    assert bouts[0].score == pytest.approx(0.9)
    # minimum 2 frames drops the 1-frame groom bout; merging gaps < 4 then joins the attacks
    frame_labels, bouts = probabilities_to_bouts(probs, CLASSES, "rec", min_bout_frames=2, merge_gap_frames=4)
    assert frame_labels.tolist() == [1, 1, 1, 0, 0, 0, 0, 1, 1, 1]  # groom blocks the merge, then is dropped
    assert [(b.start, b.stop) for b in bouts] == [(0, 3), (7, 10)]


def test_probabilities_to_bouts_smoothing_removes_flicker():
    labels = [0] * 5 + [1] * 10 + [0] * 5
    labels[9] = 0  # one-frame dropout inside the bout
    probs = probs_from_labels(labels, high=0.6)
    frame_labels, bouts = probabilities_to_bouts(probs, CLASSES, "rec", smoothing_frames=3)
    assert [(b.behavior, b.start, b.stop) for b in bouts] == [("attack", 5, 15)]
    assert frame_labels[9] == 1


def test_long_recording_is_fast():
    import time

    rng = np.random.default_rng(0)
    labels = np.repeat(rng.integers(0, 3, 20_000), rng.integers(1, 100, 20_000))  # ~1 M frames
    probs = probs_from_labels(labels)
    started = time.perf_counter()
    frame_labels, bouts = probabilities_to_bouts(probs, CLASSES, "rec", smoothing_frames=15, min_bout_frames=5,
                                                 merge_gap_frames=3)
    assert time.perf_counter() - started < 10
    assert frame_labels.size == labels.size and len(bouts) > 1000
