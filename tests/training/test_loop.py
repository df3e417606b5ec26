"""The training loop on generated data whose classes are written into the features."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from ethoforge.errors import ConfigError
from ethoforge.training.loop import TrainingCancelled, train

FAST = dict(
    family="conv_bilstm", window=9, epochs=4, batch_size=64, samples_per_epoch=1500, lr=1e-2, warmup_epochs=0, patience=None,
    split={"val": ["rec3"]}, device="cpu",
)


def _config(**changes):
    return {**FAST, **changes}


def test_train_learns_and_writes_a_bundle(make_data, factory, tmp_path):
    data = make_data()
    result = train(_config(), data, tmp_path / "model", model_factory=factory)
    assert result.metrics["val"]["macro_f1"] > 0.9
    assert result.split == {"kind": "recordings", "train": ["rec0", "rec1", "rec2"], "val": ["rec3"], "test": []}
    meta = json.loads((tmp_path / "model" / "bundle.json").read_text())
    assert meta["classes"] == ["none", "a", "b"] and meta["window"] == 9
    assert meta["training_config"]["window"] == 9 and meta["weights"] == "weights.pt"
    for name in ("weights.pt", "performance_report.yaml", "history.json", "confusion_matrix_BEST.png",
                 "checkpoints/best.pt", "checkpoints/latest.pt"):
        assert (tmp_path / "model" / name).is_file(), name
    assert not (tmp_path / ".model.partial").exists()
    checkpoint = torch.load(tmp_path / "model" / "checkpoints" / "latest.pt", weights_only=False)
    assert {"model", "optimizer", "lr_scheduler", "epoch", "trial", "config", "best"} <= set(checkpoint)
    assert checkpoint["epoch"] == 3 and checkpoint["config"]["window"] == 9
    assert [row["epoch"] for row in result.history] == [0, 1, 2, 3]


@pytest.mark.parametrize("options", [
    {"sampling": "weighted"},
    {"sampling": "focal", "focal_gamma": 2.0},
    {"sampling": "uniform", "class_weights": {"none": 0.5, "b": 2.0}},
])
def test_every_sampling_mode_learns(make_data, factory, tmp_path, options):
    result = train(_config(epochs=3, **options), make_data(), tmp_path / "m", model_factory=factory)
    assert result.metrics["val"]["macro_f1"] > 0.85


def test_checkpoint_every_n_epochs(make_data, factory, tmp_path):
    train(_config(checkpoint_every=2), make_data(), tmp_path / "m", model_factory=factory)
    names = sorted(p.name for p in (tmp_path / "m" / "checkpoints").iterdir())
    assert names == ["best.pt", "epoch_001.pt", "epoch_003.pt", "latest.pt"]


def test_early_stopping_stops(make_data, factory, tmp_path):
    # a learning rate too small to change anything: val macro-F1 never improves after epoch 0
    result = train(_config(epochs=20, lr=1e-12, patience=2), make_data(), tmp_path / "m", model_factory=factory)
    assert [row["epoch"] for row in result.history] == [0, 1, 2]


def test_trials_keep_the_best_weights_as_a_deep_copy(make_data, factory, tmp_path):
    built = []

    def crippled_second_trial(n_features, n_classes, config):
        model = factory(n_features, n_classes, config)
        if len(built) == 1:  # trial 1 cannot learn: its weights are zero and frozen but for one bias
            for p in model.parameters():
                torch.nn.init.zeros_(p)
                p.requires_grad_(False)
            model.net[-1].bias.requires_grad_(True)
        built.append(model)
        return model

    result = train(_config(trials=2, epochs=3), make_data(), tmp_path / "m", model_factory=crippled_second_trial)
    assert result.best_trial == 0
    kept = result.model.state_dict()
    last_trial = built[1].state_dict()
    assert any(not torch.equal(kept[k], last_trial[k]) for k in kept)
    best_trial0 = max(r["val_macro_f1"] for r in result.history if r["trial"] == 0)
    best_trial1 = max(r["val_macro_f1"] for r in result.history if r["trial"] == 1)
    assert best_trial0 > best_trial1
    assert result.metrics["val"]["macro_f1"] == pytest.approx(best_trial0, abs=1e-9)
    best = torch.load(tmp_path / "m" / "checkpoints" / "best.pt", weights_only=False)["best"]
    assert best["trial"] == 0 and all(torch.equal(best["state"][k], kept[k]) for k in kept)


def test_calibration_does_not_raise_nll(make_data, factory, tmp_path):
    result = train(_config(), make_data(noise=1.2), tmp_path / "m", model_factory=factory)
    val = result.metrics["val"]
    assert result.temperature != 1.0
    assert val["nll"] < val["nll_uncalibrated"]


def test_cancel_leaves_no_bundle_and_resume_continues(make_data, factory, tmp_path):
    data = make_data()
    out = tmp_path / "m"
    seen = []

    def stop_after_two(step, total, metrics):
        seen.append((step, total, metrics["epoch"]))
        return step < 2

    with pytest.raises(TrainingCancelled):
        train(_config(epochs=4), data, out, stop_after_two, model_factory=factory)
    assert seen == [(1, 4, 0), (2, 4, 1)]
    assert not out.exists()
    latest = tmp_path / ".m.partial" / "checkpoints" / "latest.pt"
    assert torch.load(latest, weights_only=False)["epoch"] == 1

    resumed = []
    result = train(_config(epochs=4, resume=str(latest)), data, out,
                   lambda s, t, m: resumed.append(m["epoch"]), model_factory=factory)
    assert resumed == [2, 3]
    assert [row["epoch"] for row in result.history] == [0, 1, 2, 3]
    assert (out / "bundle.json").is_file()


def test_preflight_errors_come_before_any_work(make_data, factory, tmp_path):
    data = make_data()
    data.recordings[3].targets[data.recordings[3].targets == 2] = 0  # no 'b' in the validation recording
    with pytest.raises(ConfigError, match=r"'b'.*val"):
        train(_config(), data, tmp_path / "m", model_factory=factory)
    with pytest.raises(ConfigError, match="window"):
        train(_config(window=8), data, tmp_path / "m", model_factory=factory)
    with pytest.raises(ConfigError, match="lr"):
        train(_config(lr=0), data, tmp_path / "m", model_factory=factory)
    with pytest.raises(ConfigError, match="family"):
        train(_config(family="resnet"), data, tmp_path / "m", model_factory=factory)
    assert not any(tmp_path.iterdir())


def test_unannotated_frames_are_never_sampled(make_data):
    from ethoforge.training.loop import epoch_batches

    data = make_data(n_recordings=1)
    record = data.recordings[0]
    record.targets[:300] = -1
    generator = torch.Generator().manual_seed(0)
    for balanced in (True, False):
        for x, y in epoch_batches([record], [record.features], 9, 100, 1000, balanced, generator):
            assert (y >= 0).all()
            # each window's centre row is the features row of an annotated frame with that target
            match = (x[:, None, 4, :] == record.features[None, :, :]).all(axis=2)
            frames = match.argmax(axis=1)
            assert match.any(axis=1).all() and (frames >= 300).all()
            assert np.array_equal(record.targets[frames], y)


def test_gbdt_reports_boosting_rounds_per_trial_and_stops_when_asked(make_data, tmp_path):
    data = make_data()
    config = _config(family="gbdt", trials=2, model={"n_estimators": 30, "early_stopping_rounds": 1000, "num_threads": 1})
    calls = []
    result = train(config, data, tmp_path / "g", lambda step, total, m: calls.append((step, total, dict(m))))
    rounds = [(s, t, m["trial"], m["round"]) for s, t, m in calls if "round" in m]
    assert rounds == [(10, 60, 0, 10), (20, 60, 0, 20), (30, 60, 0, 30), (40, 60, 1, 10), (50, 60, 1, 20), (60, 60, 1, 30)]
    assert all(isinstance(m["val_loss"], float) for *_, m in calls if "round" in m)
    assert [s for s, _, m in calls if "epoch" in m] == [30, 60]  # each trial's summary row ends its rounds
    assert result.metrics["val"]["macro_f1"] > 0.9
    with pytest.raises(TrainingCancelled):
        train(config, data, tmp_path / "h", lambda step, total, m: step < 20)
    assert not (tmp_path / "h").exists()


def test_training_on_its_own_thread_count_gives_the_caller_its_own_back(make_data, factory, tmp_path):
    caller = torch.get_num_threads()
    train(_config(epochs=1, num_threads=caller + 1), make_data(), tmp_path / "m", model_factory=factory)
    assert torch.get_num_threads() == caller
