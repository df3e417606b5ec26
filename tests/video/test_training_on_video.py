"""Behavior classifiers on video features, end to end through a project: blob clips whose
speed pattern is the behavior (``run`` vs resting), video only, encoded with ``motion``."""

from __future__ import annotations

import numpy as np
import pytest

from ethoforge.errors import ConfigError, InputError, NotFoundError
from ethoforge.store import Project
from ethoforge.video.synthetic import write_blob_clip

N_FRAMES = 360


@pytest.fixture(scope="module")
def blob_project(tmp_path_factory, testkit):
    """Three video-only recordings (``c0``..``c2``) with their true ``run`` bouts, encoded."""
    return testkit.make_blob_project(tmp_path_factory.mktemp("blobs"), N_FRAMES)


@pytest.mark.parametrize("family", ["gbdt", "conv_bilstm", "cbas_head"])
def test_video_only_model_beats_chance_on_a_held_out_clip(blob_project, family, testkit):
    from ethoforge.inference.bundle import load_bundle
    from ethoforge.workflows import evaluate_in_project, train_in_project

    root, truths = blob_project
    options = {"family": family, "features": "video:motion", "split": {"train": ["c0"], "val": ["c1"], "test": ["c2"]}}
    if family == "gbdt":
        options["model"] = {"n_estimators": 60, "num_threads": 1}
        options["calibrate"] = False
    else:
        options = {**testkit.tiny_train_params(["c1", "c0"], epochs=6, family=family), **options,
                   "samples_per_epoch": 2048}
    with Project.open(root) as project:
        trained = train_in_project(project, options, dataset="blobs", name=f"video-{family}")
        scores = evaluate_in_project(project, f"video-{family}", ["c2"], device="cpu")
        bundle = load_bundle(project.get_model(f"video-{family}").path if hasattr(project, "get_model")
                             else trained.to_dict()["bundle"])
    f1 = scores["per_class"]["run"]["f1"]
    chance = 2 * truths["c2"].mean() / (1 + truths["c2"].mean())  # F1 of always answering "run"
    assert f1 > max(0.8, chance + 0.15), (f1, chance)
    assert bundle.spec.video_encoder == "motion" and not bundle.spec.pose and bundle.keypoints == []


def test_pose_features_on_a_video_only_recording_say_what_to_do(blob_project):
    from ethoforge.workflows import train_in_project

    root, _ = blob_project
    with Project.open(root) as project, pytest.raises(ConfigError, match="--features video:ENCODER"):
        train_in_project(project, {"family": "gbdt", "split": {"train": ["c0"], "val": ["c1"]}}, dataset="blobs")


def test_unknown_encoder_in_features_is_refused_before_work():
    from ethoforge.training.config import make_config

    with pytest.raises(ConfigError, match="unknown encoder 'nope'"):
        make_config({"features": "video:nope"})
    with pytest.raises(ConfigError, match="expected one of pose, video:ENCODER"):
        make_config({"features": "pixels"})


def test_a_recording_not_yet_encoded_names_the_command(tmp_path):
    from ethoforge.features import FeatureSpec
    from ethoforge.video.features import resolve_video_options, with_video_features

    with Project.create(tmp_path / "p") as project:
        project.import_video(write_blob_clip(tmp_path / "fresh.mp4", n_frames=20).path)
        recording = project.load_recording("fresh")
    spec = FeatureSpec(**resolve_video_options({"pose": False, "video_encoder": "motion"}))
    with pytest.raises(NotFoundError, match="ethoforge encode fresh --encoder motion"):
        with_video_features(recording, spec)


def test_features_from_another_encoder_are_refused(blob_project):
    from ethoforge.features import FeatureSpec, compute_features
    from ethoforge.video.features import resolve_video_options, with_video_features

    root, _ = blob_project
    with Project.open(root) as project:
        recording = project.load_recording("c0")
    spec = FeatureSpec(**resolve_video_options({"pose": False, "video_encoder": "motion"}))
    loaded = with_video_features(recording, spec)
    assert compute_features(loaded.poses, spec).values.shape == (N_FRAMES, spec.video_dim)
    other = spec.model_copy(update={"video_encoder_hash": "0" * 64})
    with pytest.raises(InputError, match="the model needs 'motion' \\(weights 000000000000"):
        compute_features(loaded.poses, other)


def test_pose_plus_video_uses_both_and_checks_the_link(tmp_path, testkit):
    """A recording with poses (a nose and a tail on the blob) and its video: pose+video:motion
    features have both kinds of columns, frame-aligned."""
    from ethoforge.features import compute_features
    from ethoforge.pipeline import feature_spec_for
    from ethoforge.recording import Recording
    from ethoforge.training.config import make_config
    from ethoforge.video.features import with_video_features
    from ethoforge.video.workflow import encode_recordings

    clip = write_blob_clip(tmp_path / "both.mp4", n_frames=60, seed=7)
    with Project.create(tmp_path / "p") as project:
        project.import_recording_object(Recording("both", testkit.blob_poses(clip.centres), fps=30.0))
        info = project.import_video(clip.path)
        assert info.has_poses and info.has_video
        encode_recordings(project, ["both"])
        recording = project.load_recording("both")
    spec = feature_spec_for(recording, make_config({"family": "conv_bilstm", "features": "pose+video:motion"}))
    matrix = compute_features(with_video_features(recording, spec).poses, spec)
    pose_columns = [n for n in matrix.names if not n.startswith("video.")]
    video_columns = [n for n in matrix.names if n.startswith("video.motion.")]
    assert pose_columns and len(video_columns) == spec.video_dim and matrix.values.shape[0] == 60
    true_speed = np.r_[0.0, np.linalg.norm(np.diff(clip.centres, axis=0), axis=1)]
    motion_speed = matrix.values[:, matrix.names.index("video.motion.8")]  # motion:speed (frame widths/s)
    lagged = {lag: np.corrcoef(true_speed[3:-3], np.roll(motion_speed, lag)[3:-3])[0, 1] for lag in (-1, 0, 1)}
    assert lagged[0] > 0.9 and lagged[0] > max(lagged[-1], lagged[1]), lagged  # frame i is frame i
