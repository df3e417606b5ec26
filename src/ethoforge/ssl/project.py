"""Project-level pretraining and embedding: what ``ethoforge pretrain`` and ``embed`` call.

Pretraining reads project recordings (or pose files), writes the embedder bundle under
``PROJECT/training/<run>/`` and registers it as a model of kind ``embedder``. Embedding takes
a registered embedder (id or name) or a bundle folder.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ethoforge.errors import ConfigError

if TYPE_CHECKING:
    from ethoforge.recording import Recording
    from ethoforge.store import Project
    from ethoforge.store.registry import ModelInfo
    from ethoforge.ssl.train import PretrainResult

EMBEDDINGS_DIR = "embeddings"  # PROJECT/embeddings/model_<id>/: default output of `embed_many`


@dataclass(frozen=True)
class PretrainedModel:
    """A registered embedder and the run that made it."""

    info: ModelInfo
    bundle: Path
    result: PretrainResult

    def to_dict(self) -> dict:
        return {"model_id": self.info.id, "model_name": self.info.name, "kind": self.info.kind,
                "bundle": str(self.bundle), **{k: v for k, v in self.result.to_dict().items() if k != "path"}}


def pretrain_in_project(
    project: Project,
    options: Mapping[str, Any],
    *,
    recordings: Sequence[str] | None = None,
    dataset: str | None = None,
    progress: Callable[[int, int, dict], bool | None] | None = None,
    name: str | None = None,
) -> PretrainedModel:
    """Pretrain an embedder on project recordings (no labels needed) and register it.

    Parameters
    ----------
    options
        `PretrainConfig` options (checked before any recording is read).
    recordings
        Recording names or ids, or pose files (default: the dataset's, else every recording).
    dataset
        A dataset whose recordings are the default; the embedder is registered under it.

    Raises
    ------
    ConfigError
        A bad option, or no recordings.
    """
    from ethoforge.ssl.config import PretrainConfig
    from ethoforge.ssl.train import EMBEDDER_KIND, pretrain
    from ethoforge.store import registry
    from ethoforge.workflows import TRAINING_DIR, _remove_if_empty

    config = PretrainConfig(**dict(options))
    dataset_name = project.get_dataset(dataset).name if dataset is not None else None
    if not recordings:
        recordings = project.get_dataset(dataset).recordings if dataset is not None else \
            [r.name for r in project.recordings()]
    if not recordings:
        raise ConfigError("no recordings to pretrain on; import poses first or pass --recordings")
    loaded = load_sources(project, recordings)
    run_dir = project.root / TRAINING_DIR / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    run_dir.mkdir(parents=True)
    try:
        result = pretrain(loaded, config, run_dir / "bundle", progress)
        plain = config.model_dump(mode="json")
        plain.pop("resume", None)
        info = registry.register_model(project, dataset_name, result.path, "transformer", metrics=result.metrics,
                                       config=plain, name=name, kind=EMBEDDER_KIND)
    finally:
        _remove_if_empty(run_dir)
    return PretrainedModel(info, project.root / info.path, result)


def load_sources(project: Project | None, sources: Sequence[str | Path], fps: float | None = None) -> list[Recording]:
    """Recordings from project names/ids or pose files (names first)."""
    from ethoforge.workflows import _load_source

    names = [str(s) for s in sources]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"--recordings lists {duplicates} more than once")
    return [_load_source(source, project, fps) for source in sources]


def embed_many(
    model: str | int | Path,
    sources: Sequence[str | Path],
    out_dir: str | Path | None = None,
    *,
    project: Project | None = None,
    device: str = "auto",
    formats: Sequence[str] = ("parquet", "netcdf"),
    piece_frames: int = 65_536,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict[str, dict[str, Path]]:
    """Write the embeddings of every source (see `ethoforge.ssl.embeddings`); ``{recording: {format: path}}``.

    ``out_dir`` defaults to ``PROJECT/embeddings/model_<id>`` (``./embeddings`` without a project).
    """
    from ethoforge.models.chunked import resolve_device
    from ethoforge.ssl.embedder import load_embedder
    from ethoforge.ssl.embeddings import write_embeddings
    from ethoforge.workflows import resolve_model

    if not sources:
        raise ConfigError("nothing to embed; pass --recordings NAME_OR_FILE...")
    device = resolve_device(device)
    path, info = resolve_model(project, model)
    embedder = load_embedder(path)
    if out_dir is None:
        out_dir = (project.root / EMBEDDINGS_DIR / f"model_{info.id}") if (project and info) else Path(EMBEDDINGS_DIR)
    names = [str(s) for s in sources]
    if len(set(names)) != len(names):
        raise ConfigError(f"--recordings lists {sorted({n for n in names if names.count(n) > 1})} more than once")
    from ethoforge.workflows import _load_source

    outputs = {}
    for index, source in enumerate(sources):  # one recording in memory at a time
        recording = _load_source(source, project, None)

        def report(done: int, total: int, name: str = recording.name, index: int = index) -> None:
            if progress is not None:
                progress(index * 1000 + (1000 * done) // max(total, 1), 1000 * len(sources), name)

        outputs[recording.name] = write_embeddings(embedder, recording, out_dir, formats=formats,
                                                   piece_frames=piece_frames, device=device, progress=report)
    return outputs
