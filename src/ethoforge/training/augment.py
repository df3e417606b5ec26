"""Pose augmentations, applied to positions BEFORE features are computed.

Syntax: ``"perm_id:p=0.5,blk_perm_id:p=0.3:frac=0.2,jitter:p=1:sigma=2"`` — comma-separated
augmentations, each ``name`` then ``:key=value`` parameters. ``p`` is the chance that one
segment (see below) gets the augmentation.

| name | effect on one segment | parameters |
|---|---|---|
| ``perm_id`` | permutes the individuals over the whole segment | ``p`` |
| ``blk_perm_id`` | permutes the individuals over a contiguous block, ``frac`` of the segment | ``p``, ``frac`` (0.2) |
| ``perm_ax`` | swaps x and y (a mirror; top-down views only); left/right keypoints swap names too | ``p`` |
| ``jitter`` | adds Gaussian noise of ``sigma`` pixels to every coordinate | ``p``, ``sigma`` (2.0) |
| ``kp_drop`` | sets a ``rate`` fraction of keypoint positions to NaN | ``p``, ``rate`` (0.1) |
| ``rotate`` | rotates positions about the segment's centroid by an angle in ±``max_deg`` | ``p``, ``max_deg`` (180) |

How they are used (a pragmatic choice): features are computed once per recording, so the
training loop augments **whole recordings once per epoch**, cut into consecutive segments of
``window`` frames (random offset), each segment augmented independently, then recomputes the
features of the augmented recording. Every window sampled in that epoch thus sees augmented
poses, and features such as velocities stay consistent with the augmented positions. Targets
are not changed: identity permutations assume the behaviors are not tied to one individual.
A mirror turns an animal's left side into its right, so ``perm_ax`` also swaps the keypoints
paired by name (`mirror_pairs`: ``leftear``/``rightear``, ``earl``/``earr``, ``l_hip``/``r_hip``):
the mirrored animal keeps its anatomy instead of having its left ear on its right.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from ethoforge.errors import ConfigError

if TYPE_CHECKING:
    import xarray as xr

_PARAMS: dict[str, dict[str, float]] = {
    "perm_id": {"p": 0.5},
    "blk_perm_id": {"p": 0.5, "frac": 0.2},
    "perm_ax": {"p": 0.5},
    "jitter": {"p": 1.0, "sigma": 2.0},
    "kp_drop": {"p": 0.5, "rate": 0.1},
    "rotate": {"p": 0.5, "max_deg": 180.0},
}
AUGMENTATIONS: tuple[str, ...] = tuple(_PARAMS)
# One augmentation applied in place to frames [start, stop): (position, confidence, start, stop, params, rng).
_Apply = Callable[[np.ndarray, "np.ndarray | None", int, int, dict[str, float], np.random.Generator], None]


@dataclass(frozen=True)
class Augmentation:
    """One parsed augmentation: its name and its parameters (defaults filled in)."""

    name: str
    params: dict[str, float] = field(default_factory=dict)

    @property
    def p(self) -> float:
        return self.params["p"]


def parse_augment(text: str | None) -> list[Augmentation]:
    """Parse ``"perm_id:p=0.5,blk_perm_id:p=0.3:frac=0.2"`` into `Augmentation`s.

    Raises
    ------
    ConfigError
        On an unknown name or parameter, a value that is not a number, or ``p``/``frac``/
        ``rate`` outside [0, 1].
    """
    parsed: list[Augmentation] = []
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        name, *pairs = [part.strip() for part in item.split(":")]
        if name not in _PARAMS:
            raise ConfigError(f"unknown augmentation {name!r} in {text!r}; expected one of {list(AUGMENTATIONS)}")
        params = dict(_PARAMS[name])
        for pair in pairs:
            key, sep, value = pair.partition("=")
            key = key.strip()
            if not sep or key not in params:
                raise ConfigError(
                    f"augmentation {name!r}: bad parameter {pair!r}; expected key=value with key in {list(params)}"
                )
            try:
                params[key] = float(value)
            except ValueError:
                raise ConfigError(f"augmentation {name!r}: {key}={value!r} is not a number") from None
        for key in ("p", "frac", "rate"):
            if key in params and not 0.0 <= params[key] <= 1.0:
                raise ConfigError(f"augmentation {name!r}: {key} must be in [0, 1], got {params[key]}")
        if params.get("sigma", 0.0) < 0:
            raise ConfigError(f"augmentation {name!r}: sigma must be >= 0, got {params['sigma']}")
        parsed.append(Augmentation(name, params))
    return parsed


def mirror_pairs(keypoints: Sequence[str]) -> list[tuple[int, int]]:
    """Index pairs of left/right keypoints, matched by name (case-insensitive).

    ``left``/``right`` anywhere in the name (``leftear``, ``ear_right``), else a final or
    leading ``l``/``r`` whose counterpart exists (``earl``/``earr``, ``l_hip``/``r_hip``).
    """
    lower = [str(k).lower() for k in keypoints]
    index = {name: i for i, name in enumerate(lower)}
    pairs: list[tuple[int, int]] = []
    for i, name in enumerate(lower):
        if "left" in name:
            candidates = [name.replace("left", "right")]
        elif "right" in name:
            continue  # found from its left partner
        else:
            candidates = [name[:-1] + "r"] if name.endswith("l") and len(name) > 1 else []
            if name.startswith("l") and len(name) > 1:
                candidates.append("r" + name[1:])
        partner = next((index[c] for c in candidates if c in index and index[c] != i), None)
        if partner is not None:
            pairs.append((i, partner))
    return pairs


def augment_arrays(
    position: np.ndarray,
    confidence: np.ndarray | None,
    augmentations: list[Augmentation],
    segment: int,
    rng: np.random.Generator,
    left_right: Sequence[tuple[int, int]] = (),
) -> tuple[np.ndarray, np.ndarray | None]:
    """Augment positions ``(T, space, keypoint, individual)`` (and confidences ``(T, keypoint, individual)``).

    The time axis is cut into segments of ``segment`` frames (random offset); each segment
    gets each augmentation with its chance ``p``. ``left_right`` are the keypoint index pairs
    (`mirror_pairs`) that ``perm_ax`` swaps along with x and y. Returns new arrays; the inputs
    are unchanged.
    """
    position = np.array(position, dtype=np.float64, copy=True)
    confidence = None if confidence is None else np.array(confidence, copy=True)
    if not augmentations:
        return position, confidence
    apply: dict[str, _Apply] = {**_APPLY, "perm_ax": partial(_perm_ax, left_right=left_right)}
    n_frames = position.shape[0]
    segment = max(1, int(segment))
    offset = int(rng.integers(0, segment))
    edges = [0, *range(offset if offset else segment, n_frames, segment), n_frames]
    for start, stop in zip(edges[:-1], edges[1:]):
        if stop <= start:
            continue
        for aug in augmentations:
            if rng.random() < aug.p:
                apply[aug.name](position, confidence, start, stop, aug.params, rng)
    return position, confidence


def augment_poses(
    poses: "xr.Dataset", augmentations: list[Augmentation], segment: int, rng: np.random.Generator
) -> "xr.Dataset":
    """`augment_arrays` on a pose dataset (singular dims); returns a new dataset."""
    confidence = poses["confidence"].values if "confidence" in poses else None
    position, confidence = augment_arrays(poses["position"].values, confidence, augmentations, segment, rng,
                                          mirror_pairs([str(k) for k in poses["keypoint"].values]))
    out = poses.copy()
    out["position"] = (poses["position"].dims, position)
    if confidence is not None:
        out["confidence"] = (poses["confidence"].dims, confidence)
    return out


def _permute_individuals(position, confidence, start, stop, rng) -> None:
    n = position.shape[-1]
    if n < 2:
        return
    order = rng.permutation(n)
    while np.array_equal(order, np.arange(n)):
        order = rng.permutation(n)
    position[start:stop] = position[start:stop][..., order]
    if confidence is not None:
        confidence[start:stop] = confidence[start:stop][..., order]


def _perm_id(position, confidence, start, stop, params, rng) -> None:
    _permute_individuals(position, confidence, start, stop, rng)


def _blk_perm_id(position, confidence, start, stop, params, rng) -> None:
    length = max(1, int(round(params["frac"] * (stop - start))))
    first = start + int(rng.integers(0, stop - start - length + 1))
    _permute_individuals(position, confidence, first, first + length, rng)


def _perm_ax(position, confidence, start, stop, params, rng, left_right: Sequence[tuple[int, int]] = ()) -> None:
    """Swap x and y (a mirror), and the ``left_right`` keypoint pairs so each side keeps its name."""
    if position.shape[1] >= 2:
        position[start:stop, [0, 1]] = position[start:stop, [1, 0]]
    for a, b in left_right:
        position[start:stop, :, [a, b]] = position[start:stop, :, [b, a]]
        if confidence is not None:
            confidence[start:stop, [a, b]] = confidence[start:stop, [b, a]]


def _jitter(position, confidence, start, stop, params, rng) -> None:
    position[start:stop] += rng.normal(0.0, params["sigma"], size=position[start:stop].shape)


def _kp_drop(position, confidence, start, stop, params, rng) -> None:
    block = position[start:stop]
    drop = rng.random((block.shape[0], *block.shape[2:])) < params["rate"]
    block[np.broadcast_to(drop[:, None], block.shape)] = np.nan
    if confidence is not None:
        confidence[start:stop][drop] = 0.0


def _rotate(position, confidence, start, stop, params, rng) -> None:
    block = position[start:stop, :2]
    if not np.isfinite(block).any():
        return
    angle = np.deg2rad(rng.uniform(-params["max_deg"], params["max_deg"]))
    centre = np.nanmean(block, axis=(0, 2, 3))
    x, y = block[:, 0] - centre[0], block[:, 1] - centre[1]
    cos, sin = np.cos(angle), np.sin(angle)
    position[start:stop, 0] = centre[0] + cos * x - sin * y
    position[start:stop, 1] = centre[1] + sin * x + cos * y


_APPLY: dict[str, _Apply] = {
    "perm_id": _perm_id,
    "blk_perm_id": _blk_perm_id,
    "perm_ax": _perm_ax,
    "jitter": _jitter,
    "kp_drop": _kp_drop,
    "rotate": _rotate,
}
