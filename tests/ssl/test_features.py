"""``ethoforge train --features pose+embedding:MODEL``: embeddings as extra per-frame features (gbdt, cbas_head)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from ethoforge.cli import app
from ethoforge.errors import ConfigError
from ethoforge.ssl.features import parse_feature_sources
from ethoforge.store import Project, registry

runner = CliRunner()


def cli(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_feature_sources_syntax():
    assert parse_feature_sources(None) is None and parse_feature_sources("pose") is None
    assert parse_feature_sources("pose+video:dinov2_small") is None  # the video choices are TrainConfig.features'
    assert parse_feature_sources("pose+embedding:emb") == "emb"
    with pytest.raises(ConfigError, match="pose\\+embedding:MODEL needs an embedder"):
        parse_feature_sources("pose+embedding: ")


FAMILY_ARGS = {
    "gbdt": ("--model-config", '{"n_estimators": 10}'),
    "cbas_head": ("--model-config", '{"branch_dim": 8, "lstm_hidden": 8}', "--epochs", "1", "--samples-per-epoch",
                  "256", "--batch-size", "64", "--window", "15", "--device", "cpu"),
}


@pytest.mark.parametrize("family", ["gbdt", "cbas_head"])
def test_pose_plus_embeddings_trains_and_runs_from_its_own_bundle(ssl_project, tmp_path, family):
    rec_a, rec_b = ssl_project.recordings
    result = cli("train", "--recordings", rec_a, rec_b, "--val-recordings", rec_b, "--behaviors", "interact",
                 "--model", family, *FAMILY_ARGS[family], "--features", "pose+embedding:emb",
                 "--name", f"{family}-emb", "--project", ssl_project.root, "--json")
    assert result.exit_code == 0, result.output
    with Project.open(ssl_project.root) as project:
        assert registry.get_model(project, f"{family}-emb").family == family
        bundle = project.root / registry.get_model(project, f"{family}-emb").path
        embedder_dim = json.loads((project.root / registry.get_model(project, "emb").path / "bundle.json")
                                  .read_text())["embedding_dim"]
    meta = json.loads((bundle / "bundle.json").read_text())
    assert meta["embedding"] == {"path": "embedder", "dim": embedder_dim}
    assert meta["feature_names"][-embedder_dim:] == [f"embedding.emb_{i:03d}" for i in range(embedder_dim)]
    assert (bundle / "embedder" / "weights.pt").is_file()
    infer = cli("infer", f"{family}-emb", "--recordings", rec_a, "--out", tmp_path, "--device", "cpu",
                "--project", ssl_project.root)
    assert infer.exit_code == 0, infer.output
    [probs] = tmp_path.glob("*.parquet")
    table = pd.read_parquet(probs)
    assert len(table) == 5700 and np.isfinite(table.select_dtypes("number").to_numpy()).all()


def test_pose_plus_embedding_needs_an_embedder(ssl_project):
    rec_a, rec_b = ssl_project.recordings
    result = cli("train", "--recordings", rec_a, rec_b, "--val-recordings", rec_b, "--behaviors", "interact",
                 "--model", "gbdt", "--features", "pose+embedding:nope", "--project", ssl_project.root)
    assert result.exit_code == 1 and "no model 'nope'" in result.output
