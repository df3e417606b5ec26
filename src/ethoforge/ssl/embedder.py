"""Embedders: load a pretrained encoder bundle and turn recordings into per-frame embeddings.

An embedder bundle (`ethoforge.ssl.train`) describes its inputs as a classifier bundle does
(individuals, keypoints, feature spec, normalisation, window), so `Embedder` reuses
`ModelBundle`'s pose preparation and chunked, streaming feature computation; its model is the
encoder alone, whose "logits" are the ``(T, emb_dim)`` embeddings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from ethoforge.bundles.files import BUNDLE_FILE
from ethoforge.errors import ConfigError, NotFoundError
from ethoforge.inference.bundle import ModelBundle
from ethoforge.models.chunked import Progress

if TYPE_CHECKING:
    import xarray as xr

    from ethoforge.recording import Recording

EMBEDDER_KIND = "embedder"


def load_embedder(path: str | Path) -> Embedder:
    """Load an embedder bundle folder.

    Raises
    ------
    NotFoundError
        No ``bundle.json`` in ``path``.
    ConfigError
        The bundle is a classifier, not an embedder.
    """
    path = Path(path)
    meta_path = path / BUNDLE_FILE
    if not meta_path.is_file():
        raise NotFoundError(f"{path} is not a model bundle (no {BUNDLE_FILE}); pretrain one with `ethoforge pretrain`")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("kind") != EMBEDDER_KIND:
        raise ConfigError(f"{path} is a behavior classifier, not an embedder; pretrain one with `ethoforge pretrain`")
    return Embedder(path, meta)


class Embedder(ModelBundle):
    """A loaded embedder bundle: ``embed(recording)`` gives ``(T, emb_dim)`` float32."""

    @property
    def embedding_dim(self) -> int:
        return int(self.meta["embedding_dim"])

    @property
    def chunk_context(self) -> int:
        """Every frame the encoder sees (layers × attention radius; at least half the window), so
        embeddings computed in chunks equal one pass over the whole recording."""
        config = self.meta["model_config"]
        radius = config.get("attention_radius")
        seen = int(config["num_layers"]) * int(radius) if radius is not None else 0
        return max(self.window // 2, seen)

    @property
    def tasks(self) -> list[str]:
        return list(self.meta["tasks"])

    def encoder(self) -> Any:
        """The pretrained `TemporalTransformer` (weights loaded; its head is not part of the bundle)."""
        import torch

        from ethoforge.ssl.model import build_encoder

        encoder = build_encoder(len(self.meta["feature_names"]), self.meta["model_config"])
        state = torch.load(self.path / self.meta["weights"], map_location="cpu", weights_only=True)
        encoder.load_state_dict(state)
        return encoder

    def model(self, device: str = "cpu") -> Any:
        """`EmbeddingNet` in eval mode on ``device``: ``(B, T, F)`` → ``(B, T, emb_dim)``."""
        if self._model is None:
            from ethoforge.ssl.model import EmbeddingNet

            self._model = EmbeddingNet(self.encoder()).eval()
        self._model = self._model.to(device)
        return self._model

    def embed(
        self,
        recording_or_poses: Recording | xr.Dataset,
        *,
        device: str = "auto",
        chunk_frames: int | None = None,
        progress: Progress | None = None,
        keypoint_map: Mapping[str, str] | None = None,
        threads: int | None = None,
    ) -> np.ndarray:
        """Per-frame embeddings ``(T, emb_dim)`` float32 (chunks with `chunk_context` frames of context)."""
        return self.predict_logits(recording_or_poses, device=device, chunk_frames=chunk_frames, progress=progress,
                                   keypoint_map=keypoint_map, threads=threads)

    def embed_pieces(
        self, recording_or_poses: Recording | xr.Dataset, piece_frames: int = 65_536, **options: Any
    ):
        """Yield ``(start, embeddings)`` for consecutive pieces of ``piece_frames`` frames.

        Each piece is computed from its poses with `chunk_context` frames of context on each
        side, so memory stays flat however long the recording is.
        """
        poses = self.prepare_poses(recording_or_poses, options.pop("keypoint_map", None))
        n_frames = int(poses.sizes["time"])
        context = self.chunk_context
        for start in range(0, n_frames, piece_frames):
            stop = min(n_frames, start + piece_frames)
            first, last = max(0, start - context), min(n_frames, stop + context)
            piece = self.embed(poses.isel(time=slice(first, last)), **options)
            yield start, piece[start - first : stop - first]
