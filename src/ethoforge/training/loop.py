"""The training loop, in the shape of torchvision's ``references/classification/train.py``.

`train_one_epoch` runs one pass of sampled windows, `evaluate` runs the model over whole
validation recordings in chunks (the same path as inference), and `train` ties them
together: pre-flight checks, trials, warm-up then ``ReduceLROnPlateau``, early stopping on
validation macro-F1, checkpoints (``best``, ``latest``, every N epochs) holding the model,
optimizer, scheduler, epoch, trial, best state and the full config, resume, temperature
calibration, report and an atomically written model bundle.

Work happens in ``.<name>.partial/`` beside ``out_dir``; only a finished run is renamed to
``out_dir``. A cancelled run (progress callback returned False) raises `TrainingCancelled`
and leaves no bundle; its ``checkpoints/latest.pt`` stays in the ``.partial`` folder so the
run can resume (``config.resume``).
"""

from __future__ import annotations

import copy
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

import numpy as np

from ethoforge.errors import Cancelled, ConfigError, option
from ethoforge.models.chunked import predict_logits, resolve_device, torch_threads
from ethoforge.training.augment import augment_poses, parse_augment
from ethoforge.training.calibration import fit_temperature, nll
from ethoforge.training.config import Family, TrainConfig, make_config
from ethoforge.training.data import RecordingData, TrainingData, gather_windows, pad_features
from ethoforge.training.sampling import draw_centres, loss_weights, make_loss
from ethoforge.training.split import check_split, split_recordings

if TYPE_CHECKING:
    import torch
    from torch import nn

log = logging.getLogger(__name__)
Progress = Callable[[int, int, dict], "bool | None"]
ModelFactory = Callable[[int, int, dict], "nn.Module"]


class TrainingCancelled(Cancelled):
    """Training stopped because ``progress`` returned False; no bundle was written."""


@dataclass
class TrainResult:
    """What a finished run produced.

    Attributes
    ----------
    bundle_dir
        The model bundle folder.
    metrics
        ``{"val": {...}, "test": {...}}`` frame metrics of the kept model (calibrated).
    history
        One dict per epoch: ``trial, epoch, lr, train_loss, val_loss, val_macro_f1, seconds``.
    best_trial, best_epoch
        Where the kept weights come from.
    temperature
        Calibration temperature (1.0 when not calibrated).
    split
        ``kind`` (``"recordings"`` or ``"blocks"``) and the names per side (see
        `ethoforge.training.split`).
    config
        The resolved config.
    model
        The kept model (torch ``nn.Module`` in eval mode, or the gbdt classifier).
    """

    bundle_dir: Path
    metrics: dict
    history: list[dict]
    best_trial: int
    best_epoch: int
    temperature: float
    split: dict
    config: TrainConfig
    model: Any = field(repr=False, default=None)


# --------------------------------------------------------------------------- one epoch


