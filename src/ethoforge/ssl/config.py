"""`PretrainConfig`: the options of one pretraining run, with architecture presets.

Presets (``preset``) fill the architecture fields left unset: ``small`` (CPU) = embedding
32, 4 layers, 4 heads, feed-forward 64 — twice the width of the transformer classifier's own
``small`` size; ``ethoforge train --init-from`` takes the embedder's architecture; ``lisbet`` = 64 × 8
layers × 8 heads × 256 (LISBET's published size). A field set explicitly always wins.

Bad values raise `ethoforge.errors.ConfigError` naming the option as the caller knows it (the
CLI flag, the REST job's JSON field or the Python argument: `ethoforge.errors.voice`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ethoforge.errors import ConfigError, label, option
from ethoforge.ssl.pretext import SOCIAL_TASKS, TASKS

PRESETS: dict[str, dict[str, int]] = {
    "small": {"emb_dim": 32, "layers": 4, "heads": 4, "hidden": 64},
    "lisbet": {"emb_dim": 64, "layers": 8, "heads": 8, "hidden": 256},
}


class PretrainConfig(BaseModel):
    """Options of `ethoforge.ssl.pretrain` (all have defaults).

    ``tasks``: None = every task the data allow (`SOCIAL_TASKS` need two animals).
    ``window``: frames per pretext sample. ``train_sample``: share of all windows drawn per
    epoch and task. ``features``: overrides of the `FeatureSpec` (as ``TrainConfig.features``).
    ``augment``: pose augmentations in `ethoforge.training.augment` syntax, applied to every
    sample before its pretext transform.
    """

    model_config = ConfigDict(extra="forbid")

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as error:
            raise ConfigError(f"invalid pretraining config: {_describe(error)}") from None

    tasks: list[str] | None = None
    window: int = Field(64, ge=8, le=1_000_000)
    preset: Literal["small", "lisbet"] = "small"
    emb_dim: int | None = Field(None, ge=4, le=1024)
    layers: int | None = Field(None, ge=4, le=8)
    heads: int | None = Field(None, ge=1, le=16)
    hidden: int | None = Field(None, ge=4, le=8192)
    dropout: float = Field(0.1, ge=0.0, lt=1.0)
    attention_radius: int = Field(16, ge=1, le=1024)
    epochs: int = Field(10, ge=1)
    train_sample: float = Field(0.05, gt=0.0, le=1.0)
    batch_size: int = Field(64, ge=2)
    lr: float = Field(1e-3, gt=0.0)
    weight_decay: float = Field(1e-4, ge=0.0)
    max_shift: int = Field(60, ge=1)
    order_gap: int = Field(30, ge=0)  # largest gap, frames, between the order task's pre and post parts
    mask_ratio: float = Field(0.15, gt=0.0, lt=1.0)
    speed_margin: float = Field(0.1, ge=0.0, lt=0.5)
    augment: str = ""
    features: dict[str, Any] = Field(default_factory=dict)
    eval_samples: int = Field(256, ge=2)  # fixed held-out pretext samples per task (best checkpoint)
    seed: int = 0
    device: Literal["auto", "cpu", "cuda"] = "auto"
    resume: str | None = None
    num_threads: int | None = Field(None, ge=1)
    workers: int | None = Field(None, ge=0, le=64)  # processes making pretext batches; None: one per spare core (≤ 4)

    @field_validator("tasks", mode="before")
    @classmethod
    def _split_tasks(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [t.strip() for t in value.split(",") if t.strip()]
        if value is not None:
            unknown = [t for t in value if t not in TASKS]
            if unknown:
                raise ValueError(f"unknown task(s) {unknown}; known: {','.join(TASKS)}")
            if not value:
                raise ValueError(f"no task given; choose from {','.join(TASKS)}")
            value = list(dict.fromkeys(value))
        return value

    @model_validator(mode="after")
    def _fill_preset(self) -> PretrainConfig:
        for key, value in PRESETS[self.preset].items():
            if getattr(self, key) is None:
                object.__setattr__(self, key, value)
        if self.emb_dim % self.heads:  # type: ignore[operator]
            raise ValueError(f"{label('emb_dim')} ({self.emb_dim}) must be divisible by {label('heads')} ({self.heads})")
        if self.emb_dim % 2:  # type: ignore[operator]
            raise ValueError(f"{label('emb_dim')} must be even, got {self.emb_dim}")
        from ethoforge.training.augment import parse_augment

        try:
            parse_augment(self.augment)
        except ConfigError as error:
            raise ValueError(f"{label('augment')}: {error}") from None
        return self

    def transformer_config(self) -> dict[str, Any]:
        """The `ethoforge.models.TransformerConfig` options of the encoder."""
        return {"embed_dim": self.emb_dim, "num_layers": self.layers, "num_heads": self.heads, "ff_dim": self.hidden,
                "dropout": self.dropout, "attention_radius": self.attention_radius, "size": "small"}


def choose_tasks(config: PretrainConfig, n_individuals: int) -> list[str]:
    """The tasks to train: ``config.tasks`` checked against the data, or all that the data allow.

    Raises
    ------
    ConfigError
        A task needing two animals on one-animal data; the message names the tasks that remain.
    """
    possible = [t for t in TASKS if n_individuals >= 2 or t not in SOCIAL_TASKS]
    if config.tasks is None:
        return possible
    refused = [t for t in config.tasks if t not in possible]
    if refused:
        remaining = [t for t in config.tasks if t in possible] or possible
        raise ConfigError(
            f"task(s) {','.join(refused)} need at least two individuals; the recordings have {n_individuals}. "
            f"Tasks that remain: {','.join(remaining)} (pass {option('tasks', remaining)})")
    return list(config.tasks)


def _describe(error: ValidationError) -> str:
    parts = []
    for e in error.errors():
        field = ".".join(str(p) for p in e["loc"])
        message = e["msg"].removeprefix("Value error, ")
        parts.append(f"{label(field)}: {message}" if field else message)
    return "; ".join(parts)
