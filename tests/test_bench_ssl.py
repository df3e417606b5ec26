"""benchmarks/bench_ssl.py label budgets: nested whole bouts that keep each class's share of the budget."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from ethoforge.datasets import load_sample
from ethoforge.training.data import frame_targets

BUDGETS = (0.01, 0.05, 0.2, 1.0)
ARGS = argparse.Namespace(device="cpu", epochs=1, samples=10, threads=1, window=31)  # a cell's options


@pytest.fixture(scope="module")
def bench(testkit):
    return testkit.load_benchmark("bench_ssl")


@pytest.fixture(scope="module")
def ethome5():
    samples = load_sample()
    return [r for r, _ in samples], {r.name: b for r, b in samples}


def _drawn(recordings, scopes, kept) -> dict[str, np.ndarray]:
    return {r.name: frame_targets(kept[r.name], ["interact"], r.n_frames, scopes[r.name])
            for r in recordings if r.name in scopes}


@pytest.mark.parametrize("fold", range(5))
def test_each_budget_holds_its_share_of_each_class_nested_in_the_next(bench, ethome5, fold):
    # the old draw (one order for both classes) gave fold 0 seed 0 one 3-frame interact bout at
    # 1 % and 5 %: gbdt then scored F1 0.000 on the test recording
    recordings, bouts = ethome5
    names = [r.name for r in recordings]
    train = [n for n in names if n not in (names[fold], names[(fold + 1) % 5])]
    full = _drawn(recordings, *bench.budget_scopes(recordings, bouts, train, 1.0, 0)[:2])
    totals = [sum(int((t == c).sum()) for t in full.values()) for c in (0, 1)]
    assert all(total > 0 for total in totals)
    for seed in range(3):
        previous: dict[str, np.ndarray] = {}
        for budget in BUDGETS:
            scopes, kept, share = bench.budget_scopes(recordings, bouts, train, budget, seed)
            drawn = _drawn(recordings, scopes, kept)
            for cls, total in zip((0, 1), totals):
                assert sum(int((t == cls).sum()) for t in drawn.values()) >= max(1, budget * total), (seed, budget, cls)
            assert any(b.behavior == "interact" for name in kept for b in kept[name])
            assert share == pytest.approx(sum(int((t >= 0).sum()) for t in drawn.values()) / sum(totals))
            for name, targets in previous.items():  # smaller budgets are subsets of larger ones
                assert name in drawn and np.all(drawn[name][targets >= 0] == targets[targets >= 0])
            previous = drawn


def test_the_scratch_arm_has_the_embedders_architecture(bench, tmp_path):
    import json

    from ethoforge.models.config import resolve_config
    from ethoforge.ssl.config import PretrainConfig
    from ethoforge.training.config import make_config

    encoder = resolve_config("transformer", PretrainConfig(preset="small").transformer_config())
    (tmp_path / "bundle.json").write_text(json.dumps({"model_config": encoder.model_dump(mode="json")}))
    scratch = make_config(bench._arm_config("scratch", ARGS, tmp_path, "val", 0))
    assert scratch.init_from is None
    assert resolve_config("transformer", scratch.model).arch == encoder.arch  # not the classifier's narrower "small"


def test_the_table_pools_only_folds_that_every_seed_has_and_says_how_many(bench, tmp_path):
    truths = {0: np.array([True, False] * 300), 1: np.array([False, True] * 300)}
    for k, truth in truths.items():
        for seed in range(2):
            for arm, prediction in (("scratch", ~truth), ("finetune", truth)):
                if (arm, k, seed) == ("finetune", 1, 1):
                    continue  # one missing cell: fold 1 of the fine-tuned arm is incomplete
                path = bench.cell_path(tmp_path, arm, k, seed, 0.05)
                path.parent.mkdir(parents=True, exist_ok=True)
                np.save(path, prediction)
    table = bench.tabulate(tmp_path, truths, ["scratch", "finetune", "probe"], [0.05], 2)["table"]
    assert table[("scratch", 0.05)][0] == 0.0 and table[("scratch", 0.05)][3] == 2
    assert table[("finetune", 0.05)][0] == 1.0 and table[("finetune", 0.05)][3] == 1
    assert ("probe", 0.05) not in table
    difference = table[("finetune-scratch", 0.05)]
    assert difference[0] == pytest.approx(1.0) and difference[1:] == (pytest.approx(1.0), pytest.approx(1.0), 1)


def test_each_validation_choice_is_a_replicate_and_every_embedder_arm_is_compared_with_scratch(bench, tmp_path):
    truth = np.array([True, False] * 300)
    for rotation in range(2):
        np.save(_cell(bench, tmp_path, "scratch", rotation), ~truth)
        # the probe is right with one validation choice, wrong with the other: the mean of both
        np.save(_cell(bench, tmp_path, "probe", rotation), truth if rotation == 0 else ~truth)
    np.save(_cell(bench, tmp_path, "finetune", 0), truth)  # its second validation choice is missing
    table = bench.tabulate(tmp_path, {0: truth}, ["scratch", "probe", "finetune"], [0.05], 1, rotations=2)["table"]
    assert table[("probe", 0.05)][0] == pytest.approx(0.5) and table[("probe-scratch", 0.05)][0] == pytest.approx(0.5)
    assert ("finetune", 0.05) not in table and ("finetune-scratch", 0.05) not in table
    assert [bench.validation_of(2, r) for r in range(4)] == [3, 4, 0, 1]
    with pytest.raises(SystemExit, match="4 non-test recordings"):
        bench.validation_of(2, 4)


def _cell(bench, work, arm: str, rotation: int):
    path = bench.cell_path(work, arm, 0, 0, 0.05, rotation)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def test_the_fine_tuning_arms_are_the_packages_defaults_and_the_full_rate_recipe(bench, tmp_path):
    from ethoforge.training.config import make_config

    tuned = make_config(bench._arm_config("finetune", ARGS, tmp_path, "val", 0))
    assert tuned.init_from == str(tmp_path) and tuned.freeze_epochs == 2 and not tuned.freeze
    assert tuned.encoder_lr == pytest.approx(tuned.lr / 10)
    full = make_config(bench._arm_config("finetune_full", ARGS, tmp_path, "val", 0))
    assert full.freeze_epochs == 1 and full.encoder_lr == pytest.approx(full.lr)
