"""`ethoforge.workflows` on a project of bundled ethome5 recordings (in-memory import)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ethoforge.datasets import load_sample
from ethoforge.errors import Cancelled, ConfigError, NotFoundError
from ethoforge.labels import Bout
from ethoforge.store import Project, registry
from ethoforge.workflows import (
    build_train_config,
    evaluate_in_project,
    infer_many,
    load_training_set,
    parse_per_behavior,
    resolve_model,
    train_in_project,
)

TINY = {"family": "conv_bilstm", "epochs": 1, "samples_per_epoch": 256, "batch_size": 64, "window": 15,
        "device": "cpu", "model": {"conv_channels": [8], "lstm_hidden": 8}}


@pytest.fixture(scope="module")
def samples():
    return load_sample()


@pytest.fixture(scope="module")
def project(tmp_path_factory, samples):
    """Recordings 0-2 with their labels (dataset ``mice``), recording 3 without any labels."""
    opened = Project.create(tmp_path_factory.mktemp("workflows") / "project")
    for recording, bouts in samples[:3]:
        opened.import_recording_object(recording, bouts)
    opened.import_recording_object(samples[3][0])
    opened.create_dataset("mice", "interact", recordings=[r.name for r, _ in samples[:3]])
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def names(samples):
    return [r.name for r, _ in samples]


@pytest.fixture(scope="module")
def trained(project, names):
    options = {**TINY, "split": {"val": [names[1]]}}
    return train_in_project(project, options, recordings=names[:2], behaviors="interact")


def test_parse_per_behavior_numbers_and_pairs():
    assert parse_per_behavior("5", "--min-bout", int) == 5
    assert parse_per_behavior(" a=2, b = 0.5 ", "--x", float) == {"a": 2.0, "b": 0.5}
    assert parse_per_behavior(None, "--x") is None
    with pytest.raises(ConfigError, match="--min-bout expects an integer"):
        parse_per_behavior("a=2.5", "--min-bout", int)
    with pytest.raises(ConfigError, match="name=value pairs"):
        parse_per_behavior("a=1,=2", "--x")


def test_build_train_config_checks_before_work():
    config = build_train_config({"family": "gbdt", "class_weights": "interact=3,none=1"}, ["interact"])
    assert config.family == "gbdt" and config.class_weights == {"interact": 3.0, "none": 1.0}
    with pytest.raises(ConfigError, match="unknown model 'svm'"):
        build_train_config({"family": "svm"})
    with pytest.raises(ConfigError, match=r"names unknown behavior\(s\) \['jump'\]"):
        build_train_config({"class_weights": {"jump": 2.0}}, ["interact"])
    with pytest.raises(ConfigError, match="window must be an odd"):
        build_train_config({"window": 4})


def test_load_training_set_takes_human_bouts_only(project, names, samples):
    from sqlalchemy import delete

    from ethoforge.store.models import BoutRow

    human = sorted(samples[0][1], key=lambda b: b.start)
    gap = next(start for b, start in zip(human, [b.start for b in human[1:]]) if start - b.stop >= 10)
    project.add_bouts(names[0], [Bout(names[0], "interact", gap - 10, gap, source="predicted")])
    try:
        training = load_training_set(project, dataset="mice")
    finally:
        with project.engine.begin() as connection:
            connection.execute(delete(BoutRow).where(BoutRow.source == "predicted"))
    assert [r.name for r in training.recordings] == names[:3] and training.behaviors == ["interact"]
    assert training.dataset == "mice"
    assert [(b.start, b.stop) for b in training.bouts[names[0]]] == [(b.start, b.stop) for b in human]
    assert training.scopes == {n: [(0, r.n_frames)] for n, r in zip(names[:3], training.recordings)}


def test_load_training_set_rejects_unlabelled_and_outside_recordings(project, names):
    with pytest.raises(ConfigError, match="have no labels"):
        load_training_set(project, [names[0], names[3]], "interact")
    with pytest.raises(ConfigError, match="not in dataset 'mice'"):
        load_training_set(project, [names[3]], dataset="mice")
    with pytest.raises(ConfigError, match="no behaviors"):
        load_training_set(project, [names[0]])
    with pytest.raises(NotFoundError):
        load_training_set(project, ["nope"], "interact")


def test_train_in_project_registers_and_cleans_up(project, trained, names):
    info = registry.get_model(project, trained.model.id)
    assert trained.bundle == project.root / info.path and (trained.bundle / "bundle.json").is_file()
    summary = trained.to_dict()
    assert summary["model_id"] == info.id and summary["split"]["val"] == [names[1]]
    assert "interact" in summary["metrics"]["val"]["per_class"]
    assert info.metrics["val"]["macro_f1"] == pytest.approx(summary["macro_f1"])
    assert info.config["family"] == "conv_bilstm" and "resume" not in info.config
    assert info.metrics["split"]["kind"] == "recordings" and info.metrics["best_epoch"] == trained.result.best_epoch
    assert not any((project.root / "training").iterdir())


def test_train_in_project_in_a_given_run_dir_stops_before_registering(project, names, tmp_path):
    """The job worker's way in: its own run folder, a stop asked after training registers nothing."""
    before = len(registry.list_models(project))
    loaded = []
    with pytest.raises(Cancelled, match="before the model was registered"):
        train_in_project(project, {**TINY, "split": {"val": [names[1]]}}, recordings=names[:2], behaviors="interact",
                         run_dir=tmp_path / "job", loading=lambda done, total, name: loaded.append(name) or True,
                         should_stop=lambda: True)
    assert loaded == names[:2]
    assert len(registry.list_models(project)) == before
    assert (tmp_path / "job" / "bundle" / "bundle.json").is_file()  # left in the run folder, not registered


