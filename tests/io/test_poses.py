"""load_poses / save_poses on the real ethome5 and Sturman files and on generated files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from ethoforge.errors import InputError
from ethoforge.io.poses import (
    POSE_FORMATS,
    detect_pose_format,
    load_pose_collection,
    load_poses,
    normalise_poses,
    save_poses,
)
from ethoforge.recording import POSITION_DIMS, content_hash

ETHOME5_FRAMES = {
    "e3v813a-20210610T120637-121213": 10080,
    "e3v813a-20210610T121558-122141": 10290,
    "e3v813a-20210610T122332-122642": 5700,
    "e3v813a-20210610T122758-123309": 9330,
    "e3v813a-20210610T123521-124106": 10349,
}
KEYPOINTS = ["nose", "leftear", "rightear", "neck", "lefthip", "righthip", "tail"]


def _ethome5_file(ethome5_dir: Path, recording_id: str) -> Path:
    return next((ethome5_dir / "poses").glob(f"{recording_id}*.csv"))


_cache: dict[str, object] = {}


def _load_cached(path: Path):
    if str(path) not in _cache:
        _cache[str(path)] = load_poses(path)
    return _cache[str(path)]


@pytest.mark.parametrize("recording_id", sorted(ETHOME5_FRAMES))
def test_ethome5_dlc_csv_loads_with_singular_dims(ethome5_dir, recording_id):
    path = _ethome5_file(ethome5_dir, recording_id)
    recording = _load_cached(path)
    assert detect_pose_format(path) == "dlc"
    assert recording.source_format == "dlc"
    assert recording.n_frames == ETHOME5_FRAMES[recording_id]
    assert tuple(recording.poses["position"].dims) == POSITION_DIMS
    assert recording.individuals == ["adult", "juvenile"]
    assert recording.keypoints == KEYPOINTS
    assert recording.poses["time"].values[0] == 0 and recording.poses["time"].values[-1] == recording.n_frames - 1
    assert recording.fps == 30.0 and recording.metadata["fps_assumed"] is True
    assert recording.content_hash == content_hash(path)
    assert recording.source_path == path


def test_ethome5_values_match_the_raw_csv(ethome5_dir):
    path = _ethome5_file(ethome5_dir, "e3v813a-20210610T122332-122642")
    recording = _load_cached(path)
    raw = pd.read_csv(path, header=[0, 1, 2, 3], index_col=0)
    scorer = raw.columns.get_level_values(0)[0]
    for individual, keypoint in [("adult", "nose"), ("juvenile", "tail")]:
        for coord in ("x", "y"):
            expected = raw[(scorer, individual, keypoint, coord)].to_numpy()
            got = recording.poses["position"].sel(individual=individual, keypoint=keypoint, space=coord).values
            np.testing.assert_array_equal(got, expected)
        expected = raw[(scorer, individual, keypoint, "likelihood")].to_numpy()
        got = recording.poses["confidence"].sel(individual=individual, keypoint=keypoint).values
        np.testing.assert_array_equal(got, expected)
    # the first data row of the file, by hand
    assert recording.poses["position"].sel(time=0, individual="adult", keypoint="nose").values.tolist() == [606.248, 718.07]


def test_default_name_drops_the_dlc_scorer_suffix(ethome5_dir):
    path = _ethome5_file(ethome5_dir, "e3v813a-20210610T122332-122642")
    assert _load_cached(path).name == "e3v813a-20210610T122332-122642"


def test_explicit_fps_and_name(ethome5_dir):
    path = _ethome5_file(ethome5_dir, "e3v813a-20210610T122332-122642")
    recording = load_poses(path, fps=25, name="trial1")
    assert recording.fps == 25.0 and recording.metadata["fps_assumed"] is False
    assert recording.name == "trial1"


def test_pandas_resaved_dlc_csv_with_extra_index_column(shared_data):
    path = next((shared_data / "sturman_oft").glob("12_01_A*DeepCut*.csv"))
    assert detect_pose_format(path) == "dlc"
    recording = load_poses(path, fps=25)
    assert recording.n_frames == 1998
    assert recording.individuals == ["individual_0"]
    assert recording.keypoints[:6] == ["tl", "tr", "bl", "br", "centre", "nose"]
    assert len(recording.keypoints) == 18
    assert recording.name == "12_01_A_190507144429"
    # first data row: "2,0,2.2573689222335815,6.148974895477295,0.0061220526695251465,..."
    first = recording.poses.sel(time=0, keypoint="tl", individual="individual_0")
    assert first["position"].values.tolist() == [2.2573689222335815, 6.148974895477295]
    assert float(first["confidence"]) == 0.0061220526695251465
    raw = pd.read_csv(path, skiprows=3, header=None)
    np.testing.assert_array_equal(
        recording.poses["position"].sel(keypoint="tailtip", space="y", individual="individual_0").values,
        raw.iloc[:, -2].to_numpy(),
    )


def test_select_individuals_and_keypoints_in_given_order(ethome5_dir):
    path = _ethome5_file(ethome5_dir, "e3v813a-20210610T122332-122642")
    full = _load_cached(path)
    recording = load_poses(path, individuals=["juvenile"], keypoints=["tail", "nose"])
    assert recording.individuals == ["juvenile"]
    assert recording.keypoints == ["tail", "nose"]
    np.testing.assert_array_equal(
        recording.poses["position"].sel(keypoint="tail", individual="juvenile").values,
        full.poses["position"].sel(keypoint="tail", individual="juvenile").values,
    )


def test_unknown_selection_lists_available_names(ethome5_dir):
    path = _ethome5_file(ethome5_dir, "e3v813a-20210610T122332-122642")
    with pytest.raises(InputError, match=r"unknown keypoint\(s\) \['snout'\].*'nose', 'leftear'"):
        load_poses(path, keypoints=["nose", "snout"])
    with pytest.raises(InputError, match=r"unknown individual\(s\) \['mouse3'\].*\['adult', 'juvenile'\]"):
        load_poses(path, individuals=["mouse3"])


def test_rename_individuals_and_keypoints(ethome5_dir):
    path = _ethome5_file(ethome5_dir, "e3v813a-20210610T122332-122642")
    recording = load_poses(path, rename={"adult": "resident", "tail": "tail_base"})
    assert recording.individuals == ["resident", "juvenile"]
    assert recording.keypoints[-1] == "tail_base"
    with pytest.raises(InputError, match="cannot rename"):
        load_poses(path, rename={"ghost": "x"})
    with pytest.raises(InputError, match="duplicate keypoint"):
        load_poses(path, rename={"nose": "neck"})


def _plural_dataset(n_frames=5):
    from movement.io import load_poses as mload

    rng = np.random.default_rng(0)
    position = rng.uniform(0, 100, size=(n_frames, 2, 3, 2))
    confidence = rng.uniform(0, 1, size=(n_frames, 3, 2))
    return mload.from_numpy(position, confidence, individual_names=["a", "b"], keypoint_names=["k1", "k2", "k3"], fps=10)


def test_adapter_accepts_plural_and_singular_movement_datasets():
    plural = _plural_dataset()
    assert "individuals" in plural.dims or "individual" in plural.dims
    singular = xr.Dataset(
        {
            "position": (("time", "space", "keypoints", "individuals"), plural["position"].values),
            "confidence": (("time", "keypoints", "individuals"), plural["confidence"].values),
        },
        coords={"time": np.arange(5) / 10, "space": ["x", "y"], "keypoints": ["k1", "k2", "k3"], "individuals": ["a", "b"]},
    ).rename({"keypoints": "keypoint", "individuals": "individual"})  # as movement >= 0.17 gives it
    from_plural = normalise_poses(plural)
    from_singular = normalise_poses(singular)
    for poses in (from_plural, from_singular):
        assert tuple(poses["position"].dims) == POSITION_DIMS
        assert poses["time"].values.tolist() == [0, 1, 2, 3, 4]
        assert poses["individual"].values.tolist() == ["a", "b"]
    np.testing.assert_array_equal(from_plural["position"].values, from_singular["position"].values)
    np.testing.assert_array_equal(from_plural["confidence"].values, from_singular["confidence"].values)


@pytest.mark.parametrize("recording_id", sorted(ETHOME5_FRAMES))
@pytest.mark.parametrize("filename,fmt", [("out.csv", "dlc"), ("out.analysis.h5", "sleap"), ("out.nwb", "nwb")])
def test_round_trip_through_dlc_sleap_nwb(ethome5_dir, tmp_path, recording_id, filename, fmt):
    original = _load_cached(_ethome5_file(ethome5_dir, recording_id))
    written = save_poses(original, tmp_path / filename, fmt)
    assert detect_pose_format(written) == fmt
    again = load_poses(written)
    assert again.source_format == fmt
    assert again.individuals == original.individuals
    assert again.keypoints == original.keypoints
    assert again.n_frames == original.n_frames
    # SLEAP and NWB store float32 where DLC CSV text holds 3-4 decimals
    np.testing.assert_allclose(again.poses["position"].values, original.poses["position"].values, rtol=1e-6, atol=1e-4)
    np.testing.assert_allclose(again.poses["confidence"].values, original.poses["confidence"].values, rtol=1e-6, atol=1e-6)
    if fmt == "nwb":
        assert again.fps == original.fps and again.metadata["fps_assumed"] is False


def _tiny_recording(with_nan=True):
    from ethoforge.recording import Recording

    position = np.arange(4 * 2 * 3 * 2, dtype=float).reshape(4, 2, 3, 2)
    if with_nan:
        position[1, :, 2, 0] = np.nan
    confidence = np.full((4, 3, 2), 0.5)
    confidence[1, 2, 0] = np.nan
    poses = xr.Dataset(
        {
            "position": (POSITION_DIMS, position),
            "confidence": (("time", "keypoint", "individual"), confidence),
        },
        coords={"time": np.arange(4), "space": ["x", "y"], "keypoint": ["a", "b", "c"], "individual": ["m1", "m2"]},
    )
    return Recording("tiny", poses, fps=15.0)


@pytest.mark.parametrize("filename,fmt", [("t.csv", "dlc"), ("t.h5", "dlc"), ("t.analysis.h5", "sleap"), ("t.nwb", "nwb")])
def test_round_trip_keeps_nan_and_exact_values(tmp_path, filename, fmt):
    original = _tiny_recording()
    again = load_poses(save_poses(original, tmp_path / filename))
    assert again.source_format == fmt
    np.testing.assert_array_equal(again.poses["position"].values, original.poses["position"].values)
    assert np.isnan(again.poses["position"].values[1, :, 2, 0]).all()
    assert again.individuals == ["m1", "m2"] and again.keypoints == ["a", "b", "c"]


def test_single_animal_dlc_and_lightning_pose(tmp_path):
    single = _tiny_recording()
    single.poses = single.poses.sel(individual=["m1"])
    path = save_poses(single, tmp_path / "single.csv", "dlc")
    header = path.read_text().splitlines()[:3]
    assert header[0].startswith("scorer") and header[1].startswith("bodyparts") and header[2].startswith("coords")
    as_dlc = load_poses(path)
    as_lp = load_poses(path, "lightning_pose")
    assert as_lp.source_format == "lightning_pose"
    for recording in (as_dlc, as_lp):
        assert recording.keypoints == ["a", "b", "c"]
        np.testing.assert_array_equal(recording.poses["position"].values, single.poses["position"].values)


def test_anipose_csv(tmp_path):
    rows = []
    for frame in range(6):
        row = {}
        for k, name in enumerate(["nose", "tail"]):
            row.update({f"{name}_x": frame + k, f"{name}_y": 10.0 * frame, f"{name}_z": -1.0 * k,
                        f"{name}_error": 0.1, f"{name}_ncams": 2, f"{name}_score": 0.9})
        row["fnum"] = frame
        row.update({f"center_{i}": 0.0 for i in range(3)})  # Anipose's alignment columns
        row.update({f"M_{i}{j}": float(i == j) for i in range(3) for j in range(3)})
        rows.append(row)
    path = tmp_path / "pose_3d.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    assert detect_pose_format(path) == "anipose"
    recording = load_poses(path, fps=100)
    assert recording.poses["space"].values.tolist() == ["x", "y", "z"]
    assert sorted(recording.keypoints) == ["nose", "tail"]
    assert float(recording.poses["position"].sel(time=3, keypoint="tail", space="x").squeeze()) == 4.0
    assert float(recording.poses["position"].sel(time=2, keypoint="nose", space="y").squeeze()) == 20.0


def test_sleap_slp_file(tmp_path):
    sio = pytest.importorskip("sleap_io")
    skeleton = sio.Skeleton(["head", "tail"])
    tracks = [sio.Track("mouseA"), sio.Track("mouseB")]
    video = sio.Video(filename="fake.mp4")
    frames = []
    for t in range(3):
        instances = [
            sio.PredictedInstance.from_numpy(
                np.array([[t, 2.0 * t], [t + 5, 1.0 + i]]) + 100 * i, skeleton=skeleton, track=tracks[i],
                point_scores=np.array([0.9, 0.8]), score=1.0,
            )
            for i in range(2)
        ]
        frames.append(sio.LabeledFrame(video=video, frame_idx=t, instances=instances))
    labels = sio.Labels(labeled_frames=frames, videos=[video], skeletons=[skeleton], tracks=tracks)
    path = tmp_path / "session.slp"
    labels.save(str(path))
    assert detect_pose_format(path) == "sleap"
    recording = load_poses(path, fps=50)
    assert recording.individuals == ["mouseA", "mouseB"] and recording.keypoints == ["head", "tail"]
    assert recording.n_frames == 3
    assert recording.poses["position"].sel(time=2, keypoint="tail", individual="mouseB").values.tolist() == [107.0, 102.0]


def test_h5_detection_distinguishes_dlc_from_sleap(tmp_path):
    recording = _tiny_recording()
    dlc = save_poses(recording, tmp_path / "a.h5", "dlc")
    sleap = save_poses(recording, tmp_path / "b.h5", "sleap")
    assert detect_pose_format(dlc) == "dlc"
    assert detect_pose_format(sleap) == "sleap"


def test_collection_of_single_file_formats_is_one_recording(tmp_path):
    path = save_poses(_tiny_recording(), tmp_path / "x.csv")
    recordings = load_pose_collection(path)
    assert [r.name for r in recordings] == ["x"]


def test_pose_formats_named_in_contract():
    assert POSE_FORMATS == ("dlc", "sleap", "lightning_pose", "anipose", "nwb", "calms21", "mabe", "simba")


def test_import_of_ethoforge_io_is_cheap():
    import subprocess
    import sys

    code = "import sys, ethoforge.io, ethoforge.io.poses, ethoforge.io.video, ethoforge.datasets; " \
           "print(any(m in sys.modules for m in ('movement', 'pynwb', 'av', 'torch')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
