"""`pretrain`: self-supervised pretraining of an embedder on unlabelled recordings.

Every step draws ``batch_size`` fresh samples of each task (`ethoforge.ssl.pretext`),
computes their features, and sums the task losses (cross-entropy; masked mean squared error
for ``mask``) over one shared encoder. After each epoch a fixed set of held-out samples per
task (drawn once with another seed) is scored; the epoch with the lowest summed held-out
loss gives ``weights.pt``. Checkpoints ``best.pt`` / ``latest.pt`` hold the network, the
optimizer, the random state, the history and the full config; ``resume`` continues from one.

The result is an embedder bundle (a folder, renamed into place when finished):
``bundle.json`` (``kind: "embedder"``; layout, feature spec, normalisation, window, tasks,
encoder config, pretraining config, versions), ``weights.pt`` (the encoder), ``history.json``,
``plots/pretrain_history.png`` and ``checkpoints/``.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import numpy as np

from ethoforge.errors import Cancelled, ConfigError, label, option
from ethoforge.ssl.config import PretrainConfig, choose_tasks
from ethoforge.ssl.batches import auto_workers, draw_batch, epoch_batches

if TYPE_CHECKING:
    import torch

    from ethoforge.recording import Recording
    from ethoforge.ssl.data import WindowFeaturizer

log = logging.getLogger(__name__)
Progress = Callable[[int, int, dict], "bool | None"]
EMBEDDER_KIND = "embedder"
HISTORY_FILE = "history.json"
PLOT_FILE = "plots/pretrain_history.png"


@dataclass(frozen=True)
class PretrainResult:
    """Where the embedder bundle is, what it learned (per-epoch history) and its best epoch."""

    path: Path
    tasks: list[str]
    history: list[dict]
    best_epoch: int
    metrics: dict[str, float]
    config: PretrainConfig

    def to_dict(self) -> dict:
        """JSON-ready summary."""
        return {"path": str(self.path), "tasks": self.tasks, "best_epoch": self.best_epoch, "metrics": self.metrics,
                "epochs": len(self.history), "config": self.config.model_dump(mode="json")}


class Layout(Protocol):
    """What `check_pretrain` reads of a recording: a `Recording`, or a stored one's `RecordingInfo`."""

    @property
    def name(self) -> str: ...

    @property
    def n_frames(self) -> int: ...

    @property
    def individuals(self) -> list[str]: ...


R = TypeVar("R", bound=Layout)


def check_pretrain(recordings: Sequence[R], config: PretrainConfig) -> tuple[list[str], list[R]]:
    """The tasks and the recordings long enough for ``config.window``; errors before any work.

    Raises
    ------
    ConfigError
        No recordings, a window longer than every recording, or a task the data do not allow.
    """
    if not recordings:
        raise ConfigError(f"no recordings to pretrain on; pass {label('recordings')} or {label('dataset')}")
    tasks = choose_tasks(config, min(len(r.individuals) for r in recordings))
    usable = [r for r in recordings if r.n_frames >= config.window + 2]
    if not usable:
        longest = max(recordings, key=lambda r: r.n_frames)
        raise ConfigError(f"{option('window', config.window)} is longer than every recording (the longest, "
                          f"{longest.name!r}, has {longest.n_frames} frames); pass "
                          f"{option('window', max(8, longest.n_frames - 2))} or less")
    return tasks, usable


