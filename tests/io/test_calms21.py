"""CalMS21 poses and labels from generated JSON / npy files with known content."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ethoforge.errors import InputError
from ethoforge.io.calms21 import (
    CALMS21_KEYPOINTS,
    load_calms21_labels,
    save_calms21_labels,
)
from ethoforge.io.poses import detect_pose_format, load_pose_collection, load_poses
from ethoforge.labels import Bout

VOCAB = {"attack": 0, "investigation": 1, "mount": 2, "other": 3}
ANNOTATIONS_A = [3, 3, 1, 1, 1, 3, 0, 0, 2, 3]  # investigation [2,5), attack [6,8), mount [8,9)
ANNOTATIONS_B = [0, 0, 0, 3, 3, 3]  # attack [0,3)


def _keypoints(n_frames, seed):
    rng = np.random.default_rng(seed)
    return np.round(rng.uniform(0, 1000, size=(n_frames, 2, 2, 7)), 2)


def _calms21_dict():
    return {
        "annotator-id_0": {
            "task1/train/mouse001": {
                "keypoints": _keypoints(10, 1).tolist(),
                "scores": np.full((10, 2, 7), 0.75).tolist(),
                "annotations": ANNOTATIONS_A,
                "metadata": {"annotator-id": 0, "vocab": VOCAB},
            },
            "task1/train/mouse002": {
                "keypoints": _keypoints(6, 2).tolist(),
                "scores": np.full((6, 2, 7), 0.5).tolist(),
                "annotations": ANNOTATIONS_B,
                "metadata": {"annotator-id": 0, "vocab": VOCAB},
            },
        }
    }


@pytest.fixture
def calms21_json(tmp_path):
    path = tmp_path / "calms21_task1.json"
    path.write_text(json.dumps(_calms21_dict()))
    return path


@pytest.fixture
def calms21_npy(tmp_path):
    path = tmp_path / "calms21_task1.npy"
    np.save(path, np.array(_calms21_dict(), dtype=object), allow_pickle=True)
    return path


@pytest.mark.parametrize("fixture", ["calms21_json", "calms21_npy"])
def test_pose_collection(fixture, request):
    path = request.getfixturevalue(fixture)
    assert detect_pose_format(path) == "calms21"
    recordings = load_pose_collection(path)
    assert [r.name for r in recordings] == ["task1__train__mouse001", "task1__train__mouse002"]
    first = recordings[0]
    assert first.individuals == ["resident", "intruder"]
    assert first.keypoints == list(CALMS21_KEYPOINTS)
    assert first.fps == 30.0 and first.metadata["fps_assumed"] is False
    assert first.n_frames == 10 and recordings[1].n_frames == 6
    keypoints = _keypoints(10, 1)  # [T, mouse, (x, y), keypoint]
    for t, mouse, coord, kp in [(0, 0, 0, 0), (3, 1, 1, 6), (9, 1, 0, 3)]:
        got = first.poses["position"].sel(
            time=t, individual=["resident", "intruder"][mouse], space="xy"[coord], keypoint=CALMS21_KEYPOINTS[kp]
        )
        assert float(got) == pytest.approx(keypoints[t, mouse, coord, kp], abs=1e-4)
    assert float(recordings[1].poses["confidence"].max()) == 0.5


def test_load_poses_on_a_collection_needs_a_name(calms21_json):
    with pytest.raises(InputError, match="holds 2 recordings.*pass name="):
        load_poses(calms21_json)
    recording = load_poses(calms21_json, name="task1__train__mouse002")
    assert recording.n_frames == 6


def test_labels_from_per_frame_ints(calms21_json):
    bouts = load_calms21_labels(calms21_json)
    got = sorted((b.recording, b.behavior, b.start, b.stop) for b in bouts)
    assert got == [
        ("task1__train__mouse001", "attack", 6, 8),
        ("task1__train__mouse001", "investigation", 2, 5),
        ("task1__train__mouse001", "mount", 8, 9),
        ("task1__train__mouse002", "attack", 0, 3),
    ]
    assert {(b.agent, b.target, b.annotator) for b in bouts} == {("resident", "intruder", "annotator-id_0")}


def test_labels_for_one_recording_and_frame_check(calms21_npy):
    bouts = load_calms21_labels(calms21_npy, recording="task1__train__mouse002", n_frames=6)
    assert [(b.behavior, b.start, b.stop) for b in bouts] == [("attack", 0, 3)]
    with pytest.raises(InputError, match="6 annotated frames, but the recording has 7"):
        load_calms21_labels(calms21_npy, recording="task1__train__mouse002", n_frames=7)
    with pytest.raises(InputError, match="not in the file"):
        load_calms21_labels(calms21_npy, recording="nope")


@pytest.mark.parametrize("suffix", [".json", ".npy"])
def test_labels_round_trip(tmp_path, calms21_json, suffix):
    bouts = load_calms21_labels(calms21_json)
    out = tmp_path / f"labels{suffix}"
    save_calms21_labels(bouts, out, n_frames={"task1__train__mouse001": 10, "task1__train__mouse002": 6})
    again = load_calms21_labels(out)
    assert sorted(again, key=lambda b: (b.recording, b.start)) == sorted(bouts, key=lambda b: (b.recording, b.start))
    raw = json.loads(out.read_text()) if suffix == ".json" else np.load(out, allow_pickle=True).item()
    assert raw["annotator-id_0"]["task1__train__mouse001"]["annotations"] == ANNOTATIONS_A


def test_save_fills_background_and_edges(tmp_path):
    bouts = [Bout("r", "mount", 0, 2), Bout("r", "attack", 4, 5)]
    out = tmp_path / "l.json"
    save_calms21_labels(bouts, out, n_frames=7)
    assert json.loads(out.read_text())["annotator-id_0"]["r"]["annotations"] == [2, 2, 3, 3, 0, 3, 3]
    save_calms21_labels(bouts, out)  # default length: last stop
    assert json.loads(out.read_text())["annotator-id_0"]["r"]["annotations"] == [2, 2, 3, 3, 0]


def test_save_with_own_behaviors_builds_vocab(tmp_path):
    out = tmp_path / "l.json"
    save_calms21_labels([Bout("r", "sniff", 1, 3)], out, n_frames=4, behaviors=["sniff", "chase"])
    sequence = json.loads(out.read_text())["annotator-id_0"]["r"]
    assert sequence["metadata"]["vocab"] == {"sniff": 0, "chase": 1, "other": 2}
    assert sequence["annotations"] == [2, 0, 0, 2]
    assert [(b.behavior, b.start, b.stop) for b in load_calms21_labels(out)] == [("sniff", 1, 3)]


def test_save_refuses_overlapping_behaviors(tmp_path):
    with pytest.raises(InputError, match="overlaps"):
        save_calms21_labels([Bout("r", "attack", 0, 5), Bout("r", "mount", 3, 6)], tmp_path / "l.json")


def test_bad_files(tmp_path):
    empty = tmp_path / "empty.json"
    empty.write_text("")
    with pytest.raises(InputError, match="empty"):
        load_poses(empty)
    broken = tmp_path / "broken.json"
    broken.write_text('{"annotator-id_0": {"a": ')
    with pytest.raises(InputError, match="invalid JSON") as info:
        load_pose_collection(broken)
    assert info.value.location.startswith("line 1")
    bad_shape = tmp_path / "shape.json"
    bad_shape.write_text(json.dumps({"annotator-id_0": {"s": {"keypoints": np.zeros((4, 2, 2, 5)).tolist()}}}))
    with pytest.raises(InputError, match=r"shape \(4, 2, 2, 5\), expected \(T, 2, 2, 7\)") as info:
        load_pose_collection(bad_shape)
    assert info.value.location == "sequence 's'"
    bad_code = tmp_path / "code.json"
    bad_code.write_text(json.dumps({"annotator-id_0": {"s": {"annotations": [3, 3, 7]}}}))
    with pytest.raises(InputError, match="annotation 7 is not a code") as info:
        load_calms21_labels(bad_code)
    assert info.value.location == "sequence 's', frame 2"
