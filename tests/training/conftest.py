"""Small generated training data with a known right answer, and a tiny convolutional model.

The class of each frame is written into the features (feature ``c`` is raised by 2 inside
bouts of class ``c``), so a model that learns anything reaches a macro-F1 near 1.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from ethoforge.training.data import RecordingData, TrainingData
from ethoforge.bundles.normalise import Normalisation

BEHAVIORS = ["a", "b"]


class TinyConv(nn.Module):
    """(B, T, F) -> (B, T, C) with receptive field 1 + 2 * layers * (kernel // 2) frames."""

    def __init__(self, n_features: int, n_classes: int, hidden: int = 16, kernel: int = 3, layers: int = 2):
        super().__init__()
        blocks: list[nn.Module] = []
        width = n_features
        for _ in range(layers - 1):
            blocks += [nn.Conv1d(width, hidden, kernel, padding=kernel // 2), nn.ReLU()]
            width = hidden
        blocks.append(nn.Conv1d(width, n_classes, kernel, padding=kernel // 2))
        self.net = nn.Sequential(*blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.transpose(1, 2)).transpose(1, 2)


def tiny_factory(n_features: int, n_classes: int, config: dict) -> nn.Module:
    return TinyConv(n_features, n_classes, **config)


def synthetic_targets(n_frames: int, rng: np.random.Generator) -> np.ndarray:
    targets = np.zeros(n_frames, dtype=np.int64)
    t = 0
    while t < n_frames:
        length = int(rng.integers(15, 50))
        targets[t : t + length] = rng.choice(3, p=[0.6, 0.25, 0.15])
        t += length
    return targets


def synthetic_data(n_recordings: int = 4, n_frames: int = 600, n_features: int = 4, seed: int = 0,
                   noise: float = 0.6) -> TrainingData:
    rng = np.random.default_rng(seed)
    records = []
    for i in range(n_recordings):
        targets = synthetic_targets(n_frames, rng)
        features = rng.normal(0.0, noise, (n_frames, n_features)).astype(np.float32)
        features[np.arange(n_frames), targets] += 2.0
        records.append(RecordingData(f"rec{i}", features, targets))
    return TrainingData(
        behaviors=list(BEHAVIORS), recordings=records, feature_names=[f"f{j}" for j in range(n_features)],
        normalisation=Normalisation.identity(n_features),
        individuals=["m1", "m2"], keypoints=["nose", "tail"], fps=30.0,
    )


@pytest.fixture
def make_data():
    """``make_data(n_recordings=4, n_frames=600, n_features=4, seed=0, noise=0.6) -> TrainingData``."""
    return synthetic_data


@pytest.fixture
def factory():
    """A model factory building `TinyConv` (plug-in for ``train(model_factory=...)``)."""
    return tiny_factory
