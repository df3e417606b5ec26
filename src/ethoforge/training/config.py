"""`TrainConfig`: every training option, validated before any work starts.

The resolved config is saved in every checkpoint and in the model bundle, so a model can be
rebuilt from it. Invalid values raise `ethoforge.errors.ConfigError` (never pydantic's own
error type) so the CLI prints one line saying what to change.
"""

from __future__ import annotations

from typing import Any, Iterable, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ethoforge.errors import ConfigError, label

Family = Literal["gbdt", "conv_bilstm", "transformer", "cbas_head"]
FAMILIES: tuple[str, ...] = ("gbdt", "conv_bilstm", "transformer", "cbas_head")
Sampling = Literal["balanced", "weighted", "focal", "uniform"]
DEFAULT_FAMILY: Family = "gbdt"  # measured best on ethome5 LORO (see benchmarks/bench_accuracy.py)
LIMITS: dict[str, int] = {
    "epochs": 10_000,
    "batch_size": 65_536,
    "window": 2_001,
    "trials": 100,
    "samples_per_epoch": 10_000_000,
    "num_threads": 256,
}
"""Upper bounds of the options that size a run (a typo such as ``epochs: 1e9`` is refused
before the job is queued, instead of running for ever or running out of memory)."""
FINETUNE_HEAD_EPOCHS = 2
FINETUNE_ENCODER_LR_SCALE = 0.1
"""Fine-tuning defaults with ``init_from``: the head alone for two epochs, then the encoder at a
tenth of ``lr`` (on ethome5 at 1 % and 5 % labels +0.034 and +0.035 F1 over full-rate fine-tuning
with one head epoch, paired intervals excluding 0: docs/ssl.md)."""
LAYOUT_FEATURE_FIELDS: tuple[str, ...] = ("individuals", "keypoints", "fps")
"""`FeatureSpec` fields taken from the recordings, never from ``TrainConfig.features``."""


class SplitConfig(BaseModel):
    """Which recordings (or time blocks of them) go to train, validation and test.

    ``mode``: ``recordings`` (whole recordings, never frames of one recording on two sides),
    ``blocks`` (contiguous time blocks of each recording, a gap of at least the window between
    training and validation blocks, every behavior on both sides; for one or two labelled
    recordings) or ``auto`` (by recording when that works, else blocks; see
    `ethoforge.training.split.choose_split`). By recording, explicit lists win; recordings not
    listed anywhere go to ``train``. Without lists, a seeded shuffle puts
    ``round(val_fraction * n)`` (at least 1) recordings in validation and
    ``round(test_fraction * n)`` in test. By blocks, ``val_fraction`` of the annotated frames
    validate and ``test`` recordings are held out whole.
    """

    model_config = ConfigDict(extra="forbid")

    mode: Literal["auto", "recordings", "blocks"] = "auto"
    train: list[str] | None = None
    val: list[str] | None = None
    test: list[str] | None = None
    # default= by keyword: mypy reads a positional Field default as no default
    val_fraction: float = Field(default=0.2, ge=0.0, lt=1.0)
    test_fraction: float = Field(default=0.0, ge=0.0, lt=1.0)
    seed: int = 0


