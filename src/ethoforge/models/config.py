"""Typed, validated configs of the model families, with size presets.

Each torch family has a ``size`` preset (``"small"`` or ``"full"``) that fills every
architecture field left unset (``None``); a field set explicitly always wins. ``"auto"``
means ``"small"`` when the amount of training data is unknown; `default_model_config` picks
by the number of annotated training frames. The resolved config (`resolve_config(...)
.model_dump()`) has every field filled, and rebuilding from it gives the same architecture.

Bad values raise `ethoforge.errors.ConfigError`, never pydantic's own error.
"""

from __future__ import annotations

from typing import Any, Literal, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from ethoforge.errors import ConfigError

Family = Literal["gbdt", "conv_bilstm", "transformer", "cbas_head"]
MODEL_FAMILIES: tuple[str, ...] = ("gbdt", "conv_bilstm", "transformer", "cbas_head")
Size = Literal["auto", "small", "full"]

#: Annotated training frames from which `default_model_config` picks the ``"full"`` preset
#: (about 1 h 50 min at 30 fps). Below it the small preset overfits less and trains fast on CPU.
FULL_SIZE_MIN_FRAMES = 200_000

CONV_BILSTM_PRESETS: dict[str, dict[str, Any]] = {
    # small: one epoch of 4096 windows on ethome5 in seconds on 2 CPU cores (benchmarks/bench_epoch.py)
    "small": {"conv_channels": [16, 32], "kernel_size": 5, "lstm_hidden": 32, "lstm_layers": 1,
              "dropout": 0.1, "lstm_dropout": 0.0},
    "full": {"conv_channels": [64, 128, 256], "kernel_size": 5, "lstm_hidden": 256, "lstm_layers": 2,
             "dropout": 0.2, "lstm_dropout": 0.3},
}

TRANSFORMER_PRESETS: dict[str, dict[str, Any]] = {
    "small": {"embed_dim": 16, "num_layers": 4, "num_heads": 2, "ff_dim": 32, "dropout": 0.1},
    "full": {"embed_dim": 64, "num_layers": 6, "num_heads": 4, "ff_dim": 256, "dropout": 0.1},
}

CBAS_HEAD_PRESETS: dict[str, dict[str, Any]] = {
    "small": {"smooth_kernel": 5, "branch_dim": 16, "lstm_hidden": 32, "lstm_layers": 1, "attention_radius": 4,
              "dropout": 0.1, "lstm_dropout": 0.0},
    "full": {"smooth_kernel": 5, "branch_dim": 64, "lstm_hidden": 128, "lstm_layers": 2, "attention_radius": 7,
             "dropout": 0.2, "lstm_dropout": 0.2},
}


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as error:
            raise ConfigError(f"invalid {self.__class__.__name__}: {_describe(error)}") from None


class _Sized(_Base):
    size: Size = "auto"

    @property
    def arch(self) -> Any:
        """This config with every preset field filled (typed ``Any`` for the model code)."""
        return self

    def _fill(self, presets: dict[str, dict[str, Any]]) -> None:
        size = "small" if self.size == "auto" else self.size
        object.__setattr__(self, "size", size)
        for key, value in presets[size].items():
            if getattr(self, key) is None:
                object.__setattr__(self, key, value)


class ConvBiLSTMConfig(_Sized):
    """Conv1D stack → bidirectional LSTM → linear head, per frame.

    Presets (``size``): ``"full"`` = channels ``[64, 128, 256]``, kernel 5, LSTM hidden 256
    × 2 layers, dropout 0.2, LSTM dropout 0.3; ``"small"`` = channels ``[16, 32]``, hidden 32
    × 1 layer, dropout 0.1.
    """

    conv_channels: list[int] | None = None
    kernel_size: int | None = Field(None, ge=1)
    lstm_hidden: int | None = Field(None, ge=1, le=4096)
    lstm_layers: int | None = Field(None, ge=1, le=8)
    dropout: float | None = Field(None, ge=0.0, lt=1.0)
    lstm_dropout: float | None = Field(None, ge=0.0, lt=1.0)
    norm: Literal["layer", "batch", "none"] = "layer"
    activation: Literal["gelu", "relu"] = "gelu"

    @field_validator("conv_channels")
    @classmethod
    def _channels(cls, value: list[int] | None) -> list[int] | None:
        if value is not None and any(c < 1 for c in value):
            raise ValueError(f"conv_channels must be positive integers, got {value}")
        return value

    @field_validator("kernel_size")
    @classmethod
    def _odd_kernel(cls, value: int | None) -> int | None:
        if value is not None and value % 2 == 0:
            raise ValueError(f"kernel_size must be odd so 'same' padding is symmetric, got {value}")
        return value

    @model_validator(mode="after")
    def _resolve(self) -> ConvBiLSTMConfig:
        self._fill(CONV_BILSTM_PRESETS)
        return self


