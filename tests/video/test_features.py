"""Video features on a recording whose poses run at another rate than its video (issue 17
item 4): poses at 60 fps, their index video at 30 fps; the video features are resampled onto
the pose frames, line up in time, and the resampling is stated in the warnings, the report
and the bundle; training and inference with ``pose+video`` work."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from ethoforge.labels import Bout
from ethoforge.store import Project

POSE_FPS, VIDEO_FPS = 60.0, 30


class FrameIndexEncoder:
    """A real frame encoder for tests: one feature, the index an index video's frame spells."""

    def __init__(self, read_index) -> None:
        from ethoforge.video.encoders import EncoderInfo, settings_hash

        self.read_index = read_index
        self.info = EncoderInfo("frame_index", 1, None, "rgb", settings_hash("frame_index", 1), ("index",))

    def prepare(self, video) -> None:
        """Nothing to fit."""

    def encode(self, frames: np.ndarray, previous: np.ndarray | None) -> np.ndarray:
        return np.array([[self.read_index(frame)] for frame in frames], dtype=np.float32)


@pytest.fixture(scope="module")
def two_rate_project(tmp_path_factory, testkit):
    """Recordings ``a`` (240 pose frames at 60 fps, 120 video frames at 30) and ``b`` (300 / 150),
    each pose file linked to its index video, labelled, and encoded with ``motion``."""
    from ethoforge.video.workflow import encode_recordings

    root = tmp_path_factory.mktemp("rates")
    with Project.create(root / "project") as project:
        for name, video_frames in (("a", 120), ("b", 150)):
            video = testkit.write_index_video(root / f"{name}.mp4", video_frames, fps=VIDEO_FPS)
            poses = testkit.write_two_animal_poses(root / f"{name}.csv", 2 * video_frames, fps=POSE_FPS)
            project.import_recording(poses, fps=POSE_FPS, video=video)
            project.add_bouts(name, [Bout(name, "approach", start, start + 20, agent="alpha")
                                     for start in range(10, 2 * video_frames - 20, 60)])
        project.create_dataset("arena", ["approach"], recordings=["a", "b"])
        encode_recordings(project, encoder="motion", chunk_frames=64)
    return root / "project"


def test_video_features_are_resampled_onto_the_pose_frames_in_time(two_rate_project, testkit, monkeypatch):
    """The index video's frame index, encoded, at pose frame p (60 fps) is p / 2: the video frame
    shown at the same time (linear in time between two video frames)."""
    from ethoforge.features import FeatureSpec
    from ethoforge.video import encoders
    from ethoforge.video.features import video_rate_note, with_video_features
    from ethoforge.video.workflow import encode_recordings

    encoders.encoder_names()  # the built-in ones first, then the test's
    monkeypatch.setitem(encoders._REGISTRY, "frame_index", lambda: FrameIndexEncoder(testkit.index_of_image))
    with Project.open(two_rate_project) as project:
        summary = encode_recordings(project, ["a"], "frame_index")[0]
        recording = project.load_recording("a")
    assert summary["frames"] == 120  # the video's frames are encoded, not the poses'
    spec = FeatureSpec(pose=False, video_encoder="frame_index",
                       video_encoder_hash=FrameIndexEncoder(None).info.weights_hash, video_dim=1)
    index = with_video_features(recording, spec).poses["video_features"].values[:, 0]
    assert index.shape == (240,)
    assert index[0] == 0 and index[100] == 50 and index[101] == 50.5 and index[237] == 118.5 and index[239] == 119
    np.testing.assert_allclose(index[:238], np.arange(238) / 2)
    assert video_rate_note(recording) == ("a: its video is at 30 fps (120 frames) and its poses at 60 fps (240 "
                                          "frames): the video features were resampled from 30 to 60 fps, onto the "
                                          "pose frames")


@pytest.mark.parametrize("pose_frames, pose_fps, expected", [
    (60, 29.9, np.arange(60.0)),  # as many frames, rates 0.3 % apart: frame i is frame i
    (59, 29.75, np.arange(59) * 30 / 29.75),  # rates 0.8 % apart, one frame fewer over ~2 s: matched by time
])
def test_rates_a_little_apart(tmp_path, testkit, monkeypatch, pose_frames, pose_fps, expected):
    from ethoforge.features import FeatureSpec
    from ethoforge.video import encoders
    from ethoforge.video.features import video_rate_note, with_video_features
    from ethoforge.video.workflow import encode_recordings

    encoders.encoder_names()
    monkeypatch.setitem(encoders._REGISTRY, "frame_index", lambda: FrameIndexEncoder(testkit.index_of_image))
    video = testkit.write_index_video(tmp_path / "c.mp4", 60, fps=VIDEO_FPS)
    poses = testkit.write_two_animal_poses(tmp_path / "c.csv", pose_frames, fps=pose_fps)
    with Project.create(tmp_path / "project") as project:
        project.import_recording(poses, fps=pose_fps, video=video)
        encode_recordings(project, ["c"], "frame_index")
        recording = project.load_recording("c")
    spec = FeatureSpec(pose=False, video_encoder="frame_index",
                       video_encoder_hash=FrameIndexEncoder(None).info.weights_hash, video_dim=1)
    index = with_video_features(recording, spec).poses["video_features"].values[:, 0]
    np.testing.assert_allclose(index, expected, atol=1e-4)
    assert (video_rate_note(recording) is None) == (pose_frames == 60)


def test_pose_plus_video_trains_and_infers_across_rates_and_says_so(two_rate_project, tmp_path):
    from ethoforge.inference.bundle import load_bundle
    from ethoforge.workflows import infer_many, train_in_project

    options = {"family": "gbdt", "features": "pose+video:motion", "split": {"train": ["a"], "val": ["b"]},
               "model": {"n_estimators": 20, "num_threads": 1}, "calibrate": False}
    with Project.open(two_rate_project) as project:
        trained = train_in_project(project, options, dataset="arena", name="two-rates")
        run = infer_many("two-rates", ["b"], tmp_path / "out", project=project, device="cpu")
        recording = project.load_recording("b")
    said = "b: its video is at 30 fps (150 frames) and its poses at 60 fps (300 frames): the video features were " \
           "resampled from 30 to 60 fps, onto the pose frames"
    assert said in trained.to_dict()["warnings"]  # what `ethoforge train --json` prints
    bundle = load_bundle(trained.bundle)
    assert said in bundle.meta["notes"] and bundle.fps == POSE_FPS and bundle.spec.video_encoder == "motion"
    assert any(name.startswith("video.motion.") for name in bundle.meta["feature_names"])
    report = yaml.safe_load((trained.bundle / "performance_report.yaml").read_text())
    assert said in report["extra"]["notes"]
    assert not run.failed and said in run.warnings and run.outputs["b"]
    probabilities = bundle.predict_proba(recording, device="cpu")
    assert probabilities.shape == (300, 2) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-4)
