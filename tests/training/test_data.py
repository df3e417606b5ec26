"""Per-frame targets, windows by index, and splits by recording."""

from __future__ import annotations

import numpy as np
import pytest

from ethoforge.errors import ConfigError
from ethoforge.labels import Bout
from ethoforge.training.config import SplitConfig
from ethoforge.training.data import frame_targets, gather_windows, pad_features
from ethoforge.training.split import check_split, split_recordings


def test_frame_targets_edges_scope_and_overlap():
    bouts = [Bout("r", "a", 2, 4), Bout("r", "b", 3, 6), Bout("r", "other", 7, 8)]
    targets = frame_targets(bouts, ["a", "b"], 10)
    assert targets.tolist() == [0, 0, 1, 1, 2, 2, 0, 0, 0, 0]  # [start, stop); 'a' listed first wins
    scoped = frame_targets(bouts, ["a", "b"], 10, scope=[(1, 5)])
    assert scoped.tolist() == [-1, 0, 1, 1, 2, 2, -1, -1, -1, -1]
    assert frame_targets([], ["a"], 3).dtype == np.int64


def test_windows_are_gathered_with_zero_padding():
    features = np.arange(10, dtype=np.float32)[:, None] + 1
    windows = gather_windows(pad_features(features, 2), np.array([0, 5, 9]), 5)
    assert windows.shape == (3, 5, 1)
    assert windows[0, :, 0].tolist() == [0, 0, 1, 2, 3]
    assert windows[1, :, 0].tolist() == [4, 5, 6, 7, 8]
    assert windows[2, :, 0].tolist() == [8, 9, 10, 0, 0]


def test_split_by_fractions_is_seeded_and_disjoint():
    names = [f"r{i}" for i in range(10)]
    split = split_recordings(names, SplitConfig(val_fraction=0.2, test_fraction=0.1, seed=3))
    assert (len(split["train"]), len(split["val"]), len(split["test"])) == (7, 2, 1)
    assert split["kind"] == "recordings"
    assert sorted(split["train"] + split["val"] + split["test"]) == sorted(names)
    assert split == split_recordings(names, SplitConfig(val_fraction=0.2, test_fraction=0.1, seed=3))
    assert split != split_recordings(names, SplitConfig(val_fraction=0.2, test_fraction=0.1, seed=4))


def test_split_by_lists():
    split = split_recordings(["a", "b", "c", "d"], SplitConfig(val=["b"], test=["d"]))
    assert split == {"kind": "recordings", "train": ["a", "c"], "val": ["b"], "test": ["d"]}
    with pytest.raises(ConfigError, match="unknown recording"):
        split_recordings(["a", "b"], SplitConfig(val=["x"]))
    with pytest.raises(ConfigError, match="both"):
        split_recordings(["a", "b"], SplitConfig(train=["a", "b"], val=["b"]))
    with pytest.raises(ConfigError, match="no validation"):
        split_recordings(["a", "b"], SplitConfig(val_fraction=0.0))


def test_preflight_names_the_missing_behavior_and_split():
    targets = {"a": np.array([0, 1, 2]), "b": np.array([0, 1, 0]), "c": np.array([2, 2, 1])}
    check_split({"train": ["a"], "val": ["c"], "test": []}, targets, ["x", "y"])
    with pytest.raises(ConfigError, match=r"behavior 'y' never occurs in the val split \(\['b'\]\)"):
        check_split({"train": ["a"], "val": ["b"], "test": []}, targets, ["x", "y"])
    with pytest.raises(ConfigError, match=r"'y'.*test"):
        check_split({"train": ["a"], "val": ["c"], "test": ["b"]}, targets, ["x", "y"])


def test_features_are_reported_per_recording_and_a_stop_request_ends_before_training(tmp_path):
    from ethoforge.datasets import load_sample
    from ethoforge.errors import Cancelled
    from ethoforge.pipeline import train_from_recordings

    sample = load_sample()[:3]
    recordings = [r for r, _ in sample]
    bouts = {r.name: b for r, b in sample}
    config = {"family": "gbdt", "num_threads": 1, "calibrate": False, "model": {"n_estimators": 5}}
    seen: list[tuple[int, int, str]] = []
    train_from_recordings(recordings, bouts, ["interact"], config, tmp_path / "a",
                          on_features=lambda *item: seen.append(item))
    assert seen == [(i + 1, 3, r.name) for i, r in enumerate(recordings)]
    with pytest.raises(Cancelled, match="1 of 3 recordings"):
        train_from_recordings(recordings, bouts, ["interact"], config, tmp_path / "b", on_features=lambda *_: False)
    assert not (tmp_path / "b").exists()
