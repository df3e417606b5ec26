"""`compute_features` on poses with a hand-computed answer, and on a real ethome5 file."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from ethoforge.errors import ConfigError, InputError
from ethoforge.features import FeatureSpec, compute_features


def make_poses(position: np.ndarray, keypoints: Sequence[str], individuals: Sequence[str],
               confidence: np.ndarray | None = None):
    """A movement-style dataset from ``position (T, I, K, 2)`` and ``confidence (T, I, K)``."""
    import xarray as xr

    position = np.asarray(position, dtype=np.float32)
    if confidence is None:
        confidence = np.ones(position.shape[:3], np.float32)
    return xr.Dataset(
        {"position": (("time", "space", "keypoint", "individual"), position.transpose(0, 3, 2, 1)),
         "confidence": (("time", "keypoint", "individual"), np.asarray(confidence, np.float32).transpose(0, 2, 1))},
        coords={"time": np.arange(len(position)), "space": ["x", "y"], "keypoint": list(keypoints),
                "individual": list(individuals)},
    )


FPS = 30.0
KEYPOINTS = ["nose", "neck", "tail"]
BODY = np.array([[20.0, 0.0], [10.0, 0.0], [-20.0, 0.0]], np.float32)  # along +x, centre at (10/3, 0)


def _column(matrix, name: str) -> np.ndarray:
    return matrix.values[:, matrix.names.index(name)]


def _walker(frames: int, start, step, angle: float = 0.0) -> np.ndarray:
    """One animal: BODY rotated by ``angle``, translated by start + t * step; ``(T, K, 2)``."""
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    offsets = np.asarray(start) + np.arange(frames)[:, None] * np.asarray(step)
    return (BODY @ rot.T)[None] + offsets[:, None, :]


def test_constant_velocity_gives_speed_v_times_fps_and_no_acceleration() -> None:
    position = _walker(50, (100, 200), (3.0, 4.0))[:, None]  # 5 px per frame
    poses = make_poses(position, KEYPOINTS, ["m"])
    matrix = compute_features(poses, FeatureSpec.from_recording(poses, fps=FPS))
    for keypoint in KEYPOINTS:
        np.testing.assert_allclose(_column(matrix, f"m.{keypoint}.speed"), 5.0 * FPS, rtol=1e-5)
        np.testing.assert_allclose(_column(matrix, f"m.{keypoint}.acc"), 0.0, atol=1e-2)
    # egocentric velocity: the body points along +x, so (3, 4) px/frame stays (90, 120) px/s
    np.testing.assert_allclose(_column(matrix, "m.nose.vel_ego_x"), 90.0, rtol=1e-5)
    np.testing.assert_allclose(_column(matrix, "m.nose.vel_ego_y"), 120.0, rtol=1e-5)
    np.testing.assert_allclose(_column(matrix, "m.nose.ego_x"), 20.0 - 10.0 / 3.0, atol=1e-3)
    np.testing.assert_allclose(_column(matrix, "m.turn_rate"), 0.0, atol=1e-5)
    assert matrix.values.dtype == np.float32 and matrix.values.shape[0] == 50


def test_speed_is_per_frame_without_fps() -> None:
    poses = make_poses(_walker(10, (0, 0), (0.0, 2.0))[:, None], KEYPOINTS, ["m"])
    matrix = compute_features(poses, FeatureSpec(individuals=["m"], keypoints=KEYPOINTS))
    np.testing.assert_allclose(_column(matrix, "m.tail.speed"), 2.0, rtol=1e-5)


def _two_animals(angle: float, shift=(0.0, 0.0), frames: int = 40) -> np.ndarray:
    """Animal a walks and animal b turns; the whole scene rotated by ``angle`` about the origin."""
    rng = np.random.default_rng(3)
    a = _walker(frames, (0, 0), (1.5, 0.5), 0.3) + rng.normal(0, 0.5, (frames, 3, 2))
    b = _walker(frames, (120, 40), (-1.0, 0.2), 2.0) + rng.normal(0, 0.5, (frames, 3, 2))
    scene = np.stack([a, b], axis=1)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return scene @ rot.T + np.asarray(shift)


def test_rotating_the_scene_leaves_egocentric_features_unchanged() -> None:
    spec = FeatureSpec(individuals=["a", "b"], keypoints=KEYPOINTS, fps=FPS)
    original = compute_features(make_poses(_two_animals(0.0), KEYPOINTS, ["a", "b"]), spec)
    turned = compute_features(make_poses(_two_animals(np.pi / 2, (500, 300)), KEYPOINTS, ["a", "b"]), spec)
    assert original.names == turned.names
    np.testing.assert_allclose(turned.values, original.values, rtol=1e-3, atol=2e-2)


def test_allocentric_velocity_does_turn_with_the_scene() -> None:
    spec = FeatureSpec(individuals=["a", "b"], keypoints=KEYPOINTS, fps=FPS, velocity_frame="allocentric")
    original = compute_features(make_poses(_two_animals(0.0), KEYPOINTS, ["a", "b"]), spec)
    turned = compute_features(make_poses(_two_animals(np.pi / 2), KEYPOINTS, ["a", "b"]), spec)
    # a 90° turn maps (vx, vy) to (-vy, vx)
    np.testing.assert_allclose(_column(turned, "a.nose.vel_allo_x"), -_column(original, "a.nose.vel_allo_y"),
                               rtol=1e-3, atol=1e-2)


def test_two_animals_at_known_positions() -> None:
    # a: tail (-10, 0) → nose (10, 0), heading +x, centre (0, 0).
    # b: tail (100, -10) → nose (100, 10), heading +y, centre (100, 0).
    a = np.array([[10.0, 0.0], [-10.0, 0.0]])
    b = np.array([[100.0, 10.0], [100.0, -10.0]])
    position = np.repeat(np.stack([a, b])[None], 5, axis=0)
    poses = make_poses(position, ["nose", "tail"], ["a", "b"])
    matrix = compute_features(poses, FeatureSpec.from_recording(poses, fps=FPS))
    expected = {
        "a~b.dist.centroid": 100.0,
        "a~b.dist.nose-nose": np.hypot(90.0, 10.0),
        "a~b.dist.nose-tail": np.hypot(90.0, 10.0),
        "a~b.dist.tail-nose": np.hypot(110.0, 10.0),
        "a>b.facing.cos": 1.0,  # a points straight at b
        "a>b.facing.sin": 0.0,
        "b>a.facing.cos": 0.0,  # b points 90° away from a ...
        "b>a.facing.sin": 1.0,  # ... a is 90° counter-clockwise from b's heading (x→y)
        "a~b.rel_heading.cos": 0.0,
        "a~b.rel_heading.sin": 1.0,
        "a~b.dist.centroid.rate": 0.0,
        "a.body_length": 20.0,
    }
    for name, value in expected.items():
        np.testing.assert_allclose(_column(matrix, name), value, atol=1e-4, err_msg=name)


def test_partner_keypoints_in_each_animals_body_frame() -> None:
    # a heads +x from (0, 0); b heads +y from (100, 0). b's nose (100, 10) is 100 px ahead of a
    # and 10 px along a's +y. b's frame has +x = image +y and +y = image -x, so a's nose
    # (10, 0), 90 px to the image -x of b's centre, is at (0, 90) in it.
    a = np.array([[10.0, 0.0], [-10.0, 0.0]])
    b = np.array([[100.0, 10.0], [100.0, -10.0]])
    poses = make_poses(np.repeat(np.stack([a, b])[None], 5, axis=0), ["nose", "tail"], ["a", "b"])
    matrix = compute_features(poses, FeatureSpec.from_recording(poses, fps=FPS, groups=["partner_egocentric"]))
    expected = {"a>b.nose.ego_x": 100.0, "a>b.nose.ego_y": 10.0, "a>b.tail.ego_x": 100.0, "a>b.tail.ego_y": -10.0,
                "b>a.nose.ego_x": 0.0, "b>a.nose.ego_y": 90.0, "b>a.tail.ego_x": 0.0, "b>a.tail.ego_y": 110.0}
    assert sorted(matrix.names) == sorted(expected)
    for name, value in expected.items():
        np.testing.assert_allclose(_column(matrix, name), value, atol=1e-4, err_msg=name)
    one = make_poses(np.repeat(a[None, None], 5, axis=0), ["nose", "tail"], ["a"])
    assert compute_features(one, FeatureSpec.from_recording(one, groups=["partner_egocentric"])).names == []


def test_interacting_rate_of_approach() -> None:
    a = _walker(20, (0, 0), (0.0, 0.0))
    b = _walker(20, (200, 0), (-2.0, 0.0))  # b walks towards a at 2 px/frame
    poses = make_poses(np.stack([a, b], axis=1), KEYPOINTS, ["a", "b"])
    matrix = compute_features(poses, FeatureSpec.from_recording(poses, fps=FPS))
    np.testing.assert_allclose(_column(matrix, "a~b.dist.centroid.rate"), -2.0 * FPS, rtol=1e-4)


def test_permuted_keypoints_and_individuals_give_the_same_columns() -> None:
    scene = _two_animals(0.0)
    spec = FeatureSpec(individuals=["a", "b"], keypoints=KEYPOINTS, fps=FPS)
    reference = compute_features(make_poses(scene, KEYPOINTS, ["a", "b"]), spec)
    order = [2, 0, 1]
    shuffled = make_poses(scene[:, ::-1][:, :, order], [KEYPOINTS[i] for i in order], ["b", "a"])
    again = compute_features(shuffled, spec)
    assert again.names == reference.names
    np.testing.assert_array_equal(again.values, reference.values)


def test_missing_keypoints_are_listed() -> None:
    poses = make_poses(_two_animals(0.0)[:, :, :2], ["nose", "neck"], ["a", "b"])
    spec = FeatureSpec(individuals=["a", "b", "c"], keypoints=KEYPOINTS)
    with pytest.raises(InputError, match=r"keypoint\(s\) \['tail'\].*individual\(s\) \['c'\]"):
        compute_features(poses, spec)


def test_low_confidence_keypoint_is_interpolated_over() -> None:
    position = _walker(30, (0, 0), (2.0, 0.0))[:, None]
    confidence = np.ones((30, 1, 3), np.float32)
    confidence[10:13, 0, 0] = 0.1  # nose unreliable for three frames ...
    corrupted = position.copy()
    corrupted[10:13, 0, 0] = (999.0, -999.0)  # ... and wildly wrong there
    spec = FeatureSpec(individuals=["m"], keypoints=KEYPOINTS, fps=FPS)
    clean = compute_features(make_poses(position, KEYPOINTS, ["m"]), spec)
    masked = compute_features(make_poses(corrupted, KEYPOINTS, ["m"], confidence), spec)
    visible = _column(masked, "m.visible_fraction")
    np.testing.assert_allclose(visible[10:13], 2 / 3)
    assert visible[0] == 1.0
    keep = [i for i, n in enumerate(clean.names) if not n.endswith("visible_fraction")]
    np.testing.assert_allclose(masked.values[:, keep], clean.values[:, keep], atol=1e-3)


def test_long_gap_becomes_zero_and_stays_finite() -> None:
    position = _walker(100, (0, 0), (1.0, 0.0))[:, None].copy()
    position[20:80, 0, 2] = np.nan  # 60 frames > max_gap
    poses = make_poses(position, KEYPOINTS, ["m"])
    matrix = compute_features(poses, FeatureSpec.from_recording(poses, fps=FPS, max_gap=10))
    assert np.isfinite(matrix.values).all()
    assert (_column(matrix, "m.tail.ego_x")[30:70] == 0).all()


EARS = ["nose", "left_ear", "right_ear", "tail"]
EAR_BODY = np.array([[20.0, 0.0], [12.0, -4.0], [12.0, 4.0], [-20.0, 0.0]], np.float32)  # centre (6, 0)


def test_a_lost_ear_costs_only_the_ear() -> None:
    """Centre and heading from the keypoints present: the nose keeps its egocentric position."""
    position = np.tile(EAR_BODY, (300, 1, 1))[:, None] + np.arange(300)[:, None, None, None] * np.float32(1.0)
    position[100:200, 0, 1] = np.nan  # left ear lost for 100 frames (> max_gap)
    poses = make_poses(position, EARS, ["m"])
    matrix = compute_features(poses, FeatureSpec.from_recording(poses, fps=FPS))
    nose_x, nose_y = _column(matrix, "m.nose.ego_x"), _column(matrix, "m.nose.ego_y")
    np.testing.assert_allclose(nose_x[:100], 14.0, atol=1e-3)
    np.testing.assert_allclose(nose_x[100:200], 16.0, atol=1e-3)  # centre of nose, right ear, tail: (4, 4/3)
    np.testing.assert_allclose(nose_y[100:200], -4.0 / 3.0, atol=1e-3)
    np.testing.assert_allclose(_column(matrix, "m.right_ear.ego_x")[100:200], 8.0, atol=1e-3)
    assert (_column(matrix, "m.left_ear.ego_x")[120:180] == 0).all()  # the lost ear itself


def test_a_lost_axis_keypoint_keeps_the_body_frame() -> None:
    """Tail lost: the axis runs from the centre of the others to the nose (still +x here)."""
    position = np.tile(EAR_BODY, (300, 1, 1))[:, None].copy()
    position[100:200, 0, 3] = np.nan
    poses = make_poses(position, EARS, ["m"])
    matrix = compute_features(poses, FeatureSpec.from_recording(poses, fps=FPS))
    np.testing.assert_allclose(_column(matrix, "m.nose.ego_x")[100:200], 20.0 - 44.0 / 3.0, atol=1e-3)
    np.testing.assert_allclose(_column(matrix, "m.nose.ego_y")[100:200], 0.0, atol=1e-3)
    np.testing.assert_allclose(_column(matrix, "m.left_ear.ego_y")[100:200], -4.0, atol=1e-3)


def test_window_features_are_appended_for_gbdt() -> None:
    poses = make_poses(_two_animals(0.0), KEYPOINTS, ["a", "b"])
    frame = compute_features(poses, FeatureSpec.from_recording(poses, fps=FPS))
    spec = FeatureSpec.for_gbdt(individuals=["a", "b"], keypoints=KEYPOINTS, fps=FPS)
    assert spec.window_sizes == [5, 11, 31] and spec.context_frames >= 15
    windowed = compute_features(poses, spec)
    assert windowed.values.shape == (40, frame.values.shape[1] * 13)
    np.testing.assert_array_equal(windowed.values[:, : frame.values.shape[1]], frame.values)
    assert windowed.names[frame.values.shape[1]] == f"{frame.names[0]}.w5.mean"


def test_groups_select_columns() -> None:
    poses = make_poses(_two_animals(0.0), KEYPOINTS, ["a", "b"])
    matrix = compute_features(poses, FeatureSpec.from_recording(poses, fps=FPS, groups=["speed"]))
    assert all(name.endswith(".speed") for name in matrix.names) and len(matrix.names) == 8


def test_spec_json_round_trip_and_defaults() -> None:
    spec = FeatureSpec(individuals=["a"], keypoints=["Nose", "ear", "Tail_base", "tail_end"], window_sizes=[11, 5])
    assert spec.body_axis == ("Tail_base", "Nose")
    assert spec.social_keypoints == ["Nose", "Tail_base"]
    assert spec.window_sizes == [5, 11]
    assert FeatureSpec.from_dict(spec.to_dict()) == spec
    assert FeatureSpec.model_validate(spec.model_dump(mode="json")) == spec


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"window_sizes": [4]}, "odd"),
        ({"groups": ["colour"]}, "groups"),
        ({"body_axis": ("tail", "paw")}, "paw"),
        ({"confidence_threshold": 2.0}, "confidence_threshold"),
        ({"keypoints": ["a", "a"]}, "unique"),
    ],
)
def test_bad_spec_raises_config_error(options: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        FeatureSpec(**{"individuals": ["m"], "keypoints": KEYPOINTS, **options})


def test_real_ethome5_file(ethome5_dir) -> None:
    from movement.io import load_poses

    from ethoforge.recording import to_singular_dims

    path = min((ethome5_dir / "poses").glob("*.csv"))
    poses = to_singular_dims(load_poses.from_dlc_file(path, fps=30))
    spec = FeatureSpec.from_recording(poses, fps=30.0)
    assert spec.body_axis == ("tail", "neck") and spec.individuals == ["adult", "juvenile"]
    matrix = compute_features(poses, spec)
    assert matrix.values.shape == (poses.sizes["time"], len(matrix.names))
    assert len(matrix.names) == len(set(matrix.names)) > 100
    assert np.isfinite(matrix.values).all()
    speed = matrix.values[:, [i for i, n in enumerate(matrix.names) if n.endswith(".speed")]]
    assert (speed > 0).mean() > 0.5 and np.median(speed) < 2000  # px/s: moving, not absurd
    distance = _column(matrix, "adult~juvenile.dist.centroid")
    assert 0 < np.median(distance) < 2000
