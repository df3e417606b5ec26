"""Augmentation parsing and the effect of each augmentation on known positions."""

from __future__ import annotations

import numpy as np
import pytest

from ethoforge.errors import ConfigError
from ethoforge.training.augment import Augmentation, augment_arrays, augment_poses, mirror_pairs, parse_augment


def _poses(n_frames: int = 100):
    rng = np.random.default_rng(1)
    position = rng.uniform(0, 100, (n_frames, 2, 3, 2))  # time, space, keypoint, individual
    confidence = rng.uniform(0.5, 1, (n_frames, 3, 2))
    return position, confidence


def test_parse_syntax():
    parsed = parse_augment("perm_id:p=0.5, blk_perm_id:p=0.3:frac=0.2,jitter")
    assert parsed == [
        Augmentation("perm_id", {"p": 0.5}),
        Augmentation("blk_perm_id", {"p": 0.3, "frac": 0.2}),
        Augmentation("jitter", {"p": 1.0, "sigma": 2.0}),
    ]
    assert parse_augment("") == [] and parse_augment(None) == []


@pytest.mark.parametrize("text, message", [
    ("flip", "unknown augmentation"),
    ("perm_id:q=1", "bad parameter"),
    ("perm_id:p", "bad parameter"),
    ("jitter:sigma=big", "not a number"),
    ("kp_drop:rate=1.5", "rate must be in"),
])
def test_parse_errors(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_augment(text)


def _apply(text, segment=100, seed=0):
    position, confidence = _poses()
    new_position, new_confidence = augment_arrays(position, confidence, parse_augment(text), segment,
                                                  np.random.default_rng(seed))
    return position, confidence, new_position, new_confidence


def test_identity_permutation_swaps_individuals_in_whole_segments():
    position, confidence, new, new_conf = _apply("perm_id:p=1", segment=20)
    swapped = np.all(new == position[..., ::-1], axis=(1, 2, 3))
    assert swapped.all()
    assert np.array_equal(new_conf, confidence[..., ::-1])


def test_identity_permutation_with_p0_changes_nothing():
    position, _, new, _ = _apply("perm_id:p=0")
    assert np.array_equal(new, position)


def test_block_permutation_swaps_a_block_of_frac_of_the_segment():
    position, _, new, _ = _apply("blk_perm_id:p=1:frac=0.2", segment=1000)  # one segment of 100 frames
    swapped = np.all(new == position[..., ::-1], axis=(1, 2, 3))
    kept = np.all(new == position, axis=(1, 2, 3))
    assert swapped.sum() == 20 and kept.sum() == 80
    frames = np.flatnonzero(swapped)
    assert frames[-1] - frames[0] == 19  # contiguous


def test_axis_permutation_swaps_x_and_y():
    position, _, new, _ = _apply("perm_ax:p=1")
    assert np.array_equal(new[:, 0], position[:, 1]) and np.array_equal(new[:, 1], position[:, 0])


def test_mirror_pairs_match_left_and_right_by_name():
    ethome = ["nose", "leftear", "rightear", "neck", "lefthip", "righthip", "tail"]
    assert mirror_pairs(ethome) == [(1, 2), (4, 5)]
    sturman = ["nose", "headcentre", "neck", "earl", "earr", "bodycentre", "bcl", "bcr", "hipl", "hipr",
               "tailbase", "tailcentre", "tailtip"]
    assert mirror_pairs(sturman) == [(3, 4), (6, 7), (8, 9)]  # "tail" has no "tair"
    assert mirror_pairs(["l_hip", "R_HIP", "Ear_Left", "ear_right"]) == [(0, 1), (2, 3)]
    assert mirror_pairs(["nose", "tail"]) == []


def _side_of_left_ear(position: np.ndarray) -> np.ndarray:
    """Sign of the cross product heading x (left ear - tail): which side of the body the left ear is on."""
    tail, nose, left = position[:, :, 0], position[:, :, 1], position[:, :, 2]
    heading, ear = nose - tail, left - tail
    return np.sign(heading[:, 0] * ear[:, 1] - heading[:, 1] * ear[:, 0])


def test_axis_permutation_keeps_left_keypoints_on_the_left():
    import xarray as xr

    n = 50
    rng = np.random.default_rng(2)
    tail = rng.uniform(0, 100, (n, 2))
    angle = rng.uniform(-np.pi, np.pi, n)
    forward = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    side = np.stack([-forward[:, 1], forward[:, 0]], axis=1)  # forward rotated +90 degrees
    keypoints = [tail, tail + 10 * forward, tail + 5 * forward + 3 * side, tail + 5 * forward - 3 * side]
    position = np.stack(keypoints, axis=2)[..., None]  # (time, space, keypoint, individual)
    poses = xr.Dataset(
        {"position": (("time", "space", "keypoint", "individual"), position),
         "confidence": (("time", "keypoint", "individual"), np.tile([[1.0], [0.9], [0.8], [0.7]], (n, 1, 1)))},
        coords={"time": np.arange(n), "space": ["x", "y"], "keypoint": ["tail", "nose", "leftear", "rightear"],
                "individual": ["a"]},
    )
    mirrored = augment_poses(poses, parse_augment("perm_ax:p=1"), segment=n, rng=np.random.default_rng(0))
    new = mirrored["position"].values
    assert np.all(_side_of_left_ear(position) == 1)
    assert np.all(_side_of_left_ear(new) == 1)  # a plain x/y swap would put the left ear on the right
    np.testing.assert_array_equal(new[:, :, 2], position[:, ::-1, 3])  # left ear = the mirrored right ear
    np.testing.assert_array_equal(new[:, :, 1], position[:, ::-1, 1])  # unpaired keypoints: x and y swapped
    np.testing.assert_array_equal(mirrored["confidence"].values[:, 2], poses["confidence"].values[:, 3])


def test_jitter_has_the_given_sigma():
    position, _, new, _ = _apply("jitter:p=1:sigma=3")
    assert np.std(new - position) == pytest.approx(3.0, rel=0.1)


def test_keypoint_dropout_sets_a_fraction_to_nan():
    position, _, new, new_conf = _apply("kp_drop:p=1:rate=0.3")
    dropped = np.isnan(new[:, 0])
    assert dropped.mean() == pytest.approx(0.3, abs=0.06)
    assert np.array_equal(np.isnan(new[:, 1]), dropped) and np.all(new_conf[dropped] == 0)
    assert np.array_equal(new[:, 0][~dropped], position[:, 0][~dropped])


def test_rotation_keeps_distances_and_changes_positions():
    position, _, new, _ = _apply("rotate:p=1", segment=1000)
    def distances(p):
        return np.linalg.norm(p[:, :, 0, 0] - p[:, :, 1, 1], axis=1)
    np.testing.assert_allclose(distances(new), distances(position), rtol=1e-9)
    assert np.abs(new - position).max() > 1.0


def test_inputs_are_not_modified():
    position, confidence = _poses()
    before = position.copy()
    augment_arrays(position, confidence, parse_augment("perm_id:p=1,jitter:p=1,kp_drop:p=1"), 10,
                   np.random.default_rng(0))
    assert np.array_equal(position, before)
