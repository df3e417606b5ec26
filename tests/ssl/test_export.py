"""``ethoforge export model``: a TorchScript or ONNX file that gives the bundle's own outputs."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from ethoforge.cli import app
from ethoforge.store import Project, registry

runner = CliRunner()


def cli(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def exportable(ssl_project):
    """The embedder ``emb`` and a transformer classifier ``to-export`` fine-tuned from it: bundle paths and poses."""
    rec_a, rec_b = ssl_project.recordings
    trained = cli("train", "--recordings", rec_a, rec_b, "--val-recordings", rec_b, "--behaviors", "interact",
                  "--model", "transformer", "--epochs", "1", "--samples-per-epoch", "64", "--window", "15",
                  "--device", "cpu", "--init-from", "emb", "--name", "to-export", "--project", ssl_project.root)
    assert trained.exit_code == 0, trained.output
    with Project.open(ssl_project.root) as project:
        recording = project.load_recording(rec_a)
        paths = {name: project.root / registry.get_model(project, name).path for name in ("emb", "to-export")}
    return paths, recording.poses.isel(time=slice(0, 1500))  # one chunk: the bundle's run is a single pass


def _bundles(paths):
    from ethoforge.inference.bundle import load_bundle
    from ethoforge.ssl.embedder import load_embedder

    return {"emb": load_embedder(paths["emb"]), "to-export": load_bundle(paths["to-export"])}


def test_exported_embedder_and_classifier_give_the_bundles_outputs(ssl_project, exportable, tmp_path):
    paths, poses = exportable
    for name, bundle in _bundles(paths).items():
        out = tmp_path / f"{name}.pt"
        result = cli("export", "model", name, "--out", out, "--project", ssl_project.root, "--json")
        assert result.exit_code == 0, result.output
        description = json.loads(out.with_name(out.name + ".json").read_text())
        assert description["input"]["feature_names"] == bundle.meta["feature_names"]
        scripted = torch.jit.load(str(out))
        features = bundle.features_of(poses, 0, 1500)
        with torch.no_grad():
            exported = scripted(torch.from_numpy(features)[None])[0].numpy()
        np.testing.assert_allclose(exported, bundle.predict_logits(poses, device="cpu"), atol=1e-4)
    assert description["output"]["classes"] == ["none", "interact"]


def test_onnx_exports_give_the_bundles_outputs_in_onnxruntime(ssl_project, exportable, tmp_path):
    import onnxruntime

    paths, poses = exportable
    for name, bundle in _bundles(paths).items():
        out = tmp_path / f"{name}.onnx"
        result = cli("export", "model", name, "--out", out, "--format", "onnx", "--project", ssl_project.root,
                     "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["written"] == str(out)  # the exporter's chatter stays off stdout
        description = json.loads(out.with_name(out.name + ".json").read_text())
        assert description["format"] == "onnx" and description["input"]["name"] == "features"
        session = onnxruntime.InferenceSession(str(out))
        features = bundle.features_of(poses, 0, 1500)
        expected = bundle.predict_logits(poses, device="cpu")
        both = np.stack([features, features[::-1].copy()])  # dynamic batch, and frames other than the example's
        exported = session.run(None, {"features": both})[0]
        np.testing.assert_allclose(exported[0], expected, atol=1e-4)
        np.testing.assert_allclose(exported[1], scripted_reference(bundle, both[1]), atol=1e-4)
        short = description["input"]["min_frames"]
        assert short > 1 and session.run(None, {"features": features[None, :short]})[0].shape[1] == short
    assert description["output"]["classes"] == ["none", "interact"]


def scripted_reference(bundle, features):
    """The bundle's torch module on one ``(T, F)`` feature array."""
    with torch.no_grad():
        return bundle.model("cpu").eval()(torch.from_numpy(features)[None])[0].numpy()


def test_unknown_export_formats_are_refused_clearly(ssl_project, tmp_path):
    result = cli("export", "model", "emb", "--out", tmp_path / "e.tflite", "--format", "tflite",
                 "--project", ssl_project.root)
    assert result.exit_code == 1 and "expected one of torchscript, onnx" in result.output
    assert not (tmp_path / "e.tflite").exists()



def test_onnx_outputs_get_the_symbolic_frames_axis_of_the_input(tmp_path):
    """Where the exporter left an output (and a shape note) at the example's 600 frames (the BiLSTM's
    export does), the file is fixed so onnxruntime reports and accepts any length without warnings."""
    import onnx
    import onnxruntime
    from onnx import TensorProto, helper

    from ethoforge.ssl.export import _symbolic_frames

    def graph(frames):
        node = helper.make_node("Relu", ["features"], ["hidden"]), helper.make_node("Neg", ["hidden"], ["output"])
        return helper.make_model(helper.make_graph(
            list(node), "g", [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", frames, 3])],
            [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 600, 3])],
            value_info=[helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", 600, 3])]),
            opset_imports=[helper.make_opsetid("", 17)])

    assert _symbolic_frames(graph(600)) == 600  # fixed by the exporter: reported, left as it is
    model = graph("frames")
    assert _symbolic_frames(model) is None
    onnx.save(model, tmp_path / "g.onnx")
    session = onnxruntime.InferenceSession(str(tmp_path / "g.onnx"))
    assert session.get_outputs()[0].shape == ["batch", "frames", 3]
    features = np.random.default_rng(0).normal(size=(1, 41, 3)).astype(np.float32)
    np.testing.assert_array_equal(session.run(None, {"features": features})[0], -np.maximum(features, 0))
