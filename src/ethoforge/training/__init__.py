"""Training: config, data and windows, samplers and losses, augmentations, the loop, calibration.

Modules: `config` (`TrainConfig`), `data` (features + per-frame targets, windows by index,
splits by recording), `sampling` (balanced sampler, weighted / focal losses), `augment`
(pose augmentations), `calibration` (temperature scaling), `loop` (`train`,
`train_one_epoch`, `evaluate`), `gbdt` (the LightGBM family behind the same `train`).
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "TrainConfig": "ethoforge.training.config",
    "SplitConfig": "ethoforge.training.config",
    "make_config": "ethoforge.training.config",
    "TrainingData": "ethoforge.training.data",
    "RecordingData": "ethoforge.training.data",
    "build_training_data": "ethoforge.training.data",
    "train": "ethoforge.training.loop",
    "train_one_epoch": "ethoforge.training.loop",
    "evaluate": "ethoforge.training.loop",
    "TrainResult": "ethoforge.training.loop",
    "TrainingCancelled": "ethoforge.training.loop",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'ethoforge.training' has no attribute {name!r}")
