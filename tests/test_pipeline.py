"""The high-level API on the real ethome5 sample: pre-flight, evaluation, the demo."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from ethoforge.errors import ConfigError
from ethoforge.inference.bundle import load_bundle
from ethoforge.pipeline import HUMAN_REFERENCE_F1, evaluate_bundle, run_demo, train_from_recordings

QUICK = {"epochs": 2, "samples_per_epoch": 2000, "batch_size": 128, "window": 15, "device": "cpu"}


@pytest.fixture(scope="module")
def short_samples():
    """The five ethome5 recordings cut to their first 3,000 frames."""
    from ethoforge.datasets import load_sample

    samples = []
    for recording, bouts in load_sample():
        recording.poses = recording.poses.isel(time=slice(0, 3000))
        samples.append((recording, [b.with_(stop=min(b.stop, 3000)) for b in bouts if b.start < 3000]))
    return samples


def test_one_recording_trains_on_time_blocks(short_samples, tmp_path):
    recording, bouts = short_samples[2]
    config = {**QUICK, "family": "gbdt", "model": {"n_estimators": 5}}
    result = train_from_recordings([recording], {recording.name: bouts}, ["interact"], config, tmp_path / "m")
    assert result.split["kind"] == "blocks" and result.split["train"] and result.split["val"]
    meta = load_bundle(tmp_path / "m").meta
    assert meta["split"]["kind"] == "blocks" and meta["split"]["blocks"] == result.split["blocks"]
    assert result.metrics["val"]["per_class"]["interact"]["support"] > 0


def test_behavior_missing_from_a_split_is_a_config_error(short_samples, tmp_path):
    recordings = [r for r, _ in short_samples]
    bouts = {r.name: b for r, b in short_samples}
    bouts[recordings[1].name] = []  # no 'interact' in the validation recording
    config = {**QUICK, "split": {"train": [recordings[0].name], "val": [recordings[1].name]}}
    with pytest.raises(ConfigError, match=r"'interact' never occurs in the val split"):
        train_from_recordings(recordings[:2], bouts, ["interact"], config, tmp_path / "m")
    with pytest.raises(ConfigError, match="window"):
        train_from_recordings(recordings[:2], bouts, ["interact"], {**config, "window": 4}, tmp_path / "m")
    assert not (tmp_path / "m").exists()


def test_demo_trains_evaluates_and_reports_beside_the_human_reference(short_samples, tmp_path):
    result = run_demo(tmp_path / "demo", config=QUICK, samples=short_samples)
    assert result["human_reference_f1"] == HUMAN_REFERENCE_F1 == 0.798
    assert result["test"] == [short_samples[4][0].name] and len(result["train"]) == 3
    assert 0.3 < result["f1_interact"] <= 1.0  # two short epochs already find most interactions
    scores = evaluate_bundle(result["bundle"], [r for r, _ in short_samples[4:]], dict(
        (r.name, b) for r, b in short_samples))
    assert scores["per_class"]["interact"]["f1"] == pytest.approx(result["f1_interact"])
    assert scores["n_frames"] == 3000 and set(scores["per_recording"]) == {short_samples[4][0].name}
    report = yaml.safe_load((Path(result["bundle"]) / "performance_report.yaml").read_text())
    assert report["extra"]["reported_on"] == "test" and report["split"]["test"] == result["test"]
    assert report["frame"]["per_class"]["interact"]["f1"] == pytest.approx(result["f1_interact"])
    assert report["frame"]["n_frames"] == 3000
    matrix = pd.read_csv(Path(result["bundle"]) / "confusion_matrix_BEST.csv", index_col=0)
    assert matrix.to_numpy().sum() == 3000 and matrix.to_numpy().tolist() == report["frame"]["confusion_matrix"]


def test_full_demo_reaches_near_human_agreement(tmp_path):
    result = run_demo(tmp_path / "demo")  # default model on the real ethome5 recordings (~45 s on 2 cores)
    assert result["f1_interact"] > 0.7