def epoch_batches(
    records: Sequence[RecordingData],
    features: Sequence[np.ndarray],
    window: int,
    batch_size: int,
    n_samples: int | None,
    balanced: bool,
    generator: "torch.Generator",
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Batches ``(x (B, window, F) float32, y (B,) int64)`` of windows around sampled annotated centres.

    ``features[i]`` are the (possibly augmented) features of ``records[i]``.
    """
    half = window // 2
    padded = [pad_features(f, half) for f in features]
    rec_ids = np.concatenate([np.full(int((r.targets >= 0).sum()), i) for i, r in enumerate(records)])
    frames = np.concatenate([np.flatnonzero(r.targets >= 0) for r in records])
    labels = np.concatenate([r.targets[r.targets >= 0] for r in records])
    chosen = draw_centres(labels, n_samples or len(labels), balanced, generator)
    for first in range(0, len(chosen), batch_size):
        pick = chosen[first : first + batch_size]
        x = np.empty((len(pick), window, padded[0].shape[1]), dtype=np.float32)
        for i in np.unique(rec_ids[pick]):
            rows = np.flatnonzero(rec_ids[pick] == i)
            x[rows] = gather_windows(padded[i], frames[pick[rows]], window)
        yield x, labels[pick]


def train_one_epoch(
    model: "nn.Module",
    optimizer: "torch.optim.Optimizer",
    loss_fn: Callable,
    batches: Iterator[tuple[np.ndarray, np.ndarray]],
    *,
    device: str = "cpu",
    grad_clip: float | None = None,
) -> dict[str, float]:
    """One pass over ``batches``; the loss is on each window's centre frame. Returns ``{"train_loss"}``."""
    import torch

    model.train()
    total, count = 0.0, 0
    for x, y in batches:
        x_t = torch.from_numpy(x).to(device)
        y_t = torch.from_numpy(y).to(device)
        logits = model(x_t)[:, x.shape[1] // 2]
        loss = loss_fn(logits, y_t)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if grad_clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        optimizer.step()
        total += float(loss.detach()) * len(y)
        count += len(y)
    return {"train_loss": total / max(count, 1)}


def evaluate(
    model: "nn.Module",
    records: Sequence[RecordingData],
    classes: Sequence[str],
    *,
    context: int,
    device: str = "cpu",
    temperature: float = 1.0,
) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    """Run the model over whole recordings in chunks; return ``(metrics, logits, targets)``.

    ``metrics`` holds ``macro_f1`` (behaviors, not background), ``loss`` (NLL at
    ``temperature``) and the frame metrics. Logits and targets are pooled over ``records``.
    """
    logits = np.concatenate([predict_logits(model, r.features, context=context, device=device) for r in records])
    targets = np.concatenate([r.targets for r in records])
    metrics = frame_scores(targets, logits.argmax(axis=1), classes)
    metrics["loss"] = nll(logits, targets, temperature)
    return metrics, logits, targets


def frame_scores(y_true: np.ndarray, y_pred: np.ndarray, classes: Sequence[str]) -> dict[str, Any]:
    """Frame metrics (``ethoforge.evaluation.frame_metrics``); frames with ``y_true == -1`` ignored."""
    from ethoforge.evaluation import frame_metrics

    return frame_metrics(y_true, y_pred, list(classes), ignore_index=-1)


# --------------------------------------------------------------------------- train


def train(
    config: TrainConfig | dict | None,
    data: TrainingData,
    out_dir: str | Path,
    progress: Progress | None = None,
    *,
    model_factory: ModelFactory | None = None,
    split: dict | None = None,
) -> TrainResult:
    """Train a model on ``data`` and write a model bundle to ``out_dir``.

    Parameters
    ----------
    config
        A `TrainConfig` (or a dict of its options).
    data
        Features and targets of every recording (`ethoforge.training.data.build_training_data`).
    out_dir
        The bundle folder to write (replaced atomically if it exists).
    progress
        ``progress(step, total, metrics)`` after each epoch (steps count epochs over all
        trials); returning False cancels: `TrainingCancelled` is raised and no bundle is left.
    model_factory
        ``(n_features, n_classes, model_config) -> nn.Module`` instead of
        ``ethoforge.models.build_model`` (a plug-in point; such a bundle loads only with the
        same factory).
    split
        The split already chosen and checked (`ethoforge.training.split`); None chooses it
        here from ``config.split`` by recording.

    Raises
    ------
    ConfigError
        Before any work, on an invalid config, split, or behavior absent from a split.
    TrainingCancelled
        When ``progress`` returned False.
    """
    config = make_config(config)
    out_dir = Path(out_dir)
    split, weights, augmentations = _preflight(config, data, split, registry=model_factory is None)
    device = resolve_device(config.device)
    if config.family == "gbdt":
        from ethoforge.training.gbdt import train_gbdt

        return train_gbdt(config, data, out_dir, split, progress)
    with torch_threads(config.num_threads):  # the caller's thread count comes back afterwards
        return _train_torch(config, data, out_dir, split, weights, augmentations, device, progress,
                            model_factory)


def _preflight(config: TrainConfig, data: TrainingData, split: dict | None, registry: bool):
    if not data.recordings:
        raise ConfigError("no recordings to train on")
    if split is None:
        split = split_recordings([r.name for r in data.recordings], config.split)
        check_split(split, {r.name: r.targets for r in data.recordings}, data.behaviors)
    weights = loss_weights(config, data.class_counts(split["train"]), data.classes)
    augmentations = parse_augment(config.augment)
    if augmentations and config.family != "gbdt":
        lacking = [r.name for r in data.by_name(split["train"]) if r.poses is None]
        if lacking or data.featurize is None:
            raise ConfigError(
                f"{option('augment', config.augment)} needs the poses of the training recordings "
                f"(build the data with keep_poses=True); missing for {lacking or 'featurize'}"
            )
    if registry and config.family != "gbdt":
        from ethoforge.models import default_model_config  # noqa: F401  (fails early when absent)
    return split, weights, augmentations


def model_config_for(config: TrainConfig, n_train_frames: int) -> dict:
    """The family's default model config for this much data, updated by ``config.model``."""
    from ethoforge.models import default_model_config

    return {**default_model_config(config.family, n_train_frames), **config.model}


def _train_torch(config, data, out_dir, split, weights, augmentations, device, progress, model_factory):
    import torch

    classes = data.classes
    train_records, val_records = data.by_name(split["train"]), data.by_name(split["val"])
    n_train_frames = int(sum((r.targets >= 0).sum() for r in train_records))
    model_config = model_config_for(config, n_train_frames) if model_factory is None else dict(config.model)
    if model_factory is None:
        from ethoforge.models.config import check_window

        check_window(config.family, model_config, config.window)
    embedder = None
    if config.init_from:
        from ethoforge.ssl import finetune

        embedder = finetune.embedder_of(config)
        model_config = finetune.model_config_from(embedder, dict(config.model))
    build = model_factory or _registry_factory(config.family)
    loss_fn = make_loss(config, weights)
    context = config.window // 2
    work = _work_dir(out_dir)
    (work / "checkpoints").mkdir(parents=True, exist_ok=True)

    state = _RunState()
    if config.resume:
        state = _RunState.load(Path(config.resume))
    total = config.trials * config.epochs
    start_time = time.monotonic()

    for trial in range(state.trial, config.trials):
        torch.manual_seed(config.seed + trial)
        generator = torch.Generator().manual_seed(config.seed * 1000 + trial)
        rng = np.random.default_rng(config.seed * 1000 + trial)
        model = build(data.n_features, len(classes), model_config).to(device)
        params: Any = model.parameters()
        if embedder is not None:
            finetune.load_encoder(model, embedder, data.feature_names)
            params = finetune.param_groups(model, config)
        optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="max", factor=config.plateau_factor, patience=config.plateau_patience
        )
        first_epoch = 0
        if state.resuming:
            model.load_state_dict(state.checkpoint["model"])
            optimizer.load_state_dict(state.checkpoint["optimizer"])
            scheduler.load_state_dict(state.checkpoint["lr_scheduler"])
            generator.set_state(state.checkpoint["generator"])
            first_epoch = state.checkpoint["epoch"] + 1
            state.resuming = False
        else:
            state.new_trial(trial)
        for epoch in range(first_epoch, config.epochs):
            if state.trial_stopped:
                break
            tic = time.monotonic()
            lr = _set_lr(optimizer, config, epoch)
            if embedder is not None:
                finetune.set_encoder_frozen(model, config, epoch)
            features = [_augmented(r, data, augmentations, config.window, rng) for r in train_records]
            batches = epoch_batches(train_records, features, config.window, config.batch_size,
                                    config.samples_per_epoch, config.sampling == "balanced", generator)
            row = {"trial": trial, "epoch": epoch, "lr": lr}
            row.update(train_one_epoch(model, optimizer, loss_fn, batches, device=device, grad_clip=config.grad_clip))
            metrics, _, _ = evaluate(model, val_records, classes, context=context, device=device)
            row.update(val_loss=metrics["loss"], val_macro_f1=metrics["macro_f1"], seconds=time.monotonic() - tic)
            state.history.append(row)
            if epoch >= config.warmup_epochs:
                scheduler.step(metrics["macro_f1"])
            improved = state.update(model, metrics["macro_f1"], trial, epoch, config.patience)
            checkpoint = state.checkpoint_dict(model, optimizer, scheduler, generator, trial, epoch, config)
            _save(checkpoint, work / "checkpoints" / "latest.pt")
            if improved:
                _save(checkpoint, work / "checkpoints" / "best.pt")
            if config.checkpoint_every and (epoch + 1) % config.checkpoint_every == 0:
                _save(checkpoint, work / "checkpoints" / f"epoch_{epoch:03d}.pt")
            log.info("trial %d epoch %d: %s", trial, epoch, row)
            if progress is not None and progress(trial * config.epochs + epoch + 1, total, dict(row)) is False:
                raise TrainingCancelled(f"training cancelled at trial {trial}, epoch {epoch}; resume from "
                                        f"{work / 'checkpoints' / 'latest.pt'}")
    model = build(data.n_features, len(classes), model_config).to(device)
    model.load_state_dict(state.best_state)
    model.eval()

    _, val_logits, val_targets = evaluate(model, val_records, classes, context=context, device=device)
    temperature = fit_temperature(val_logits, val_targets) if config.calibrate else 1.0
    results = {"val": _scores(val_logits, val_targets, classes, temperature)}
    test_logits = test_targets = None
    if split["test"]:
        _, test_logits, test_targets = evaluate(model, data.by_name(split["test"]), classes, context=context,
                                                device=device)
        results["test"] = _scores(test_logits, test_targets, classes, temperature)
    report_on = ("test", test_logits, test_targets) if split["test"] else ("val", val_logits, val_targets)

    from ethoforge.bundles.files import commit_bundle, softmax, write_bundle_files

    extra = {"best_trial": state.best_trial, "best_epoch": state.best_epoch, "reported_on": report_on[0],
             "train_seconds": time.monotonic() - start_time}
    write_bundle_files(
        work, data=data, config=config, model_config=model_config, temperature=temperature,
        metrics=results, history=state.history, split=split, extra=extra,
        state_dict=model.state_dict(), report=(report_on[2], softmax(report_on[1] / temperature)),
    )
    bundle_dir = commit_bundle(work, out_dir)
    return TrainResult(bundle_dir, results, state.history, state.best_trial, state.best_epoch, temperature,
                       split, config, model)


def _scores(logits: np.ndarray, targets: np.ndarray, classes: Sequence[str], temperature: float) -> dict:
    scores = frame_scores(targets, logits.argmax(axis=1), classes)
    scores["nll"] = nll(logits, targets, temperature)
    scores["nll_uncalibrated"] = nll(logits, targets, 1.0)
    return scores


def _registry_factory(family: Family) -> ModelFactory:
    def build(n_features: int, n_classes: int, model_config: dict):
        from ethoforge.models import build_model

        return build_model(family, n_features, n_classes, model_config)

    return build


def _augmented(record: RecordingData, data: TrainingData, augmentations, window: int, rng) -> np.ndarray:
    if not augmentations:
        return record.features
    poses, featurize = record.poses, data.featurize
    if poses is None or featurize is None:  # _preflight refuses this before training starts
        raise RuntimeError(f"recording {record.name!r}: augmentations need its poses and data.featurize")
    return featurize(augment_poses(poses, augmentations, window, rng))


def _set_lr(optimizer, config: TrainConfig, epoch: int) -> float:
    """Linear warm-up over ``warmup_epochs``; afterwards ReduceLROnPlateau owns the rate."""
    if epoch < config.warmup_epochs:
        for group in optimizer.param_groups:
            group["lr"] = config.lr * group.get("lr_scale", 1.0) * (epoch + 1) / (config.warmup_epochs + 1)
    elif epoch == config.warmup_epochs:
        for group in optimizer.param_groups:
            group["lr"] = config.lr * group.get("lr_scale", 1.0)
    return float(optimizer.param_groups[-1]["lr"])


def _work_dir(out_dir: Path) -> Path:
    return out_dir.parent / f".{out_dir.name}.partial"


def _save(obj: dict, path: Path) -> None:
    import torch

    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    tmp.replace(path)


def _clone(state_dict: dict) -> dict:
    return {k: v.detach().clone() for k, v in state_dict.items()}


class _RunState:
    """Best weights (run-wide and per trial), early-stopping counters and history."""

    def __init__(self) -> None:
        self.trial = 0
        self.history: list[dict] = []
        self.best_state: dict | None = None
        self.best_metric = -np.inf
        self.best_trial = 0
        self.best_epoch = 0
        self.trial_best_metric = -np.inf
        self.stale = 0
        self.trial_stopped = False
        self.resuming = False
        self.checkpoint: dict = {}

    def new_trial(self, trial: int) -> None:
        self.trial, self.trial_best_metric, self.stale, self.trial_stopped = trial, -np.inf, 0, False

    def update(self, model, metric: float, trial: int, epoch: int, patience: int | None) -> bool:
        """Record one epoch's validation metric; return True when it is the best of the run."""
        if metric > self.trial_best_metric:
            self.trial_best_metric, self.stale = metric, 0
        else:
            self.stale += 1
            if patience is not None and self.stale >= patience:
                self.trial_stopped = True
        if metric > self.best_metric or self.best_state is None:
            self.best_metric, self.best_trial, self.best_epoch = metric, trial, epoch
            self.best_state = copy.deepcopy(_clone(model.state_dict()))
            return True
        return False

    def checkpoint_dict(self, model, optimizer, scheduler, generator, trial, epoch, config) -> dict:
        return {
            "model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "lr_scheduler": scheduler.state_dict(), "generator": generator.get_state(),
            "epoch": epoch, "trial": trial, "config": config.model_dump(mode="json"),
            "best": {"state": self.best_state, "metric": self.best_metric, "trial": self.best_trial,
                     "epoch": self.best_epoch},
            "trial_best_metric": self.trial_best_metric, "stale": self.stale,
            "trial_stopped": self.trial_stopped, "history": self.history,
        }

    @classmethod
    def load(cls, path: Path) -> "_RunState":
        import torch

        if not path.is_file():
            raise ConfigError(f"resume checkpoint {path} does not exist")
        checkpoint = torch.load(path, map_location="cpu", weights_only=False)
        state = cls()
        state.checkpoint = checkpoint
        state.trial = checkpoint["trial"]
        state.history = list(checkpoint["history"])
        best = checkpoint["best"]
        state.best_state, state.best_metric = best["state"], best["metric"]
        state.best_trial, state.best_epoch = best["trial"], best["epoch"]
        state.trial_best_metric, state.stale = checkpoint["trial_best_metric"], checkpoint["stale"]
        state.trial_stopped = checkpoint["trial_stopped"]
        state.resuming = True
        return state