class TransformerConfig(_Sized):
    """Temporal transformer encoder (LISBET-like): linear embedding, positions, encoder layers.

    Presets (``size``): ``"small"`` = embedding 16, 4 layers, 2 heads, feed-forward 32;
    ``"full"`` = embedding 64, 6 layers, 4 heads, feed-forward 256; dropout 0.1.

    ``attention_radius``: each frame attends to frames at most this far away (local
    attention, memory O(T · radius), so chunks of thousands of frames fit); ``None`` =
    full attention (memory O(T²): short sequences only). ``positional``: ``"relative"``
    (a learned bias per head and offset, clipped at ``max_relative_distance``; works for any
    T) or ``"sinusoidal"`` (absolute, any T).
    """

    embed_dim: int | None = Field(None, ge=4, le=1024)
    num_layers: int | None = Field(None, ge=4, le=8)
    num_heads: int | None = Field(None, ge=1, le=16)
    ff_dim: int | None = Field(None, ge=4)
    dropout: float | None = Field(None, ge=0.0, lt=1.0)
    positional: Literal["relative", "sinusoidal"] = "relative"
    attention_radius: int | None = Field(16, ge=1, le=1024)
    max_relative_distance: int = Field(64, ge=1, le=4096)

    @model_validator(mode="after")
    def _resolve(self) -> TransformerConfig:
        self._fill(TRANSFORMER_PRESETS)
        if self.arch.embed_dim % self.arch.num_heads:
            raise ValueError(f"embed_dim ({self.embed_dim}) must be a multiple of num_heads ({self.num_heads})")
        return self


class CbasHeadConfig(_Sized):
    """A head in the manner of CBAS's: smoothing, value / 1st / 2nd difference branches, BiLSTM,
    attention over the centre frames, plus a gated linear branch on each frame's own features.

    Presets (``size``): ``"small"`` = smoothing kernel 5, branches of 16, LSTM hidden 32 × 1
    layer, attention radius 4 (9 centre frames), dropout 0.1; ``"full"`` = branches of 64,
    hidden 128 × 2 layers, radius 7, dropout 0.2, LSTM dropout 0.2.

    ``smooth_kernel``: frames of the learned depthwise smoothing (starts as a moving average;
    1 = none). ``attention_radius``: each frame's logits pool the BiLSTM outputs of the frames
    at most this far away (0 = the frame alone); at most ``window // 2`` of the
    training (`check_window` refuses more).
    """

    smooth_kernel: int | None = Field(None, ge=1, le=255)
    branch_dim: int | None = Field(None, ge=1, le=4096)
    lstm_hidden: int | None = Field(None, ge=1, le=4096)
    lstm_layers: int | None = Field(None, ge=1, le=8)
    attention_radius: int | None = Field(None, ge=0, le=256)
    dropout: float | None = Field(None, ge=0.0, lt=1.0)
    lstm_dropout: float | None = Field(None, ge=0.0, lt=1.0)

    @field_validator("smooth_kernel")
    @classmethod
    def _odd_kernel(cls, value: int | None) -> int | None:
        if value is not None and value % 2 == 0:
            raise ValueError(f"smooth_kernel must be odd so the smoothing is centred, got {value}")
        return value

    @model_validator(mode="after")
    def _resolve(self) -> CbasHeadConfig:
        self._fill(CBAS_HEAD_PRESETS)
        return self


