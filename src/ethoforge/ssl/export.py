"""Standalone model files: a torch classifier or an embedder as TorchScript or ONNX, with its feature steps beside it.

``export_model(bundle, out, format)`` writes ``out`` (``(B, T, F)`` float32 features to ``(B, T, C)``
logits or ``(B, T, emb_dim)`` embeddings) and ``out`` + ``.json``: what the input features are and
how to make them (feature spec, column names, normalisation, layout, fps, window) and what the
output is (classes and calibration temperature, or embedding size).

- ``torchscript`` (``.pt``): any ``T``; needs only torch to run: ``torch.jit.load(out)``.
- ``onnx`` (``.onnx``, torch's ``torch.export``-based exporter): batch and frames are dynamic, but
  frames must be at least ``input.min_frames`` (in the ``.json``). The transformer picks dense
  attention for short sequences and banded local attention for long ones (same result); the
  file holds the local path only, so a transformer needs more frames than its dense limit
  (``4 (2 radius + 1) + 1``, 133 for the default radius 16). Run it with ``onnxruntime``:
  ``InferenceSession(out).run(None, {"features": x})``. Where the exporter cannot keep frames
  dynamic (``cbas_head``), it fixes them at the example's length: ``input.fixed_frames`` (600)
  in the ``.json``; run such a file on chunks of exactly that many frames.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ethoforge.atomic import atomic_path, write_text_atomic
from ethoforge.errors import ConfigError

EXPORT_FORMATS: tuple[str, ...] = ("torchscript", "onnx")
TRACE_FRAMES = 600  # example length: longer than the dense-attention limit, so the traced graph is the local one
ONNX_MAX_FRAMES = 1_000_000  # upper bound of the dynamic frames axis of ONNX exports


def export_model(bundle_path: str | Path, out: str | Path, format: str = "torchscript") -> dict[str, Any]:
    """Write a standalone TorchScript or ONNX file of a torch classifier or embedder bundle; return its description.

    Raises
    ------
    ConfigError
        An unknown format, or a gbdt bundle (LightGBM has its own ``model.lgb``).
    """
    import torch

    if format not in EXPORT_FORMATS:
        raise ConfigError(f"--format {format!r} is not available; expected one of {', '.join(EXPORT_FORMATS)}")
    bundle = _load_any(Path(bundle_path))
    if bundle.family == "gbdt":
        raise ConfigError("a gbdt bundle has no torch module to export; its LightGBM model is model.lgb in the bundle")
    model = bundle.model("cpu").eval()
    n_features = len(bundle.meta["feature_names"])
    out = Path(out)
    min_frames, fixed_frames = 1, None
    if format == "onnx":
        min_frames = _onnx_min_frames(model)
        fixed_frames = _write_onnx(model, n_features, min_frames, out)
    else:
        with torch.no_grad():
            traced = torch.jit.trace(model, torch.zeros(1, TRACE_FRAMES, n_features), check_trace=False)
        with atomic_path(out) as temporary:
            torch.jit.save(traced, str(temporary))
    meta = bundle.meta
    description = {
        "format": format, "file": out.name, "source_bundle": str(Path(bundle_path).resolve()),
        "kind": meta.get("kind", "classifier"), "family": meta["family"],
        "input": {"name": "features", "shape": ["batch", fixed_frames or "frames", n_features], "dtype": "float32",
                  "min_frames": fixed_frames or min_frames, "fixed_frames": fixed_frames,
                  "features": "ethoforge.features.compute_features(poses, FeatureSpec.from_dict(feature_spec)), "
                              "then the normalisation below (robust: x/scale, log1p if log else asinh; "
                              "then (y - mean) / std; non-finite -> 0)",
                  "feature_spec": meta["feature_spec"], "feature_names": meta["feature_names"],
                  "normalisation": meta["normalisation"], "individuals": meta["individuals"],
                  "keypoints": meta["keypoints"], "fps": meta["fps"],
                  "context_frames": int(meta["window"]) // 2},
        "output": ({"shape": ["batch", fixed_frames or "frames", meta["embedding_dim"]], "meaning": "per-frame embeddings"}
                   if meta.get("kind") == "embedder" else
                   {"shape": ["batch", fixed_frames or "frames", len(meta["classes"])], "meaning": "per-frame logits",
                    "classes": meta["classes"], "temperature": meta["calibration"]["temperature"]}),
    }
    write_text_atomic(out.with_name(out.name + ".json"), json.dumps(description, indent=1))
    return description


def _onnx_min_frames(model: Any) -> int:
    """Fewest frames an ONNX export accepts: past the dense-attention limit of a local-attention transformer."""
    from ethoforge.models.transformer import _DENSE_FACTOR, _SelfAttention

    radii = [m.radius for m in model.modules() if isinstance(m, _SelfAttention) and m.radius is not None]
    return _DENSE_FACTOR * (2 * max(radii) + 1) + 1 if radii else 2


def _write_onnx(model: Any, n_features: int, min_frames: int, out: Path) -> int | None:
    """Export with dynamic batch and frames; return the fixed frame count where the exporter had to fix it.

    Outputs get the input's symbolic frames axis when the exporter left them a number (the BiLSTM's),
    so onnxruntime does not warn on every other length.
    """
    import onnx
    import torch

    example = torch.zeros(2, max(TRACE_FRAMES, min_frames), n_features)
    frames = torch.export.Dim("frames", min=min_frames, max=ONNX_MAX_FRAMES)
    with torch.no_grad():
        program = torch.onnx.export(model, (example,), dynamo=True, verbose=False, input_names=["features"],
                                    output_names=["output"],
                                    dynamic_shapes=({0: torch.export.Dim("batch"), 1: frames},))
    if program is None:  # only without dynamo; kept for the type checker
        raise RuntimeError("torch.onnx.export returned no program")
    with atomic_path(out) as temporary:
        program.save(str(temporary), external_data=False)
        graph = onnx.load(str(temporary))
        fixed = _symbolic_frames(graph)
        if fixed is None:
            onnx.save(graph, str(temporary))
    return fixed


def _symbolic_frames(model: Any) -> int | None:
    """Give the outputs of an ONNX ``model`` the input's symbolic frames axis and drop the intermediate
    shape notes (``value_info``, optional; onnxruntime infers them) that kept the example's length;
    return the input's frame count instead when it is a fixed number."""
    time_axis = model.graph.input[0].type.tensor_type.shape.dim[1]
    if not time_axis.dim_param:
        return int(time_axis.dim_value)
    for output in model.graph.output:
        dims = output.type.tensor_type.shape.dim
        if len(dims) == 3 and not dims[1].dim_param:
            dims[1].dim_param = time_axis.dim_param
    del model.graph.value_info[:]
    return None


def _load_any(path: Path):
    meta_path = path / "bundle.json"
    if meta_path.is_file() and json.loads(meta_path.read_text(encoding="utf-8")).get("kind") == "embedder":
        from ethoforge.ssl.embedder import load_embedder

        return load_embedder(path)
    from ethoforge.inference.bundle import load_bundle

    return load_bundle(path)
