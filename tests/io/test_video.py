"""Frame-exact reads on videos generated here, where each frame shows its index in binary."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from ethoforge.errors import InputError
from ethoforge.io.video import VideoReader, read_frame, video_info

N_FRAMES = 60
BITS = 8  # frame i: 8 vertical stripes of 8 px, stripe b white when bit b of i is set


def _make_video(path, codec, fps=30, options=None, gop=12):
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=Fraction(fps))
        stream.width, stream.height = 64, 48
        stream.pix_fmt = "yuv420p"
        stream.gop_size = gop
        if options:
            stream.options = options
        for index in range(N_FRAMES):
            image = np.zeros((48, 64, 3), dtype=np.uint8)
            for bit in range(BITS):
                if index >> bit & 1:
                    image[:, 8 * bit : 8 * bit + 8] = 255
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def _index_of(image: np.ndarray) -> int:
    stripes = [float(image[8:40, 8 * bit + 2 : 8 * bit + 6].mean()) > 128 for bit in range(BITS)]
    return sum(1 << bit for bit, white in enumerate(stripes) if white)


@pytest.fixture(scope="module", params=[
    ("libx264", "mp4", {"crf": "0", "bf": "2"}),  # H.264 with B-frames: decode order != display order
    ("mpeg4", "avi", {"qscale": "1"}),
])
def video(request, tmp_path_factory):
    codec, suffix, options = request.param
    path = tmp_path_factory.mktemp("video") / f"counter_{codec}.{suffix}"
    return _make_video(path, codec, options=options)


def test_video_info(video):
    n_frames, fps, width, height = video_info(video)
    assert (n_frames, fps, width, height) == (N_FRAMES, 30.0, 64, 48)


def test_read_frame_random_access(video):
    rng = np.random.default_rng(7)
    for index in [0, N_FRAMES - 1, 13, 12, 11, 24, *rng.integers(0, N_FRAMES, size=8).tolist()]:
        image = read_frame(video, index)
        assert image.shape == (48, 64, 3) and image.dtype == np.uint8
        assert _index_of(image) == index, f"asked for frame {index}"


def test_reader_backwards_and_forwards(video):
    order = [30, 31, 32, 5, 59, 0, 58, 17, 18, 40, 2]
    with VideoReader(video) as reader:
        assert reader.n_frames == N_FRAMES
        for index in order:
            assert _index_of(reader.read(index)) == index
        for index in range(N_FRAMES):  # sequential pass without seeks
            assert _index_of(reader.read(index)) == index


def test_out_of_range_and_bad_files(video, tmp_path):
    with pytest.raises(InputError, match=r"frame 60 is outside the video \(0..59\)"):
        read_frame(video, N_FRAMES)
    with pytest.raises(InputError, match="outside"):
        read_frame(video, -1)
    with pytest.raises(InputError, match="no such video"):
        video_info(tmp_path / "missing.mp4")
    bogus = tmp_path / "bogus.mp4"
    bogus.write_bytes(b"not a video at all")
    with pytest.raises(InputError, match="cannot open as a video"):
        video_info(bogus)


def test_probe_video_reads_the_container(video):
    from ethoforge.io.video import probe_video

    info = probe_video(video)
    assert (info.n_frames, info.fps, info.width, info.height) == (N_FRAMES, 30.0, 64, 48)
    assert info.duration_s == pytest.approx(2.0)


def test_probe_refuses_variable_frame_rate(tmp_path):
    import av

    from ethoforge.io.video import probe_video

    path = tmp_path / "vfr.mkv"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        pts = 0
        for index in range(30):
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            frame.pts, frame.time_base = pts, Fraction(1, 1000)
            pts += 100 if index == 9 else 33  # frame 10 comes late
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    with pytest.raises(InputError, match=r"vfr.mkv, frame 10: variable frame rate: frame 10 comes 100.0 ms after frame 9"):
        probe_video(path)


def test_probe_refuses_a_truncated_file(tmp_path):
    import av

    from ethoforge.io.video import probe_video

    path = tmp_path / "fast.mp4"
    with av.open(str(path), "w", options={"movflags": "faststart"}) as container:  # header first
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index in range(N_FRAMES):
            image = np.random.default_rng(index).integers(0, 255, (48, 64, 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    assert probe_video(path).n_frames == N_FRAMES
    data = path.read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) * 3 // 4])
    with pytest.raises(InputError, match=r"cut.mp4, frame \d+: truncated: the header says 60 frames but only \d+"):
        probe_video(tmp_path / "cut.mp4")


def test_nice_rate():
    from ethoforge.io.video import nice_rate

    assert nice_rate(1000000 / 33333) == 30.0
    assert nice_rate(30000 / 1001) == pytest.approx(29.97, abs=1e-3)
    assert nice_rate(12.5) == 12.5
