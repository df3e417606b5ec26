"""Splits: by recording, by time blocks with a gap, and the automatic choice between them."""

from __future__ import annotations

import numpy as np
import pytest

from ethoforge.errors import ConfigError
from ethoforge.training.config import SplitConfig
from ethoforge.training.split import block_split, choose_split

BEHAVIORS = ["a", "b"]


def _targets(n_frames: int, bouts: dict[int, list[tuple[int, int]]]) -> np.ndarray:
    targets = np.zeros(n_frames, np.int64)
    for cls, spans in bouts.items():
        for start, stop in spans:
            targets[start:stop] = cls
    return targets


ONE = {"r": _targets(6000, {1: [(100, 160), (2500, 2600), (5200, 5300)], 2: [(900, 950), (4000, 4100)]})}


def _sides(split: dict, targets: dict) -> dict[str, np.ndarray]:
    """Frames of each side per recording as a boolean mask, checking every block's bounds."""
    masks = {side: {n: np.zeros(len(t), bool) for n, t in targets.items()} for side in ("train", "val")}
    for side in ("train", "val"):
        for block in split[side]:
            name, start, stop = split["blocks"][block]
            assert block == f"{name}[{start}:{stop}]" and 0 <= start < stop <= len(targets[name])
            assert not masks[side][name][start:stop].any()
            masks[side][name][start:stop] = True
    return masks


def test_one_recording_splits_into_blocks_with_every_behavior_on_both_sides_and_a_gap():
    split = block_split({"r": 6000}, ONE, BEHAVIORS, SplitConfig(), gap=31)
    assert split["kind"] == "blocks" and split["gap"] == 31 and split["test"] == []
    masks = _sides(split, ONE)
    train, val = masks["train"]["r"], masks["val"]["r"]
    assert not (train & val).any()
    for cls in (1, 2):
        assert (ONE["r"][train] == cls).any() and (ONE["r"][val] == cls).any()
    train_frames, val_frames = np.flatnonzero(train), np.flatnonzero(val)
    distance = np.abs(train_frames[:, None] - val_frames[None, :]).min()
    assert distance > 31  # at least `gap` frames between any training and any validation frame
    assert 0.1 < val.sum() / (train.sum() + val.sum()) < 0.45


def test_blocks_are_seeded():
    first = block_split({"r": 6000}, ONE, BEHAVIORS, SplitConfig(seed=1), gap=31)
    assert first == block_split({"r": 6000}, ONE, BEHAVIORS, SplitConfig(seed=1), gap=31)


def test_a_behavior_labelled_once_cannot_be_on_both_sides():
    targets = {"r": _targets(6000, {1: [(100, 160), (2500, 2600)], 2: [(900, 920)]})}
    with pytest.raises(ConfigError, match="behavior 'b' occurs in too few places"):
        block_split({"r": 6000}, targets, BEHAVIORS, SplitConfig(), gap=31)


def test_auto_uses_blocks_for_one_or_two_recordings_and_recordings_otherwise():
    two = {"r": ONE["r"], "s": ONE["r"].copy()}
    assert choose_split({"r": 6000}, ONE, BEHAVIORS, SplitConfig(), 31)["kind"] == "blocks"
    assert choose_split({"r": 6000, "s": 6000}, two, BEHAVIORS, SplitConfig(), 31)["kind"] == "blocks"
    three = {**two, "t": ONE["r"].copy()}
    chosen = choose_split({n: 6000 for n in three}, three, BEHAVIORS, SplitConfig(), 31)
    assert chosen["kind"] == "recordings" and len(chosen["val"]) == 1


def test_auto_falls_back_to_blocks_when_a_behavior_is_in_one_recording_only():
    only_a = _targets(6000, {1: [(100, 200), (3000, 3100)]})
    targets = {"r": ONE["r"], "s": only_a, "t": only_a.copy()}
    chosen = choose_split({n: 6000 for n in targets}, targets, BEHAVIORS, SplitConfig(seed=0), 31)
    assert chosen["kind"] == "blocks"
    with pytest.raises(ConfigError, match="never occurs"):
        choose_split({n: 6000 for n in targets}, targets, BEHAVIORS, SplitConfig(mode="recordings", seed=0), 31)


def test_listed_recordings_are_kept_and_recordings_mode_refuses_one_recording():
    two = {"r": ONE["r"], "s": ONE["r"].copy()}
    chosen = choose_split({"r": 6000, "s": 6000}, two, BEHAVIORS, SplitConfig(val=["s"]), 31)
    assert chosen == {"kind": "recordings", "train": ["r"], "val": ["s"], "test": []}
    with pytest.raises(ConfigError, match="two or more labelled recordings.*time blocks"):
        choose_split({"r": 6000}, ONE, BEHAVIORS, SplitConfig(mode="recordings"), 31)


def test_blocks_hold_out_test_recordings_whole():
    targets = {"r": ONE["r"], "t": ONE["r"].copy()}
    split = block_split({"r": 6000, "t": 6000}, targets, BEHAVIORS, SplitConfig(test=["t"]), gap=31)
    assert split["test"] == ["t"] and split["blocks"]["t"] == ["t", 0, 6000]
    assert all(split["blocks"][b][0] == "r" for b in split["train"] + split["val"])


def test_blocks_refuse_validation_recordings_by_name():
    with pytest.raises(ConfigError, match="drop one of them"):
        choose_split({"r": 6000, "s": 6000}, {"r": ONE["r"], "s": ONE["r"]}, BEHAVIORS,
                     SplitConfig(mode="blocks", val=["s"]), 31)
