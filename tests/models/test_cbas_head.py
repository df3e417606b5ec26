"""The ``cbas_head`` family's own parts: attention over the centre frames, the difference
branches, the gated linear branch, its presets, and learning a speed task from positions.
(Shapes for any T, gradients, determinism and bad options: test_torch_models.py, all families.)"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ethoforge.errors import ConfigError
from ethoforge.models import build_model, resolve_config
from ethoforge.models.cbas_head import attention_pool, differences
from ethoforge.models.config import check_window


def test_equal_scores_average_the_frames_within_the_radius_and_never_past_the_ends() -> None:
    values = torch.arange(6, dtype=torch.float32).reshape(1, 6, 1)  # frame t holds t
    pooled = attention_pool(values, torch.zeros(1, 6), radius=1)[0, :, 0]
    torch.testing.assert_close(pooled, torch.tensor([0.5, 1.0, 2.0, 3.0, 4.0, 4.5]))  # ends: 2 frames, not 3
    torch.testing.assert_close(attention_pool(values, torch.randn(1, 6), radius=0), values)


def test_a_dominant_score_is_taken_only_by_frames_within_the_radius() -> None:
    values = torch.randn(2, 30, 4)
    scores = torch.zeros(2, 30)
    scores[:, 10] = 50.0
    pooled = attention_pool(values, scores, radius=3)
    for t in range(7, 14):
        torch.testing.assert_close(pooled[:, t], values[:, 10], atol=1e-5, rtol=0)
    assert not torch.allclose(pooled[:, 6], values[:, 10], atol=1e-2)
    assert not torch.allclose(pooled[:, 14], values[:, 10], atol=1e-2)


def test_each_frame_pools_exactly_its_centre_frames() -> None:
    values = torch.randn(1, 40, 3, requires_grad=True)
    scores = torch.randn(1, 40, requires_grad=True)
    attention_pool(values, scores, radius=4)[0, 20].sum().backward()
    assert values.grad is not None and scores.grad is not None
    reached = torch.nonzero(values.grad[0].abs().sum(-1) > 0).flatten().tolist()
    assert reached == list(range(16, 25))
    assert torch.nonzero(scores.grad[0] != 0).flatten().tolist() == list(range(16, 25))


def test_first_and_second_differences_of_a_parabola() -> None:
    t = torch.arange(8, dtype=torch.float32)
    first, second = differences((t**2).reshape(1, 8, 1))
    torch.testing.assert_close(first[0, :, 0], torch.cat([torch.zeros(1), 2 * t[1:] - 1]))
    torch.testing.assert_close(second[0, 2:, 0], torch.full((6,), 2.0))
    assert second[0, 0, 0] == 0


def test_logits_are_the_sequence_path_plus_the_gated_linear_branch_of_the_frame_itself() -> None:
    model = build_model("cbas_head", 5, 3, seed=0).eval()
    x = torch.randn(2, 25, 5)
    with torch.no_grad():
        model.gate.copy_(torch.tensor([-1.0, 0.0, 2.0]))
        gated = torch.sigmoid(model.gate) * model.linear(x)
        torch.testing.assert_close(model(x), model.sequence_logits(x) + gated)
        torch.testing.assert_close(model.linear_logits(x), gated)
        moved = x.clone()
        moved[:, 9] += 3.0
        changed = (model.linear_logits(moved) - gated).abs().sum((0, 2))
    assert torch.nonzero(changed > 0).flatten().tolist() == [9]


def test_smoothing_starts_as_a_moving_average() -> None:
    model = build_model("cbas_head", 2, 2, {"smooth_kernel": 3}, seed=0)
    step = torch.tensor([0.0, 0, 0, 3, 3, 3]).reshape(1, 1, 6).repeat(1, 2, 1)
    with torch.no_grad():
        smoothed = model.smooth(step)[0, 0]
    torch.testing.assert_close(smoothed, torch.tensor([0.0, 0, 1, 2, 3, 3]))


def test_presets_have_documented_values_and_explicit_fields_win() -> None:
    small = resolve_config("cbas_head")
    assert (small.size, small.smooth_kernel, small.branch_dim, small.lstm_hidden, small.lstm_layers,
            small.attention_radius) == ("small", 5, 16, 32, 1, 4)
    full = resolve_config("cbas_head", {"size": "full", "attention_radius": 2})
    assert (full.branch_dim, full.lstm_hidden, full.lstm_layers, full.attention_radius) == (64, 128, 2, 2)
    assert build_model("cbas_head", 3, 2, full.model_dump()).config == full


def _speed_batch(rng: np.random.Generator, batch: int, frames: int):
    """Feature 0 is a position that walks slowly or fast in stretches; class 1 = fast. Feature 1 is noise.
    The position alone says nothing of the class: the model must read its change over frames."""
    fast = np.repeat(rng.random((batch, frames // 8 + 1)) < 0.5, 8, axis=1)[:, :frames]
    steps = np.where(fast, 1.0, 0.1) * rng.choice([-1.0, 1.0], size=(batch, frames))
    position = np.cumsum(steps, axis=1)
    position -= position.mean(axis=1, keepdims=True)
    x = np.stack([position / 5.0, rng.standard_normal((batch, frames))], axis=-1).astype(np.float32)
    return torch.from_numpy(x), torch.from_numpy(fast.astype(np.int64))


def test_learns_speed_from_positions() -> None:
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    model = build_model("cbas_head", 2, 2, {"dropout": 0.0}, seed=0)
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()
    for _ in range(150):
        x, y = _speed_batch(rng, 16, 48)
        loss = loss_fn(model(x).reshape(-1, 2), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    x, y = _speed_batch(rng, 8, 400)  # longer than the training sequences
    with torch.no_grad():
        pred = model(x).argmax(-1)
    accuracy = (pred == y).float().mean().item()
    assert accuracy > 0.9, accuracy


def test_attention_may_not_reach_past_the_training_window() -> None:
    assert check_window("cbas_head", {"attention_radius": 7}, 15).attention_radius == 7
    with pytest.raises(ConfigError, match="attention_radius 8 .* --window 17 or more"):
        check_window("cbas_head", {"attention_radius": 8}, 15)
    with pytest.raises(ConfigError, match="attention_radius 7"):
        check_window("cbas_head", {"size": "full"}, 13)
    assert check_window("conv_bilstm", None, 1).lstm_hidden == 32  # other families: resolved only
    with pytest.raises(ConfigError, match="lstm_hidden"):
        check_window("conv_bilstm", {"lstm_hidden": 0}, 31)


@pytest.mark.parametrize("radius", [0, 4])
def test_output_shape_for_short_sequences(radius: int) -> None:
    model = build_model("cbas_head", 7, 4, {"attention_radius": radius}, seed=0).eval()
    for frames in (1, 3, 9):
        out = model(torch.randn(3, frames, 7))
        assert out.shape == (3, frames, 4) and torch.isfinite(out).all()


def test_weights_saved_with_the_old_score_bias_load_and_give_the_same_logits() -> None:
    model = build_model("cbas_head", 6, 3, seed=0).eval()
    old_state = {**model.state_dict(), "score.bias": torch.tensor([2.5])}  # what bundles before 2026-12-02 hold
    reloaded = build_model("cbas_head", 6, 3, seed=1).eval()
    reloaded.load_state_dict(old_state)
    x = torch.randn(2, 25, 6)
    torch.testing.assert_close(reloaded(x), model(x))
