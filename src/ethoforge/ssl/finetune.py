"""Fine-tuning a transformer classifier from a pretrained embedder (``TrainConfig.init_from``).

The classifier takes the embedder's inputs (its feature spec and normalisation, so layouts map
by name and a missing keypoint or individual stops with the list of what is missing) and its
architecture; its encoder (``embed``, ``layers``, ``norm``) starts from the embedder's
weights, the head from scratch. ``freeze`` trains the head only (a linear probe);
``freeze_epochs`` trains the head only for that many epochs, then everything; ``encoder_lr``
gives the encoder its own learning rate (defaults: two head epochs, a tenth of ``lr``;
`ethoforge.training.config.FINETUNE_HEAD_EPOCHS`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ethoforge.errors import ConfigError

if TYPE_CHECKING:
    from torch import nn

    from ethoforge.ssl.embedder import Embedder
    from ethoforge.training.config import TrainConfig

HEAD_PREFIX = "head."


def embedder_of(config: TrainConfig) -> Embedder:
    """The embedder named by ``config.init_from`` (`ConfigError` when it is not one)."""
    from ethoforge.errors import NotFoundError
    from ethoforge.ssl.embedder import load_embedder

    try:
        return load_embedder(str(config.init_from))
    except (NotFoundError, ConfigError) as error:
        raise ConfigError(f"--init-from: {error}") from None


def model_config_from(embedder: Embedder, overrides: dict[str, Any]) -> dict[str, Any]:
    """The embedder's encoder config; ``overrides`` may change dropout only (the weights fix the rest)."""
    arch = dict(embedder.meta["model_config"])
    clash = {k: v for k, v in overrides.items() if k not in ("dropout", "size") and arch.get(k) != v}
    if clash:
        raise ConfigError(f"--model-config {clash} does not match the embedder's encoder "
                          f"{ {k: arch.get(k) for k in clash} }; leave these out with --init-from")
    return {**arch, **{k: v for k, v in overrides.items() if k == "dropout"}}


def load_encoder(model: nn.Module, embedder: Embedder, feature_names: list[str]) -> None:
    """Copy the embedder's encoder weights into ``model`` (a `TemporalTransformer`); the head stays new.

    Raises
    ------
    ConfigError
        The features differ from the embedder's (names listed) or a weight's shape differs.
    """
    expected = list(embedder.meta["feature_names"])
    if list(feature_names) != expected:
        missing = [n for n in expected if n not in feature_names]
        extra = [n for n in feature_names if n not in expected]
        raise ConfigError(f"--init-from: the training features differ from the embedder's; missing {missing[:20]}, "
                          f"not in the embedder {extra[:20]}")
    state = embedder.encoder().state_dict()
    own = model.state_dict()
    encoder_state = {k: v for k, v in state.items() if not k.startswith(HEAD_PREFIX)}
    wrong = [k for k, v in encoder_state.items() if k not in own or own[k].shape != v.shape]
    if wrong:
        raise ConfigError(f"--init-from: the embedder's weights {wrong[:10]} do not fit this model")
    model.load_state_dict(encoder_state, strict=False)


def param_groups(model: nn.Module, config: TrainConfig) -> list[dict[str, Any]]:
    """AdamW parameter groups: the encoder at ``encoder_lr`` (default ``lr``), the head at ``lr``.

    Each group has ``lr_scale`` (its rate over ``lr``) for the warm-up schedule.
    """
    encoder = [p for n, p in model.named_parameters() if not n.startswith(HEAD_PREFIX)]
    head = [p for n, p in model.named_parameters() if n.startswith(HEAD_PREFIX)]
    scale = (config.encoder_lr or config.lr) / config.lr
    return [{"params": encoder, "lr": config.lr * scale, "lr_scale": scale},
            {"params": head, "lr": config.lr, "lr_scale": 1.0}]


def set_encoder_frozen(model: nn.Module, config: TrainConfig, epoch: int) -> bool:
    """Freeze the encoder for a linear probe or the first ``freeze_epochs``; return whether it is frozen."""
    frozen = bool(config.freeze or epoch < (config.freeze_epochs or 0))
    for name, parameter in model.named_parameters():
        if not name.startswith(HEAD_PREFIX):
            parameter.requires_grad_(not frozen)
    return frozen