class GbdtConfig(_Base):
    """LightGBM multiclass booster on per-frame window features.

    ``num_threads``: ``None`` or 0 = all cores. ``early_stopping_rounds`` applies when a
    validation set is given to `GbdtClassifier.fit`. ``class_weight``: ``"balanced"``
    weighs each class by inverse frequency (on top of any sample weights).
    """

    n_estimators: int = Field(400, ge=1)
    learning_rate: float = Field(0.05, gt=0.0, le=1.0)
    num_leaves: int = Field(31, ge=2)
    max_depth: int = Field(-1, ge=-1)
    min_child_samples: int = Field(20, ge=1)
    subsample: float = Field(0.8, gt=0.0, le=1.0)
    colsample_bytree: float = Field(0.5, gt=0.0, le=1.0)
    reg_lambda: float = Field(1.0, ge=0.0)
    early_stopping_rounds: int | None = Field(30, ge=1)
    class_weight: Literal["balanced"] | None = "balanced"
    num_threads: int | None = Field(None, ge=0)
    # ethome5 LORO pooled F1 (bench_accuracy, 5 folds' training time): 255 bins + every frame 0.762 (203 s);
    # 63 bins + every frame 0.755 (147 s); 63 bins + every 2nd frame 0.746 (89 s)
    max_bin: int = Field(255, ge=2)  # feature histogram bins
    frame_step: int = Field(1, ge=1)  # train on every Nth annotated frame (neighbours are near-duplicates)


ModelConfig = ConvBiLSTMConfig | TransformerConfig | CbasHeadConfig | GbdtConfig
CONFIG_CLASSES: dict[str, type[_Base]] = {
    "gbdt": GbdtConfig,
    "conv_bilstm": ConvBiLSTMConfig,
    "transformer": TransformerConfig,
    "cbas_head": CbasHeadConfig,
}


def check_family(name: str) -> Family:
    """Return ``name`` if it is a known family, else raise `ConfigError` listing the known ones."""
    if name not in CONFIG_CLASSES:
        raise ConfigError(f"unknown model family {name!r}; known families: {', '.join(MODEL_FAMILIES)}")
    return cast(Family, name)  # one of CONFIG_CLASSES' keys, which are the Family values


def resolve_config(family: str, config: dict | BaseModel | None = None) -> Any:
    """The validated, fully resolved config object of ``family``.

    Parameters
    ----------
    family
        One of `MODEL_FAMILIES`.
    config
        A dict of options, a config object of that family, or None for the defaults.

    Raises
    ------
    ConfigError
        On an unknown family, option or bad value.
    """
    cls = CONFIG_CLASSES[check_family(family)]
    if config is None:
        return cls()
    if isinstance(config, cls):
        return config
    if isinstance(config, BaseModel):
        raise ConfigError(f"a {type(config).__name__} cannot configure family {family!r}; pass a {cls.__name__}")
    if not isinstance(config, dict):
        raise ConfigError(f"model config must be a dict or {cls.__name__}, got {type(config).__name__}")
    return cls(**config)


def check_window(family: str, config: dict | BaseModel | None, window: int) -> Any:
    """`resolve_config`, and refuse a model whose pooling reaches past the training ``window``.

    ``cbas_head`` pools ``±attention_radius`` frames around each frame; the training window
    holds only ``window // 2`` either side of its centre (and inference chunks add that much
    context), so a larger radius would pool frames training never showed it. Other families
    are only resolved. Returns the resolved config.

    Raises
    ------
    ConfigError
        Naming the radius, the window and both ways out.
    """
    resolved = resolve_config(family, config)
    radius = resolved.attention_radius if family == "cbas_head" else 0
    if radius > window // 2:
        raise ConfigError(f"cbas_head's attention_radius {radius} pools {radius} frames either side of a frame, more "
                          f"than the training window holds ({window} frames: {window // 2} either side); pass "
                          f"--window {2 * radius + 1} or more, or a smaller attention_radius in --model-config")
    return resolved


def default_model_config(family: str, n_train_frames: int | None = None) -> dict[str, Any]:
    """The default options of ``family`` for a training set of ``n_train_frames`` frames.

    Returns only what the data size decides (``{"size": "small" | "full"}`` for torch
    families, ``{}`` for ``gbdt``), so user overrides such as ``{"size": "full"}`` or
    ``{"lstm_hidden": 128}`` merged on top (``{**default, **overrides}``) take effect.
    ``"full"`` is picked from `FULL_SIZE_MIN_FRAMES` annotated frames.
    """
    check_family(family)
    if family == "gbdt":
        return {}
    big = n_train_frames is not None and n_train_frames >= FULL_SIZE_MIN_FRAMES
    return {"size": "full" if big else "small"}


def _describe(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'config'}: {e['msg'].removeprefix('Value error, ')}"
        for e in error.errors()
    )
