"""TrainConfig validation: bad values raise ConfigError naming the option."""

from __future__ import annotations

import pytest

from ethoforge.errors import ConfigError
from ethoforge.training.config import DEFAULT_FAMILY, TrainConfig, make_config


def test_defaults():
    config = TrainConfig()
    assert config.window == 31 and config.sampling == "balanced" and config.family == DEFAULT_FAMILY
    assert config.device == "auto" and config.trials == 1


@pytest.mark.parametrize("family, expected", [("gbdt", "none"), ("conv_bilstm", "robust"), ("transformer", "robust"),
                                             ("cbas_head", "robust")])
def test_normalisation_default_depends_on_family(family, expected):
    assert TrainConfig(family=family).normalisation == expected
    assert TrainConfig(family=family, normalisation="zscore").normalisation == "zscore"


@pytest.mark.parametrize("options, message", [
    ({"window": 30}, "window must be an odd"),
    ({"window": 0}, "window"),
    ({"lr": 0.0}, "lr must be > 0"),
    ({"lr": -1e-3}, "lr must be > 0"),
    ({"family": "resnet"}, "family"),
    ({"sampling": "oversample"}, "sampling"),
    ({"augment": "perm_id:p=2"}, "p must be in"),
    ({"augment": "shuffle"}, "unknown augmentation 'shuffle'"),
    ({"class_weights": {"a": -1}}, "class weights"),
    ({"epochs": 0}, "epochs"),
    ({"batchsize": 3}, "batchsize"),
])
def test_bad_values_raise_config_error(options, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**options)
    with pytest.raises(ConfigError, match=message):
        make_config(options)


def test_make_config_overrides_and_round_trips():
    config = make_config({"window": 11}, epochs=3, split={"val": ["r1"]})
    assert (config.window, config.epochs, config.split.val) == (11, 3, ["r1"])
    assert TrainConfig(**config.model_dump()) == config


def test_options_gbdt_ignores_are_named():
    from ethoforge.training.config import ignored_options

    assert ignored_options("gbdt", ["lr", "seed", "augment", "window", "trials"]) == ["window", "lr", "augment"]
    assert ignored_options("conv_bilstm", ["lr", "augment", "window"]) == []


def test_fine_tuning_defaults_apply_only_with_init_from_and_never_override_a_choice():
    from ethoforge.training.config import FINETUNE_ENCODER_LR_SCALE, FINETUNE_HEAD_EPOCHS

    tuned = TrainConfig(family="transformer", init_from="emb", lr=1e-3)
    assert tuned.freeze_epochs == FINETUNE_HEAD_EPOCHS == 2
    assert tuned.encoder_lr == pytest.approx(1e-3 * FINETUNE_ENCODER_LR_SCALE)
    chosen = TrainConfig(family="transformer", init_from="emb", freeze_epochs=0, encoder_lr=5e-3)
    assert chosen.freeze_epochs == 0 and chosen.encoder_lr == 5e-3
    plain = TrainConfig(family="transformer")
    assert plain.freeze_epochs == 0 and plain.encoder_lr is None
    assert TrainConfig.model_validate(tuned.model_dump()) == tuned  # a stored config reloads unchanged
