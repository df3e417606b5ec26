"""Train / validation / test splits, chosen once before any features are computed.

A split is a dict ``{"kind", "train", "val", "test"}``: ``kind`` is ``"recordings"`` (whole
recordings on each side, never frames of one recording on two sides; the sides list
recording names) or ``"blocks"`` (contiguous time blocks of each recording, a gap of at
least the window between training and validation blocks; the sides list block names and
``blocks`` maps them to ``[recording, start, stop]``). `choose_split` picks one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Mapping, Sequence

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


BLOCK_COUNTS: tuple[int, ...] = (10, 20, 40, 80)  # blocks per recording tried, coarse first
SplitMode = Literal["auto", "recordings", "blocks"]


def choose_split(
    lengths: Mapping[str, int],
    targets: Mapping[str, np.ndarray],
    behaviors: Sequence[str],
    split: "SplitConfig",
    gap: int,
) -> dict:
    """The split of a training run, chosen once (``split.mode``).

    ``recordings``: `split_recordings` + `check_split`. ``blocks``: `block_split`.
    ``auto`` (default): by recording when that works (three or more recordings, or lists
    given, and every behavior on every side), else by time blocks.

    Parameters
    ----------
    lengths
        Frames per recording name (in the recordings' order).
    targets
        Per-frame class indices of the annotated recordings.
    gap
        Frames left out between a training and a validation block (at least the window).
    """
    names = list(lengths)
    mode = split.mode
    listed = any(getattr(split, side) is not None for side in SIDES)
    if mode == "blocks" and (split.train is not None or split.val is not None):
        raise ConfigError(f"{option('split.mode', 'blocks')} validates on time blocks of every recording; "
                          f"{option('split.val')} names whole recordings: drop one of them")
    if mode == "blocks" or (mode == "auto" and len(names) < 3 and not listed):
        return block_split(lengths, targets, behaviors, split, gap)
    if len(names) < 2:
        raise ConfigError(f"{option('split.mode', 'recordings')} needs two or more labelled recordings; "
                          f"with one, split it into time blocks ({option('split.mode', 'blocks')})")
    try:
        chosen = split_recordings(names, split)
        check_split(chosen, targets, behaviors)
        return chosen
    except ConfigError as error:
        if mode == "recordings" or listed:
            raise
        try:
            return block_split(lengths, targets, behaviors, split, gap)
        except ConfigError as blocks_error:
            raise ConfigError(f"{error}; a split by time blocks does not work either: {blocks_error}") from None


def block_split(
    lengths: Mapping[str, int],
    targets: Mapping[str, np.ndarray],
    behaviors: Sequence[str],
    split: "SplitConfig",
    gap: int,
) -> dict:
    """Split each recording into contiguous time blocks, some for training, some for validation.

    Every recording is cut into equal blocks (10, else 20, 40, 80 when a behavior is too
    rare for 10); about ``split.val_fraction`` of the annotated frames go to validation,
    chosen (seeded) so that every behavior is on both sides. ``gap`` frames of the training
    side next to each train/validation boundary are left out, so no training window or
    window statistic reaches into validation frames. Recordings listed in ``split.test`` are
    held out whole.

    Returns
    -------
    dict
        ``{"kind": "blocks", "train", "val", "test", "blocks", "gap"}``: the sides list block
        names ``"<recording>[start:stop]"`` (test: recording names); ``blocks`` maps every
        name on every side to ``[recording, start, stop]``.

    Raises
    ------
    ConfigError
        A behavior that occurs in too few places to be on both sides (label more of it).
    """
    test = list(split.test or [])
    unknown = [n for n in test if n not in lengths]
    if unknown:
        raise ConfigError(f"{option('split.test')} names unknown recording(s) {unknown}; recordings are {list(lengths)}")
    used = [n for n in lengths if n not in test and n in targets]
    if not used:
        raise ConfigError("no labelled recording left to split into time blocks")
    fraction = split.val_fraction if split.val_fraction > 0 else 0.2
    problem = ""
    for count in BLOCK_COUNTS:
        blocks = [(name, start, stop) for name in used for start, stop in _cuts(lengths[name], count, gap)]
        val = _choose_val(blocks, targets, len(behaviors), fraction, np.random.default_rng(split.seed))
        if isinstance(val, int):
            problem = f"behavior {behaviors[val - 1]!r} occurs in too few places"
            continue
        chosen = _segments(blocks, val, gap, test)
        chosen["blocks"].update({name: [name, 0, int(lengths[name])] for name in test})
        sliced = {block: targets[name][start:stop] for block, (name, start, stop) in chosen["blocks"].items()}
        try:  # trimming the gaps may have taken a behavior's last frames off one side
            check_split(chosen, {**sliced, **{n: targets[n] for n in test if n in targets}}, behaviors)
        except ConfigError as error:
            problem = str(error)
            continue
        return chosen
    raise ConfigError(f"cannot split by time blocks ({problem}); label more of it, in several places")


def _cuts(n_frames: int, count: int, gap: int) -> list[tuple[int, int]]:
    """``count`` equal ``[start, stop)`` blocks, fewer when a block would be under ``4 * gap`` frames."""
    count = max(1, min(count, n_frames // max(4 * gap, 1)))
    edges = np.linspace(0, n_frames, count + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if b > a]


def _choose_val(blocks: list[tuple[str, int, int]], targets: Mapping[str, np.ndarray], n_behaviors: int,
                fraction: float, rng: np.random.Generator) -> list[bool] | int:
    """Which blocks validate: every behavior on both sides, about ``fraction`` of the annotated
    frames. Returns the class index of a behavior that cannot be placed instead."""
    counts = np.array([np.bincount(np.clip(targets[name][start:stop], -1, None) + 1, minlength=n_behaviors + 2)[1:]
                       for name, start, stop in blocks])  # (blocks, classes): annotated frames per class
    annotated = counts.sum(axis=1)
    is_val = [False] * len(blocks)
    order = list(rng.permutation(len(blocks)))

    def train_keeps(b: int) -> bool:  # moving block b to validation leaves every behavior in training
        left = counts[[i for i in range(len(blocks)) if not is_val[i] and i != b]].sum(axis=0)
        return bool(np.all(left[1:] > 0))

    for cls in np.argsort(counts[:, 1:].sum(axis=0)) + 1:  # rarest behavior first
        if any(is_val[i] and counts[i, cls] for i in range(len(blocks))):
            continue
        candidates = [i for i in order if counts[i, cls] and train_keeps(i)]
        if not candidates:
            return int(cls)
        is_val[candidates[0]] = True
    target = fraction * annotated.sum()
    for i in order:
        if sum(annotated[j] for j in range(len(blocks)) if is_val[j]) >= target:
            break
        if not is_val[i] and annotated[i] and train_keeps(i):
            is_val[i] = True
    if all(is_val) or not any(is_val):
        return 1
    return is_val


def _segments(blocks: list[tuple[str, int, int]], is_val: list[bool], gap: int, test: list[str]) -> dict:
    """Merge neighbouring blocks of one side; trim ``gap`` training frames at each boundary."""
    runs: list[list] = []  # [recording, start, stop, side]
    for (name, start, stop), val in zip(blocks, is_val):
        side = "val" if val else "train"
        if runs and runs[-1][0] == name and runs[-1][3] == side and runs[-1][2] == start:
            runs[-1][2] = stop
        else:
            runs.append([name, start, stop, side])
    result: dict = {"kind": "blocks", "train": [], "val": [], "test": list(test), "blocks": {}, "gap": int(gap)}
    for i, (name, start, stop, side) in enumerate(runs):
        if side == "train":
            if i > 0 and runs[i - 1][0] == name:
                start += gap
            if i + 1 < len(runs) and runs[i + 1][0] == name:
                stop -= gap
        if stop <= start:
            continue
        block = f"{name}[{start}:{stop}]"
        result[side].append(block)
        result["blocks"][block] = [name, start, stop]
    return result
