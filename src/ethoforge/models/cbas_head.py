"""`CbasHead`: a sequence head in the manner of CBAS's classifier, logits for every frame.

Written from the description of CBAS's head (per-frame embeddings are smoothed; the smoothed
sequence, its first and its second differences go through parallel branches; a BiLSTM runs
over their concatenation; attention pools the frames around the one being classified; a gated
linear branch reads that frame's own features). CBAS classifies the centre frame of a window;
here every frame is the centre of its own ``±attention_radius`` neighbourhood, so the model
is sequence to sequence like the other torch families and runs over long chunks at inference.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ethoforge.models.config import CbasHeadConfig


def attention_pool(values: torch.Tensor, scores: torch.Tensor, radius: int,
                   offset_bias: torch.Tensor | None = None) -> torch.Tensor:
    """For every frame, the softmax(``scores``)-weighted mean of ``values`` within ``±radius`` frames.

    Parameters
    ----------
    values
        ``(B, T, D)``.
    scores
        ``(B, T)`` attention logits, one per frame.
    radius
        Frames on each side of a frame that it pools (0: the frame itself). Frames beyond the
        sequence's ends are left out, never padded in.
    offset_bias
        ``(2 * radius + 1,)`` added to the scores by offset from the pooling frame (``-radius``
        first), so attention can prefer the frame itself or its past or future; None = 0.

    Returns
    -------
    torch.Tensor
        ``(B, T, D)``. Memory is O(T · D) whatever the radius.
    """
    t = values.shape[1]
    offsets = range(-radius, radius + 1)
    padded = nn.functional.pad(scores, (radius, radius), value=float("-inf"))
    window = torch.stack([padded[:, radius + o : radius + o + t] for o in offsets], dim=-1)  # (B, T, W)
    if offset_bias is not None:
        window = window + offset_bias
    weights = window.softmax(-1)  # the frame itself is always inside: never all -inf
    values_padded = nn.functional.pad(values, (0, 0, radius, radius))
    pooled = torch.zeros_like(values)
    for i, o in enumerate(offsets):
        pooled = pooled + weights[..., i, None] * values_padded[:, radius + o : radius + o + t]
    return pooled


def differences(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """First and second backward differences over time of ``(B, T, F)``; frame 0 has 0 (its own past)."""
    first = x - torch.cat([x[:, :1], x[:, :-1]], dim=1)
    second = first - torch.cat([first[:, :1], first[:, :-1]], dim=1)
    return first, second


class CbasHead(nn.Module):
    """Sequence-to-sequence classifier ``(B, T, F)`` float32 → ``(B, T, C)`` logits.

    1. Smoothing: a learned depthwise temporal convolution (``smooth_kernel`` frames,
       replicate padding) that starts as a moving average.
    2. Three parallel branches ``Linear → LayerNorm → GELU → dropout`` (``branch_dim`` each) on
       the smoothed sequence, its first and its second differences; concatenated.
    3. A BiLSTM over the concatenation.
    4. Attention pooling: a linear score per frame plus a learned bias per offset, softmax
       over the ``±attention_radius`` frames around each frame (`attention_pool`), then a
       linear classifier. (Without the offset bias the pooling cannot tell the frame itself
       from its neighbours: it failed a task whose answer is 2 frames in the past.)
    5. A gated linear branch: ``sigmoid(gate) · Linear(x_t)`` from frame ``t``'s raw input
       features is added to its logits, ``gate`` learned per class (starts at 0: half open).

    Works for any ``T ≥ 1``.

    Parameters
    ----------
    n_features, n_classes
        Input features per frame and output classes.
    config
        A resolved `CbasHeadConfig`.
    """

    def __init__(self, n_features: int, n_classes: int, config: CbasHeadConfig) -> None:
        super().__init__()
        self.n_features = n_features
        self.n_classes = n_classes
        self.config = config
        arch: Any = config.arch
        kernel = arch.smooth_kernel
        self.smooth = nn.Conv1d(n_features, n_features, kernel, padding=kernel // 2, groups=n_features, bias=False,
                                padding_mode="replicate")
        with torch.no_grad():
            self.smooth.weight.fill_(1.0 / kernel)
        self.branches = nn.ModuleList(
            nn.Sequential(nn.Linear(n_features, arch.branch_dim), nn.LayerNorm(arch.branch_dim), nn.GELU(),
                          nn.Dropout(arch.dropout))
            for _ in range(3)
        )
        self.lstm = nn.LSTM(
            3 * arch.branch_dim, arch.lstm_hidden, num_layers=arch.lstm_layers, batch_first=True,
            bidirectional=True, dropout=arch.lstm_dropout if arch.lstm_layers > 1 else 0.0,
        )
        self.score = nn.Linear(2 * arch.lstm_hidden, 1, bias=False)  # a constant bias cannot move a softmax
        self.offset_bias = nn.Parameter(torch.zeros(2 * arch.attention_radius + 1))
        self.head = nn.Sequential(nn.Dropout(arch.dropout), nn.Linear(2 * arch.lstm_hidden, n_classes))
        self.linear = nn.Linear(n_features, n_classes)
        self.gate = nn.Parameter(torch.zeros(n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, T, C)`` of every frame of ``x`` ``(B, T, F)``."""
        return self.sequence_logits(x) + self.linear_logits(x)

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args: Any, **kwargs: Any) -> None:
        # Bundles from before 2026-12-02 carry a score bias; a constant added to every score leaves the softmax as is.
        state_dict.pop(prefix + "score.bias", None)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def sequence_logits(self, x: torch.Tensor) -> torch.Tensor:
        """The smoothing → branches → BiLSTM → attention-pooling path, ``(B, T, C)``."""
        smoothed = self.smooth(x.transpose(1, 2)).transpose(1, 2)
        first, second = differences(smoothed)
        h = torch.cat([branch(v) for branch, v in zip(self.branches, (smoothed, first, second))], dim=-1)
        h, _ = self.lstm(h)
        pooled = attention_pool(h, self.score(h).squeeze(-1), self.config.arch.attention_radius, self.offset_bias)
        return self.head(pooled)

    def linear_logits(self, x: torch.Tensor) -> torch.Tensor:
        """The gated linear branch on each frame's own input features, ``(B, T, C)``."""
        return torch.sigmoid(self.gate) * self.linear(x)
