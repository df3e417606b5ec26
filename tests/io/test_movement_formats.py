"""Other tools' real pose files (tests/data, see its README): the right animals, keypoints and fps."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from ethoforge.errors import InputError, voice
from ethoforge.io.poses import load_poses

OPENFIELD_NWB = "dlc_openfield/m3v1mp4DLC_resnet50_openfieldAug20shuffle1_30000.nwb"


def test_dlc2nwb_frame_count_timestamps_take_the_rate_of_the_video_beside_them(test_data):
    """DLC2NWB writes timestamps 0, 1, 2, ... 'seconds' (1 fps); the video next to it says 30."""
    pytest.importorskip("av")
    recording = load_poses(test_data / OPENFIELD_NWB)
    assert recording.fps == 30.0 and not recording.metadata["fps_assumed"]
    assert recording.n_frames == 2330 and recording.keypoints == ["ind1_snout", "ind1_leftear", "ind1_rightear",
                                                                  "ind1_tailbase"]


def test_frame_count_timestamps_without_a_video_stop_with_pass_fps(test_data, tmp_path):
    alone = tmp_path / "m3v1mp4DLC_resnet50_openfieldAug20shuffle1_30000.nwb"
    shutil.copy(test_data / OPENFIELD_NWB, alone)
    with voice("cli"), pytest.raises(InputError, match=r"gives 1 frames per second.*pass --fps"):
        load_poses(alone)
    assert load_poses(alone, fps=30).fps == 30.0


def test_only_video_files_are_opened_for_the_frame_rate(test_data, tmp_path):
    """The video beside the file, or one it links, may be a symlink: one to ``ethoforge.db`` must
    not make the importer open the database (a real video renamed ``trap.db`` stands for it)."""
    pytest.importorskip("av")
    alone = tmp_path / "m3v1mp4DLC_resnet50_openfieldAug20shuffle1_30000.nwb"
    shutil.copy(test_data / OPENFIELD_NWB, alone)
    shutil.copy(test_data / "dlc_openfield/m3v1mp4.mp4", tmp_path / "trap.db")
    (tmp_path / "m3v1mp4.mp4").symlink_to(tmp_path / "trap.db")  # named like the recording
    with pytest.raises(InputError, match=r"gives 1 frames per second"):
        load_poses(alone)
    (tmp_path / "m3v1mp4.mp4").unlink()
    shutil.copy(test_data / "dlc_openfield/m3v1mp4.mp4", tmp_path / "m3v1mp4.mp4")
    assert load_poses(alone).fps == 30.0


def test_implausible_rate_from_timestamps_is_refused(test_data):
    """ndx-pose 0.3.0's own test file: 10 frames over 10 s (0.9 fps) → pass --fps."""
    path = test_data / "ndx_pose/0.3.0_poseestimation_one_camera.nwb"
    with pytest.raises(InputError, match=r"0\.9 frames per second.*pass fps="):
        load_poses(path)
    assert load_poses(path, fps=25).n_frames == 10


def test_ndx_pose_0_1_files_load_or_name_the_version(test_data):
    recording = load_poses(test_data / "ndx_pose/0.1.1_poseestimation_nodes_edges.nwb")
    assert recording.keypoints == ["front_left_paw", "front_right_paw"] and recording.n_frames == 100
    assert recording.fps == pytest.approx(9.9)
    with pytest.raises(InputError, match=r"ndx-pose 0\.1\.1.*no keypoint positions"):
        load_poses(test_data / "ndx_pose/0.1.1_poseestimation_no_cameras.nwb")


def test_untracked_sleap_instances_become_one_individual_per_slot(test_data):
    """sleap-io / SLEAP's minimal_instance.slp: two untracked instances in frame 0 (was one)."""
    recording = load_poses(test_data / "sleap/minimal_instance.slp")
    assert recording.individuals == ["instance_0", "instance_1"] and recording.keypoints == ["A", "B"]
    position = recording.poses["position"].sel(time=0).transpose("individual", "keypoint", "space").values
    np.testing.assert_allclose(position, [[[92.65221, 202.72598], [152.34189, 158.42365]],  # file order
                                          [[205.93005, 187.88963], [278.63522, 203.36586]]], rtol=1e-6)


def test_sleap_analysis_standard_layout_loads_like_the_matlab_layout(test_data, tmp_path):
    """SLEAP's own analysis file (tracks × 2 × nodes × frames) rewritten by sleap-io in both presets."""
    sleap_io = pytest.importorskip("sleap_io")
    original = test_data / "sleap/small_robot.000_small_robot_3_frame.analysis.h5"
    labels = sleap_io.load_analysis_h5(str(original))
    sleap_io.save_analysis_h5(labels, str(tmp_path / "standard.analysis.h5"), preset="standard")
    sleap_io.save_analysis_h5(labels, str(tmp_path / "matlab.analysis.h5"), preset="matlab")
    reference = load_poses(original)
    for layout in ("standard", "matlab"):
        loaded = load_poses(tmp_path / f"{layout}.analysis.h5")
        assert loaded.keypoints == reference.keypoints == ["top", "front", "rear"] and loaded.n_frames == 3
        np.testing.assert_array_equal(loaded.poses["position"].values, reference.poses["position"].values)
    standard = tmp_path / "standard.analysis.h5"
    import h5py

    with h5py.File(standard, "r+") as handle:  # a writer that leaves out the dims attributes
        for name in handle:
            if "dims" in handle[name].attrs:
                del handle[name].attrs["dims"]
    np.testing.assert_array_equal(load_poses(standard).poses["position"].values, reference.poses["position"].values)


def test_tracked_sleap_file_loads_as_movement_reads_it(test_data):
    """SLEAP's clip.2node.slp: tracks 'female' and 'male' over 1,500 frames, as movement's own loader gives."""
    from movement.io import load_poses as movement_load

    path = test_data / "sleap/clip.2node.slp"
    recording = load_poses(path)
    assert recording.individuals == ["female", "male"] and recording.keypoints == ["head", "thorax"]
    reference = movement_load.from_sleap_file(path)
    reference_position = reference["position"].values  # (time, space, keypoint(s), individual(s))
    np.testing.assert_array_equal(recording.poses["position"].transpose("time", "space", "keypoint", "individual").values,
                                  reference_position)
