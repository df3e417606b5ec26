"""Encode a video with a frame encoder into the feature cache, chunk by chunk.

The cache holds one float16 ``.npy`` per video and encoder:
``<cache_root>/<encoder name>-<weights hash[:12]>/<video SHA-256>.npy``, ``(n_frames, dim)``.
While encoding, finished chunks wait in ``<video SHA-256>.partial/`` so a cancelled or
crashed run resumes at the first missing chunk; the full file appears (atomically) only
when every chunk is done. Frames are decoded ``chunk_frames`` at a time, so memory does
not grow with the video's length.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ethoforge.errors import ConfigError, InputError, NotFoundError
from ethoforge.video.crops import crop_and_resize
from ethoforge.video.encoders import FrameEncoder

EncodeProgress = Callable[[int, int, dict], "bool | None"]
"""``progress(done_frames, total_frames, {"fps": ..., "eta_s": ...})``; returning False cancels."""

CHUNK_FRAMES = 512
MIN_KEYFRAMES = 10  # distinct keyframes enough for a background model (a median over them)


class EncodingCancelled(Exception):
    """Raised when the progress callback asks to stop; finished chunks stay for a resume."""


@dataclass(frozen=True)
class EncodeResult:
    """Where the features are, and whether this call computed them (``cached``: it did not)."""

    path: Path
    n_frames: int
    dim: int
    cached: bool
    resumed_from: int = 0
    seconds: float = 0.0


def cache_path(cache_root: str | Path, encoder: FrameEncoder, video_hash: str, crop: str = "") -> Path:
    """The cache file of a video (by content hash) under an encoder (by its weights hash) and
    a crop tag (``""``: whole frames; see `ethoforge.video.features.crop_tag`)."""
    folder = encoder.info.key + (f"-crop-{crop}" if crop else "")
    return Path(cache_root) / folder / f"{video_hash}.npy"


def encode_video(
    video_path: str | Path,
    encoder: FrameEncoder,
    cache_root: str | Path,
    video_hash: str,
    *,
    chunk_frames: int = CHUNK_FRAMES,
    progress: EncodeProgress | None = None,
    boxes: np.ndarray | None = None,
    crop: str = "",
) -> EncodeResult:
    """Encode every frame of ``video_path`` (whose SHA-256 is ``video_hash``) unless cached.

    With ``boxes`` ``(n_frames, 4)`` (`ethoforge.video.crops`), each frame is cut to its box
    and resized to the encoder's input size first; ``crop`` tags that cache entry.

    Raises
    ------
    InputError
        The video cannot be decoded (names the frame).
    EncodingCancelled
        ``progress`` returned False (the chunks done so far are kept).
    """
    from ethoforge.io.video import VideoReader

    tic = time.monotonic()
    final = cache_path(cache_root, encoder, video_hash, crop)
    if final.is_file():
        n_frames, dim = np.load(final, mmap_mode="r").shape
        return EncodeResult(final, n_frames, dim, cached=True)
    partial = final.with_suffix(".partial")
    partial.mkdir(parents=True, exist_ok=True)
    with VideoReader(video_path) as reader:
        n_frames = reader.n_frames
        input_size = _decode_size(encoder, reader.width, reader.height)
        size: tuple[int, int] | None = input_size
        colour = "gray" if encoder.info.colour == "grey" else "rgb24"
        if boxes is not None:
            if encoder.info.input_size is None:
                raise ConfigError(f"encoder {encoder.info.name!r} finds the animal itself; --crop applies to "
                                  "encoders with a fixed input size (efficientnet_lite0, dinov2_*)")
            if len(boxes) != n_frames:
                raise InputError(f"{len(boxes)} crop boxes for {n_frames} frames", video_path)
            size = None  # decode whole frames, crop, then resize to input_size
        encoder.prepare(_Sampler(reader, size, colour))
        starts = list(range(0, n_frames, chunk_frames))
        done = [s for s in starts if (partial / _chunk_name(s)).is_file()]
        resumed_from = len(done) * chunk_frames if done == starts[: len(done)] else 0
        frames_done, rate_tic = min(resumed_from, n_frames), time.monotonic()
        previous: np.ndarray | None = None  # the frame before the chunk (decoded again after a skip)
        for start in starts:
            target = partial / _chunk_name(start)
            if target.is_file():
                previous = None
                continue
            stop = min(start + chunk_frames, n_frames)
            if previous is None and start > 0:
                previous = next(iter(reader.frames(start - 1, start, size=size, format=colour)))
                if boxes is not None:
                    previous = crop_and_resize(previous, boxes[start - 1], input_size)
            decoded = reader.frames(start, stop, size=size, format=colour)
            if boxes is not None:
                decoded = (crop_and_resize(f, boxes[i], input_size) for i, f in enumerate(decoded, start))
            frames = np.stack(list(decoded))
            values = encoder.encode(frames, previous)
            previous = frames[-1]
            _save_atomic(target, values.astype(np.float16))
            frames_done += stop - start
            if progress is not None:
                elapsed = time.monotonic() - rate_tic
                fps = (frames_done - resumed_from) / elapsed if elapsed > 0 else 0.0
                eta = (n_frames - frames_done) / fps if fps > 0 else None
                if progress(frames_done, n_frames, {"fps": round(fps, 1), "eta_s": eta and round(eta, 1)}) is False:
                    raise EncodingCancelled(f"encoding stopped at frame {frames_done} of {n_frames}")
    _assemble(partial, starts, final, n_frames, encoder.info.dim)
    return EncodeResult(final, n_frames, encoder.info.dim, cached=False, resumed_from=resumed_from,
                        seconds=time.monotonic() - tic)


def load_features(cache_root: str | Path, encoder: FrameEncoder, video_hash: str, n_frames: int,
                  recording: str = "", crop: str = "") -> np.ndarray:
    """Cached features ``(n_frames, dim)`` as float32.

    Raises
    ------
    NotFoundError
        Not encoded yet (says the command that encodes it).
    InputError
        The cache holds another number of frames than the recording.
    """
    path = cache_path(cache_root, encoder, video_hash, crop)
    if not path.is_file():
        mode = crop.split("-")[0] if crop else "none"
        raise NotFoundError(f"recording {recording!r} is not encoded with {encoder.info.name!r} (crop {mode}) yet; "
                            f"run `ethoforge encode {recording} --encoder {encoder.info.name} --crop {mode}` first")
    values = np.load(path, mmap_mode="r")
    if values.shape != (n_frames, encoder.info.dim):
        raise InputError(f"cached features have shape {values.shape}, expected ({n_frames}, {encoder.info.dim})",
                         path)
    return np.asarray(values, dtype=np.float32)


def _decode_size(encoder: FrameEncoder, width: int, height: int) -> tuple[int, int]:
    if hasattr(encoder, "frame_size"):
        return encoder.frame_size(width, height)
    return encoder.info.input_size or (width, height)


class _Sampler:
    """`VideoSource` over an open reader: frames spread evenly, at the encoder's size and colour."""

    def __init__(self, reader, size: tuple[int, int] | None, colour: str):
        self.reader, self.size, self.colour = reader, size, colour
        self.n_frames, self.fps = reader.n_frames, float(reader.fps)

    def sample(self, count: int) -> np.ndarray:
        """``count`` frames spread over the video: the keyframes nearest evenly spaced points
        (cheap), or, when the video has fewer than `MIN_KEYFRAMES` distinct ones (short
        videos), evenly spaced frames from one pass of decoding."""
        indices = np.unique(np.linspace(0, self.n_frames - 1, max(1, count)).round().astype(int))
        frames = self.reader.keyframes_near(indices.tolist(), size=self.size, format=self.colour)
        distinct = {frame.tobytes() for frame in frames}
        if len(distinct) >= min(len(indices), MIN_KEYFRAMES):
            return frames
        wanted = set(indices.tolist())
        return np.stack([frame for i, frame in enumerate(self.reader.frames(0, size=self.size, format=self.colour))
                         if i in wanted])


def _chunk_name(start: int) -> str:
    return f"chunk_{start:010d}.npy"


def _save_atomic(path: Path, values: np.ndarray) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as handle:
        np.save(handle, values)
    os.replace(temporary, path)


def _assemble(partial: Path, starts: list[int], final: Path, n_frames: int, dim: int) -> None:
    """Join the chunks into ``final`` through a memory map (one chunk in memory at a time)."""
    temporary = final.with_name(final.name + ".tmp")
    out = np.lib.format.open_memmap(temporary, mode="w+", dtype=np.float16, shape=(n_frames, dim))
    for start in starts:
        chunk = np.load(partial / _chunk_name(start))
        out[start : start + len(chunk)] = chunk
    out.flush()
    del out
    os.replace(temporary, final)
    shutil.rmtree(partial, ignore_errors=True)
