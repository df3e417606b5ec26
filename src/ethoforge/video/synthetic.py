"""Generated videos with a known answer: a blob whose speed pattern defines the behavior.

Frames show a dark elliptical "animal" on a textured, noisy light background (so a
background model and optical flow have real work to do). The clip alternates bouts of
``rest`` (the blob barely moves) and ``run`` (it crosses the arena fast); the per-frame truth
comes back with the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    from av.video import VideoStream


@dataclass(frozen=True)
class BlobClip:
    """A written clip: its ``path``, per-frame ``running`` (bool) truth and blob ``centres`` (x, y)."""

    path: Path
    running: np.ndarray
    centres: np.ndarray


def blob_track(n_frames: int, width: int, height: int, *, bout: int = 20, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Centres ``(n_frames, 2)`` and running truth ``(n_frames,)``: bouts of ``bout``±50 % frames,
    running at 2-3 px per frame (relative to a 64 px wide frame), resting under 0.15 px."""
    rng = np.random.default_rng(seed)
    scale = width / 64.0
    centres = np.empty((n_frames, 2))
    running = np.zeros(n_frames, dtype=bool)
    position = np.array([width / 2, height / 2])
    heading = rng.uniform(0, 2 * np.pi)
    frame, run = 0, bool(rng.integers(2))
    margin = np.array([8 * scale, 6 * scale])
    while frame < n_frames:
        length = int(rng.integers(bout // 2, bout * 3 // 2 + 1))
        speed = (rng.uniform(2.0, 3.0) if run else rng.uniform(0.0, 0.15)) * scale
        for _ in range(min(length, n_frames - frame)):
            heading += rng.normal(0, 0.15)
            step = speed * np.array([np.cos(heading), np.sin(heading)])
            nxt = position + step
            low, high = margin, np.array([width, height]) - margin
            if np.any(nxt < low) or np.any(nxt > high):  # bounce off the walls
                heading += np.pi
                nxt = np.clip(position - step, low, high)
            position = nxt
            centres[frame], running[frame] = position, run
            frame += 1
        run = not run
    return centres, running


def draw_frames(centres: np.ndarray, width: int, height: int, *, seed: int = 0) -> Iterator[np.ndarray]:
    """RGB uint8 frames of a dark ellipse at each centre (pointing where it goes) on a textured,
    noisy background."""
    rng = np.random.default_rng(seed + 1)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    texture = 170 + 25 * np.sin(xx / 5.0) * np.cos(yy / 7.0) + rng.normal(0, 6, (height, width))
    scale = width / 64.0
    axes = np.array([6.0, 3.5]) * scale
    previous = centres[0]
    for centre in centres:
        heading = np.arctan2(*(centre - previous)[::-1]) if np.any(centre != previous) else 0.0
        previous = centre
        dx, dy = xx - centre[0], yy - centre[1]
        u = (dx * np.cos(heading) + dy * np.sin(heading)) / axes[0]
        v = (-dx * np.sin(heading) + dy * np.cos(heading)) / axes[1]
        image = texture + rng.normal(0, 4, (height, width))
        inside = u * u + v * v <= 1
        image[inside] = 60 + 20 * u[inside]
        grey = np.clip(image, 0, 255).astype(np.uint8)
        yield np.stack([grey, grey, (grey * 0.9).astype(np.uint8)], axis=-1)


def write_video(path: str | Path, frames: Iterable[np.ndarray], fps: float = 30.0, *, crf: int = 18,
                preset: str = "veryfast") -> Path:
    """Write RGB frames as H.264 (mp4/mkv/mov) or MPEG-4 Part 2 (avi) at a constant ``fps``.

    x264's ``preset`` ``veryfast`` writes these noisy frames 4x as fast as its default
    (``medium``: 31 frames/s at 320x240 on one core), in smaller files."""
    from fractions import Fraction

    import av

    path = Path(path)
    codec: Literal["mpeg4", "libx264"] = "mpeg4" if path.suffix.lower() == ".avi" else "libx264"
    with av.open(str(path), "w") as container:
        stream: VideoStream | None = None
        for image in frames:
            if stream is None:
                stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
                stream.height, stream.width = image.shape[:2]
                stream.pix_fmt = "yuv420p"
                if codec == "libx264":
                    stream.options = {"crf": str(crf), "g": "30", "preset": preset}
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        if stream is not None:
            for packet in stream.encode():
                container.mux(packet)
    return path


def repeat_video(source: str | Path, path: str | Path, times: int) -> Path:
    """Write ``source``'s video stream ``times`` over, end to end, into ``path`` without
    re-encoding: packets are copied with timestamps shifted by the clip's length per copy (a long
    video in seconds; every copy starts at a keyframe, so it decodes like one long recording)."""
    import av

    if times < 1:
        raise ValueError(f"times must be >= 1, got {times}")
    with av.open(str(source)) as clip, av.open(str(path), "w") as container:
        video = clip.streams.video[0]
        rate, time_base = video.average_rate, video.time_base
        if rate is None or time_base is None:
            raise ValueError(f"{source}: the video stream has no frame rate or time base")
        n_frames = sum(1 for packet in clip.demux(video) if packet.size)
        shift = round(n_frames / (rate * time_base))  # the clip's length in its time base
        stream = container.add_stream_from_template(video)
        for copy in range(times):
            clip.seek(0, stream=video)
            for packet in clip.demux(video):
                if not packet.size:
                    continue
                if packet.pts is not None:
                    packet.pts += copy * shift
                if packet.dts is not None:
                    packet.dts += copy * shift
                packet.stream = stream
                container.mux(packet)
    return Path(path)


def write_blob_clip(path: str | Path, n_frames: int = 300, width: int = 64, height: int = 48, *,
                    fps: float = 30.0, bout: int = 20, seed: int = 0) -> BlobClip:
    """Write a blob clip (see module docstring) and return it with its truth."""
    centres, running = blob_track(n_frames, width, height, bout=bout, seed=seed)
    written = write_video(path, draw_frames(centres, width, height, seed=seed), fps)
    return BlobClip(written, running, centres)
