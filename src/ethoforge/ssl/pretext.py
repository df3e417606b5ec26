"""Pretext samples for self-supervised pretraining: pure numpy on pose windows.

Windows are arrays ``(T, I, K, C)``: frames, individuals, keypoints and channels (``C = 2``
for x, y; the trainer carries a third, "observed", channel along, which every function moves
with the positions). A track is a whole recording in the same layout ``(N, I, K, C)``.

Each task turns tracks into ``(window, label)`` pairs whose label is known by construction:

| task | positive (label 1) | negative (label 0) |
|---|---|---|
| ``cons`` | the individuals from a split index on come from another recording (or a time at least one window away) | the window as recorded |
| ``order`` | frames ``[0, at)`` from a window at ``t``, the rest from a window starting ``0..order_gap`` frames after them (later) | the rest from a window ending ``0..order_gap`` frames before ``t`` (earlier) or from another recording |
| ``shift`` | the individuals from the split index on are ``lag`` frames ahead (``lag`` in ``[1, max_shift]``) | they are ``lag`` frames behind |
| ``warp`` | resampled at a playback speed in ``(1 + margin, 1.5]`` (faster) | speed in ``[0.5, 1 - margin)`` (slower) |
| ``mask`` | (regression) a boolean ``(T, I, K)`` mask of hidden keypoint × frame cells, plus whole short blocks of frames and of one individual; hidden cells are NaN | |

``cons`` and ``shift`` need at least two individuals (`SOCIAL_TASKS`). ``order``'s gap is bounded:
between two windows far apart in one recording, which came first cannot be told from pose.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

TASKS: tuple[str, ...] = ("cons", "order", "shift", "warp", "mask")
SOCIAL_TASKS: frozenset[str] = frozenset({"cons", "shift"})
SPEED_RANGE = (0.5, 1.5)


# --------------------------------------------------------------------------- transforms


def swap_group(window: np.ndarray, other: np.ndarray, split: int) -> np.ndarray:
    """``window`` with individuals ``[split:]`` taken from ``other`` (same shape)."""
    out = np.array(window, copy=True)
    out[:, split:] = other[:, split:]
    return out


def shift_group(track: np.ndarray, start: int, length: int, split: int, lag: int) -> np.ndarray:
    """Frames ``[start, start + length)`` of ``track`` with individuals ``[split:]`` read ``lag`` frames later.

    ``lag > 0``: those individuals show what they do ``lag`` frames ahead of the others;
    ``lag < 0``: behind. Both ranges must lie inside the track.
    """
    if start < 0 or start + lag < 0 or max(start, start + lag) + length > len(track):
        raise ValueError(f"shift of {lag} from frame {start} leaves the track of {len(track)} frames")
    out = np.array(track[start : start + length], copy=True)
    out[:, split:] = track[start + lag : start + lag + length, split:]
    return out


def splice(pre: np.ndarray, post: np.ndarray, at: int, length: int) -> np.ndarray:
    """``pre[:at]`` followed by ``post[:length - at]``: a window of ``length`` frames cut at ``at``."""
    if len(pre) < at or len(post) < length - at:
        raise ValueError(f"splice at {at} of {length} frames needs {at} pre and {length - at} post frames")
    return np.concatenate([pre[:at], post[: length - at]], axis=0)


def warp(track: np.ndarray, start: float, length: int, speed: float) -> np.ndarray:
    """``length`` frames played back at ``speed`` from ``start``: frame ``i`` is the track at ``start + speed * i``.

    Values between frames are interpolated linearly. ``speed > 1`` is faster (more motion
    per frame). The last position read, ``start + speed * (length - 1)``, must be in the track.
    """
    times = start + speed * np.arange(length, dtype=np.float64)
    if times[0] < 0 or times[-1] > len(track) - 1 + 1e-9:
        raise ValueError(f"warp at speed {speed} from frame {start} leaves the track of {len(track)} frames")
    low = np.minimum(np.floor(times).astype(np.int64), len(track) - 1)
    high = np.minimum(low + 1, len(track) - 1)
    frac = (times - low).reshape(-1, *([1] * (track.ndim - 1)))
    return ((1.0 - frac) * track[low] + frac * track[high]).astype(track.dtype, copy=False)


def mask_cells(
    window: np.ndarray, rng: np.random.Generator, *, ratio: float = 0.15, block_ratio: float = 0.1,
    block_length: int = 5, animal_ratio: float = 0.2, animal_block_length: int = 15,
) -> tuple[np.ndarray, np.ndarray]:
    """Hide a ``ratio`` share of keypoint × frame cells, about ``block_ratio`` of frames in blocks
    and, with two or more individuals, one individual for about ``animal_ratio`` of frames in
    blocks of ``animal_block_length`` (its position then has to come from the others).

    Returns ``(masked, mask)``: ``masked`` is ``window`` with NaN in hidden cells (every
    channel), ``mask`` is boolean ``(T, I, K)``, True where hidden. At least one cell is hidden.
    """
    n_frames, n_individuals = window.shape[:2]
    mask = rng.random(window.shape[:3]) < ratio
    for length, share, whole_frame in ((block_length, block_ratio, True),
                                       (animal_block_length, animal_ratio if n_individuals > 1 else 0.0, False)):
        for _ in range(int(round(share * n_frames / max(1, length)))):
            first = int(rng.integers(0, max(1, n_frames - length + 1)))
            if whole_frame:
                mask[first : first + length] = True
            else:
                mask[first : first + length, int(rng.integers(0, n_individuals))] = True
    if not mask.any():
        mask[tuple(int(rng.integers(0, n)) for n in mask.shape)] = True
    masked = np.array(window, dtype=np.float32, copy=True)
    masked[mask] = np.nan
    return masked, mask


# --------------------------------------------------------------------------- samplers


@dataclass(frozen=True)
class Sample:
    """One pretext sample: the window, its label (class index; 0 for ``mask``) and the hidden cells."""

    window: np.ndarray
    label: int
    mask: np.ndarray | None = None


def draw_sample(
    task: str, tracks: Sequence[np.ndarray], length: int, rng: np.random.Generator, *, max_shift: int = 60,
    order_gap: int = 30, speed_margin: float = 0.1, mask_ratio: float = 0.15,
) -> Sample:
    """A random sample of ``task`` from ``tracks`` (each ``(N, I, K, C)``, ``N >= length``).

    A recording is drawn in proportion to its number of windows. Labels follow the table in
    the module docstring; classes are balanced (p = 0.5).
    """
    index = _pick_track(tracks, length, rng)
    track = tracks[index]
    positive = bool(rng.random() < 0.5)
    if task == "cons":
        return Sample(_cons(tracks, index, length, positive, rng), int(positive))
    if task == "order":
        return Sample(_order(tracks, index, length, positive, order_gap, rng), int(positive))
    if task == "shift":
        return Sample(_shift(track, length, positive, max_shift, rng), int(positive))
    if task == "warp":
        low, high = SPEED_RANGE
        fastest = min(high, (len(track) - 1) / (length - 1))  # a short recording cannot play much faster
        if positive and fastest > 1 + speed_margin:
            speed = rng.uniform(1 + speed_margin, fastest)
        else:
            speed = rng.uniform(low, 1 - speed_margin)
        start = rng.uniform(0, len(track) - 1 - speed * (length - 1))
        return Sample(warp(track, start, length, speed), int(speed > 1))
    if task == "mask":
        start = int(rng.integers(0, len(track) - length + 1))
        window = track[start : start + length]
        _, mask = mask_cells(window, rng, ratio=mask_ratio)
        return Sample(np.array(window, copy=True), 0, mask)
    raise ValueError(f"unknown pretext task {task!r}; known: {', '.join(TASKS)}")


def _pick_track(tracks: Sequence[np.ndarray], length: int, rng: np.random.Generator) -> int:
    counts = np.array([max(0, len(t) - length + 1) for t in tracks], dtype=np.float64)
    return int(rng.choice(len(tracks), p=counts / counts.sum()))


def _window(track: np.ndarray, length: int, rng: np.random.Generator) -> tuple[int, np.ndarray]:
    start = int(rng.integers(0, len(track) - length + 1))
    return start, track[start : start + length]


def _cons(tracks: Sequence[np.ndarray], index: int, length: int, positive: bool, rng: np.random.Generator) -> np.ndarray:
    track = tracks[index]
    start, window = _window(track, length, rng)
    if not positive:
        return np.array(window, copy=True)
    split = int(rng.integers(1, track.shape[1]))
    others = [i for i, t in enumerate(tracks) if i != index and len(t) >= length and t.shape[1:] == track.shape[1:]]
    if others:
        other_track = tracks[int(rng.choice(others))]
        _, other = _window(other_track, length, rng)
    else:  # one recording: a window at least one window length away
        far = [s for s in (start - 2 * length, start + 2 * length) if 0 <= s <= len(track) - length]
        other_start = far[int(rng.integers(0, len(far)))] if far else (start + len(track) // 2) % (len(track) - length + 1)
        other = track[other_start : other_start + length]
    return swap_group(window, other, split)


def _order(tracks: Sequence[np.ndarray], index: int, length: int, positive: bool, order_gap: int,
           rng: np.random.Generator) -> np.ndarray:
    track = tracks[index]
    n = len(track)
    at = int(rng.integers(1, length))
    rest = length - at
    # pre part [t, t + at); later: post starts in [t + at, t + at + order_gap]; earlier: it ends in [t - order_gap, t]
    if positive:
        t = int(rng.integers(0, n - length + 1))
        u = int(rng.integers(t + at, min(n - rest, t + at + order_gap) + 1))
        return splice(track[t : t + at], track[u : u + rest], at, length)
    others = [i for i, t in enumerate(tracks) if i != index and len(t) >= rest and t.shape[1:] == track.shape[1:]]
    if n >= length + rest and (not others or rng.random() < 0.5):
        t = int(rng.integers(rest, n - at + 1))
        u = int(rng.integers(max(0, t - rest - order_gap), t - rest + 1))
        return splice(track[t : t + at], track[u : u + rest], at, length)
    if not others:  # too short for an earlier window and alone: swap the halves of one window
        t = int(rng.integers(0, n - length + 1))
        return splice(track[t + rest : t + length], track[t : t + rest], at, length)
    other = tracks[int(rng.choice(others))]
    t = int(rng.integers(0, n - at + 1))
    u = int(rng.integers(0, len(other) - rest + 1))
    return splice(track[t : t + at], other[u : u + rest], at, length)


def _shift(track: np.ndarray, length: int, positive: bool, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    room = len(track) - length
    limit = max(1, min(int(max_shift), room))
    magnitude = int(rng.integers(1, limit + 1))
    lag = magnitude if positive else -magnitude
    start = int(rng.integers(max(0, -lag), len(track) - length - max(0, lag) + 1))
    split = int(rng.integers(1, track.shape[1]))
    return shift_group(track, start, length, split, lag)
