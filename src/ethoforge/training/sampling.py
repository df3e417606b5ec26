"""Class balance: which window centres an epoch draws, and the loss that weighs them.

- ``balanced``: centres drawn by a ``WeightedRandomSampler`` with weight ``1 / count(class)``,
  so each class is drawn equally often; plain cross-entropy.
- ``weighted``: centres drawn uniformly; cross-entropy weighted by inverse class frequency.
- ``focal``: centres drawn uniformly; focal loss ``-(1 - p_t)^gamma log p_t`` (weighted too).
- ``uniform``: centres drawn uniformly; plain cross-entropy.
- ``class_weights`` in the config replaces the automatic weights (classes not named weigh 1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from ethoforge.errors import ConfigError

if TYPE_CHECKING:
    import torch

    from ethoforge.training.config import TrainConfig


def inverse_frequency(counts: np.ndarray) -> np.ndarray:
    """Weights ``N / (C * n_c)`` (mean 1 over present classes); absent classes weigh 0."""
    counts = np.asarray(counts, dtype=np.float64)
    present = counts > 0
    weights = np.zeros_like(counts)
    weights[present] = counts.sum() / (present.sum() * counts[present])
    return weights


def loss_weights(config: "TrainConfig", counts: np.ndarray, classes: Sequence[str]) -> np.ndarray | None:
    """Per-class loss weights for ``config`` (None = unweighted).

    Raises
    ------
    ConfigError
        When ``class_weights`` names a class that does not exist.
    """
    if config.class_weights is not None:
        unknown = [k for k in config.class_weights if k not in classes]
        if unknown:
            raise ConfigError(f"class_weights names unknown class(es) {unknown}; classes are {list(classes)}")
        return np.array([float(config.class_weights.get(c, 1.0)) for c in classes])
    if config.sampling in ("weighted", "focal"):
        return inverse_frequency(counts)
    return None


def draw_centres(
    labels: np.ndarray, n: int, balanced: bool, generator: "torch.Generator"
) -> np.ndarray:
    """Indices into ``labels`` (the class of each candidate centre) for one epoch.

    ``balanced``: a ``WeightedRandomSampler`` (with replacement) with weight ``1/count`` per
    class; otherwise ``n`` indices drawn uniformly without replacement (with it when ``n``
    exceeds the candidates).
    """
    import torch
    from torch.utils.data import WeightedRandomSampler

    if balanced:
        counts = np.bincount(labels)
        weights = 1.0 / counts[labels]
        # torch annotates weights as Sequence[float] but reads them with torch.as_tensor: a double tensor is kept as is
        sampler = WeightedRandomSampler(torch.as_tensor(weights, dtype=torch.double), n, True,  # type: ignore[arg-type]
                                        generator=generator)
        return np.fromiter(iter(sampler), dtype=np.int64, count=n)
    if n <= len(labels):
        return torch.randperm(len(labels), generator=generator)[:n].numpy()
    return torch.randint(len(labels), (n,), generator=generator).numpy()


def make_loss(
    config: "TrainConfig", weights: np.ndarray | None
) -> Callable[["torch.Tensor", "torch.Tensor"], "torch.Tensor"]:
    """Loss ``(logits (N, C), targets (N,)) -> scalar``; targets ``-1`` are ignored."""
    import torch
    import torch.nn.functional as F

    weight = None if weights is None else torch.as_tensor(weights, dtype=torch.float32)

    if config.sampling == "focal":
        gamma = config.focal_gamma

        def focal(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
            keep = targets >= 0
            logits, targets = logits[keep], targets[keep]
            log_p = F.log_softmax(logits.float(), dim=-1).gather(1, targets[:, None])[:, 0]
            loss = -((1.0 - log_p.exp()) ** gamma) * log_p
            if weight is not None:
                w = weight.to(logits.device)[targets]
                return (loss * w).sum() / w.sum().clamp_min(1e-12)
            return loss.mean()

        return focal

    def cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        w = None if weight is None else weight.to(logits.device)
        return F.cross_entropy(logits.float(), targets, weight=w, ignore_index=-1)

    return cross_entropy