def test_train_in_project_failing_split_leaves_nothing(project, names):
    before = len(registry.list_models(project))
    with pytest.raises(ConfigError, match=r"behavior\(s\) \['groom'\] of recordings .* have no labelled bouts"):
        train_in_project(project, TINY, recordings=names[:2], behaviors="interact;groom")
    assert len(registry.list_models(project)) == before
    assert not any((project.root / "training").iterdir())


def test_a_dataset_whose_behaviors_have_no_bouts_names_the_labelled_ones(project, names):
    project.create_dataset("wrong", "attack;interact;mount", recordings=names[:2])
    counted = sum(len(project.get_bouts(name)) for name in names[:2])
    try:
        for call in (lambda: train_in_project(project, TINY, dataset="wrong"),
                     lambda: load_training_set(project, dataset="wrong")):
            with pytest.raises(ConfigError) as info:
                call()
            assert str(info.value) == (
                f"behavior(s) ['attack', 'mount'] of dataset 'wrong' have no labelled bouts (their labelled "
                f"behaviors: interact ({counted} bouts)); import labels of them, or train on the behaviors that "
                "are labelled (behaviors= or a dataset of them)")
    finally:
        project.delete_dataset("wrong")


def test_resolve_model_by_id_name_and_path(project, trained):
    assert resolve_model(project, trained.model.id)[0] == trained.bundle
    assert resolve_model(project, trained.model.name)[1].id == trained.model.id
    assert resolve_model(None, trained.bundle) == (trained.bundle, None)
    with pytest.raises(NotFoundError, match="no project"):
        resolve_model(None, "3")


def test_evaluate_in_project_counts_support_from_the_labels(project, trained, names, samples):
    scores = evaluate_in_project(project, trained.model.id, [names[2]], device="cpu")
    recording, bouts = samples[2]
    expected = sum(b.stop - b.start for b in bouts if b.behavior == "interact")
    assert scores["per_class"]["interact"]["support"] == expected
    assert scores["n_frames"] == recording.n_frames and scores["model_id"] == trained.model.id
    with pytest.raises(ConfigError, match="no held-out test recordings"):
        evaluate_in_project(project, trained.model.id)


def test_infer_many_reports_a_bad_source_and_finishes_the_rest(project, trained, names, samples, tmp_path):
    seen = []
    run = infer_many(trained.model.id, [samples[3][0], tmp_path / "missing.csv", names[0]], tmp_path / "out",
                     project=project, thresholds=0.5, min_bout={"interact": 3}, device="cpu",
                     progress=lambda done, total, item: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert list(run.failed) == [str(tmp_path / "missing.csv")]
    assert "missing.csv" in run.failed[str(tmp_path / "missing.csv")]
    assert set(run.outputs) == {names[3], names[0]}
    table = pd.read_parquet(run.outputs[names[3]]["parquet"])
    assert len(table) == samples[3][0].n_frames
    # label column agrees with the bouts table (threshold 0.5, no bout shorter than 3 frames)
    bouts = pd.read_csv(run.outputs[names[3]]["bouts"])
    assert len(bouts) == run.bouts[names[3]]
    labelled = np.zeros(len(table), dtype=bool)
    for start, stop in zip(bouts["start"], bouts["stop"]):
        assert stop - start >= 3
        labelled[start:stop] = True
    assert np.array_equal(labelled, (table["label"] == "interact").to_numpy())
    assert run.to_dict()["outputs"][names[0]]["ethogram"].endswith(".png")


def test_infer_many_checks_options_before_reading(project, trained, tmp_path):
    with pytest.raises(ConfigError, match=r"min_bout names unknown behavior\(s\) \['jump'\]"):
        infer_many(trained.bundle, ["whatever"], tmp_path, min_bout={"jump": 2})
    with pytest.raises(ConfigError, match="smoothing must be"):
        infer_many(trained.bundle, ["whatever"], tmp_path, smoothing=0)
    with pytest.raises(ConfigError, match="no recordings"):
        infer_many(trained.bundle, [], tmp_path)
    assert not list(Path(tmp_path).iterdir())


def test_infer_many_takes_names_as_recordings_and_never_opens_the_project_own_files(project, trained, names,
                                                                                    tmp_path, monkeypatch):
    monkeypatch.chdir(project.root)  # where "ethoforge.db" names the live database
    run = infer_many(trained.model.id, ["ethoforge.db", names[0]], tmp_path / "own", project=project, device="cpu")
    assert "one of the project's own files" in run.failed["ethoforge.db"]
    assert set(run.outputs) == {names[0]}
