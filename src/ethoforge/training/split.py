"""Train / validation / test splits, chosen once before any features are computed.

A split is a dict ``{"kind", "train", "val", "test"}``: ``kind`` is ``"recordings"`` (whole
recordings on each side, never frames of one recording on two sides) and the sides list
recording names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

from ethoforge.errors import ConfigError, option

if TYPE_CHECKING:
    from ethoforge.training.config import SplitConfig

SIDES: tuple[str, ...] = ("train", "val", "test")


def split_recordings(names: Sequence[str], split: "SplitConfig") -> dict:
    """Assign whole recordings to ``train``/``val``/``test`` (lists, or seeded fractions); ``kind`` ``"recordings"``.

    Raises
    ------
    ConfigError
        When a listed recording does not exist, a recording is listed twice, or there would
        be no training or no validation recording.
    """
    names = list(names)
    known = set(names)
    listed: dict[str, list[str]] = {}
    for side in ("train", "val", "test"):
        chosen = getattr(split, side)
        if chosen is not None:
            missing = [n for n in chosen if n not in known]
            if missing:
                raise ConfigError(f"{option('split.' + side)} names unknown recording(s) {missing}; "
                                  f"recordings are {names}")
            listed[side] = list(chosen)
    seen: dict[str, str] = {}
    for side, chosen in listed.items():
        for name in chosen:
            if name in seen:
                raise ConfigError(f"recording {name!r} is in both {option('split.' + seen[name])} and "
                                  f"{option('split.' + side)}")
            seen[name] = side
    if "val" in listed or "test" in listed or "train" in listed:
        result = {side: listed.get(side, []) for side in ("train", "val", "test")}
        if "train" not in listed:
            result["train"] = [n for n in names if n not in seen]
    else:
        order = list(np.random.default_rng(split.seed).permutation(len(names)))
        shuffled = [names[i] for i in order]
        n_test = int(round(split.test_fraction * len(names)))
        n_test = max(1, n_test) if split.test_fraction > 0 else 0
        n_val = max(1, int(round(split.val_fraction * len(names)))) if split.val_fraction > 0 else 0
        result = {
            "test": sorted(shuffled[:n_test]),
            "val": sorted(shuffled[n_test : n_test + n_val]),
            "train": sorted(shuffled[n_test + n_val :]),
        }
    if not result["train"]:
        raise ConfigError(f"no recording left for training (split {result}); add recordings or lower the fractions")
    if not result["val"]:
        raise ConfigError(
            "no validation recording: early stopping, trial selection and calibration need one; "
            f"set {option('split.val')} or {option('split.val_fraction')} > 0 (and give at least 2 recordings)"
        )
    return {"kind": "recordings", **result}


def check_split(split: Mapping, targets: Mapping[str, np.ndarray], behaviors: Sequence[str]) -> None:
    """Pre-flight: every behavior must occur in every non-empty split (`ConfigError` otherwise)."""
    for side in ("train", "val", "test"):
        names = split.get(side) or []
        if not names:
            continue
        for i, behavior in enumerate(behaviors, start=1):
            if not any(n in targets and np.any(targets[n] == i) for n in names):
                raise ConfigError(
                    f"behavior {behavior!r} never occurs in the {side} split ({names}); "
                    f"label it there or choose another split ({option('split.val')} / {option('split.test')})"
                )
