"""Generated videos: a clip repeated without re-encoding plays as one long constant-rate video,
and clips are written with x264's fast preset."""

from __future__ import annotations

import re

import av
import numpy as np
import pytest

from ethoforge.io.video import VideoReader, probe_video
from ethoforge.recording import content_hash
from ethoforge.video.encode import encode_video
from ethoforge.video.encoders import get_encoder
from ethoforge.video.synthetic import repeat_video, write_blob_clip


@pytest.fixture(scope="module")
def second(tmp_path_factory):
    """A one-second 64x48 blob clip at 30 fps."""
    return write_blob_clip(tmp_path_factory.mktemp("clip") / "second.mp4", n_frames=30, seed=3).path


def test_repeat_video_plays_the_clip_three_times_as_one_video(second, tmp_path):
    long = repeat_video(second, tmp_path / "long.mp4", 3)
    info = probe_video(long)  # counts packets and checks the frame rate is constant
    assert (info.n_frames, info.fps, info.width, info.height) == (90, 30.0, 64, 48)
    with av.open(str(long)) as container:
        pts = np.array([frame.pts for frame in container.decode(video=0)])
    assert len(pts) == 90 and np.unique(np.diff(pts)).size == 1 and np.diff(pts)[0] > 0  # evenly spaced, rising
    with VideoReader(second) as reader:
        clip = np.stack(list(reader.frames()))
    with VideoReader(long) as reader:
        frames = np.stack(list(reader.frames()))
        assert np.array_equal(reader.read(47), clip[17])  # a seek into the second copy
    assert np.array_equal(frames, np.concatenate([clip] * 3))  # the same pixels: nothing re-encoded
    encoded = encode_video(long, get_encoder("motion"), tmp_path / "cache", content_hash(long), chunk_frames=32)
    assert np.load(encoded.path).shape == (90, get_encoder("motion").info.dim)


def test_repeat_video_refuses_fewer_than_one_copy(second, tmp_path):
    with pytest.raises(ValueError, match="times must be >= 1"):
        repeat_video(second, tmp_path / "none.mp4", 0)


def test_clips_are_written_with_the_veryfast_preset(second):
    # x264 writes its settings into the stream; veryfast searches with subme=2 (medium: subme=7),
    # 4x medium's speed on these noisy frames
    settings = re.search(rb"options: [^\x00]*", second.read_bytes())
    assert settings is not None and b" subme=2 " in settings.group()
