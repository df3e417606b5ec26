"""`ConvBiLSTM`: Conv1D stack → bidirectional LSTM → linear head, logits for every frame."""

from __future__ import annotations

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
        activation = nn.GELU if config.activation == "gelu" else nn.ReLU
        blocks: list[nn.Module] = []
        channels_in = n_features
        for channels in config.conv_channels:
            blocks += [
                nn.Conv1d(channels_in, channels, config.kernel_size, padding=config.kernel_size // 2),
                _norm(config.norm, channels),
                activation(),
                nn.Dropout(config.dropout),
            ]
            channels_in = channels
        self.conv = nn.Sequential(*blocks)
        self.lstm = nn.LSTM(
            channels_in, config.lstm_hidden, num_layers=config.lstm_layers, batch_first=True,
            bidirectional=True, dropout=config.lstm_dropout if config.lstm_layers > 1 else 0.0,
        )
        self.head = nn.Sequential(nn.Dropout(config.dropout), nn.Linear(2 * config.lstm_hidden, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, T, C)`` of every frame of ``x`` ``(B, T, F)``."""
        h = self.conv(x.transpose(1, 2)).transpose(1, 2)
        h, _ = self.lstm(h)
        return self.head(h)
