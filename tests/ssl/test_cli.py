"""``ethoforge pretrain`` and ``ethoforge embed`` end to end on two real ethome5 recordings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from ethoforge.cli import app
from ethoforge.store import Project, registry

REC_A = "e3v813a-20210610T122332-122642"  # 5,700 frames
REC_B = "e3v813a-20210610T122758-123309"  # 9,330 frames
runner = CliRunner()


def cli(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def project_root(ssl_project) -> Path:
    return ssl_project.root


@pytest.fixture(scope="module")
def pretrained(ssl_project) -> dict:
    return ssl_project.pretrained


def test_pretrain_registers_an_embedder_with_every_task(pretrained, project_root):
    assert pretrained["kind"] == "embedder" and pretrained["tasks"] == ["cons", "order", "shift", "warp", "mask"]
    with Project.open(project_root) as project:
        [model] = registry.list_models(project, kind="embedder")
        assert model.name == "emb" and model.dataset == "mice" and model.family == "transformer"
        assert model.id not in [m.id for m in registry.list_models(project, kind="classifier")]
        bundle = project.root / model.path
    meta = json.loads((bundle / "bundle.json").read_text())
    assert meta["kind"] == "embedder" and meta["recordings"] == [REC_A, REC_B]
    assert (bundle / "plots" / "pretrain_history.png").is_file() and (bundle / "history.json").is_file()
    assert not list((project_root / "training").glob("*"))


def test_embed_writes_parquet_and_netcdf_per_frame(pretrained, project_root, tmp_path):
    import h5netcdf

    result = cli("embed", "emb", "--recordings", REC_A, "--out", tmp_path, "--device", "cpu",
                 "--project", project_root, "--json")
    assert result.exit_code == 0, result.output
    files = json.loads(result.stdout)["outputs"][REC_A]
    table = pd.read_parquet(files["parquet"])
    assert len(table) == 5700 and (table["recording"] == REC_A).all()
    np.testing.assert_array_equal(table["frame"], np.arange(5700))
    values = table[[f"emb_{i:03d}" for i in range(16)]].to_numpy()
    assert np.isfinite(values).all() and values.std(axis=0).min() > 0
    with h5netcdf.File(files["netcdf"], "r") as nc:
        assert nc.attrs["recording"] == REC_A
        np.testing.assert_array_equal(nc["frame"][:], np.arange(5700))
        np.testing.assert_array_equal(nc["embedding"][:], values)
    from ethoforge.ssl.embedder import load_embedder

    with Project.open(project_root) as project:
        embedder = load_embedder(project.root / registry.get_model(project, "emb").path)
        recording = project.load_recording(REC_A)
    whole = embedder.embed(recording, device="cpu")
    np.testing.assert_allclose(values, whole, atol=1e-4)  # pieces of 65,536 frames: one piece here
    pieces = np.concatenate([p for _, p in embedder.embed_pieces(recording, 2048, device="cpu")])
    np.testing.assert_allclose(pieces, whole, atol=1e-4)  # context covers all the encoder sees
    chunked = embedder.embed(recording, device="cpu", chunk_frames=500)
    np.testing.assert_allclose(chunked, whole, atol=1e-4)


def test_an_embedder_is_not_a_classifier(pretrained, project_root, tmp_path):
    result = cli("infer", "emb", "--recordings", REC_A, "--out", tmp_path, "--project", project_root)
    assert result.exit_code == 1 and "is an embedder, not a behavior classifier" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--tasks", "cons,jump"), "unknown task(s) ['jump']"),
        (("--emb-dim", "30", "--heads", "4"), "--emb-dim (30) must be divisible by --heads (4)"),
        (("--window", "20000"), "--window 20000 is longer than every recording"),
    ],
)
def test_bad_pretrain_options_exit_1_and_register_nothing(project_root, args, message, ssl_project):
    result = cli("pretrain", "--dataset", "mice", *ssl_project.tiny, *args, "--project", project_root)
    assert result.exit_code == 1 and message in " ".join(result.output.split())
    with Project.open(project_root) as project:
        assert [m.name for m in registry.list_models(project, kind="embedder")] == ["emb"]


@pytest.mark.parametrize("route", ["imported", "file"])
def test_pretrain_on_every_sequence_of_a_calms21_file(route, tmp_path, testkit):
    """A CalMS21 file of three sequences imports as three recordings and pretraining (no labels) takes them
    all; given as ``--recordings FILE`` it reads every sequence too."""
    sequences = {"task1/train/mouse001": 300, "task1/train/mouse002": 200, "task1/test/mouse003": 250}
    path = testkit.write_calms21_file(tmp_path / "calms21_task1.json", sequences)
    root = tmp_path / "project"
    Project.create(root).close()
    names = [key.replace("/", "__") for key in sequences]
    sources: tuple = ()
    if route == "imported":
        imported = cli("import", "poses", path, "--project", root, "--json")
        assert imported.exit_code == 0, imported.output
        assert [r["name"] for r in json.loads(imported.stdout)["imported"]] == names
    else:
        sources = ("--recordings", path)
    result = cli("pretrain", *sources, "--window", "24", "--emb-dim", "16", "--heads", "2", "--hidden", "16",
                 "--epochs", "1", "--train-sample", "0.05", "--batch-size", "16", "--eval-samples", "16",
                 "--device", "cpu", "--name", "calms-emb", "--project", root, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["tasks"] == ["cons", "order", "shift", "warp", "mask"]  # two mice: all tasks
    with Project.open(root) as project:
        bundle = project.root / registry.get_model(project, "calms-emb").path
    meta = json.loads((bundle / "bundle.json").read_text())
    assert meta["kind"] == "embedder" and sorted(meta["recordings"]) == sorted(names)
    assert meta["individuals"] == ["resident", "intruder"] and len(meta["keypoints"]) == 7