def pretrain(
    recordings: Sequence[Recording],
    config: PretrainConfig | dict | None,
    out_dir: str | Path,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> PretrainResult:
    """Pretrain an embedder on ``recordings`` (no labels) and write its bundle to ``out_dir``.

    Parameters
    ----------
    recordings
        Recordings with the same individuals and keypoints (matched by name); those shorter
        than the window are left out.
    config
        A `PretrainConfig` or a dict of its options.
    out_dir
        The bundle folder (replaced atomically if it exists).
    progress
        ``progress(epoch, epochs, row)`` after each epoch (``row``: the history entry);
        returning False raises `Cancelled` and leaves ``checkpoints/latest.pt`` in the
        ``.partial`` folder beside ``out_dir`` for ``resume``.
    should_stop
        Asked before every optimisation step; True raises `Cancelled` at once (the checkpoint
        of the last finished epoch stays for ``resume``).

    Raises
    ------
    ConfigError
        Before any work, on a bad option (see `check_pretrain`).
    """
    from ethoforge.models.chunked import resolve_device, torch_threads

    config = config if isinstance(config, PretrainConfig) else PretrainConfig(**(config or {}))
    tasks, usable = check_pretrain(recordings, config)
    device = resolve_device(config.device)
    checkpoint = _load_checkpoint(config.resume) if config.resume else None
    out_dir = Path(out_dir)
    work = out_dir.parent / f".{out_dir.name}.partial"
    (work / "checkpoints").mkdir(parents=True, exist_ok=True)
    workers = auto_workers() if config.workers is None else config.workers
    threads = config.num_threads
    if not threads and workers and device == "cpu":  # sample workers take cores from the model (2 cores: 305 → 357 windows/s)
        threads = max(1, (os.cpu_count() or 1) - workers)
    with torch_threads(threads):  # the caller's thread count comes back afterwards
        return _pretrain(usable, tasks, config, device, workers, checkpoint, work, out_dir, progress, should_stop)


def _pretrain(usable: Sequence[Recording], tasks: list[str], config: PretrainConfig, device: str, workers: int,
              checkpoint: dict | None, work: Path, out_dir: Path, progress: Progress | None,
              should_stop: Callable[[], bool] | None) -> PretrainResult:
    """The epochs of `pretrain`, its options checked; writes the bundle and returns the result."""
    import torch

    from ethoforge.bundles.files import commit_bundle
    from ethoforge.ssl.model import PretextNet

    featurizer, tracks, poses = _prepare(usable, config)
    augmentations = _augmentations(config)
    eval_rng = np.random.default_rng([config.seed, 1])
    eval_sets = {task: _to_tensors(featurizer.batch(draw_batch(task, tracks, config, eval_rng, config.eval_samples)))
                 for task in tasks}
    n_windows = sum(len(t) - config.window + 1 for t in tracks)
    steps = max(1, math.ceil(config.train_sample * n_windows / config.batch_size))

    torch.manual_seed(config.seed)
    net = PretextNet(len(featurizer.names), tasks, config.transformer_config()).to(device)
    optimizer = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    rng = np.random.default_rng([config.seed, 0])
    history: list[dict] = []
    best: dict[str, Any] = {"loss": math.inf, "epoch": -1, "state": None}
    first_epoch = 0
    if checkpoint is not None:
        net.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        rng.bit_generator.state = checkpoint["rng"]
        history, best, first_epoch = list(checkpoint["history"]), dict(checkpoint["best"]), checkpoint["epoch"] + 1
    start_time = time.monotonic()
    for epoch in range(first_epoch, config.epochs):
        tic = time.monotonic()
        epoch_tracks = _augmented_tracks(poses, featurizer.spec, augmentations, config.window, rng) or tracks
        row: dict[str, Any] = {"epoch": epoch, **_train_epoch(net, optimizer, featurizer, epoch_tracks, tasks,
                                                             config, epoch, steps, workers, device, should_stop)}
        row["loss"] = float(sum(row[f"{task}_loss"] for task in tasks))
        row.update(_evaluate(net, eval_sets, tasks, device))
        row["val_loss"] = float(sum(row[f"val_{task}_loss"] for task in tasks))
        row["seconds"] = time.monotonic() - tic
        row["windows_per_s"] = steps * config.batch_size * len(tasks) / max(row["seconds"], 1e-9)
        history.append(row)
        improved = row["val_loss"] < best["loss"]
        if improved:
            best = {"loss": row["val_loss"], "epoch": epoch,
                    "state": {k: v.detach().cpu().clone() for k, v in net.state_dict().items()}}
        state = {"model": net.state_dict(), "optimizer": optimizer.state_dict(), "rng": rng.bit_generator.state,
                 "epoch": epoch, "history": history, "best": best, "tasks": tasks,
                 "config": config.model_dump(mode="json")}
        _save(state, work / "checkpoints" / "latest.pt")
        if improved:
            _save(state, work / "checkpoints" / "best.pt")
        log.info("pretrain epoch %d: %s", epoch, row)
        if progress is not None and progress(epoch + 1, config.epochs, dict(row)) is False:
            raise Cancelled(f"pretraining cancelled after epoch {epoch + 1}; resume from "
                            f"{work / 'checkpoints' / 'latest.pt'}")

    net.load_state_dict(best["state"])
    metrics = {k: v for k, v in history[best["epoch"]].items() if k.startswith("val_")}
    _write_bundle(work, net, featurizer, usable, tasks, config, history, best["epoch"], metrics,
                  time.monotonic() - start_time)
    path = commit_bundle(work, out_dir)
    return PretrainResult(path, tasks, history, int(best["epoch"]), metrics, config)


# --------------------------------------------------------------------------- pieces


def _prepare(recordings: Sequence[Recording], config: PretrainConfig):
    from ethoforge.features import compute_features
    from ethoforge.pipeline import feature_spec_for
    from ethoforge.ssl.data import WindowFeaturizer, recording_track
    from ethoforge.training.config import TrainConfig
    from ethoforge.bundles.normalise import fit_normalisation

    spec = feature_spec_for(recordings[0], TrainConfig(family="transformer", features=config.features))
    matrices = [compute_features(r.poses, spec) for r in recordings]
    normalisation = fit_normalisation([m.values for m in matrices], "robust")
    fps = float(spec.fps or recordings[0].fps or 1.0)
    featurizer = WindowFeaturizer(spec, normalisation, fps, list(matrices[0].names))
    return featurizer, [recording_track(r, spec) for r in recordings], [r.poses for r in recordings]


def _augmentations(config: PretrainConfig) -> list:
    from ethoforge.training.augment import parse_augment

    return parse_augment(config.augment)


def _augmented_tracks(poses: list, spec: Any, augmentations: list, window: int,
                      rng: np.random.Generator) -> list[np.ndarray] | None:
    """Tracks of freshly augmented poses (None without augmentations), as training does per epoch."""
    if not augmentations:
        return None
    from ethoforge.features.compute import select_layout
    from ethoforge.ssl.data import track_of
    from ethoforge.training.augment import augment_poses

    tracks = []
    for dataset in poses:
        position, confidence = select_layout(augment_poses(dataset, augmentations, window, rng), spec)
        tracks.append(track_of(position, confidence, spec))
    return tracks


def _to_tensors(batch: tuple[np.ndarray, np.ndarray, np.ndarray | None]) -> tuple:
    import torch

    features, labels, hidden = batch
    return (torch.from_numpy(features), torch.from_numpy(labels),
            None if hidden is None else torch.from_numpy(hidden))


def _task_loss(net, task: str, features, labels, hidden) -> tuple[torch.Tensor, float, float]:
    """``(loss, score, out_of)`` of one task's batch: accuracy = score / out_of.

    Classification: correct predictions of the samples. ``mask`` (hidden cells zeroed in the
    input): ``SST - SSE`` of ``SST`` over hidden cells, an R² against predicting 0, the mean
    of normalised features.
    """
    import torch.nn.functional as F

    if task == "mask":
        target = features[hidden]
        error = net(features.masked_fill(hidden, 0.0), task)[hidden] - target
        sse, sst = float((error.detach() ** 2).sum()), float((target**2).sum())
        return (error**2).mean(), sst - sse, sst
    logits = net(features, task)
    return F.cross_entropy(logits, labels), float((logits.argmax(1) == labels).sum()), float(len(labels))


def _train_epoch(net, optimizer, featurizer: WindowFeaturizer, tracks, tasks, config: PretrainConfig, epoch: int,
                 steps: int, workers: int, device: str, should_stop: Callable[[], bool] | None) -> dict[str, float]:
    import torch

    net.train()
    sums = {task: [0.0, 0.0, 0.0] for task in tasks}
    batches = epoch_batches(featurizer, tracks, tasks, config, epoch, steps, workers)
    try:
        for step, step_batches in enumerate(batches):
            if should_stop is not None and should_stop():
                raise Cancelled(f"pretraining stopped at step {step + 1} of {steps} of an epoch; the last finished "
                                "epoch's checkpoint is kept for resume")
            optimizer.zero_grad()
            total = torch.zeros((), device=device)
            for task, batch in zip(tasks, step_batches):
                features, labels, hidden = (None if t is None else t.to(device) for t in _to_tensors(batch))
                loss, score, count = _task_loss(net, task, features, labels, hidden)
                total = total + loss
                sums[task][0] += float(loss.detach()) / steps
                sums[task][1] += score
                sums[task][2] += count
            total.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            optimizer.step()
    finally:
        batches.close()  # stops the workers of a cancelled epoch
    return _rows(sums, "")


def _evaluate(net, eval_sets: dict, tasks: Sequence[str], device: str) -> dict[str, float]:
    import torch

    net.eval()
    sums = {}
    with torch.inference_mode():
        for task in tasks:
            features, labels, hidden = (None if t is None else t.to(device) for t in eval_sets[task])
            loss, score, count = _task_loss(net, task, features, labels, hidden)
            sums[task] = [float(loss), score, count]
    return _rows(sums, "val_")


def _rows(sums: dict, prefix: str) -> dict[str, float]:
    """``{prefix}{task}_loss`` and ``{prefix}{task}_accuracy`` (``mask``: R², see `_task_loss`)."""
    row = {}
    for task, (loss, score, out_of) in sums.items():
        row[f"{prefix}{task}_loss"] = float(loss)
        row[f"{prefix}{task}_accuracy"] = float(score / out_of) if out_of > 0 else 0.0
    return row


def _save(obj: dict, path: Path) -> None:
    import torch

    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    tmp.replace(path)


def _load_checkpoint(path: str) -> dict:
    import torch

    if not Path(path).is_file():
        raise ConfigError(f"--resume: checkpoint {path} does not exist")
    return torch.load(path, map_location="cpu", weights_only=False)


def _write_bundle(work: Path, net, featurizer: WindowFeaturizer, recordings: Sequence[Recording], tasks: list[str],
                  config: PretrainConfig, history: list[dict], best_epoch: int, metrics: dict, seconds: float) -> None:
    import json

    import torch

    from ethoforge.evaluation.report import package_versions, to_plain
    from ethoforge.bundles.files import BUNDLE_FILE, FORMAT_VERSION, TORCH_WEIGHTS, write_json
    from ethoforge.models import resolve_config
    from ethoforge.ssl.figures import plot_pretrain_history

    torch.save(net.encoder.state_dict(), work / TORCH_WEIGHTS)
    (work / HISTORY_FILE).write_text(json.dumps(to_plain(history), indent=1), encoding="utf-8")
    plot_pretrain_history(history, tasks, work / PLOT_FILE)
    first = recordings[0]
    description = to_plain({
        "format_version": FORMAT_VERSION,
        "kind": EMBEDDER_KIND,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "behaviors": [], "classes": [],
        "individuals": list(featurizer.spec.individuals), "keypoints": list(featurizer.spec.keypoints),
        "fps": float(first.fps) if first.fps else None,
        "feature_spec": featurizer.spec.to_dict(),
        "feature_names": featurizer.names,
        "normalisation": featurizer.normalisation.to_dict(),
        "window": config.window,
        "family": "transformer",
        "model_config": resolve_config("transformer", config.transformer_config()).model_dump(mode="json"),
        "embedding_dim": config.emb_dim,
        "weights": TORCH_WEIGHTS,
        "calibration": {"temperature": 1.0},
        "tasks": tasks,
        "metrics": metrics,
        "pretrain_config": config,
        "recordings": [r.name for r in recordings],
        "extra": {"best_epoch": best_epoch, "train_seconds": seconds},
        "versions": package_versions(),
    })
    write_json(work / BUNDLE_FILE, description)
