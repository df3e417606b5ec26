"""``ethoforge train --model cbas_head`` → bundle → ``ethoforge infer``, for each of ``--features
pose``, ``video:motion`` and ``pose+video:motion``, through the same commands as every family.

Blob clips (``ethoforge.video.synthetic``) whose speed pattern is the behavior ``run``, each
with poses (a nose and a tail on the blob) linked to its video, so all three feature choices
apply to the same recordings. (``pose+embedding``: tests/ssl/test_features.py.)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from ethoforge.cli import app
from ethoforge.store import Project, registry

N_FRAMES = 300
TINY = ("--model", "cbas_head", "--model-config", '{"branch_dim": 8, "lstm_hidden": 16}', "--epochs", "5",
        "--samples-per-epoch", "1024", "--batch-size", "128", "--window", "15", "--patience", "0", "--device", "cpu")
runner = CliRunner()


def cli(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def blob_project(tmp_path_factory, testkit):
    """Recordings ``c0``..``c2`` (poses + video, encoded with ``motion``), dataset ``blobs`` (``run``)."""
    return testkit.make_blob_project(tmp_path_factory.mktemp("families"), N_FRAMES, poses=True)


@pytest.mark.parametrize("features", ["pose", "video:motion", "pose+video:motion"])
def test_cbas_head_trains_bundles_and_infers_from_the_cli(blob_project, features, tmp_path):
    root, truths = blob_project
    name = f"cbas-{features.replace(':', '-').replace('+', '-')}"
    trained = cli("train", "--dataset", "blobs", "--val-recordings", "c1", "--test-recordings", "c2", *TINY,
                  "--features", features, "--name", name, "--project", root, "--json")
    assert trained.exit_code == 0, trained.output
    out = json.loads(trained.stdout)
    with Project.open(root) as project:
        entry = registry.get_model(project, name)
        bundle = project.root / entry.path
    assert entry.family == "cbas_head"
    meta = json.loads((bundle / "bundle.json").read_text())
    assert meta["family"] == "cbas_head" and meta["model_config"]["lstm_hidden"] == 16
    assert meta["model_config"]["size"] == "small"  # the preset fills what was not given
    video_columns = [n for n in meta["feature_names"] if n.startswith("video.motion.")]
    assert bool(video_columns) == ("video" in features)
    assert (len(video_columns) < len(meta["feature_names"])) == features.startswith("pose")

    result = cli("infer", name, "--recordings", "c2", "--out", tmp_path, "--device", "cpu", "--project", root,
                 "--json")
    assert result.exit_code == 0, result.output
    frames = pd.read_parquet(json.loads(result.stdout)["outputs"]["c2"]["parquet"])
    assert len(frames) == N_FRAMES
    assert np.allclose(frames[["none", "run"]].sum(axis=1), 1.0, atol=1e-4)
    predicted, truth = (frames["label"] == "run").to_numpy(), truths["c2"]
    f1 = 2 * (predicted & truth).sum() / max(predicted.sum() + truth.sum(), 1)
    chance = 2 * truth.mean() / (1 + truth.mean())  # F1 of answering "run" everywhere
    assert f1 > chance + 0.15, (features, f1, chance)
    assert out["metrics"]["test"]["per_class"]["run"]["f1"] == pytest.approx(f1, abs=0.05)


def test_bad_cbas_head_options_are_refused_before_any_work(blob_project):
    root, _ = blob_project
    with Project.open(root) as project:
        before = len(registry.list_models(project))
    for args, message in [(("--model-config", '{"smooth_kernel": 4}'), "smooth_kernel must be odd"),
                          (("--model-config", '{"conv_channels": [8]}'), "conv_channels"),
                          (("--model-config", '{"attention_radius": 1000}'), "attention_radius"),
                          (("--window", "7"), "attention_radius 4 pools 4 frames either side of a frame, more than the "
                                              "training window holds (7 frames: 3 either side); pass --window 9")]:
        result = cli("train", "--dataset", "blobs", "--val-recordings", "c1", "--model", "cbas_head",
                     "--features", "video:motion", *args, "--epochs", "1", "--project", root)
        assert result.exit_code == 1, result.output
        assert message in " ".join(result.output.split()) and "Traceback" not in result.output
    with Project.open(root) as project:
        assert len(registry.list_models(project)) == before


def test_help_and_the_web_form_list_every_family():
    from ethoforge.training.config import FAMILIES

    text = " ".join(cli("train", "--help").output.split())
    form = (Path(__file__).parents[2] / "src/ethoforge/web/static/js/pages/train.js").read_text()
    [line] = [line for line in form.splitlines() if line.strip().startswith('["family"')]
    end = line.rindex("]]") + 1
    listed = json.loads(line[line.rindex("[", 0, end) : end])  # the select's choices, the row's last item
    assert sorted(listed) == sorted(FAMILIES) and "cbas_head" in FAMILIES
    assert all(family in text for family in FAMILIES)
