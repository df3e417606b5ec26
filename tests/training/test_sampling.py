"""Balanced sampling, class weights and the focal loss."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ethoforge.errors import ConfigError
from ethoforge.training.config import TrainConfig
from ethoforge.training.sampling import draw_centres, inverse_frequency, loss_weights, make_loss

CLASSES = ["none", "a", "b"]


def test_balanced_sampler_draws_classes_equally():
    labels = np.array([0] * 9000 + [1] * 900 + [2] * 100)
    drawn = labels[draw_centres(labels, 30_000, True, torch.Generator().manual_seed(0))]
    share = np.bincount(drawn, minlength=3) / len(drawn)
    np.testing.assert_allclose(share, [1 / 3] * 3, atol=0.02)
    uniform = labels[draw_centres(labels, 5000, False, torch.Generator().manual_seed(0))]
    assert np.bincount(uniform)[0] / 5000 == pytest.approx(0.9, abs=0.02)


def test_inverse_frequency_weights():
    np.testing.assert_allclose(inverse_frequency(np.array([80, 20, 0])), [100 / 160, 100 / 40, 0])


def test_loss_weights_per_mode():
    counts = np.array([90, 10, 0])
    assert loss_weights(TrainConfig(sampling="balanced"), counts, CLASSES) is None
    np.testing.assert_allclose(loss_weights(TrainConfig(sampling="weighted"), counts, CLASSES), [100 / 180, 5, 0])
    custom = loss_weights(TrainConfig(class_weights={"b": 3.0}), counts, CLASSES)
    np.testing.assert_allclose(custom, [1, 1, 3])
    with pytest.raises(ConfigError, match="unknown class"):
        loss_weights(TrainConfig(class_weights={"c": 3.0}), counts, CLASSES)


def test_focal_with_gamma_0_is_cross_entropy_and_ignores_minus_one():
    logits = torch.randn(50, 3, generator=torch.Generator().manual_seed(0))
    targets = torch.randint(0, 3, (50,), generator=torch.Generator().manual_seed(1))
    targets[:5] = -1
    focal = make_loss(TrainConfig(sampling="focal", focal_gamma=0.0), None)
    expected = F.cross_entropy(logits, targets, ignore_index=-1)
    assert float(focal(logits, targets)) == pytest.approx(float(expected), rel=1e-5)


def test_focal_down_weights_easy_frames():
    easy = torch.tensor([[5.0, 0.0, 0.0]])
    hard = torch.tensor([[0.5, 0.0, 0.0]])
    target = torch.tensor([0])
    focal = make_loss(TrainConfig(sampling="focal", focal_gamma=2.0), None)
    plain = make_loss(TrainConfig(sampling="uniform"), None)
    ratio_easy = float(focal(easy, target) / plain(easy, target))
    ratio_hard = float(focal(hard, target) / plain(hard, target))
    assert ratio_easy < 0.001 and ratio_hard > 0.2


def test_weighted_cross_entropy_uses_the_weights():
    logits = torch.zeros(2, 3)
    targets = torch.tensor([0, 1])
    weighted = make_loss(TrainConfig(sampling="weighted"), np.array([1.0, 3.0, 1.0]))
    assert float(weighted(logits, targets)) == pytest.approx(np.log(3))  # equal losses, any weights
    logits = torch.tensor([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0]])
    loss_0, loss_1 = np.log(3), -float(F.log_softmax(logits[1], 0)[1])
    assert float(weighted(logits, targets)) == pytest.approx((loss_0 + 3 * loss_1) / 4, rel=1e-6)
