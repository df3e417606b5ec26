"""Model families behind one interface, chosen by name.

- ``conv_bilstm``, ``transformer`` and ``cbas_head``: torch ``nn.Module``s mapping
  ``(B, T, F)`` float32 to ``(B, T, C)`` logits for every frame (sequence to sequence:
  training takes the centre frame of an odd window, inference runs over long chunks).
- ``gbdt``: `GbdtClassifier`, LightGBM on per-frame window features.

torch and lightgbm are imported only when a model is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from ethoforge.errors import ConfigError
from ethoforge.models.config import (
    FULL_SIZE_MIN_FRAMES,
    MODEL_FAMILIES,
    CbasHeadConfig,
    ConvBiLSTMConfig,
    GbdtConfig,
    ModelConfig,
    TransformerConfig,
    default_model_config,
    resolve_config,
)
from ethoforge.models.gbdt import GbdtClassifier

if TYPE_CHECKING:
    from ethoforge.models.cbas_head import CbasHead
    from ethoforge.models.conv_bilstm import ConvBiLSTM
    from ethoforge.models.transformer import TemporalTransformer

__all__ = [
    "FULL_SIZE_MIN_FRAMES", "MODEL_FAMILIES", "CbasHead", "CbasHeadConfig", "ConvBiLSTM", "ConvBiLSTMConfig",
    "GbdtClassifier", "GbdtConfig", "ModelConfig", "TemporalTransformer", "TransformerConfig", "build_model", "default_model_config",
    "resolve_config",
]


def build_model(
    name: Literal["gbdt", "conv_bilstm", "transformer", "cbas_head"],
    n_features: int,
    n_classes: int,
    config: dict | ModelConfig | None = None,
    *,
    seed: int | None = None,
) -> Any:
    """Build an untrained model of family ``name``.

    Parameters
    ----------
    name
        One of `MODEL_FAMILIES`.
    n_features, n_classes
        Features per frame and classes (index 0 = background ``"none"``).
    config
        Options of the family (dict or its config class); None = defaults (``size="auto"``
        resolves to ``"small"``; see `default_model_config`).
    seed
        Seed the weight initialisation (same seed → same weights); None uses torch's
        global generator.

    Returns
    -------
    ConvBiLSTM | TemporalTransformer | CbasHead | GbdtClassifier
        Torch modules carry ``n_features``, ``n_classes`` and the resolved ``config``.

    Raises
    ------
    ConfigError
        On an unknown family (listing the known ones) or a bad option.
    """
    resolved = resolve_config(name, config)
    if n_features < 1 or n_classes < 1:
        raise ConfigError(f"n_features and n_classes must be >= 1, got {n_features} and {n_classes}")
    if name == "gbdt":
        return GbdtClassifier(n_features, n_classes, resolved)
    import torch

    cls = _torch_class(name)
    if seed is None:
        return cls(n_features, n_classes, resolved)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return cls(n_features, n_classes, resolved)


def _torch_class(name: str) -> type:
    if name == "conv_bilstm":
        from ethoforge.models.conv_bilstm import ConvBiLSTM

        return ConvBiLSTM
    if name == "cbas_head":
        from ethoforge.models.cbas_head import CbasHead

        return CbasHead
    from ethoforge.models.transformer import TemporalTransformer

    return TemporalTransformer


def __getattr__(attr: str) -> Any:
    if attr == "ConvBiLSTM":
        return _torch_class("conv_bilstm")
    if attr == "CbasHead":
        return _torch_class("cbas_head")
    if attr == "TemporalTransformer":
        return _torch_class("transformer")
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")
