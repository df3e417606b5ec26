"""Pose features plus a pretrained embedder's embeddings, as one feature source (``--features pose+embedding:MODEL``).

`PoseAndEmbedding` stands where a `FeatureSpec` stands in training data and model bundles:
``compute(poses)`` gives the pose features (with the spec's window statistics) followed by the
embedder's per-frame embeddings, columns ``embedding.emb_000`` …. A bundle trained on it
keeps a copy of the embedder in ``<bundle>/embedder/`` so it runs on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ethoforge.errors import ConfigError

if TYPE_CHECKING:
    import xarray as xr

    from ethoforge.features import FeatureMatrix, FeatureSpec
    from ethoforge.ssl.embedder import Embedder

EMBEDDER_SUBDIR = "embedder"
_PREFIX = "pose+embedding:"


def parse_feature_sources(text: str | None) -> str | None:
    """The embedder of ``"pose+embedding:MODEL"`` (``"MODEL"``); None for any other choice (pose, video...).

    Raises
    ------
    ConfigError
        ``pose+embedding:`` without a model.
    """
    if text is None or not text.strip().startswith(_PREFIX):
        return None
    model = text.strip()[len(_PREFIX):].strip()
    if not model:
        raise ConfigError(f"--features pose+embedding:MODEL needs an embedder id, name or folder, got {text!r}")
    return model


@dataclass
class PoseAndEmbedding:
    """A `FeatureSpec` (``pose``) whose features are followed by ``embedder``'s embeddings."""

    pose: FeatureSpec
    embedder: Embedder
    device: str = "cpu"

    def compute(self, poses: xr.Dataset) -> FeatureMatrix:
        """Pose features ``(T, F)`` then embeddings ``(T, E)``, with their names."""
        from ethoforge.features import FeatureMatrix, compute_features

        base = compute_features(poses, self.pose)
        embedded = self.embedder.embed(poses, device=self.device)
        names = [f"embedding.emb_{i:03d}" for i in range(embedded.shape[1])]
        return FeatureMatrix(np.concatenate([base.values, embedded], axis=1), [*base.names, *names])

    @property
    def context_frames(self) -> int:
        """Frames each side a frame depends on: the pose spec's plus the embedder's context."""
        return int(self.pose.context_frames) + self.embedder.chunk_context + self.embedder.feature_margin()

    def to_dict(self) -> dict[str, Any]:
        """The pose spec (the embedder is stored beside the bundle)."""
        return self.pose.to_dict()

    def __getattr__(self, name: str) -> Any:
        if name in ("pose", "embedder", "device"):
            raise AttributeError(name)
        return getattr(self.pose, name)


def with_embedding(spec: FeatureSpec, embedder_path: str, device: str = "cpu") -> PoseAndEmbedding:
    """``spec`` plus the embedder in ``embedder_path`` (`ConfigError` if it is not an embedder)."""
    from ethoforge.errors import NotFoundError
    from ethoforge.ssl.embedder import load_embedder

    try:
        embedder = load_embedder(embedder_path)
    except (NotFoundError, ConfigError) as error:
        raise ConfigError(f"--features pose+embedding: {error}") from None
    return PoseAndEmbedding(spec, embedder, device)


def copy_embedder(spec: Any, directory) -> dict | None:
    """Copy the embedder of a `PoseAndEmbedding` into ``directory/embedder``; its description for bundle.json."""
    if not isinstance(spec, PoseAndEmbedding):
        return None
    import shutil

    from ethoforge.bundles.files import BUNDLE_FILE

    target = directory / EMBEDDER_SUBDIR
    target.mkdir(parents=True, exist_ok=True)
    for name in (BUNDLE_FILE, spec.embedder.meta["weights"]):
        shutil.copy2(spec.embedder.path / name, target / name)
    return {"path": EMBEDDER_SUBDIR, "dim": spec.embedder.embedding_dim}
