"""``ethoforge train --init-from EMBEDDER``: the transformer starts from the pretrained encoder."""

from __future__ import annotations

import json

import pytest
import torch
from typer.testing import CliRunner

from ethoforge.cli import app
from ethoforge.store import Project, registry

runner = CliRunner()
TRAIN = ("--model", "transformer", "--epochs", "1", "--samples-per-epoch", "128", "--batch-size", "64",
         "--window", "15", "--device", "cpu", "--behaviors", "interact")


def cli(*args):
    return runner.invoke(app, [str(a) for a in args])


def train(ssl_project, *args):
    rec_a, rec_b = ssl_project.recordings
    result = cli("train", "--recordings", rec_a, rec_b, "--val-recordings", rec_b, *TRAIN, *args,
                 "--project", ssl_project.root, "--json")
    return result


def weights(ssl_project, model: str) -> dict:
    with Project.open(ssl_project.root) as project:
        return torch.load(project.root / registry.get_model(project, model).path / "weights.pt", weights_only=True)


def encoder_equal(a: dict, b: dict) -> bool:
    return all(torch.equal(a[k], b[k]) for k in a if not k.startswith("head."))


def test_linear_probe_keeps_the_pretrained_encoder_and_trains_the_head(ssl_project):
    result = train(ssl_project, "--init-from", "emb", "--freeze", "--name", "probe")
    assert result.exit_code == 0, result.output
    embedder, probe = weights(ssl_project, "emb"), weights(ssl_project, "probe")
    assert encoder_equal(embedder, probe)
    with Project.open(ssl_project.root) as project:
        meta = json.loads((project.root / registry.get_model(project, "probe").path / "bundle.json").read_text())
        emb_meta = json.loads((project.root / registry.get_model(project, "emb").path / "bundle.json").read_text())
    assert meta["model_config"]["embed_dim"] == 16 and meta["training_config"]["freeze"] is True
    assert meta["feature_names"] == emb_meta["feature_names"] and meta["normalisation"] == emb_meta["normalisation"]


def test_freeze_epochs_then_all_moves_the_encoder(ssl_project):
    result = train(ssl_project, "--init-from", "emb", "--freeze-epochs", "1", "--epochs", "2",
                   "--encoder-lr", "1e-3", "--name", "tuned")
    assert result.exit_code == 0, result.output
    embedder, tuned = weights(ssl_project, "emb"), weights(ssl_project, "tuned")
    assert not encoder_equal(embedder, tuned)
    assert json.loads(result.stdout)["model_name"] == "tuned"


def test_init_from_alone_trains_the_head_first_then_the_encoder_at_a_tenth_of_the_rate(ssl_project):
    result = train(ssl_project, "--init-from", "emb", "--lr", "2e-3", "--name", "defaults")  # one epoch
    assert result.exit_code == 0, result.output
    assert encoder_equal(weights(ssl_project, "emb"), weights(ssl_project, "defaults"))  # epoch 0: the head alone
    with Project.open(ssl_project.root) as project:
        meta = json.loads((project.root / registry.get_model(project, "defaults").path / "bundle.json").read_text())
    assert meta["training_config"]["freeze_epochs"] == 2
    assert meta["training_config"]["encoder_lr"] == pytest.approx(2e-4)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--freeze",), "--freeze only apply with --init-from EMBEDDER"),
        (("--init-from", "emb", "--model", "gbdt"), "needs the transformer family"),
        (("--init-from", "nope"), "no model 'nope'"),
        (("--init-from", "emb", "--model-config", '{"embed_dim": 32}'), "does not match the embedder's encoder"),
    ],
)
def test_bad_fine_tuning_options_exit_1(ssl_project, args, message):
    result = train(ssl_project, *args)
    assert result.exit_code == 1 and message in " ".join(result.output.split())
