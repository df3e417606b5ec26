"""``ethoforge train|evaluate|infer|demo`` on a project holding three real ethome5 recordings.

One tiny model is trained once (module fixture) and then evaluated and run; bad options must
give exit code 1 and a message naming the option, with no traceback and no model registered.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from ethoforge.cli import app
from ethoforge.labels import bouts_to_frames
from ethoforge.store import Project, registry

REC_A = "e3v813a-20210610T122332-122642"  # 5,700 frames, 10 BORIS bouts
REC_B = "e3v813a-20210610T122758-123309"  # 9,330 frames, 8 bouts
REC_C = "e3v813a-20210610T120637-121213"  # 10,080 frames, 15 bouts
REC_D = "e3v813a-20210610T121558-122141"  # not imported: run from its pose file
TINY = ("--model", "conv_bilstm", "--epochs", "1", "--samples-per-epoch", "512", "--batch-size", "64",
        "--window", "15", "--device", "cpu", "--model-config", '{"conv_channels": [8], "lstm_hidden": 8}')
runner = CliRunner()


def cli(*args):
    return runner.invoke(app, [str(a) for a in args])


def as_json(*args) -> dict:
    result = cli(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def pose_file(ethome5_dir: Path, recording: str) -> Path:
    return next((ethome5_dir / "poses").glob(f"{recording}*.csv"))


@pytest.fixture(scope="module")
def project_root(tmp_path_factory, ethome5_dir) -> Path:
    root = tmp_path_factory.mktemp("pipeline") / "project"
    with Project.create(root) as project:
        for name in (REC_A, REC_B, REC_C):
            project.import_recording(pose_file(ethome5_dir, name), fps=30)
            project.import_labels(ethome5_dir / "labels_boris" / f"{name}_reencode.csv", "boris")
        project.create_dataset("mice", "interact", recordings=[REC_A, REC_B, REC_C])
    return root


@pytest.fixture(scope="module")
def trained(project_root) -> dict:
    return as_json("train", "--recordings", REC_A, REC_C, "--behaviors", "interact", "--val-recordings", REC_C,
                   *TINY, "--project", project_root)


def test_train_registers_the_model_and_prints_validation_metrics(trained, project_root):
    assert set(trained["split"]["train"]) == {REC_A} and trained["split"]["val"] == [REC_C]
    val = trained["metrics"]["val"]
    assert 0.0 <= val["macro_f1"] <= 1.0 and trained["macro_f1"] == val["macro_f1"]
    assert set(val["per_class"]["interact"]) >= {"precision", "recall", "f1", "support"}
    with Project.open(project_root) as project:
        info = registry.get_model(project, trained["model_id"])
        assert info.family == "conv_bilstm" and info.dataset is None
        assert Path(trained["bundle"]) == registry.model_bundle_path(project, info.id)
        interact_frames = int(bouts_to_frames(project.get_bouts(REC_C), ["interact"],
                                              project.get_recording(REC_C).n_frames).sum())
    assert (Path(trained["bundle"]) / "bundle.json").is_file()
    assert val["per_class"]["interact"]["support"] == interact_frames  # every val frame is annotated
    assert not (project_root / "training").exists() or not any((project_root / "training").iterdir())


def test_train_from_a_dataset_uses_its_recordings_and_behaviors(project_root):
    out = as_json("train", "--dataset", "mice", "--val-recordings", REC_B, "--test-recordings", REC_C, *TINY,
                  "--name", "from-dataset", "--project", project_root)
    assert out["dataset"] == "mice" and out["model_name"] == "from-dataset"
    assert out["split"] == {"kind": "recordings", "train": [REC_A], "val": [REC_B], "test": [REC_C]}
    assert "interact" in out["metrics"]["test"]["per_class"]


def test_evaluate_by_id_and_by_bundle_path_agree(trained, project_root):
    scores = as_json("evaluate", trained["model_id"], "--recordings", REC_B, "--project", project_root)
    with Project.open(project_root) as project:
        expected = int(bouts_to_frames(project.get_bouts(REC_B), ["interact"], 9_330).sum())
    interact = scores["per_class"]["interact"]
    assert interact["support"] == expected
    assert 0.0 <= interact["precision"] <= 1.0 and 0.0 <= interact["recall"] <= 1.0
    assert scores["macro_f1"] == pytest.approx(interact["f1"])  # one behavior: macro over behaviors
    assert scores["n_frames"] == 9_330 and scores["recordings"] == [REC_B]
    by_path = as_json("evaluate", trained["bundle"], "--recordings", REC_B, "--project", project_root)
    assert by_path["macro_f1"] == pytest.approx(scores["macro_f1"])
    table = cli("evaluate", trained["model_id"], "--recordings", REC_B, "--project", project_root)
    assert table.exit_code == 0 and "macro F1" in table.stdout and "interact" in table.stdout
    assert "background 'none' excluded" in table.stdout and "weighted by its annotated frames" in table.stdout
    assert scores["warnings"] == [] and "warning" not in table.stderr
    none = scores["per_class"]["none"]
    weighted = (none["f1"] * none["support"] + interact["f1"] * interact["support"]) / 9_330
    assert scores["weighted_f1"] == pytest.approx(weighted)  # background counts, by its frames


def test_evaluate_on_a_training_or_validation_recording_warns(trained, project_root):
    result = cli("evaluate", trained["model_id"], "--recordings", REC_A, REC_C, "--project", project_root, "--json")
    assert result.exit_code == 0, result.output
    warnings = json.loads(result.stdout)["warnings"]
    assert len(warnings) == 2 and REC_A in warnings[0] and "trained" in warnings[0]
    assert REC_C in warnings[1] and "validated" in warnings[1]
    stderr = " ".join(result.stderr.split())
    assert f"warning: the model was trained on {REC_A}" in stderr and "optimistic" in stderr


def test_infer_writes_every_output_and_skips_a_corrupt_file(trained, project_root, ethome5_dir, tmp_path):
    corrupt = tmp_path / "broken_DLC.csv"
    corrupt.write_text("scorer,DLC\nbodyparts,nose\nnot,a,pose,file\n")
    out_dir = tmp_path / "out"
    result = cli("infer", trained["model_id"], "--recordings", REC_A, corrupt, pose_file(ethome5_dir, REC_D),
                 "--out", out_dir, "--threshold", "interact=0.6", "--min-bout", "5", "--smooth", "3",
                 "--device", "cpu", "--project", project_root, "--json")
    assert result.exit_code == 1, result.output  # one failed, after the others finished
    out = json.loads(result.stdout)
    assert list(out["failed"]) == [str(corrupt)] and out["failed"][str(corrupt)]
    assert "broken_DLC.csv" in result.stderr and "Traceback" not in result.output
    assert f"warning: the model was trained on {REC_A}" in " ".join(result.stderr.split())
    assert len(out["warnings"]) == 1  # REC_D was never seen in training: no warning for it
    assert set(out["outputs"]) == {REC_A, REC_D}  # a pose file's name less tracker suffixes, as on import
    files = out["outputs"][REC_A]
    assert set(files) == {"parquet", "csv", "bouts", "boris", "ethogram"}
    frames = pd.read_parquet(files["parquet"])
    assert len(frames) == 5_700 and {"none", "interact", "label"} <= set(frames.columns)
    assert np.allclose(frames[["none", "interact"]].sum(axis=1), 1.0, atol=1e-4)
    assert list(pd.read_csv(files["csv"]).columns) == list(frames.columns)
    bouts = pd.read_csv(files["bouts"])
    assert len(bouts) == out["bouts"][REC_A] >= 0
    if len(bouts):
        assert ((bouts["stop"] - bouts["start"]) >= 5).all()  # --min-bout 5
    assert Path(files["boris"]).stat().st_size > 0
    assert Path(files["ethogram"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert all(Path(p).parent == out_dir for f in out["outputs"].values() for p in f.values())


def test_infer_default_output_folder_and_exit_code_zero(trained, project_root):
    result = cli("infer", trained["model_id"], "--recordings", REC_B, "--project", project_root)
    assert result.exit_code == 0, result.output
    expected = project_root / "inference" / f"model_{trained['model_id']}"
    assert (expected / f"{REC_B}_frames.parquet").is_file()
    assert "1 of 1 recordings done" in result.stdout


@pytest.mark.parametrize(("args", "message"), [
    (("--window", "10"), "window must be an odd number"),
    (("--model", "forest"), "unknown model 'forest'"),
    (("--lr", "0"), "lr must be > 0"),
    (("--batch-size", "0"), "invalid training config: --batch-size: Input should be greater than or equal to 1"),
    (("--class-weights", "jump=2"), "--class-weights names unknown behavior(s) ['jump']"),
    (("--class-weights", "interact:2"), "--class-weights expects"),
    (("--augment", "spin:p=0.5"), "spin"),
    (("--behaviors", "interact;groom"), "behavior(s) ['groom'] of recordings"),
])
def test_bad_train_config_fails_before_any_work(project_root, args, message):
    with Project.open(project_root) as project:
        before = len(registry.list_models(project))
    base = {"--behaviors": "interact"}
    if "--behaviors" in args:
        base = {}
    flat = [x for pair in base.items() for x in pair]
    result = cli("train", "--recordings", REC_A, REC_C, "--val-recordings", REC_C, *flat, *args,
                 "--epochs", "1", "--project", project_root)
    assert result.exit_code == 1, result.output
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output
    with Project.open(project_root) as project:
        assert len(registry.list_models(project)) == before


def test_bad_infer_options_and_unknown_model(trained, project_root):
    for args, message in [
        (("--threshold", "jump=0.5"), "--threshold names unknown behavior(s) ['jump']"),
        (("--threshold", "1.5"), "--threshold values must be between"),
        (("--min-bout", "five"), "--min-bout expects an integer"),
    ]:
        result = cli("infer", trained["model_id"], "--recordings", REC_A, *args, "--project", project_root)
        assert result.exit_code == 1 and message in " ".join(result.output.split()), result.output
    result = cli("evaluate", "999", "--recordings", REC_A, "--project", project_root)
    assert result.exit_code == 1 and "no model '999'" in result.output


def test_subprocess_bad_config_is_one_red_line(project_root):
    exe = str(Path(sys.executable).parent / "ethoforge")
    env = {**os.environ, "FORCE_COLOR": "1", "COLUMNS": "200"}
    done = subprocess.run([exe, "train", "--recordings", REC_A, REC_C, "--behaviors", "interact", "--window", "8",
                           "--project", str(project_root)], check=False, capture_output=True, text=True, env=env)
    assert done.returncode == 1
    assert "window must be an odd number" in done.stderr and "\x1b[31m" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_demo_fast_variant(tmp_path):
    out = as_json("demo", "--out", tmp_path / "demo", "--model", "conv_bilstm", "--epochs", "1",
                  "--model-config", '{"conv_channels": [8], "lstm_hidden": 8}')
    assert out["human_reference_f1"] == pytest.approx(0.798)
    assert 0.0 <= out["f1_interact"] <= 1.0 and len(out["train"]) == 3 and len(out["test"]) == 1
    assert Path(out["ethogram"]).read_bytes()[:4] == b"\x89PNG"
    assert Path(out["bundle"]).is_relative_to(tmp_path / "demo")


def test_demo_default_model_reaches_the_table(tmp_path):
    result = cli("demo", "--out", tmp_path / "demo")
    assert result.exit_code == 0, result.output
    assert "0.798" in result.stdout and "second human annotator" in result.stdout
    assert "ethogram:" in result.stdout


def test_infer_map_renames_the_keypoints_a_model_needs(trained, project_root, tmp_path, ethome5_dir):
    from ethoforge.io.poses import load_poses, save_poses

    renamed = load_poses(pose_file(ethome5_dir, REC_B), fps=30, rename={"nose": "snout"})
    path = tmp_path / f"{REC_B}.csv"
    save_poses(renamed, path)
    result = cli("infer", trained["model_id"], path, "--out", tmp_path / "out", "--project", project_root)
    text = " ".join(result.output.split())
    assert result.exit_code == 1 and "map names with --map old:new" in text and "keypoint_map" not in text
    done = as_json("infer", trained["model_id"], path, "--map", "snout:nose", "--out", tmp_path / "out",
                   "--project", project_root)
    assert done["failed"] == {} and set(done["outputs"]) == {REC_B}


def test_split_errors_name_the_split_flags(project_root):
    result = cli("train", "--recordings", REC_A, REC_C, "--behaviors", "interact", "--val-recordings", REC_C,
                 "--test-recordings", REC_C, "--project", project_root)
    text = " ".join(result.output.split())
    assert result.exit_code == 1 and f"'{REC_C}' is in both --val-recordings and --test-recordings" in text
    assert "split." not in text
    result = cli("train", "--recordings", REC_A, "--behaviors", "interact", "--split", "recordings",
                 "--project", project_root)
    text = " ".join(result.output.split())
    assert result.exit_code == 1 and "--split recordings needs two or more" in text and "--split blocks" in text


def test_one_labelled_recording_trains_on_time_blocks(project_root):
    out = as_json("train", "--recordings", REC_A, "--behaviors", "interact", *TINY, "--project", project_root)
    split = out["split"]
    assert split["kind"] == "blocks" and split["train"] and split["val"] and split["gap"] >= 15
    assert {split["blocks"][b][0] for b in split["train"] + split["val"]} == {REC_A}
    assert out["metrics"]["val"]["per_class"]["interact"]["support"] > 0


def test_val_recordings_need_not_be_repeated_and_gbdt_warns_about_torch_options(project_root):
    out = as_json("train", "--recordings", REC_A, REC_B, "--val-recordings", REC_C, "--behaviors", "interact",
                  "--model", "gbdt", "--model-config", '{"n_estimators": 5}', "--lr", "0.1", "--window", "15",
                  "--project", project_root)
    assert out["split"] == {"kind": "recordings", "train": [REC_A, REC_B], "val": [REC_C], "test": []}
    warned = " ".join(out["warnings"])
    assert "--lr" in warned and "--window" in warned and "gbdt" in warned
    assert len(out["warnings"]) == 2


def test_help_names_the_real_default_family():
    text = " ".join(cli("train", "--help").output.split())
    assert "gbdt (default)" in text and "--split" in text


def test_models_list_show_activate_delete(trained, project_root, tmp_path):
    import shutil

    listed = as_json("models", "list", "--project", project_root)["models"]
    assert trained["model_id"] in [m["id"] for m in listed]
    shown = as_json("models", "show", str(trained["model_id"]), "--project", project_root)
    assert shown["name"] == trained["model_name"] and Path(shown["bundle"]) == Path(trained["bundle"])
    table = cli("models", "list", "--project", project_root)
    assert table.exit_code == 0 and "val F1" in table.stdout and "conv_bilstm" in table.stdout
    with Project.open(project_root) as project:  # a second registered copy of the bundle, to delete
        copy = shutil.copytree(trained["bundle"], tmp_path / "copy")
        other = registry.register_model(project, "mice", copy, trained["family"], name="to-delete")
    assert as_json("models", "activate", "to-delete", "--project", project_root)["active"] is True
    refused = cli("models", "delete", "to-delete", "--project", project_root, "--json")
    assert refused.exit_code == 1 and "--yes" in json.loads(refused.stdout)["detail"]
    assert runner.invoke(app, ["models", "delete", "to-delete", "--project", str(project_root)], input="n\n").exit_code == 1
    assert as_json("models", "delete", "to-delete", "--yes", "--project", project_root)["deleted"] == other.id
    assert not (project_root / other.path).exists()
    gone = cli("models", "show", "to-delete", "--project", project_root)
    assert gone.exit_code == 1 and "ethoforge models list" in gone.output
