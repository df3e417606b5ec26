"""Project-level pretraining and embedding: what ``ethoforge pretrain`` and ``embed`` call.

Pretraining reads project recordings (or pose files), writes the embedder bundle under
``PROJECT/training/<run>/`` and registers it as a model of kind ``embedder``. Embedding takes
a registered embedder (id or name) or a bundle folder.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ethoforge.errors import ConfigError, NotFoundError

if TYPE_CHECKING:
    from ethoforge.recording import Recording
    from ethoforge.ssl.config import PretrainConfig
    from ethoforge.ssl.train import PretrainResult
    from ethoforge.store import Project
    from ethoforge.store.registry import ModelInfo

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


@dataclass(frozen=True)
class PretrainRequest:
    """A pretraining run checked against the project (`check_pretrain_request`), not yet started."""

    config: PretrainConfig
    sources: list[str | Path]
    dataset: str | None
    tasks: list[str] | None  # None when some sources are pose files (checked once they are read)


def check_pretrain_request(
    project: Project,
    options: Mapping[str, Any],
    *,
    recordings: Sequence[str | int | Path] | None = None,
    dataset: str | int | None = None,
    files: bool = True,
) -> PretrainRequest:
    """Check a pretraining run before any recording is read: the one check of the CLI, the
    Python API and the ``pretrain`` job (which runs it before the job is queued).

    Parameters
    ----------
    options
        `PretrainConfig` options.
    recordings
        Recording names or ids (or pose files, when ``files``); default the dataset's, else
        every recording of the project.
    dataset
        Dataset name or id whose recordings are the default.
    files
        Accept pose files among ``recordings`` (the CLI does; a job takes only project
        recordings).

    Raises
    ------
    ConfigError
        A bad option; no, unknown, duplicated or pose-less recordings; a window longer than
        every recording; a task the animals do not allow (see `ethoforge.ssl.train.check_pretrain`).
    NotFoundError
        No such dataset.
    """
    from ethoforge.errors import label
    from ethoforge.ssl.config import PretrainConfig
    from ethoforge.ssl.train import check_pretrain

    config = PretrainConfig(**dict(options))
    dataset_name = project.get_dataset(dataset).name if dataset is not None else None
    if not recordings:
        recordings = project.get_dataset(dataset).recordings if dataset is not None else \
            [r.name for r in project.recordings() if r.has_poses]
    if not recordings:
        raise ConfigError(f"no recordings to pretrain on; import poses first or pass {label('recordings')}")
    names = [str(s) for s in recordings]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"{label('recordings')} lists {duplicates} more than once")
    infos = []
    for source in recordings:
        try:
            info = project.get_recording(source) if not isinstance(source, Path) else None
        except NotFoundError:
            info = None
        if info is None:
            if files and Path(str(source)).expanduser().is_file():
                continue
            raise ConfigError(f"{label('recordings')}: {str(source)!r} is not a recording of the project")
        if not info.has_poses:
            raise ConfigError(f"{label('recordings')}: recording {info.name!r} has no poses (video only); "
                              "pretraining reads keypoints")
        infos.append(info)
    tasks = check_pretrain(infos, config)[0] if len(infos) == len(recordings) else None
    sources: list[str | Path] = [s if isinstance(s, Path) else str(s) for s in recordings]
    return PretrainRequest(config, sources, dataset_name, tasks)


def pretrain_in_project(
    project: Project,
    options: Mapping[str, Any],
    *,
    recordings: Sequence[str | int | Path] | None = None,
    dataset: str | int | None = None,
    progress: Callable[[int, int, dict], bool | None] | None = None,
    name: str | None = None,
    run_dir: Path | None = None,
    should_stop: Callable[[], bool] | None = None,
    loading: Callable[[int, int, str], bool | None] | None = None,
) -> PretrainedModel:
    """Pretrain an embedder on project recordings (no labels needed) and register it: the one
    pretraining workflow of the CLI, the job worker and the Python API.

    The run is checked first (`check_pretrain_request`); the bundle is written to
    ``<run_dir>/bundle`` and moved into the registry when pretraining succeeds. An
    interrupted run keeps its checkpoints in ``<run_dir>/.bundle.partial/checkpoints/``
    (pass ``resume`` in ``options`` to continue from ``latest.pt``).

    Parameters
    ----------
    options
        `PretrainConfig` options.
    recordings
        Recording names or ids, or pose files (a CalMS21/MABe file gives every sequence it holds;
        default: the dataset's, else every recording).
    dataset
        A dataset whose recordings are the default; the embedder is registered under it.
    progress
        ``progress(epoch, epochs, row)`` after each epoch (see `ethoforge.ssl.pretrain`);
        returning False cancels.
    run_dir
        The run's work folder (default a new ``PROJECT/training/<run>/``, removed at the end
        unless it holds checkpoints).
    should_stop
        Asked before every step and once more before the embedder is registered; True stops
        (`Cancelled`, nothing registered).
    loading
        ``loading(done, total, name)`` after each recording is read; False stops.

    Raises
    ------
    ConfigError
        A bad option, or no recordings (before any recording is read).
    Cancelled
        ``progress`` or ``loading`` returned False, or ``should_stop`` True.
    """
    from ethoforge.errors import Cancelled
    from ethoforge.ssl.train import EMBEDDER_KIND, pretrain
    from ethoforge.store import registry
    from ethoforge.workflows import BUNDLE_DIR, TRAINING_DIR, _load_source, _remove_if_empty

    request = check_pretrain_request(project, options, recordings=recordings, dataset=dataset)
    loaded = []
    for index, source in enumerate(request.sources):
        loaded += _sequences_of(source, project) or [_load_source(source, project, None)]
        if loading is not None and loading(index + 1, len(request.sources), loaded[-1].name) is False:
            raise Cancelled(f"stopped after reading {index + 1} of {len(request.sources)} recordings")
    own_dir = run_dir is None
    if run_dir is None:
        run_dir = project.root / TRAINING_DIR / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        result = pretrain(loaded, request.config, run_dir / BUNDLE_DIR, progress, should_stop=should_stop)
        if should_stop is not None and should_stop():
            shutil.rmtree(result.path, ignore_errors=True)
            raise Cancelled("stopped after pretraining, before the embedder was registered")
        plain = request.config.model_dump(mode="json")
        plain.pop("resume", None)
        info = registry.register_model(project, request.dataset, result.path, "transformer", metrics=result.metrics,
                                       config=plain, name=name, kind=EMBEDDER_KIND)
    finally:
        if own_dir:
            _remove_if_empty(run_dir)
    return PretrainedModel(info, project.root / info.path, result)


def _sequences_of(source: str | Path, project: Project) -> list[Recording] | None:
    """Every recording of a CalMS21/MABe pose file given as a source (not a project recording's name);
    None for anything else (loaded as one recording)."""
    from ethoforge.io.poses import COLLECTION_FORMATS, detect_pose_format, load_pose_collection

    if not isinstance(source, Path):
        try:
            project.get_recording(source)
            return None
        except NotFoundError:
            pass
    path = Path(source).expanduser()
    if not path.is_file() or detect_pose_format(path) not in COLLECTION_FORMATS:
        return None
    project.own_files.check(path, given_as="--recordings")
    return load_pose_collection(path)


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


DISCOVERY_DIR = "discovery"  # PROJECT/discovery/model_<id>/: default output of `discover_many`
MAP_POINTS = 20_000  # frames drawn on the map


@dataclass(frozen=True)
class DiscoveryRun:
    """What ``discover`` wrote (``files``), with the adjusted mutual information of motifs vs labels."""

    out_dir: Path
    clusters: int
    map_method: str
    ami: float | None
    ami_per_recording: dict[str, float]
    files: dict[str, str]

    def to_dict(self) -> dict:
        return {"out_dir": str(self.out_dir), "clusters": self.clusters, "map": self.map_method, "ami": self.ami,
                "ami_per_recording": self.ami_per_recording, "files": self.files}


def discover_many(
    model: str | int | Path,
    sources: Sequence[str | Path],
    out_dir: str | Path | None = None,
    *,
    project: Project | None = None,
    clusters: int = 8,
    behaviors: str | Sequence[str] | None = None,
    method: str = "kmeans",
    map_method: str = "auto",
    seed: int = 0,
    device: str = "auto",
    progress: Callable[[int, int, str], None] | None = None,
) -> DiscoveryRun:
    """Motifs from an embedder's embeddings: k-means or an HMM (``method``), per-frame motifs, bouts, ethograms, a 2-D map.

    Writes into ``out_dir`` (default ``PROJECT/discovery/model_<id>``, replaced whole when
    finished): ``motifs.parquet`` (recording, frame, motif), ``motif_bouts.csv``,
    ``ethogram_<recording>.png``, ``map.png`` and, where the project holds human labels of
    ``behaviors`` (default: every behavior labelled in those recordings), ``motif_behavior.csv``
    (frame counts) with the adjusted mutual information in ``summary.json``.

    Raises
    ------
    ConfigError
        Before any work: a bad ``clusters``, ``method`` or no sources.
    """
    from ethoforge.models.chunked import resolve_device
    from ethoforge.labels import HUMAN_SOURCES, parse_behaviors
    from ethoforge.ssl.discover import DISCOVERY_METHODS, fit_motifs
    from ethoforge.ssl.embedder import load_embedder
    from ethoforge.workflows import _load_source, resolve_model

    if method not in DISCOVERY_METHODS:
        raise ConfigError(f"--method {method!r} is not available; expected one of {', '.join(DISCOVERY_METHODS)}")
    if clusters < 2:
        raise ConfigError(f"--clusters must be at least 2, got {clusters}")
    if not sources:
        raise ConfigError("nothing to discover on; pass --recordings NAME_OR_FILE...")
    device = resolve_device(device)
    path, info = resolve_model(project, model)
    embedder = load_embedder(path)
    if out_dir is None:
        out_dir = (project.root / DISCOVERY_DIR / f"model_{info.id}") if (project and info) else Path(DISCOVERY_DIR)
    out_dir = Path(out_dir)
    embeddings: dict[str, np.ndarray] = {}
    fps: dict[str, float] = {}
    labelled: dict[str, list] = {}
    for index, source in enumerate(sources):
        recording = _load_source(source, project, None)
        embeddings[recording.name] = embedder.embed(recording, device=device)
        fps[recording.name] = recording.fps
        if project is not None and not isinstance(source, Path):
            try:
                labelled[recording.name] = project.get_bouts(recording.name, sources=HUMAN_SOURCES)
            except NotFoundError:  # a pose file, not a project recording: no labels
                pass
        if progress is not None:
            progress(index + 1, len(sources) + 1, recording.name)
    behavior_list = parse_behaviors(behaviors) if behaviors else sorted(
        {b.behavior for bouts in labelled.values() for b in bouts})
    motifs = fit_motifs(embeddings, clusters, seed=seed, method=method)
    work = out_dir.parent / f".{out_dir.name}.partial"
    work.mkdir(parents=True, exist_ok=True)
    try:
        run = _write_discovery(work, out_dir, path, embeddings, fps, labelled, behavior_list, motifs, clusters,
                               method, map_method, seed)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)  # nothing stored on failure
        raise
    if progress is not None:
        progress(len(sources) + 1, len(sources) + 1, "done")
    return run


def _write_discovery(work: Path, out_dir: Path, path: Path, embeddings: dict, fps: dict, labelled: dict,
                     behavior_list: list[str], motifs: Any, clusters: int, method: str, map_method: str,
                     seed: int) -> DiscoveryRun:
    import json

    import pandas as pd

    from ethoforge.bundles.files import commit_bundle
    from ethoforge.inference.ethogram import plot_ethogram
    from ethoforge.labels import bouts_to_dataframe, frames_to_bouts
    from ethoforge.ssl.discover import motif_behavior_table, pca_map
    from ethoforge.ssl.figures import plot_motif_map
    from ethoforge.training.data import frame_targets

    files: dict[str, str] = {}
    rows = [pd.DataFrame({"recording": name, "frame": np.arange(len(m), dtype=np.int64), "motif": m})
            for name, m in motifs.per_recording.items()]
    pd.concat(rows, ignore_index=True).to_parquet(work / "motifs.parquet", index=False)
    bouts = []
    for name, per_frame in motifs.per_recording.items():
        one_hot = np.eye(clusters, dtype=np.int8)[per_frame]
        bouts += frames_to_bouts(one_hot, motifs.names, name, source="predicted")
        plot_ethogram(per_frame + 1, ["none", *motifs.names], fps[name], work / f"ethogram_{name}.png",
                      title=f"{name}: motifs")
        files[f"ethogram_{name}"] = f"ethogram_{name}.png"
    bouts_to_dataframe(bouts).to_csv(work / "motif_bouts.csv", index=False)
    files.update(motifs="motifs.parquet", motif_bouts="motif_bouts.csv", map="map.png")

    classes = ["none", *behavior_list]
    targets = {name: frame_targets(labelled[name], behavior_list, len(embeddings[name]))
               for name in embeddings if labelled.get(name) and behavior_list}
    ami, per_recording = None, {}
    if targets:
        counts, ami = motif_behavior_table(np.concatenate([motifs.per_recording[n] for n in targets]),
                                           np.concatenate(list(targets.values())), classes)
        per_recording = {n: motif_behavior_table(motifs.per_recording[n], t, classes)[1] for n, t in targets.items()}
        pd.DataFrame(counts, index=motifs.names, columns=classes).rename_axis("motif").to_csv(
            work / "motif_behavior.csv")
        files["motif_behavior"] = "motif_behavior.csv"
    transform, map_name = pca_map(embeddings, seed=seed, method=map_method)
    rng = np.random.default_rng(seed)
    names = list(embeddings)
    all_frames = np.concatenate([np.stack([np.full(len(embeddings[n]), i), np.arange(len(embeddings[n]))], 1)
                                 for i, n in enumerate(names)])
    shown = all_frames[np.sort(rng.choice(len(all_frames), min(MAP_POINTS, len(all_frames)), replace=False))]
    points = transform(np.stack([embeddings[names[i]][t] for i, t in shown]))
    shown_motifs = np.array([motifs.per_recording[names[i]][t] for i, t in shown])
    shown_targets = np.array([targets[names[i]][t] if names[i] in targets else -1 for i, t in shown]) \
        if targets else None
    plot_motif_map(points, shown_motifs, work / "map.png", method=map_name, targets=shown_targets, classes=classes)
    summary = {"embedder": str(path), "clusters": clusters, "method": method, "map": map_name, "seed": seed,
               "recordings": names, "behaviors": behavior_list, "ami": ami, "ami_per_recording": per_recording,
               "frames_per_motif": {m: int(sum((v == k).sum() for v in motifs.per_recording.values()))
                                    for k, m in enumerate(motifs.names)}}
    (work / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    files["summary"] = "summary.json"
    commit_bundle(work, out_dir)
    return DiscoveryRun(out_dir, clusters, map_name, ami, per_recording, files)
