"""Chunked whole-recording inference equals one pass and the one-window-per-frame baseline."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from ethoforge.errors import Cancelled
from ethoforge.models.chunked import (
    chunk_ranges,
    predict_logits,
    run_chunked,
    run_torch_chunked,
    torch_forward,
)
from ethoforge.training.data import gather_windows, pad_features


class _Conv(nn.Module):
    """Three 'same'-padded conv layers of kernel 5: receptive field 13 frames (6 each side)."""

    def __init__(self, n_features: int = 6, n_classes: int = 3):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(n_features, 8, 5, padding=2), nn.ReLU(),
            nn.Conv1d(8, 8, 5, padding=2), nn.ReLU(),
            nn.Conv1d(8, n_classes, 5, padding=2),
        )

    def forward(self, x):
        return self.net(x.transpose(1, 2)).transpose(1, 2)


@pytest.fixture
def model_and_features():
    torch.manual_seed(0)
    features = np.random.default_rng(0).normal(size=(1003, 6)).astype(np.float32)
    return _Conv().eval(), features


def test_chunk_ranges_cover_every_frame_once():
    ranges = chunk_ranges(1003, 100, 7)
    kept = np.concatenate([np.arange(a, b) for a, b, _, _ in ranges])
    assert np.array_equal(kept, np.arange(1003))
    assert ranges[0][2:] == (0, 107) and ranges[-1] == (1000, 1003, 993, 1003)


@pytest.mark.parametrize("chunk", [64, 100, 1003, 5000])
def test_chunked_equals_one_pass(model_and_features, chunk):
    model, features = model_and_features
    with torch.no_grad():
        whole = model(torch.from_numpy(features)[None])[0].numpy()
    chunked = predict_logits(model, features, context=6, chunk_frames=chunk, batch_chunks=3)
    np.testing.assert_allclose(chunked, whole, atol=1e-4)


def test_too_little_context_differs(model_and_features):
    model, features = model_and_features
    with torch.no_grad():
        whole = model(torch.from_numpy(features)[None])[0].numpy()
    chunked = predict_logits(model, features, context=2, chunk_frames=64)
    assert np.abs(chunked - whole).max() > 1e-3  # the test above could fail


def test_chunked_equals_one_window_per_frame_at_centre_frames(model_and_features):
    model, features = model_and_features
    window = 13
    centres = np.arange(window // 2, len(features) - window // 2)  # frames whose window is all real data
    windows = gather_windows(pad_features(features, window // 2), centres, window)
    with torch.no_grad():
        baseline = model(torch.from_numpy(windows))[:, window // 2].numpy()
    chunked = predict_logits(model, features, context=window // 2, chunk_frames=128)
    np.testing.assert_allclose(chunked[centres], baseline, atol=1e-4)


def test_progress_reports_and_cancels(model_and_features):
    model, features = model_and_features
    calls = []
    predict_logits(model, features, context=6, chunk_frames=100, batch_chunks=4,
                   progress=lambda done, total, _: calls.append((done, total)))
    assert calls[-1] == (1003, 1003) and [d for d, _ in calls] == sorted(d for d, _ in calls)
    with pytest.raises(Cancelled):
        predict_logits(model, features, context=6, chunk_frames=100, batch_chunks=1,
                       progress=lambda done, total, _: done < 300)


def test_features_are_asked_for_chunk_by_chunk():
    asked = []

    def get(a, b):
        asked.append((a, b))
        return np.ones((b - a, 2), np.float32)

    out = run_chunked(10_000, get, lambda batch: batch.sum(axis=2, keepdims=True), context=5, chunk_frames=1000)
    assert out.shape == (10_000, 1) and np.all(out == 2)
    assert max(b - a for a, b in asked) == 1010


def test_workers_give_the_same_result_in_order(model_and_features):
    model, features = model_and_features
    forward = torch_forward(model)
    one = run_chunked(len(features), lambda a, b: features[a:b], forward, context=6, chunk_frames=64, batch_chunks=2)
    many = run_chunked(len(features), lambda a, b: features[a:b], forward, context=6, chunk_frames=64,
                       batch_chunks=2, workers=3)
    np.testing.assert_allclose(many, one, atol=1e-6)
    calls = []
    run_chunked(len(features), lambda a, b: features[a:b], forward, context=6, chunk_frames=64, workers=3,
                progress=lambda done, total, _: calls.append(done))
    assert calls == sorted(calls) and calls[-1] == len(features)


def test_workers_cancel(model_and_features):
    model, features = model_and_features
    with pytest.raises(Cancelled):
        run_chunked(len(features), lambda a, b: features[a:b], torch_forward(model), context=6, chunk_frames=50,
                    batch_chunks=1, workers=2, progress=lambda done, total, _: done < 300)


def test_torch_workers_match_one_pass_and_restore_threads(model_and_features):
    model, features = model_and_features
    with torch.no_grad():
        whole = model(torch.from_numpy(features)[None])[0].numpy()
    before = torch.get_num_threads()
    out = run_torch_chunked(model, len(features), lambda a, b: features[a:b], context=6, chunk_frames=100,
                            threads=2)
    np.testing.assert_allclose(out, whole, atol=1e-4)
    assert torch.get_num_threads() == before


def test_no_frames_is_an_error():
    with pytest.raises(ValueError, match="at least one frame"):
        run_chunked(0, lambda a, b: np.zeros((b - a, 1), np.float32), lambda x: x, context=0)


def test_torch_threads_sets_the_count_for_the_block_and_restores_the_callers_even_on_error():
    import torch

    from ethoforge.models.chunked import torch_threads

    caller = torch.get_num_threads()
    with pytest.raises(RuntimeError):
        with torch_threads(caller + 1):
            assert torch.get_num_threads() == caller + 1
            raise RuntimeError("inside")
    assert torch.get_num_threads() == caller
    with torch_threads(None):
        assert torch.get_num_threads() == caller
