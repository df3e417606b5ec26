"""`ConvBiLSTM`: Conv1D stack → bidirectional LSTM → linear head, logits for every frame."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ethoforge.models.config import ConvBiLSTMConfig


class _ChannelLayerNorm(nn.Module):
    """LayerNorm over the channels of a ``(B, C, T)`` tensor."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x.transpose(1, 2)).transpose(1, 2)


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm1d(channels)
    if kind == "layer":
        return _ChannelLayerNorm(channels)
    return nn.Identity()


class ConvBiLSTM(nn.Module):
    """Sequence-to-sequence classifier ``(B, T, F)`` float32 → ``(B, T, C)`` logits.

    Each conv block is ``Conv1d(kernel, 'same' padding) → norm → activation → dropout``;
    the BiLSTM runs over the conv features and a linear head maps its ``2 × hidden``
    outputs to class logits. Works for any ``T ≥ 1``.

    Parameters
    ----------
    n_features, n_classes
        Input features per frame and output classes.
    config
        A resolved `ConvBiLSTMConfig`.
    """

    def __init__(self, n_features: int, n_classes: int, config: ConvBiLSTMConfig) -> None:
        super().__init__()
        self.n_features = n_features
        self.n_classes = n_classes
        self.config = config
        arch: Any = config.arch
        activation = nn.GELU if arch.activation == "gelu" else nn.ReLU
        blocks: list[nn.Module] = []
        channels_in = n_features
        for channels in arch.conv_channels:
            blocks += [
                nn.Conv1d(channels_in, channels, arch.kernel_size, padding=arch.kernel_size // 2),
                _norm(arch.norm, channels),
                activation(),
                nn.Dropout(arch.dropout),
            ]
            channels_in = channels
        self.conv = nn.Sequential(*blocks)
        self.lstm = nn.LSTM(
            channels_in, arch.lstm_hidden, num_layers=arch.lstm_layers, batch_first=True,
            bidirectional=True, dropout=arch.lstm_dropout if arch.lstm_layers > 1 else 0.0,
        )
        self.head = nn.Sequential(nn.Dropout(arch.dropout), nn.Linear(2 * arch.lstm_hidden, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, T, C)`` of every frame of ``x`` ``(B, T, F)``."""
        h = self.conv(x.transpose(1, 2)).transpose(1, 2)
        h, _ = self.lstm(h)
        return self.head(h)
