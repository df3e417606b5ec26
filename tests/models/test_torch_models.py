"""The torch families: shapes for any T, gradients, determinism, config, and learning a known task."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ethoforge.errors import ConfigError
from ethoforge.models import (
    MODEL_FAMILIES,
    build_model,
    default_model_config,
    resolve_config,
)

TORCH_FAMILIES = ("conv_bilstm", "transformer", "cbas_head")


@pytest.mark.parametrize("family", TORCH_FAMILIES)
@pytest.mark.parametrize("frames", [1, 2, 31, 32, 700])
def test_logits_for_every_frame(family: str, frames: int) -> None:
    model = build_model(family, 12, 3, seed=0).eval()
    out = model(torch.randn(2, frames, 12))
    assert out.shape == (2, frames, 3)
    assert out.dtype == torch.float32
    assert torch.isfinite(out).all()
    assert model.n_classes == 3 and model.n_features == 12


@pytest.mark.parametrize("family", TORCH_FAMILIES)
def test_full_size_preset_shapes(family: str) -> None:
    model = build_model(family, 10, 2, {"size": "full"}, seed=0).eval()
    assert model(torch.randn(1, 45, 10)).shape == (1, 45, 2)


def test_full_conv_bilstm_preset_has_documented_values() -> None:
    config = resolve_config("conv_bilstm", {"size": "full"})
    assert config.conv_channels == [64, 128, 256]
    assert (config.kernel_size, config.lstm_hidden, config.lstm_layers, config.lstm_dropout) == (5, 256, 2, 0.3)


@pytest.mark.parametrize("family", TORCH_FAMILIES)
def test_gradients_reach_every_parameter(family: str) -> None:
    model = build_model(family, 6, 4, seed=0).train()
    model(torch.randn(3, 17, 6)).logsumexp(-1).sum().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not torch.any(p.grad != 0)]
    assert missing == []


@pytest.mark.parametrize("family", TORCH_FAMILIES)
def test_same_seed_same_weights(family: str) -> None:
    x = torch.randn(2, 20, 5)
    first = build_model(family, 5, 2, seed=7).eval()(x)
    again = build_model(family, 5, 2, seed=7).eval()(x)
    other = build_model(family, 5, 2, seed=8).eval()(x)
    assert torch.equal(first, again)
    assert not torch.allclose(first, other)


@pytest.mark.parametrize("family", TORCH_FAMILIES)
def test_frame_output_depends_only_on_nearby_frames_for_local_models(family: str) -> None:
    """Seq2seq sanity: changing frame 0 changes frame 0's logits (the model reads its input)."""
    model = build_model(family, 4, 2, seed=0).eval()
    x = torch.randn(1, 50, 4)
    y = x.clone()
    y[0, 0] += 5.0
    assert not torch.allclose(model(x)[0, 0], model(y)[0, 0])


def test_transformer_local_attention_has_bounded_receptive_field() -> None:
    """With radius r and L layers a frame sees at most r*L frames away: frame 0 cannot move frame 300."""
    model = build_model("transformer", 4, 2, {"attention_radius": 8}, seed=0).eval()  # 4 layers → 32 frames
    x = torch.randn(1, 400, 4)
    y = x.clone()
    y[0, 0] += 5.0
    assert torch.equal(model(x)[0, 300], model(y)[0, 300])
    assert not torch.allclose(model(x)[0, 20], model(y)[0, 20])


@pytest.mark.parametrize("positional", ["relative", "sinusoidal"])
def test_transformer_full_attention_and_positional_options(positional: str) -> None:
    model = build_model("transformer", 4, 2, {"attention_radius": None, "positional": positional}, seed=0).eval()
    assert model(torch.randn(2, 513, 4)).shape == (2, 513, 2)


