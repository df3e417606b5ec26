"""`TemporalTransformer`: a LISBET-like encoder over frames, logits for every frame.

Attention is local by default (each frame attends to ``±attention_radius`` frames) with a
learned relative-position bias, so the same weights run on 31-frame training windows and on
inference chunks of thousands of frames in memory O(T · radius). ``nn.TransformerEncoder``
is not used because its attention is O(T²) in memory and its positions are absolute.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ethoforge.models.config import TransformerConfig


def sinusoidal_positions(length: int, dim: int, device: torch.device | None = None) -> torch.Tensor:
    """``(length, dim)`` sinusoidal position encodings (Vaswani et al. 2017), any length."""
    position = torch.arange(length, dtype=torch.float32, device=device)[:, None]
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32, device=device) * (-math.log(10000.0) / dim))
    table = torch.zeros(length, dim, device=device)
    table[:, 0::2] = torch.sin(position * freq)
    table[:, 1::2] = torch.cos(position * freq[: dim // 2])
    return table


_DENSE_FACTOR = 4  # sequences up to this many attention windows long use the dense (T, T) path
_BLOCK = 16  # queries per block of the local path


class _SelfAttention(nn.Module):
    """Multi-head self-attention, local (``radius``) or full, with an optional relative bias.

    No dropout on the attention weights (the layer's residual dropout regularises): drawing a
    ``(B, H, T, T)`` random mask every step cost a third of a CPU training step.
    """

    def __init__(self, dim: int, heads: int, radius: int | None, relative: bool, max_distance: int) -> None:
        super().__init__()
        self.heads, self.radius = heads, radius
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.max_distance: int = radius if radius is not None else max_distance
        self.bias = nn.Parameter(torch.zeros(heads, 2 * self.max_distance + 1)) if relative else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, e = x.shape
        h = self.heads
        q, k, v = self.qkv(x).view(b, t, 3, h, e // h).unbind(2)  # (B, T, H, d)
        if self.radius is None or t <= _DENSE_FACTOR * (2 * self.radius + 1):
            out = self._dense(q, k, v)
        else:
            out = self._local(q, k, v)
        return self.out(out.reshape(b, t, e))

    def _dense(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """Attention over a (T, T) score matrix; the band mask makes it equal `_local` when local."""
        t = q.shape[1]
        mask = None
        offsets = torch.arange(t, device=q.device)
        distance = offsets[None, :] - offsets[:, None]  # key - query
        if self.bias is not None:
            index = distance.clamp(-self.max_distance, self.max_distance) + self.max_distance
            mask = self.bias[:, index][None].to(q.dtype)  # (1, H, T, T)
        if self.radius is not None:
            band = torch.zeros(t, t, dtype=q.dtype, device=q.device)
            band = band.masked_fill(distance.abs() > self.radius, float("-inf"))
            mask = band[None, None] if mask is None else mask + band
        out = F.scaled_dot_product_attention(
            q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), attn_mask=mask,
        )
        return out.transpose(1, 2)

    def _local(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """Banded attention in blocks of `_BLOCK` queries, each against its ``_BLOCK + 2r`` keys.

        One matrix product per block instead of one tiny product per frame (5x faster on CPU
        for ``r = 16``); keys outside the band or the sequence get no weight, so the result
        equals `_dense`'s.
        """
        b, t, h, d = q.shape
        r, size = int(self.radius or 0), _BLOCK
        blocks = (t + size - 1) // size  # not -(-t // size): ONNX integer division truncates
        width, tail = size + 2 * r, blocks * size - t
        q_blocks = F.pad(q, (0, 0, 0, 0, 0, tail)).view(b, blocks, size, h, d).transpose(2, 3)  # (B, N, H, S, d)
        k_blocks = F.pad(k, (0, 0, 0, 0, r, r + tail)).unfold(1, width, size)  # (B, N, H, d, W)
        v_blocks = F.pad(v, (0, 0, 0, 0, r, r + tail)).unfold(1, width, size).transpose(-1, -2)  # (B, N, H, W, d)
        distance = torch.arange(width, device=q.device)[None] - r - torch.arange(size, device=q.device)[:, None]
        mask = torch.zeros(1, size, width, dtype=q.dtype, device=q.device)  # (H or 1, S, W)
        if self.bias is not None:
            mask = self.bias[:, distance.clamp(-r, r) + r].to(q.dtype)
        mask = mask.masked_fill(distance.abs() > r, float("-inf"))
        key_pos = torch.arange(blocks, device=q.device)[:, None] * size + torch.arange(width, device=q.device) - r
        outside = torch.zeros(blocks, width, dtype=q.dtype, device=q.device)  # finite: padded queries stay finite
        outside = outside.masked_fill((key_pos < 0) | (key_pos >= t), torch.finfo(q.dtype).min / 2)
        scores = q_blocks @ k_blocks / math.sqrt(d) + (mask[None] + outside[:, None, None, :])[None]
        return (scores.softmax(-1) @ v_blocks).transpose(2, 3).reshape(b, blocks * size, h, d)[:, :t]


class _EncoderLayer(nn.Module):
    """Pre-norm transformer layer: ``x + attn(LN(x))``, then ``x + FF(LN(x))``."""

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        arch: Any = config.arch
        dim = arch.embed_dim
        self.norm1 = nn.LayerNorm(dim)
        self.attn = _SelfAttention(dim, arch.num_heads, arch.attention_radius, arch.positional == "relative",
                                   arch.max_relative_distance)
        self.norm2 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, arch.ff_dim), nn.GELU(), nn.Dropout(arch.dropout),
                                nn.Linear(arch.ff_dim, dim))
        self.drop = nn.Dropout(arch.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop(self.attn(self.norm1(x)))
        return x + self.drop(self.ff(self.norm2(x)))


class TemporalTransformer(nn.Module):
    """Sequence-to-sequence classifier ``(B, T, F)`` float32 → ``(B, T, C)`` logits.

    Linear frame embedding (+ sinusoidal positions when ``positional="sinusoidal"``),
    ``num_layers`` pre-norm encoder layers, a final LayerNorm and a linear head.

    Parameters
    ----------
    n_features, n_classes
        Input features per frame and output classes.
    config
        A resolved `TransformerConfig`.
    """

    def __init__(self, n_features: int, n_classes: int, config: TransformerConfig) -> None:
        super().__init__()
        self.n_features = n_features
        self.n_classes = n_classes
        self.config = config
        arch: Any = config.arch
        self.embed = nn.Linear(n_features, arch.embed_dim)
        self.drop = nn.Dropout(arch.dropout)
        self.layers = nn.ModuleList(_EncoderLayer(config) for _ in range(arch.num_layers))
        self.norm = nn.LayerNorm(arch.embed_dim)
        self.head = nn.Linear(arch.embed_dim, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, T, C)`` of every frame of ``x`` ``(B, T, F)``."""
        return self.head(self.encode(x))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Per-frame representations ``(B, T, embed_dim)`` before the head (what embedders output)."""
        h = self.embed(x)
        if self.config.positional == "sinusoidal":
            h = h + sinusoidal_positions(x.shape[1], h.shape[-1], x.device).to(h.dtype)
        h = self.drop(h)
        for layer in self.layers:
            h = layer(h)
        return self.norm(h)
