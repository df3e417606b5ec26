"""benchmarks/bench_accuracy.py folds: the held-out recording never trains or validates."""

from __future__ import annotations

import os

import numpy as np
import pytest

from ethoforge.labels import Bout
from ethoforge.recording import Recording, empty_poses


@pytest.fixture(scope="module")
def bench(testkit):
    return testkit.load_benchmark("bench_accuracy")


def _recordings(n: int) -> tuple[list[Recording], dict[str, list[Bout]]]:
    recordings = [Recording(name=f"r{i}", poses=empty_poses(1000), fps=25.0) for i in range(n)]
    return recordings, {r.name: [Bout(r.name, "Supported", 100, 200), Bout(r.name, "Supported", 790, 900)]
                        for r in recordings}


@pytest.mark.parametrize("n", [2, 5])
def test_the_held_out_recording_is_never_trained_or_validated_on(bench, n):
    recordings, bouts = _recordings(n)
    for k, test in enumerate(recordings):
        for rotation in range(max(1, n - 1)):
            chosen, fold_bouts, train, val = bench.fold(recordings, bouts, k, rotation)
            assert train and val and not set(train) & set(val)
            assert all(not name.startswith(test.name) for name in train + val + [r.name for r in chosen])


def test_with_two_recordings_the_other_one_is_cut_in_time_with_a_gap(bench):
    recordings, bouts = _recordings(2)
    chosen, fold_bouts, train, val = bench.fold(recordings, bouts, 0, 0, gap=50)
    head, tail = chosen
    assert (train, val) == (["r1_head"], ["r1_tail"]) and (head.n_frames, tail.n_frames) == (800, 150)
    assert [(b.start, b.stop) for b in fold_bouts["r1_head"]] == [(100, 200), (790, 800)]
    assert [(b.recording, b.start, b.stop) for b in fold_bouts["r1_tail"]] == [("r1_tail", 0, 50)]  # 850-900


def test_the_default_run_covers_every_registered_family_and_names_its_command_and_machine(bench):
    from ethoforge.models.config import MODEL_FAMILIES

    assert bench.parse_args(["--rotations", "4"]).families.split(",") == list(MODEL_FAMILIES)
    facts = bench.machine_facts(["--rotations", "4", "--config", '{"epochs": 2}'], threads=2)
    assert facts["command"] == "python benchmarks/bench_accuracy.py --rotations 4 --config '{\"epochs\": 2}'"
    assert (facts["cpus"], facts["threads"]) == (os.cpu_count(), 2) and facts["date_utc"][:2] == "20"


def test_the_summary_gives_each_family_its_mean_spread_rotations_and_per_recording_range(bench):
    results = {
        "gbdt": {"pooled_f1": 0.77, "per_recording": {"a": 0.8, "b": 0.4}, "seconds": 697.0,
                 "pooled_f1_by_rotation": [0.77, 0.71], "per_recording_by_rotation": {"a": [0.8, 0.9], "b": [0.4, 0.3]},
                 "rotation_mean": 0.74, "rotation_sd": 0.0424},
        "transformer": {"pooled_f1": 0.69, "per_recording": {"a": 0.7, "b": 0.5}, "seconds": 100.0},
    }
    assert bench.summary("ethome5", results) == [
        "ethome5 gbdt: pooled F1 0.740 ± 0.042 (sd over 2 validation choices: 0.770 / 0.710); "
        "per recording 0.30–0.90; 697 s",
        "ethome5 transformer: pooled F1 0.690 (one validation choice); per recording 0.50–0.70; 100 s",
    ]


def test_threads_reach_lightgbm_and_torch_unless_the_config_sets_them(bench):
    from ethoforge.training.config import make_config

    split = {"train": ["a", "b"], "val": ["c"], "test": []}
    gbdt = make_config(bench.fold_config("gbdt", {"model": {"num_leaves": 15}}, split, threads=1))
    assert (gbdt.model["num_threads"], gbdt.model["num_leaves"], gbdt.num_threads) == (1, 15, None)
    assert make_config(bench.fold_config("gbdt", {"model": {"num_threads": 4}}, split, threads=1)).model["num_threads"] == 4
    torch_family = make_config(bench.fold_config("transformer", {}, split, threads=1))
    assert (torch_family.num_threads, torch_family.model, torch_family.split.val) == (1, {}, ["c"])


def test_folds_pool_their_held_out_frames_per_rotation(bench):
    def scored(name: str, truth: list[int], prediction: list[int], f1: float) -> dict:
        return {"name": name, "truth": np.array(truth, bool), "prediction": np.array(prediction, bool),
                "f1": f1, "seconds": 10.0}

    rotation0 = [scored("a", [1, 1, 0, 0], [1, 0, 0, 0], 0.667), scored("b", [1, 0], [1, 1], 0.667)]
    rotation1 = [scored("a", [1, 1, 0, 0], [1, 1, 0, 0], 1.0), scored("b", [1, 0], [0, 0], 0.0)]
    one = bench.pool_folds([rotation0])
    # pooled over both recordings: tp 2, fp 1, fn 1 -> F1 2/3, not the mean of per-recording F1
    assert one == {"pooled_f1": 0.6667, "per_recording": {"a": 0.667, "b": 0.667}, "seconds": 20.0}
    two = bench.pool_folds([rotation0, rotation1])
    assert two["pooled_f1_by_rotation"] == [0.6667, 0.8] and two["per_recording_by_rotation"] == {
        "a": [0.667, 1.0], "b": [0.667, 0.0]}
    assert (two["rotation_mean"], two["rotation_sd"], two["seconds"]) == (0.7333, 0.0943, 40.0)
