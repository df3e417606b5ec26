"""Animal-centred crops: boxes from poses (confident keypoints, padded, smoothed, union over
a window) and from the background model (auto), and encoding on crops (a separate cache)."""

from __future__ import annotations

import numpy as np
import pytest

from ethoforge.errors import ConfigError
from ethoforge.io.video import VideoReader
from ethoforge.store import Project
from ethoforge.video.crops import auto_boxes, boxes_from_points, finish_boxes
from ethoforge.video.synthetic import write_blob_clip


def test_pose_boxes_ignore_unconfident_points_pad_and_cover_the_window():
    t = np.arange(40, dtype=float)
    points = np.stack([np.stack([100 + t, 50 + 0 * t], 1), np.stack([120 + t, 60 + 0 * t], 1),
                       np.stack([600 + 0 * t, 5 + 0 * t], 1)], axis=1)  # (T, 3, 2); the third is a bad detection
    confidence = np.tile([0.9, 0.95, 0.1], (40, 1))
    confidence[10:13, :2] = 0.0  # nothing confident in frames 10-12
    raw = boxes_from_points(points, confidence)
    assert np.allclose(raw[0], [100, 50, 120, 60]) and np.isnan(raw[11]).all()
    boxes = finish_boxes(raw, 640, 480, pad=0.25, min_size=32, smooth=1, window=5)
    for frame in range(2, 38):  # each box holds the animal in the 5 frames around it
        for near in range(frame - 2, frame + 3):
            if np.isfinite(raw[near]).all():
                assert boxes[frame, 0] <= raw[near, 0] and boxes[frame, 2] >= raw[near, 2]
    assert np.isfinite(boxes).all() and boxes[:, 2].max() < 600  # the unconfident point is left out
    assert (boxes[:, 3] - boxes[:, 1]).min() >= 32 - 1e-9  # padded to at least 32 px


def test_auto_boxes_follow_the_blob(tmp_path):
    clip = write_blob_clip(tmp_path / "blob.mp4", n_frames=80, width=128, height=96, seed=2)
    with VideoReader(clip.path) as reader:
        boxes = auto_boxes(reader, size=(128, 96), window=1, smooth=1)
    x, y = clip.centres[:, 0], clip.centres[:, 1]
    inside = (boxes[:, 0] <= x) & (x <= boxes[:, 2]) & (boxes[:, 1] <= y) & (y <= boxes[:, 3])
    assert inside.mean() > 0.95
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    assert np.median(area) < 0.25 * 128 * 96  # a crop, not the whole frame


def test_encoding_on_crops_is_cached_apart_and_motion_refuses_crops(tmp_path):
    transformers = pytest.importorskip("transformers", reason="pip install transformers")
    from ethoforge.features import FeatureSpec, compute_features
    from ethoforge.video.features import resolve_video_options, with_video_features
    from ethoforge.video.workflow import encode_recordings

    config = transformers.Dinov2Config(hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                       intermediate_size=32, image_size=224, patch_size=14)
    transformers.Dinov2Model(config).save_pretrained(tmp_path / "weights" / "dinov2_small")
    import os

    os.environ["ETHOFORGE_DINOV2_DIR"] = str(tmp_path / "weights")
    try:
        with Project.create(tmp_path / "p") as project:
            project.import_video(write_blob_clip(tmp_path / "c.mp4", n_frames=24, width=128, height=96).path)
            with pytest.raises(ConfigError, match="finds the animal itself; --crop applies"):
                encode_recordings(project, encoder="motion", crop="auto")
            with pytest.raises(ConfigError, match=r"--crop pose needs poses; recording\(s\) \['c'\]"):
                encode_recordings(project, encoder="dinov2_small", crop="pose")
            whole = encode_recordings(project, encoder="dinov2_small")
            cropped = encode_recordings(project, encoder="dinov2_small", crop="auto")
            assert not whole[0]["cached"] and not cropped[0]["cached"] and cropped[0]["crop"] == "auto"
            folders = sorted(p.name for p in project.feature_cache_dir.iterdir())
            assert len(folders) == 2 and folders[1].endswith("-crop-auto")
            recording = project.load_recording("c")
        values = {}
        for crop in ("none", "auto"):
            spec = FeatureSpec(**resolve_video_options({"pose": False, "video_encoder": "dinov2_small",
                                                        "video_crop": crop}))
            values[crop] = compute_features(with_video_features(recording, spec).poses, spec).values
        assert values["none"].shape == values["auto"].shape == (24, 16)
        assert not np.allclose(values["none"], values["auto"])
    finally:
        del os.environ["ETHOFORGE_DINOV2_DIR"]


def test_real_openfield_pose_and_auto_crops_agree(test_data):
    """On the real mouse video, the crop from DeepLabCut's keypoints and the crop found from the
    background model hold the same animal: their centres lie inside each other's boxes."""
    from ethoforge.io.poses import load_poses
    from ethoforge.video.crops import pose_boxes

    folder = test_data / "dlc_openfield"
    poses = load_poses(next(folder.glob("*.nwb")), fps=30).poses
    from_pose = pose_boxes(poses.isel(time=slice(0, 300)), 640, 480, threshold=0.9)
    with VideoReader(folder / "m3v1mp4.mp4") as reader:
        found = auto_boxes(reader, stop=300)  # the first 10 s; the background model sees the whole video
    assert from_pose.shape == found.shape == (300, 4)

    def centre_inside(a, b):
        cx, cy = (a[:, 0] + a[:, 2]) / 2, (a[:, 1] + a[:, 3]) / 2
        return (b[:, 0] <= cx) & (cx <= b[:, 2]) & (b[:, 1] <= cy) & (cy <= b[:, 3])

    assert centre_inside(from_pose, found).mean() > 0.9 and centre_inside(found, from_pose).mean() > 0.9
    width = from_pose[:, 2] - from_pose[:, 0]
    assert 40 < np.median(width) < 320  # a mouse-sized box in a 640 px frame, not the whole frame