def test_unknown_family_lists_known_ones() -> None:
    with pytest.raises(ConfigError, match="gbdt, conv_bilstm, transformer, cbas_head"):
        build_model("xgboost", 3, 2)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("family", "options", "message"),
    [
        ("transformer", {"num_layers": 2}, "num_layers"),
        ("transformer", {"num_layers": 9}, "num_layers"),
        ("transformer", {"embed_dim": 30, "num_heads": 4}, "multiple of num_heads"),
        ("conv_bilstm", {"kernel_size": 4}, "odd"),
        ("conv_bilstm", {"conv_channels": [0, 3]}, "positive"),
        ("conv_bilstm", {"dropout": 1.5}, "dropout"),
        ("conv_bilstm", {"size": "huge"}, "size"),
        ("conv_bilstm", {"hidden": 3}, "hidden"),
        ("cbas_head", {"smooth_kernel": 4}, "smooth_kernel must be odd"),
        ("cbas_head", {"attention_radius": -1}, "attention_radius"),
        ("cbas_head", {"branch_dim": 0}, "branch_dim"),
        ("cbas_head", {"lstm_layers": 9}, "lstm_layers"),
        ("cbas_head", {"dropout": 1.0}, "dropout"),
        ("cbas_head", {"conv_channels": [16]}, "conv_channels"),
        ("gbdt", {"learning_rate": 0.0}, "learning_rate"),
    ],
)
def test_bad_options_raise_config_error(family: str, options: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_model(family, 3, 2, options)


def test_config_of_another_family_is_refused() -> None:
    with pytest.raises(ConfigError, match="TransformerConfig"):
        build_model("conv_bilstm", 3, 2, resolve_config("transformer"))


def test_explicit_fields_win_over_the_preset_and_dump_rebuilds() -> None:
    model = build_model("conv_bilstm", 3, 2, {"size": "full", "lstm_hidden": 32})
    assert model.config.lstm_hidden == 32 and model.config.conv_channels == [64, 128, 256]
    again = build_model("conv_bilstm", 3, 2, model.config.model_dump())
    assert again.config == model.config


def test_default_model_config_scales_with_data() -> None:
    assert default_model_config("conv_bilstm", 30_000) == {"size": "small"}
    assert default_model_config("transformer", 1_000_000) == {"size": "full"}
    assert default_model_config("gbdt", 10) == {}
    merged = {**default_model_config("conv_bilstm", 30_000), "size": "full"}
    assert resolve_config("conv_bilstm", merged).lstm_hidden == 256
    assert default_model_config("cbas_head", 1_000_000) == {"size": "full"}
    assert set(MODEL_FAMILIES) == {"gbdt", "conv_bilstm", "transformer", "cbas_head"}


def _delayed_sign_batch(rng: np.random.Generator, batch: int, frames: int, delay: int = 2):
    """Class of frame t = 1 if feature 0 at frame t - delay is positive, else 0."""
    x = rng.standard_normal((batch, frames, 4)).astype(np.float32)
    y = np.zeros((batch, frames), np.int64)
    y[:, delay:] = x[:, :-delay, 0] > 0
    y[:, :delay] = -1
    return torch.from_numpy(x), torch.from_numpy(y)


@pytest.mark.parametrize("family", TORCH_FAMILIES)
def test_learns_a_delayed_sign_task(family: str) -> None:
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    model = build_model(family, 4, 2, {"dropout": 0.0}, seed=0)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=-1)
    model.train()
    for _ in range(300):
        x, y = _delayed_sign_batch(rng, 16, 32)
        loss = loss_fn(model(x).reshape(-1, 2), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    x, y = _delayed_sign_batch(rng, 8, 300)  # longer than the training sequences
    with torch.no_grad():
        pred = model(x).argmax(-1)
    accuracy = (pred[y >= 0] == y[y >= 0]).float().mean().item()
    assert accuracy > 0.9


@pytest.mark.parametrize(("radius", "length"), [(5, 120), (1, 37), (16, 150), (16, 2100), (40, 400)])
def test_transformer_dense_and_local_attention_paths_agree(monkeypatch: pytest.MonkeyPatch, radius: int,
                                                           length: int) -> None:
    """Short sequences use a dense banded (T, T) attention; long ones the blocked local one: same outputs and
    gradients (lengths that are and are not whole blocks, radii shorter and longer than a block)."""
    from ethoforge.models import transformer

    model = build_model("transformer", 4, 2, {"attention_radius": radius, "dropout": 0.0}, seed=0)
    with torch.no_grad():
        for layer in model.layers:
            layer.attn.bias.normal_()  # a non-trivial relative-position bias
    x = torch.randn(2, length, 4)
    results = []
    for factor in (0, 10**6):  # every length local, then every length dense
        monkeypatch.setattr(transformer, "_DENSE_FACTOR", factor)
        model.zero_grad()
        out = model(x)
        out.square().sum().backward()
        results.append((out.detach(), model.embed.weight.grad.clone()))
    (local, local_grad), (dense, dense_grad) = results
    assert torch.isfinite(local).all()
    torch.testing.assert_close(local, dense, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(local_grad, dense_grad, atol=1e-3, rtol=1e-4)
