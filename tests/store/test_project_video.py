"""Recordings with a video: video only, poses + video linked by name or ``video=``, and the
checks that keep a video's frames equal to the pose frames (nothing stored on failure)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from ethoforge.errors import ConflictError, InputError
from ethoforge.io.poses import save_poses
from ethoforge.store import Project
from ethoforge.video.synthetic import write_blob_clip


def make_recording(name: str, n_frames: int, seed: int = 0):
    """Two animals, three keypoints on a random walk."""
    import xarray as xr

    from ethoforge.recording import Recording

    rng = np.random.default_rng(seed)
    position = 30 + np.cumsum(rng.normal(0, 1, (n_frames, 2, 3, 2)), axis=0)
    poses = xr.Dataset(
        {"position": (("time", "space", "keypoint", "individual"), position),
         "confidence": (("time", "keypoint", "individual"), np.full((n_frames, 3, 2), 0.9))},
        coords={"time": np.arange(n_frames), "space": ["x", "y"], "keypoint": ["nose", "neck", "tail"],
                "individual": ["resident", "intruder"]},
    )
    return Recording(name=name, poses=poses, fps=30.0)

OPENFIELD = "dlc_openfield"


def test_video_only_recording_lists_and_loads(project, tmp_path):
    clip = write_blob_clip(tmp_path / "arena1.mp4", n_frames=45)
    info = project.import_video(clip.path)
    assert (info.name, info.n_frames, info.fps, info.has_poses, info.has_video) == ("arena1", 45, 30.0, False, True)
    assert info.video_meta["width"] == 64 and info.video_meta["height"] == 48
    assert info.video_meta["duration_s"] == pytest.approx(1.5)
    listed = project.recordings()
    assert [r.name for r in listed] == ["arena1"] and listed[0].to_dict()["has_video"] is True
    recording = project.load_recording("arena1")
    assert recording.n_frames == 45 and recording.individuals == [] and recording.keypoints == []
    assert recording.video_path == clip.path.resolve()
    project.create_dataset("d", ["run"], recordings=["arena1"])  # labelled like any recording
    from ethoforge.labels import Bout

    project.add_bouts("arena1", [Bout("arena1", "run", 3, 9)])
    assert [(b.start, b.stop) for b in project.get_bouts("arena1")] == [(3, 9)]


def test_video_links_to_poses_of_its_name_and_poses_join_a_video_only_recording(project, tmp_path):
    pose_file = save_poses(make_recording("rec1", n_frames=40), tmp_path / "rec1.csv", "dlc")
    project.import_recording(pose_file, fps=30)
    linked = project.import_video(write_blob_clip(tmp_path / "rec1.mp4", n_frames=40).path)
    assert linked.has_poses and linked.has_video and linked.keypoints == ["nose", "neck", "tail"]
    assert len(project.recordings()) == 1

    project.import_video(write_blob_clip(tmp_path / "rec2.mp4", n_frames=40, seed=2).path)
    joined = project.import_recording(save_poses(make_recording("rec2", n_frames=40, seed=3),
                                                 tmp_path / "rec2.csv", "dlc"), fps=30)
    assert joined.has_poses and joined.has_video and joined.video_path.endswith("rec2.mp4")
    assert project.load_recording("rec2").individuals == ["resident", "intruder"]


def test_poses_with_video_option(project, tmp_path):
    video = write_blob_clip(tmp_path / "clip.mp4", n_frames=30).path
    pose_file = save_poses(make_recording("other", n_frames=30), tmp_path / "other.csv", "dlc")
    info = project.import_recording(pose_file, fps=30, video=video)
    assert info.has_video and info.video_hash and info.name == "other"


@pytest.mark.parametrize("n_frames, fps, expected", [
    (39, 30.0, "frame counts disagree: the video has 40 frames but the poses of 'rec1' have 39"),
    (40, 25.0, "durations disagree: the video has 40 frames at 30 fps \\(1.33 s\\) but the poses of 'rec1' have "
               "40 frames at 25 fps \\(1.60 s\\), 0.27 s apart"),
    (84, 60.0, "durations disagree: the video has 40 frames at 30 fps \\(1.33 s\\) but the poses of 'rec1' have "
               "84 frames at 60 fps \\(1.40 s\\), 0.07 s apart \\(at most 0.033 s, one frame"),
])
def test_video_that_disagrees_with_its_poses_stores_nothing(project, tmp_path, n_frames, fps, expected, testkit):
    video = write_blob_clip(tmp_path / "rec1.mp4", n_frames=40).path
    pose_file = save_poses(make_recording("rec1", n_frames=n_frames), tmp_path / "rec1.csv", "dlc")
    before = testkit.project_snapshot(project)
    with pytest.raises(InputError, match=expected) as error:
        project.import_recording(pose_file, fps=fps, video=video)
    assert str(video) in str(error.value)
    assert testkit.project_snapshot(project) == before
    project.import_recording(pose_file, fps=fps)  # now poses alone
    before = testkit.project_snapshot(project)
    with pytest.raises(InputError, match=expected.replace("of 'rec1'", "of recording 'rec1'")):
        project.import_video(video)
    assert testkit.project_snapshot(project) == before


def test_poses_at_another_rate_link_when_the_durations_agree(project, tmp_path):
    """Issue 17 item 4: poses at 60 fps and their video at 30 fps cover the same 1.33 s: linked,
    each keeping its own rate and frame count (video features are resampled onto the poses)."""
    video = write_blob_clip(tmp_path / "rec1.mp4", n_frames=40).path
    pose_file = save_poses(make_recording("rec1", n_frames=80), tmp_path / "rec1.csv", "dlc")
    info = project.import_recording(pose_file, fps=60.0, video=video)
    assert (info.fps, info.n_frames, info.video_fps, info.video_frames) == (60.0, 80, 30.0, 40)
    recording = project.load_recording("rec1")
    assert (recording.fps, recording.n_frames, recording.video_fps, recording.video_frames) == (60.0, 80, 30.0, 40)


def test_poses_at_another_rate_join_a_video_only_recording_unless_it_is_labelled(project, tmp_path, testkit):
    from ethoforge.labels import Bout

    project.import_video(write_blob_clip(tmp_path / "rec1.mp4", n_frames=40).path)
    project.import_video(write_blob_clip(tmp_path / "rec2.mp4", n_frames=40, seed=1).path)
    project.add_bouts("rec2", [Bout("rec2", "run", 5, 10)])
    joined = project.import_recording(save_poses(make_recording("rec1", n_frames=80), tmp_path / "rec1.csv", "dlc"),
                                      fps=60.0)
    assert (joined.fps, joined.n_frames, joined.video_fps, joined.video_frames) == (60.0, 80, 30.0, 40)
    before = testkit.project_snapshot(project)
    with pytest.raises(ConflictError, match="labelled on its video's 40 frames at 30 fps; poses at 60 fps"):
        project.import_recording(save_poses(make_recording("rec2", n_frames=80, seed=1), tmp_path / "rec2.csv",
                                            "dlc"), fps=60.0)
    assert testkit.project_snapshot(project) == before


def test_same_video_twice_is_a_conflict(project, tmp_path, testkit):
    clip = write_blob_clip(tmp_path / "a.mp4", n_frames=20)
    project.import_video(clip.path)
    shutil.copy(clip.path, tmp_path / "b.mp4")
    before = testkit.project_snapshot(project)
    with pytest.raises(ConflictError, match="already imported, in recording 'a'"):
        project.import_video(tmp_path / "b.mp4")
    assert testkit.project_snapshot(project) == before


def test_truncated_and_not_a_video_store_nothing(project, tmp_path, testkit):
    data = write_blob_clip(tmp_path / "full.mp4", n_frames=60).path.read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 2])
    (tmp_path / "notes.mp4").write_text("not a video")
    before = testkit.project_snapshot(project)
    for name in ("cut.mp4", "notes.mp4"):
        with pytest.raises(InputError, match=name):
            project.import_videos([tmp_path / name])
    assert testkit.project_snapshot(project) == before


def test_folder_import_and_skip_existing(project, tmp_path):
    folder = tmp_path / "videos"
    folder.mkdir()
    for seed, name in enumerate(("b.avi", "a.mkv")):
        write_blob_clip(folder / name, n_frames=20, seed=seed)
    (folder / "readme.txt").write_text("x")
    assert [r.name for r in project.import_videos([folder])] == ["a", "b"]
    assert project.import_videos([folder], skip_existing=True) == []
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no video found in this folder"):
        project.import_videos([tmp_path / "empty"])
    with pytest.raises(InputError, match="project"):  # the project's own folders are never read
        project.import_videos([tmp_path / "project" / "poses"])


def test_real_openfield_video_with_its_dlc_poses(project, test_data):
    """The real 640x480 mouse video (2,330 frames, 30 fps) and its DeepLabCut NWB, whose
    timestamps say 1 fps: the poses take the rate of the video beside them (30), and linking
    refuses poses imported at another rate that makes them last longer than the video."""
    pytest.importorskip("av")
    folder = test_data / OPENFIELD
    nwb = next(folder.glob("*.nwb"))
    video = folder / "m3v1mp4.mp4"
    project.import_recording(nwb, name="m3v1mp4", fps=25)
    with pytest.raises(InputError, match=r"video has 2,330 frames at 30 fps \(77.67 s\) but the poses of recording "
                                         r"'m3v1mp4' have 2,330 frames at 25 fps \(93.20 s\), 15.53 s apart.*fps=30\.0"):
        project.import_video(video)
    with Project.create(project.root.parent / "second") as second:
        info = second.import_recording(nwb, name="m3v1mp4", video=video)
        assert (info.n_frames, info.fps, info.video_meta["width"], info.video_meta["height"]) == (2330, 30.0, 640, 480)
        assert np.isfinite(second.load_recording("m3v1mp4").poses["position"].values).any()
