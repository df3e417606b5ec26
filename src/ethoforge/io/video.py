"""Frame-exact video reads by frame index (PyAV).

Frame ``i`` is the ``i``-th frame in presentation order, counted from 0, the same index as
pose ``time`` and bout frames. A read seeks to the keyframe at or before the wanted time and
decodes forward to the frame whose timestamp maps to ``i``; `VideoReader` keeps the file open
and decodes forward without seeking when the next wanted frame is just ahead.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

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


def video_info(path: str | Path) -> tuple[int, float, int, int]:
    """``(n_frames, fps, width, height)`` of the first video stream."""
    container = _open(path)
    try:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        if not rate:
            raise InputError("the video stream has no frame rate", path)
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
        rate = self._stream.average_rate or self._stream.guessed_rate
        if not rate:
            self.close()
            raise InputError("the video stream has no frame rate", self.path)
        self.fps = Fraction(rate)
        self.time_base = self._stream.time_base
        self.start_pts = self._stream.start_time or 0
        self.n_frames = _count_frames(self._container)
        self.width, self.height = int(self._stream.width), int(self._stream.height)
        self._decoder = None
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
        if self._decoder is None or not (self._last_index < index <= self._last_index + _FORWARD_LIMIT):
            self._seek(index)
        for frame in self._decoder:
            if frame.pts is None:
                continue
            current = self._index_of(frame.pts)
            self._last_index = current
            if current == index:
                return frame.to_ndarray(format="rgb24")
            if current > index:  # the seek landed past it (no keyframe at or before)
                break
        # Fallback: decode from the very start.
        self._seek(0, exact=True)
        for frame in self._decoder:
            if frame.pts is not None and self._index_of(frame.pts) == index:
                self._last_index = index
                return frame.to_ndarray(format="rgb24")
        raise InputError(f"frame {index} could not be decoded", self.path, f"frame {index}")

    def _seek(self, index: int, exact: bool = False) -> None:
        target = self.start_pts if exact else self._pts_of(index)
        self._container.seek(target, stream=self._stream, backward=True, any_frame=False)
        self._decoder = self._container.decode(self._stream)
        self._last_index = -1


def read_frame(path: str | Path, index: int) -> np.ndarray:
    """Frame ``index`` (0-based, presentation order) of a video as ``(H, W, 3)`` uint8 RGB."""
    with VideoReader(path) as reader:
        return reader.read(index)
