"""Frame-exact video reads by frame index (PyAV).

Frame ``i`` is the ``i``-th frame in presentation order, counted from 0, the same index as
pose ``time`` and bout frames. A read seeks to the keyframe at or before the wanted time and
decodes forward to the frame whose timestamp maps to ``i``; `VideoReader` keeps the file open
and decodes forward without seeking when the next wanted frame is just ahead.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

import numpy as np

from ethoforge.errors import InputError

if TYPE_CHECKING:
    import av

_FORWARD_LIMIT = 120  # decode forward instead of seeking when the target is this close


def _open(path: str | Path) -> "av.container.InputContainer":
    import av

    path = Path(path)
    if not path.is_file():
        raise InputError("no such video file", path)
    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError) as error:
        raise InputError(f"cannot open as a video: {error}", path) from None
    if not container.streams.video:
        container.close()
        raise InputError("the file has no video stream", path)
    return container


def _count_frames(container: "av.container.InputContainer") -> int:
    stream = container.streams.video[0]
    if stream.frames:
        return int(stream.frames)
    count = sum(1 for packet in container.demux(stream) if packet.size and packet.pts is not None)
    container.seek(0, stream=stream)
    return count


def _frame_rate(stream: "av.video.stream.VideoStream", path: str | Path) -> Fraction:
    """A video stream's frame rate (its average, else the guessed, else the base rate)."""
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    if not rate:
        raise InputError("the video stream has no frame rate", path)
    return Fraction(rate)


def video_info(path: str | Path) -> tuple[int, float, int, int]:
    """``(n_frames, fps, width, height)`` of the first video stream."""
    container = _open(path)
    try:
        stream = container.streams.video[0]
        rate = _frame_rate(stream, path)
        return _count_frames(container), float(rate), int(stream.width), int(stream.height)
    finally:
        container.close()


class VideoReader:
    """An open video for repeated frame reads; use as a context manager or call `close`."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._container = _open(self.path)
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        try:
            self.fps = _frame_rate(self._stream, self.path)
        except InputError:
            self.close()
            raise
        time_base = self._stream.time_base
        if time_base is None:
            self.close()
            raise InputError("the video stream has no time base", self.path)
        self.time_base: Fraction = time_base
        self.start_pts = self._stream.start_time or 0
        self.n_frames = _count_frames(self._container)
        self.width, self.height = int(self._stream.width), int(self._stream.height)
        self._decoder: Iterator[av.VideoFrame] | None = None  # frames after the last one read
        self._last_index = -1

    def __enter__(self) -> "VideoReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._container.close()

    def _index_of(self, pts: int) -> int:
        return int(round(float((pts - self.start_pts) * self.time_base * self.fps)))

    def _pts_of(self, index: int) -> int:
        return self.start_pts + int(round(index / (self.fps * self.time_base)))

    def read(self, index: int) -> np.ndarray:
        """Frame ``index`` as an ``(H, W, 3)`` uint8 RGB array."""
        index = int(index)
        if not 0 <= index < self.n_frames:
            raise InputError(f"frame {index} is outside the video (0..{self.n_frames - 1})", self.path, f"frame {index}")
        decoder = self._decoder
        if decoder is None or not (self._last_index < index <= self._last_index + _FORWARD_LIMIT):
            decoder = self._seek(index)
        for frame in decoder:
            if frame.pts is None:
                continue
            current = self._index_of(frame.pts)
            self._last_index = current
            if current == index:
                return frame.to_ndarray(format="rgb24")
            if current > index:  # the seek landed past it (no keyframe at or before)
                break
        # Fallback: decode from the very start.
        for frame in self._seek(0, exact=True):
            if frame.pts is not None and self._index_of(frame.pts) == index:
                self._last_index = index
                return frame.to_ndarray(format="rgb24")
        raise InputError(f"frame {index} could not be decoded", self.path, f"frame {index}")

    def frames(self, start: int = 0, stop: int | None = None, *, size: tuple[int, int] | None = None,
               format: str = "rgb24") -> "Iterator[np.ndarray]":
        """Frames ``[start, stop)`` in order, each ``(H, W, 3)`` (``format="gray"``: ``(H, W)``)
        uint8, resized to ``size = (width, height)`` by the decoder's scaler when given."""
        stop = self.n_frames if stop is None else min(int(stop), self.n_frames)
        if not 0 <= start <= stop:
            raise InputError(f"frames [{start}, {stop}) are outside the video (0..{self.n_frames - 1})", self.path)
        width, height = size if size is not None else (self.width, self.height)
        index, restarted_at = start, -1
        if index >= stop:
            return
        decoder = self._decoder
        if not (decoder is not None and self._last_index == index - 1):
            decoder = self._seek(index, exact=index == 0)  # else: go on decoding from the frame just read
        while index < stop:
            for frame in decoder:
                if frame.pts is None:
                    continue
                current = self._index_of(frame.pts)
                if current < index:
                    continue
                if current > index:  # the seek landed past it: decode from the start instead
                    break
                self._last_index = current
                yield frame.reformat(width=width, height=height, format=format).to_ndarray()
                index += 1
                if index >= stop:
                    return
            else:
                raise InputError(f"frame {index} could not be decoded (the video ends early)", self.path,
                                 f"frame {index}")
            if restarted_at == index:
                raise InputError(f"frame {index} is missing from the video stream", self.path, f"frame {index}")
            restarted_at = index
            decoder = self._seek(0, exact=True)

    def keyframes_near(self, indices: "Sequence[int]", *, size: tuple[int, int] | None = None,
                       format: str = "rgb24") -> np.ndarray:
        """For each index, the first frame decoded after seeking there (the keyframe at or
        before it): a cheap, deterministic sample spread over the video (for background models)."""
        width, height = size if size is not None else (self.width, self.height)
        out = []
        for index in indices:
            frame = next((f for f in self._seek(int(index)) if f.pts is not None), None)
            if frame is None:
                raise InputError(f"no frame could be decoded near frame {index}", self.path, f"frame {index}")
            out.append(frame.reformat(width=width, height=height, format=format).to_ndarray())
        self._decoder, self._last_index = None, -1
        return np.stack(out)

    def _seek(self, index: int, exact: bool = False) -> "Iterator[av.VideoFrame]":
        """Seek to the keyframe at or before frame ``index`` (the first frame when ``exact``);
        the new decoder, also kept as ``self._decoder``."""
        target = self.start_pts if exact else self._pts_of(index)
        self._container.seek(target, stream=self._stream, backward=True, any_frame=False)
        self._decoder = self._container.decode(self._stream)
        self._last_index = -1
        return self._decoder


