"""Standalone model files: a torch classifier or an embedder as TorchScript, with its feature steps beside it.

``export_model(bundle, out)`` writes ``out`` (``.pt``, TorchScript: ``(B, T, F)`` float32 features
to ``(B, T, C)`` logits or ``(B, T, emb_dim)`` embeddings, any ``T``) and ``out`` + ``.json``:
what the input features are and how to make them (feature spec, column names, normalisation,
layout, fps, window) and what the output is (classes and calibration temperature, or embedding
size). The module needs only torch to run: ``torch.jit.load(out)``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ethoforge.atomic import atomic_path, write_text_atomic
from ethoforge.errors import ConfigError

EXPORT_FORMATS: tuple[str, ...] = ("torchscript",)
TRACE_FRAMES = 600  # example length: longer than the dense-attention limit, so the traced graph is the local one


def export_model(bundle_path: str | Path, out: str | Path, format: str = "torchscript") -> dict[str, Any]:
    """Write a standalone TorchScript file of a torch classifier or embedder bundle; return its description.

    Raises
    ------
    ConfigError
        An unknown format (ONNX is not available), or a gbdt bundle (LightGBM has its own ``model.lgb``).
    """
    import torch

    if format not in EXPORT_FORMATS:
        raise ConfigError(f"--format {format!r} is not available; expected one of {', '.join(EXPORT_FORMATS)} "
                          "(ONNX export is not implemented)")
    bundle = _load_any(Path(bundle_path))
    if bundle.family == "gbdt":
        raise ConfigError("a gbdt bundle has no torch module to export; its LightGBM model is model.lgb in the bundle")
    model = bundle.model("cpu").eval()
    n_features = len(bundle.meta["feature_names"])
    with torch.no_grad():
        traced = torch.jit.trace(model, torch.zeros(1, TRACE_FRAMES, n_features), check_trace=False)
    out = Path(out)
    with atomic_path(out) as temporary:
        torch.jit.save(traced, str(temporary))
    meta = bundle.meta
    description = {
        "format": format, "file": out.name, "source_bundle": str(Path(bundle_path).resolve()),
        "kind": meta.get("kind", "classifier"), "family": meta["family"],
        "input": {"shape": ["batch", "frames", n_features], "dtype": "float32",
                  "features": "ethoforge.features.compute_features(poses, FeatureSpec.from_dict(feature_spec)), "
                              "then the normalisation below (robust: x/scale, log1p if log else asinh; "
                              "then (y - mean) / std; non-finite -> 0)",
                  "feature_spec": meta["feature_spec"], "feature_names": meta["feature_names"],
                  "normalisation": meta["normalisation"], "individuals": meta["individuals"],
                  "keypoints": meta["keypoints"], "fps": meta["fps"],
                  "context_frames": int(meta["window"]) // 2},
        "output": ({"shape": ["batch", "frames", meta["embedding_dim"]], "meaning": "per-frame embeddings"}
                   if meta.get("kind") == "embedder" else
                   {"shape": ["batch", "frames", len(meta["classes"])], "meaning": "per-frame logits",
                    "classes": meta["classes"], "temperature": meta["calibration"]["temperature"]}),
    }
    write_text_atomic(out.with_name(out.name + ".json"), json.dumps(description, indent=1))
    return description


def _load_any(path: Path):
    meta_path = path / "bundle.json"
    if meta_path.is_file() and json.loads(meta_path.read_text(encoding="utf-8")).get("kind") == "embedder":
        from ethoforge.ssl.embedder import load_embedder

        return load_embedder(path)
    from ethoforge.inference.bundle import load_bundle

    return load_bundle(path)
