"""Self-supervised pretraining on unlabelled pose: pretext tasks, embedders, discovery.

- `pretext`: pure numpy sample generators (``cons``, ``order``, ``shift``, ``warp``, ``mask``).
- `config`: `PretrainConfig` and its presets (``small``, ``lisbet``).
- `train`: `pretrain(recordings, config, out_dir)` writes an embedder bundle.

torch is imported only by the functions that need it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PretrainConfig", "pretrain"]


def __getattr__(name: str) -> Any:
    if name == "pretrain":
        from ethoforge.ssl.train import pretrain

        return pretrain
    if name == "PretrainConfig":
        from ethoforge.ssl.config import PretrainConfig

        return PretrainConfig
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
