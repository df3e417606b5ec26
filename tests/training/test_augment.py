"""Augmentation parsing and the effect of each augmentation on known positions."""

from __future__ import annotations

import itertools

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


def _permutation_per_frame(before: np.ndarray, after: np.ndarray) -> list[tuple[int, ...]]:
    """For each frame, the order with ``after[t] == before[t][..., order]`` (positions are all distinct)."""
    orders = []
    for t in range(len(before)):
        order = tuple(int(np.flatnonzero(np.all(before[t] == after[t][..., [j]], axis=(0, 1)))[0])
                      for j in range(before.shape[-1]))
        orders.append(order)
    return orders


def test_identity_permutation_moves_whole_individuals_with_one_order_per_segment():
    rng = np.random.default_rng(3)
    position = rng.uniform(0, 100, (120, 2, 4, 3))  # three animals: five orders other than the identity
    confidence = rng.uniform(0.5, 1, (120, 4, 3))
    new, new_conf = augment_arrays(position, confidence, parse_augment("perm_id:p=1"), 10, np.random.default_rng(0))
    orders = _permutation_per_frame(position, new)  # raises if any animal came back torn apart
    for t, order in enumerate(orders):
        assert sorted(order) == [0, 1, 2] and order != (0, 1, 2)
        np.testing.assert_array_equal(new_conf[t], confidence[t][..., list(order)])
    changes = np.flatnonzero([a != b for a, b in itertools.pairwise(orders)]) + 1
    assert len(changes) > 3 and len(set(changes % 10)) == 1  # only at segment edges (offset + k * 10)


@pytest.mark.parametrize("frac", [0.1, 0.25, 0.5, 1.0])
def test_block_permutation_swaps_the_given_fraction_of_every_segment(frac):
    rng = np.random.default_rng(4)
    position = rng.uniform(0, 100, (2000, 2, 3, 2))
    new, _ = augment_arrays(position, None, parse_augment(f"blk_perm_id:p=1:frac={frac}"), 100,
                            np.random.default_rng(1))
    swapped = np.all(new == position[..., ::-1], axis=(1, 2, 3))
    kept = np.all(new == position, axis=(1, 2, 3))
    assert (swapped | kept).all()  # whole individuals, nothing else touched
    # 19 whole segments of 100 frames swap round(100 frac) each; the two end pieces (100 frames together)
    # swap round(frac * length) each, at least one frame: within one frame of frac * 100 together.
    assert abs(swapped.sum() - frac * 2000) <= 2


def _pairwise(points: np.ndarray) -> np.ndarray:
    """``(T, P, P)`` distances between the ``P`` points of each frame of ``(T, P, 2)``."""
    return np.linalg.norm(points[:, :, None] - points[:, None], axis=-1)


def test_rotation_is_one_rigid_turn_per_segment_about_its_centroid():
    rng = np.random.default_rng(5)
    position = rng.uniform(0, 100, (60, 2, 4, 2))
    new, _ = augment_arrays(position, None, parse_augment("rotate:p=1:max_deg=30"), 60, np.random.default_rng(2))
    flat_old = position.transpose(0, 2, 3, 1).reshape(60, -1, 2)  # (T, points, xy)
    flat_new = new.transpose(0, 2, 3, 1).reshape(60, -1, 2)
    np.testing.assert_allclose(_pairwise(flat_new), _pairwise(flat_old), atol=1e-9)  # every pair, every frame
    vectors_old = flat_old[:, 1:] - flat_old[:, :1]
    vectors_new = flat_new[:, 1:] - flat_new[:, :1]
    turn = np.angle((vectors_new[..., 0] + 1j * vectors_new[..., 1]) / (vectors_old[..., 0] + 1j * vectors_old[..., 1]))
    np.testing.assert_allclose(turn, np.broadcast_to(turn[:, :1], turn.shape), atol=1e-9)  # one angle per frame: a rotation, not a mirror
    assert np.abs(turn).max() <= np.deg2rad(30) + 1e-9 and np.abs(turn).max() > 0
    angles = np.unique(turn[:, 0].round(9))
    assert len(angles) <= 2  # one segment, or two if the random offset cut it
    for angle in angles:
        frames = np.isclose(turn[:, 0], angle)
        centroid_old = position[frames].mean(axis=(0, 2, 3))
        np.testing.assert_allclose(new[frames].mean(axis=(0, 2, 3)), centroid_old, atol=1e-9)  # turned about it


def test_zero_strength_augmentations_change_nothing():
    position, confidence, new, new_conf = _apply("jitter:p=1:sigma=0,rotate:p=1:max_deg=0,kp_drop:p=1:rate=0")
    np.testing.assert_allclose(new, position, atol=1e-12)
    assert np.array_equal(new_conf, confidence)