def read_frame(path: str | Path, index: int) -> np.ndarray:
    """Frame ``index`` (0-based, presentation order) of a video as ``(H, W, 3)`` uint8 RGB."""
    with VideoReader(path) as reader:
        return reader.read(index)


VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")
_VFR_TOLERANCE = 0.25  # a frame step this far (relative) from the median step marks variable frame rate


@dataclass(frozen=True)
class VideoInfo:
    """What a video's container says about its first video stream (frames counted by demuxing)."""

    path: Path
    n_frames: int
    fps: float
    width: int
    height: int
    codec: str

    @property
    def duration_s(self) -> float:
        return self.n_frames / self.fps

    def to_dict(self) -> dict:
        """JSON-ready dict (the path as a string)."""
        return {"path": str(self.path), "n_frames": self.n_frames, "fps": self.fps, "width": self.width,
                "height": self.height, "codec": self.codec, "duration_s": round(self.duration_s, 3)}


def probe_video(path: str | Path) -> VideoInfo:
    """Frame count, constant frame rate, size and codec of a video, checked to be readable.

    Every packet is demuxed (not decoded) to count frames and check that frames are evenly
    spaced; the first frame is decoded.

    Raises
    ------
    InputError
        The file cannot be opened or decoded, has no video stream or frame rate, holds fewer
        frames than its header says (truncated), or has a variable frame rate (names the frame).
    """
    import av

    path = Path(path)
    container = _open(path)
    try:
        stream = container.streams.video[0]
        rate = _frame_rate(stream, path)
        if stream.time_base is None:
            raise InputError("the video stream has no time base", path)
        pts: list[int] = []
        try:
            for packet in container.demux(stream):
                if packet.size and packet.pts is not None:
                    pts.append(int(packet.pts))
        except av.FFmpegError as error:
            raise InputError(f"cannot read the video after frame {len(pts)}: {error}", path,
                             f"frame {len(pts)}") from None
        if not pts:
            raise InputError("the video stream holds no frames", path)
        if stream.frames and len(pts) < int(stream.frames):
            raise InputError(f"truncated: the header says {int(stream.frames)} frames but only {len(pts)} "
                             "are in the file", path, f"frame {len(pts)}")
        _check_constant_rate(sorted(pts), stream.time_base, float(rate), path)
        container.seek(0, stream=stream)
        try:
            next(container.decode(stream))
        except (av.FFmpegError, StopIteration) as error:
            raise InputError(f"the first frame cannot be decoded: {error}", path, "frame 0") from None
        return VideoInfo(path=path, n_frames=len(pts), fps=nice_rate(float(rate)), width=int(stream.width),
                         height=int(stream.height), codec=str(stream.codec_context.name))
    finally:
        container.close()


def nice_rate(fps: float) -> float:
    """``fps`` snapped to a whole number or an NTSC rate (n * 1000/1001) within 0.01 % (encoders
    often write 1000000/33333 for 30), else unchanged."""
    for candidate in (round(fps), round(fps * 1.001) / 1.001):
        if candidate > 0 and abs(fps - candidate) <= 1e-4 * candidate:
            return float(candidate)
    return fps


def _check_constant_rate(pts: list[int], time_base: Fraction, fps: float, path: Path) -> None:
    """Raise `InputError` when presentation times are not evenly spaced at ``fps``."""
    if len(pts) < 3:
        return
    steps = np.diff(np.asarray(pts, dtype=np.float64)) * float(time_base)
    expected = 1.0 / fps
    off = np.flatnonzero(np.abs(steps - expected) > _VFR_TOLERANCE * expected)
    if len(off):
        first = int(off[0])
        raise InputError(
            f"variable frame rate: frame {first + 1} comes {steps[first] * 1000:.1f} ms after frame {first}, "
            f"expected {expected * 1000:.1f} ms at {fps:g} fps ({len(off)} uneven steps); re-encode at a constant "
            "rate, e.g. ffmpeg -i IN -vsync cfr -r FPS OUT", path, f"frame {first + 1}")