class TrainConfig(BaseModel):
    """Options of one training run (all have defaults; see the field comments).

    ``sampling``: ``"balanced"`` draws window centres with a class-balanced
    ``WeightedRandomSampler``; ``"weighted"`` draws uniformly and weights the cross-entropy
    by inverse class frequency; ``"focal"`` uses focal loss with ``focal_gamma``;
    ``"uniform"`` plain cross-entropy. ``class_weights`` (``{class name: weight}``, classes
    not named weigh 1) replaces the automatic weights of ``"weighted"``/``"focal"``.
    ``augment`` uses the syntax ``"perm_id:p=0.5,blk_perm_id:p=0.3:frac=0.2"`` (see
    `ethoforge.training.augment`).
    Upper bounds (`LIMITS`): ``epochs`` 10,000, ``batch_size`` 65,536, ``window`` 2,001,
    ``trials`` 100, ``samples_per_epoch`` 10,000,000, ``num_threads`` 256. ``features`` holds
    overrides of `ethoforge.features.FeatureSpec` fields only (unknown names are refused).

    The default family is ``gbdt``. Measured on ethome5 leave-one-recording-out pooled frame
    F1 for ``interact`` (``benchmarks/bench_accuracy.py --families gbdt --rotations 4``, 2 CPU
    cores, one run): 0.736 averaged over the four choices of validation recording (0.770 on the
    first split alone, the best of the four and the one tuned on: optimistic); the
    human reference is 0.798 (not reached; attempts in docs/accuracy.md). Inference speeds per
    family: see benchmarks/bench_inference.py.
    """

    model_config = ConfigDict(extra="forbid")

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as error:
            raise ConfigError(f"invalid training config: {_describe(error)}") from None

    family: Family = DEFAULT_FAMILY
    model: dict[str, Any] = Field(default_factory=dict)  # overrides of default_model_config
    features: dict[str, Any] = Field(default_factory=dict)  # overrides of the FeatureSpec
    # (a string "pose" | "video:ENC" | "pose+video:ENC" is read by ethoforge.video.features.parse_feature_choice)
    # see ethoforge.bundles.normalise; None: "none" for gbdt (trees ignore rescaling), else "robust"
    normalisation: Literal["robust", "zscore", "none"] | None = None
    window: int = Field(31, le=LIMITS["window"])  # frames of context per training sample (odd: the centre frame is labelled)
    batch_size: int = Field(256, ge=1, le=LIMITS["batch_size"])
    lr: float = 2e-3
    epochs: int = Field(30, ge=1, le=LIMITS["epochs"])
    # windows drawn per epoch (None: every annotated train frame); 4096 keeps one epoch of the small
    # torch presets at seconds on 2 CPU cores (benchmarks/bench_epoch.py)
    samples_per_epoch: int | None = Field(4096, ge=1, le=LIMITS["samples_per_epoch"])
    weight_decay: float = Field(1e-4, ge=0.0)
    grad_clip: float | None = Field(1.0, gt=0.0)
    warmup_epochs: int = Field(1, ge=0)  # linear warm-up, then ReduceLROnPlateau on val macro-F1
    plateau_patience: int = Field(3, ge=0)
    plateau_factor: float = Field(0.5, gt=0.0, lt=1.0)
    patience: int | None = Field(8, ge=1)  # early stopping on val macro-F1 (None: off)
    trials: int = Field(1, ge=1, le=LIMITS["trials"])  # independent trials; the best by val macro-F1 is kept
    seed: int = 0
    sampling: Sampling = "balanced"
    class_weights: dict[str, float] | None = None
    focal_gamma: float = Field(2.0, ge=0.0)
    augment: str = ""
    split: SplitConfig = Field(default_factory=SplitConfig)
    calibrate: bool = True  # fit a temperature on the validation set
    device: Literal["auto", "cpu", "cuda"] = "auto"
    checkpoint_every: int = Field(0, ge=0)  # also keep checkpoints/epoch_XXX.pt every N epochs
    resume: str | None = None  # path of a checkpoint to continue from
    num_threads: int | None = Field(None, ge=1, le=LIMITS["num_threads"])  # torch CPU threads (None: torch's default)

    @field_validator("features", mode="before")
    @classmethod
    def _feature_choice(cls, value: Any) -> Any:
        if isinstance(value, str):
            from ethoforge.video.features import parse_feature_choice

            return parse_feature_choice(value)
        return value
    # fine-tuning from a pretrained embedder bundle (ethoforge.ssl.finetune); transformer only
    init_from: str | None = None  # embedder bundle folder whose encoder the model starts from
    freeze: bool = False  # train the head only (linear probe)
    # head only for this many epochs, then everything (None: FINETUNE_HEAD_EPOCHS with init_from, else 0)
    freeze_epochs: int | None = Field(None, ge=0)
    # learning rate of the pretrained encoder (None: lr x FINETUNE_ENCODER_LR_SCALE with init_from)
    encoder_lr: float | None = Field(None, gt=0)
    embedding: str | None = None  # embedder bundle folder whose embeddings are appended to the pose features

    @field_validator("window")
    @classmethod
    def _odd_window(cls, value: int) -> int:
        if value < 1 or value % 2 == 0:
            raise ValueError(f"window must be an odd number of frames >= 1 (centre frame labelled), got {value}")
        return value

    @field_validator("features")
    @classmethod
    def _known_features(cls, value: dict[str, Any]) -> dict[str, Any]:
        from ethoforge.features.spec import FeatureSpec

        known = sorted(set(FeatureSpec.model_fields) - set(LAYOUT_FEATURE_FIELDS))
        unknown = sorted(str(k) for k in value if k not in known)
        if unknown:
            raise ValueError(f"unknown feature option(s) {unknown}; expected some of {known} (individuals, "
                             "keypoints and fps come from the recordings)")
        return value

    @field_validator("lr")
    @classmethod
    def _positive_lr(cls, value: float) -> float:
        if not value > 0:
            raise ValueError(f"lr must be > 0, got {value}")
        return value

    @field_validator("class_weights")
    @classmethod
    def _positive_weights(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is not None:
            bad = {k: v for k, v in value.items() if not v >= 0}
            if bad:
                raise ValueError(f"class weights must be >= 0, got {bad}")
        return value

    @model_validator(mode="after")
    def _check_augment(self) -> "TrainConfig":
        from ethoforge.training.augment import parse_augment

        parse_augment(self.augment)  # raises ConfigError on bad syntax
        return self

    @model_validator(mode="after")
    def _check_init_from(self) -> "TrainConfig":
        if self.init_from is not None and self.family != "transformer":
            raise ValueError(f"init_from (--init-from) needs the transformer family (its encoder is what an embedder "
                             f"holds), got {self.family!r}; pass --model transformer")
        used = [flag for flag, on in (("--freeze", self.freeze), ("--freeze-epochs", bool(self.freeze_epochs)),
                                      ("--encoder-lr", self.encoder_lr is not None)) if on]
        if used and self.init_from is None:
            raise ValueError(f"{', '.join(used)} only apply with --init-from EMBEDDER")
        if self.init_from is None:
            self.freeze_epochs = 0
        else:  # the recipe measured best with few labels (docs/ssl.md): head first, then a slow encoder
            if self.freeze_epochs is None:
                self.freeze_epochs = FINETUNE_HEAD_EPOCHS
            if self.encoder_lr is None:
                self.encoder_lr = self.lr * FINETUNE_ENCODER_LR_SCALE
        return self

    @model_validator(mode="after")
    def _resolve_normalisation(self) -> "TrainConfig":
        if self.normalisation is None:
            self.normalisation = "none" if self.family == "gbdt" else "robust"
        return self


GBDT_IGNORES: tuple[str, ...] = (
    "window", "lr", "batch_size", "epochs", "samples_per_epoch", "weight_decay", "grad_clip", "warmup_epochs",
    "plateau_patience", "plateau_factor", "patience", "focal_gamma", "augment", "checkpoint_every", "resume",
    "device", "num_threads",
)
"""`TrainConfig` options of the torch loop that the ``gbdt`` family (LightGBM on window features) does not use."""


def ignored_options(family: str, given: Iterable[str]) -> list[str]:
    """The options in ``given`` (names set by the user) that ``family`` ignores, in `GBDT_IGNORES` order."""
    given = set(given)
    return [name for name in GBDT_IGNORES if name in given] if family == "gbdt" else []


def _describe(error: ValidationError) -> str:
    """Each problem as ``<option>: <what is wrong>``, the option named in the reader's voice (`label`)."""
    return "; ".join(f"{_field(e['loc'])}: {e['msg'].removeprefix('Value error, ')}" for e in error.errors())


def _field(loc: tuple) -> str:
    path = ".".join(str(p) for p in loc)
    if not path:
        return "config"
    return label(path) if len(loc) == 1 or loc[0] == "split" else path


def make_config(config: TrainConfig | dict[str, Any] | None = None, **overrides: Any) -> TrainConfig:
    """Build and validate a `TrainConfig` (raises `ConfigError` on a bad value); a config is returned as is.

    Parameters
    ----------
    config
        A config, a dict of options, or None for the defaults.
    **overrides
        Options that replace those in ``config``.
    """
    if isinstance(config, TrainConfig) and not overrides:
        return config  # validated when it was built
    data = config.model_dump() if isinstance(config, TrainConfig) else dict(config or {})
    data.update(overrides)
    return TrainConfig(**data)
