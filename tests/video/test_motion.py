"""The ``motion`` encoder on a generated blob clip (known centre) and on the real open-field
mouse video, where it must find the mouse where DeepLabCut put its keypoints."""

from __future__ import annotations

import numpy as np
import pytest

from ethoforge.errors import ConfigError
from ethoforge.io.video import VideoReader
from ethoforge.video.encoders import encoder_names, get_encoder
from ethoforge.video.synthetic import write_blob_clip


class _Source:
    """A `VideoSource` over an open reader (what `encode_video` passes to `prepare`)."""

    def __init__(self, reader: VideoReader, size, colour="gray"):
        self.reader, self.size, self.colour = reader, size, colour
        self.n_frames, self.fps = reader.n_frames, float(reader.fps)

    def sample(self, count):
        from ethoforge.video.encode import _Sampler

        return _Sampler(self.reader, self.size, self.colour).sample(count)


def _encode(path, stop, encoder):
    with VideoReader(path) as reader:
        size = encoder.frame_size(reader.width, reader.height)
        encoder.prepare(_Source(reader, size))
        frames = np.stack(list(reader.frames(0, stop, size=size, format="gray")))
    return encoder.encode(frames, None), size


def test_registry_describes_encoders_and_refuses_unknown_names():
    assert "motion" in encoder_names()
    info = get_encoder("motion").info
    assert info.dim == len(info.feature_names) and info.colour == "grey" and len(info.weights_hash) == 64
    assert get_encoder("motion", grid=3).info.weights_hash != info.weights_hash  # settings key the cache
    with pytest.raises(ConfigError, match=r"unknown encoder 'pixels' \(--encoder\); encoders: .*motion"):
        get_encoder("pixels")


def test_motion_finds_the_blob_and_its_speed(tmp_path):
    clip = write_blob_clip(tmp_path / "blob.mp4", n_frames=120, width=128, height=96, seed=4)
    encoder = get_encoder("motion")
    values, _size = _encode(clip.path, 120, encoder)
    names = [n.split(":")[1] for n in encoder.info.feature_names]
    column = {n: i for i, n in enumerate(names)}
    assert values[:, column["present"]].min() == 1.0
    found = values[:, [column["cx"], column["cy"]]] * 128  # frame widths → pixels of the clip
    assert np.median(np.linalg.norm(found - clip.centres, axis=1)) < 2.0
    speed = values[1:, column["speed"]]
    assert speed[clip.running[1:]].mean() > 5 * speed[~clip.running[1:]].mean()


def test_motion_on_the_real_openfield_mouse_agrees_with_deeplabcut(test_data):
    from ethoforge.io.poses import load_poses

    folder = test_data / "dlc_openfield"
    poses = load_poses(next(folder.glob("*.nwb")), fps=30).poses
    encoder = get_encoder("motion")
    values, _size = _encode(folder / "m3v1mp4.mp4", 150, encoder)
    names = [n.split(":")[1] for n in encoder.info.feature_names]
    cx, cy = values[:, names.index("cx")] * 640, values[:, names.index("cy")] * 640
    keypoints = poses["position"].isel(time=slice(0, 150)).values[:, :, :, 0]  # (time, space, keypoint)
    confident = poses["confidence"].isel(time=slice(0, 150)).values[:, :, 0] > 0.9
    assert values[:, names.index("present")].mean() > 0.95
    inside = []
    for t in range(150):
        points = keypoints[t][:, confident[t]]  # (space, confident keypoints): snout, ears, tail base
        if points.shape[1] >= 2:
            low, high = points.min(axis=1) - 15, points.max(axis=1) + 15  # the body, padded by 15 px
            inside.append(low[0] <= cx[t] <= high[0] and low[1] <= cy[t] <= high[1])
    assert len(inside) > 100 and np.mean(inside) > 0.9, np.mean(inside)
