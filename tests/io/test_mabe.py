"""MABe 2025 tracking and annotation parquet files, generated with a known answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ethoforge.errors import InputError
from ethoforge.io.mabe import load_mabe_labels, save_mabe_labels
from ethoforge.io.poses import detect_pose_format, load_pose_collection, load_poses
from ethoforge.labels import Bout, bouts_to_frames


def _tracking(n_frames=6, mice=(1, 2), bodyparts=("nose", "ear_left", "tail_base")):
    rows = []
    for frame in range(n_frames):
        for mouse in mice:
            for k, part in enumerate(bodyparts):
                if mouse == 2 and part == "tail_base" and frame == 3:
                    continue  # untracked point
                rows.append((frame, mouse, part, 100.0 * mouse + frame, 10.0 * k + frame))
    return pd.DataFrame(rows, columns=["video_frame", "mouse_id", "bodypart", "x", "y"])


def test_tracking_parquet(tmp_path):
    path = tmp_path / "44566106.parquet"
    table = _tracking()
    table.iloc[::-1].to_parquet(path, index=False)  # row order must not matter
    assert detect_pose_format(path) == "mabe"
    recording = load_poses(path, fps=30)
    assert recording.name == "44566106"
    assert recording.individuals == ["mouse1", "mouse2"]
    assert recording.keypoints == ["tail_base", "ear_left", "nose"]  # order of first appearance in the file
    assert recording.n_frames == 6 and recording.source_format == "mabe"
    point = recording.poses["position"].sel(time=4, individual="mouse2", keypoint="ear_left").values
    assert point.tolist() == [204.0, 14.0]
    missing = recording.poses.sel(time=3, individual="mouse2", keypoint="tail_base")
    assert np.isnan(missing["position"].values).all() and float(missing["confidence"]) == 0.0
    assert float(recording.poses["confidence"].sel(time=2, individual="mouse1", keypoint="nose")) == 1.0


def test_frames_start_at_zero_even_when_tracking_starts_later(tmp_path):
    path = tmp_path / "v.parquet"
    table = _tracking(n_frames=5)
    table[table.video_frame >= 2].to_parquet(path, index=False)
    recording = load_poses(path)
    assert recording.n_frames == 5 and recording.metadata["fps_assumed"] is True
    assert np.isnan(recording.poses["position"].sel(time=[0, 1]).values).all()


def test_video_id_column_splits_into_a_collection(tmp_path):
    a, b = _tracking(4), _tracking(7, mice=(1, 2, 3))
    a["video_id"], b["video_id"] = "vidA", "vidB"
    path = tmp_path / "many.parquet"
    pd.concat([a, b]).to_parquet(path, index=False)
    recordings = load_pose_collection(path, fps=25)
    assert [(r.name, r.n_frames, len(r.individuals)) for r in recordings] == [("vidA", 4, 2), ("vidB", 7, 3)]
    assert load_poses(path, name="vidB").individuals == ["mouse1", "mouse2", "mouse3"]


def test_tracking_errors(tmp_path):
    path = tmp_path / "bad.parquet"
    _tracking().drop(columns=["bodypart"]).to_parquet(path)
    with pytest.raises(InputError, match=r"missing column\(s\) \['bodypart'\]"):
        load_poses(path)
    table = _tracking()
    table = pd.concat([table, table.iloc[[5]]])
    table.to_parquet(path, index=False)
    with pytest.raises(InputError, match="appears twice") as info:
        load_poses(path)
    assert info.value.location == f"row {len(table)}"
    table = _tracking().astype({"x": str})
    table.loc[7, "x"] = "n/a"
    table.to_parquet(path, index=False)
    with pytest.raises(InputError, match="x = 'n/a' is not a number") as info:
        load_poses(path)
    assert info.value.location == "row 8"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        load_poses(path)
    path.write_bytes(b"PAR1 not really")
    with pytest.raises(InputError, match="not a readable parquet"):
        load_poses(path, "mabe")


def _annotations():
    return pd.DataFrame({
        "agent_id": [1, 2, 1],
        "target_id": [2, 1, 1],
        "action": ["sniff", "attack", "selfgroom"],
        "start_frame": [0, 10, 20],
        "stop_frame": [5, 12, 21],
    })


def test_annotation_parquet(tmp_path):
    path = tmp_path / "44566106.parquet"
    _annotations().to_parquet(path, index=False)
    bouts = load_mabe_labels(path)
    assert bouts[0] == Bout("44566106", "sniff", 0, 5, agent="mouse1", target="mouse2")
    assert bouts[2].agent == bouts[2].target == "mouse1"
    # stop_frame is exclusive: frames 0..4 of sniff, frame 20 only of selfgroom
    frames = bouts_to_frames(bouts, ["sniff", "selfgroom"], 22)
    assert frames[:, 0].nonzero()[0].tolist() == [0, 1, 2, 3, 4]
    assert frames[:, 1].nonzero()[0].tolist() == [20]
    assert {b.recording for b in load_mabe_labels(path, recording="other")} == {"other"}
    with pytest.raises(InputError, match="past the last pose frame") as info:
        load_mabe_labels(path, n_frames=20)
    assert info.value.location == "row 3"


def test_annotation_round_trip(tmp_path):
    source = tmp_path / "vid.parquet"
    _annotations().to_parquet(source, index=False)
    bouts = load_mabe_labels(source)
    out = tmp_path / "vid_copy.parquet"
    save_mabe_labels(bouts, out, n_frames=30)
    written = pd.read_parquet(out)
    assert written["video_id"].tolist() == ["vid"] * 3  # name differs from the file stem
    assert written["agent_id"].tolist() == [1, 2, 1] and written["stop_frame"].tolist() == [5, 12, 21]
    assert load_mabe_labels(out) == bouts
    same_name = tmp_path / "vid" / "vid.parquet"
    save_mabe_labels(bouts, same_name, behaviors=["attack"])
    assert "video_id" not in pd.read_parquet(same_name).columns
    assert [b.behavior for b in load_mabe_labels(same_name)] == ["attack"]


def test_annotation_errors(tmp_path):
    path = tmp_path / "a.parquet"
    table = _annotations()
    table.loc[1, "stop_frame"] = 10
    table.to_parquet(path, index=False)
    with pytest.raises(InputError, match="must be after start frame") as info:
        load_mabe_labels(path)
    assert info.value.location == "row 2"
    _annotations().drop(columns=["action"]).to_parquet(path)
    with pytest.raises(InputError, match=r"missing column\(s\) \['action'\]"):
        load_mabe_labels(path)
    table = _annotations().astype({"start_frame": float})
    table.loc[0, "start_frame"] = 1.5
    table.to_parquet(path, index=False)
    with pytest.raises(InputError, match="start_frame = 1.5 is not a whole number") as info:
        load_mabe_labels(path)
    assert info.value.location == "row 1"
    with pytest.raises(InputError, match="past the last pose frame"):
        save_mabe_labels([Bout("r", "x", 0, 10)], tmp_path / "o.parquet", n_frames=5)
