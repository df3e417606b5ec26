"""``ethoforge export model``: a TorchScript file that gives the bundle's own outputs."""

from __future__ import annotations

import json

import numpy as np
import torch
from typer.testing import CliRunner

from ethoforge.cli import app
from ethoforge.store import Project, registry

runner = CliRunner()


def cli(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_exported_embedder_and_classifier_give_the_bundles_outputs(ssl_project, tmp_path):
    from ethoforge.inference.bundle import load_bundle
    from ethoforge.ssl.embedder import load_embedder

    rec_a, rec_b = ssl_project.recordings
    trained = cli("train", "--recordings", rec_a, rec_b, "--val-recordings", rec_b, "--behaviors", "interact",
                  "--model", "transformer", "--epochs", "1", "--samples-per-epoch", "64", "--window", "15",
                  "--device", "cpu", "--init-from", "emb", "--name", "to-export", "--project", ssl_project.root)
    assert trained.exit_code == 0, trained.output
    with Project.open(ssl_project.root) as project:
        recording = project.load_recording(rec_a)
        paths = {name: project.root / registry.get_model(project, name).path for name in ("emb", "to-export")}
    poses = recording.poses.isel(time=slice(0, 1500))  # one chunk: the bundle's run is a single pass
    for name, loader in (("emb", load_embedder), ("to-export", load_bundle)):
        out = tmp_path / f"{name}.pt"
        result = cli("export", "model", name, "--out", out, "--project", ssl_project.root, "--json")
        assert result.exit_code == 0, result.output
        description = json.loads(out.with_name(out.name + ".json").read_text())
        bundle = loader(paths[name])
        assert description["input"]["feature_names"] == bundle.meta["feature_names"]
        scripted = torch.jit.load(str(out))
        features = bundle.features_of(poses, 0, 1500)
        with torch.no_grad():
            exported = scripted(torch.from_numpy(features)[None])[0].numpy()
        np.testing.assert_allclose(exported, bundle.predict_logits(poses, device="cpu"), atol=1e-4)
    assert description["output"]["classes"] == ["none", "interact"]


def test_onnx_and_gbdt_exports_are_refused_clearly(ssl_project, tmp_path):
    result = cli("export", "model", "emb", "--out", tmp_path / "e.onnx", "--format", "onnx",
                 "--project", ssl_project.root)
    assert result.exit_code == 1 and "ONNX export is not implemented" in result.output
    assert not (tmp_path / "e.onnx").exists()
