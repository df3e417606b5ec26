"""The pretext network: one shared `TemporalTransformer` encoder, one small head per task.

Classification tasks (``cons``, ``order``, ``shift``, ``warp``) read the mean over the
window's frames and predict two classes; ``mask`` reconstructs every feature of every frame
(the loss counts hidden cells only). `EmbeddingNet` is the encoder alone for inference:
``(B, T, F)`` features to ``(B, T, emb_dim)`` embeddings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

if TYPE_CHECKING:
    from ethoforge.models.transformer import TemporalTransformer

ENCODER_PREFIX = "encoder."


def build_encoder(n_features: int, transformer_config: dict[str, Any]) -> TemporalTransformer:
    """A `TemporalTransformer` (its one-class head unused) as the shared encoder."""
    from ethoforge.models import build_model

    return build_model("transformer", n_features, 1, transformer_config)


class PretextNet(nn.Module):
    """Encoder plus heads; ``forward(x, task)`` gives ``(B, 2)`` logits or ``(B, T, F)`` reconstructions."""

    def __init__(self, n_features: int, tasks: Sequence[str], transformer_config: dict[str, Any]) -> None:
        super().__init__()
        self.encoder = build_encoder(n_features, transformer_config)
        dim = int(self.encoder.config.arch.embed_dim)
        self.heads = nn.ModuleDict({task: nn.Linear(dim, n_features if task == "mask" else 2) for task in tasks})

    def forward(self, x: torch.Tensor, task: str) -> torch.Tensor:
        hidden = self.encoder.encode(x)
        if task == "mask":
            return self.heads[task](hidden)
        return self.heads[task](hidden.mean(dim=1))


class EmbeddingNet(nn.Module):
    """The encoder alone: ``(B, T, F)`` → ``(B, T, emb_dim)``."""

    def __init__(self, encoder: TemporalTransformer) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder.encode(x)
