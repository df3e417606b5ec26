"""Model bundle files: write one atomically, read its description back.

A bundle is a folder (see docs/contracts.md, "Model bundle"): ``bundle.json`` describes
everything needed to run the model on a new recording — behaviors, classes, individuals,
keypoints, fps, feature spec and normalisation, window, family and model config,
calibration temperature, metrics, training config, package versions, created_at — beside
``weights.pt`` (torch ``state_dict``) or ``model.lgb`` (LightGBM), the training report and
the checkpoints. It is assembled in a ``.partial`` folder and renamed into place.

This module sits below both `ethoforge.training` (which writes bundles) and
`ethoforge.inference` (which runs them), so neither imports the other.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from ethoforge.errors import NotFoundError

BUNDLE_FILE = "bundle.json"
TORCH_WEIGHTS = "weights.pt"
GBDT_WEIGHTS = "model.lgb"
FORMAT_VERSION = 1


# --------------------------------------------------------------------------- writing


def write_bundle_files(
    directory: Path,
    *,
    data: Any,
    config: Any,
    model_config: dict,
    temperature: float,
    metrics: dict,
    history: list[dict],
    split: dict[str, list[str]],
    extra: dict | None = None,
    state_dict: dict | None = None,
    gbdt: Any = None,
    report: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict:
    """Write weights, report and ``bundle.json`` (last) into ``directory``; return the description.

    ``data`` is the `ethoforge.training.data.TrainingData` trained on (behaviors, classes,
    layout, fps, spec, feature names, normalisation) and ``config`` its `TrainConfig`.

    ``report`` is ``(y_true, y_prob)`` of the frames the report scores (test, else validation).
    """
    directory.mkdir(parents=True, exist_ok=True)
    if state_dict is not None:
        import torch

        torch.save(state_dict, directory / TORCH_WEIGHTS)
        weights = TORCH_WEIGHTS
    else:
        gbdt.save(directory / GBDT_WEIGHTS)
        weights = GBDT_WEIGHTS
    if report is not None:
        from ethoforge.evaluation.report import write_training_report

        write_training_report(
            directory, classes=data.classes, y_true=report[0], y_prob=report[1], history=history,
            split=split, config=config, seed=config.seed,
            extra={**(extra or {}), "calibration_temperature": temperature,
                   **({"notes": list(data.notes)} if getattr(data, "notes", None) else {})},
        )
    from ethoforge.evaluation.report import package_versions, to_plain

    description = to_plain({
        "format_version": FORMAT_VERSION,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "behaviors": data.behaviors,
        "classes": data.classes,
        "individuals": data.individuals,
        "keypoints": data.keypoints,
        "fps": data.fps,
        "feature_spec": spec_to_json(data.spec),
        "feature_names": data.feature_names,
        "normalisation": data.normalisation.to_dict(),
        "window": config.window,
        "family": config.family,
        "model_config": model_config,
        "weights": weights,
        "calibration": {"temperature": float(temperature)},
        "metrics": metrics,
        "training_config": config,
        "split": split,
        "notes": list(getattr(data, "notes", []) or []),
        "extra": extra or {},
        "versions": package_versions(),
    })
    from ethoforge.ssl.features import copy_embedder

    embedding = copy_embedder(data.spec, directory)
    if embedding is not None:  # features include a pretrained embedder's output (kept in the bundle)
        description["embedding"] = embedding
    write_json(directory / BUNDLE_FILE, description)
    return description


def commit_bundle(work: Path, out_dir: Path) -> Path:
    """Rename the finished ``work`` folder to ``out_dir`` (an existing ``out_dir`` is replaced)."""
    out_dir = Path(out_dir)
    old = None
    if out_dir.exists():
        old = out_dir.parent / f".{out_dir.name}.old-{uuid.uuid4().hex[:8]}"
        os.replace(out_dir, old)
    os.replace(work, out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return out_dir


def write_json(path: Path, value: Any) -> None:
    """Write ``value`` as JSON to ``path`` atomically (temp file + rename)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(value, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def spec_to_json(spec: Any) -> Any:
    if spec is None:
        return None
    if hasattr(spec, "to_dict"):
        return spec.to_dict()
    if hasattr(spec, "model_dump"):
        return spec.model_dump(mode="json")
    if dataclasses.is_dataclass(spec) and not isinstance(spec, type):  # an instance, not the class
        return dataclasses.asdict(spec)
    return spec


def spec_from_json(value: Any) -> Any:
    if value is None:
        return None
    from ethoforge.features import FeatureSpec

    if hasattr(FeatureSpec, "from_dict"):
        return FeatureSpec.from_dict(value)
    if hasattr(FeatureSpec, "model_validate"):
        return FeatureSpec.model_validate(value)
    return FeatureSpec(**value)




def read_meta(path: str | Path) -> dict:
    """The ``bundle.json`` description of the bundle folder ``path``.

    Raises
    ------
    NotFoundError
        When ``path`` holds no ``bundle.json``.
    """
    meta_path = Path(path) / BUNDLE_FILE
    if not meta_path.is_file():
        raise NotFoundError(f"{path} is not a model bundle (no {BUNDLE_FILE}); train one first")
    return json.loads(meta_path.read_text(encoding="utf-8"))


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax as float32."""
    z = logits - logits.max(axis=-1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=-1, keepdims=True)
    return z.astype(np.float32, copy=False)

