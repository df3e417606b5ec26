"""``ethoforge train``: train a classifier on project recordings and register it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from ethoforge.cli._common import (
    DeviceOverride,
    JsonOption,
    ProjectOption,
    emit_json,
    greedy,
    open_project,
    print_warning,
    progress_bar,
    stderr,
    stdout,
)

_LISTS = ("--recordings", "--val-recordings", "--test-recordings")


def train(
    recordings: Annotated[list[str] | None, typer.Option(
        help="Recording names or ids: --recordings A B C (default: the dataset's).")] = None,
    behaviors: Annotated[str | None, typer.Option(
        help='Mutually exclusive behaviors, e.g. "attack;mount" (default: the dataset\'s).')] = None,
    dataset: Annotated[str | None, typer.Option(help="Train on this dataset's recordings and behaviors.")] = None,
    model: Annotated[str | None, typer.Option(
        "--model", help="Model family: gbdt (default), conv_bilstm, transformer or cbas_head (CBAS-style head: "
                         "smoothing, difference branches, BiLSTM, attention over the centre frames).")] = None,
    model_config: Annotated[str | None, typer.Option(
        help='Model options as JSON, e.g. \'{"hidden": 32}\' (override the family defaults).')] = None,
    window: Annotated[int | None, typer.Option(
        help="Context window in frames of the torch families (odd; default 31; gbdt ignores it).")] = None,
    epochs: Annotated[int | None, typer.Option(help="Epochs per trial (default 30).")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Windows per batch (default 256).")] = None,
    lr: Annotated[float | None, typer.Option(help="Learning rate of AdamW (> 0; default 2e-3).")] = None,
    weight_decay: Annotated[float | None, typer.Option(help="AdamW weight decay (default 1e-4).")] = None,
    samples_per_epoch: Annotated[int | None, typer.Option(help="Windows drawn per epoch (default 4096).")] = None,
    sampling: Annotated[str | None, typer.Option(
        help="balanced (default), weighted, focal or uniform.")] = None,
    class_weights: Annotated[str | None, typer.Option(
        help='Loss weight per class, e.g. "attack=2,none=1" (classes not named weigh 1).')] = None,
    trials: Annotated[int | None, typer.Option(help="Independent trials; the best by val macro-F1 is kept.")] = None,
    patience: Annotated[int | None, typer.Option(
        help="Early-stopping patience in epochs (0 = off; default 8).")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (also of the recording split).")] = None,
    augment: Annotated[str | None, typer.Option(
        help='Pose augmentations, e.g. "perm_id:p=0.5,blk_perm_id:p=0.3:frac=0.2".')] = None,
    split_mode: Annotated[str | None, typer.Option(
        "--split", help="auto (default: by recording when that works, else by time blocks), recordings or blocks "
                        "(contiguous time blocks of each recording; for one or two labelled recordings).")] = None,
    val_recordings: Annotated[list[str] | None, typer.Option(
        help="Validation recordings: --val-recordings A B (added to --recordings when not listed there).")] = None,
    test_recordings: Annotated[list[str] | None, typer.Option(help="Test recordings: --test-recordings C.")] = None,
    val_fraction: Annotated[float | None, typer.Option(
        help="Share of recordings drawn for validation when not listed (default 0.2).")] = None,
    test_fraction: Annotated[float | None, typer.Option(
        help="Share of recordings drawn for test when not listed (default 0).")] = None,
    device: DeviceOverride = None,
    features: Annotated[str | None, typer.Option(
        help="pose (default), video:ENCODER or pose+video:ENCODER (videos encoded first: ethoforge encode), "
             "or pose+embedding:MODEL (a pretrained embedder's per-frame embeddings appended).")] = None,
    resume: Annotated[Path | None, typer.Option(help="Continue from this checkpoint (.pt).")] = None,
    checkpoint_every: Annotated[int | None, typer.Option(help="Also keep a checkpoint every N epochs.")] = None,
    init_from: Annotated[str | None, typer.Option(
        help="Start the transformer's encoder from this embedder (registry id/name or bundle folder).")] = None,
    freeze: Annotated[bool, typer.Option("--freeze", help="With --init-from: train the head only (linear probe).")
                      ] = False,
    freeze_epochs: Annotated[int | None, typer.Option(
        help="With --init-from: train the head only for N epochs, then everything (default 2).")] = None,
    encoder_lr: Annotated[float | None, typer.Option(
        help="With --init-from: learning rate of the pretrained encoder (default a tenth of --lr).")] = None,
    name: Annotated[str | None, typer.Option(help="Registry name of the model.")] = None,
    activate: Annotated[bool, typer.Option("--activate", help="Make it the dataset's active model.")] = False,
    project: ProjectOption = None,
    json: JsonOption = False,
) -> None:
    """Train a behavior classifier on project recordings and register it in the project."""
    from ethoforge.training.config import TrainConfig
    from ethoforge.workflows import TRAINING_DIR, train_in_project

    options: dict[str, Any] = {
        key: value for key, value in {
            "family": model, "window": window, "epochs": epochs, "batch_size": batch_size, "lr": lr,
            "weight_decay": weight_decay, "samples_per_epoch": samples_per_epoch, "sampling": sampling,
            "class_weights": class_weights, "trials": trials, "seed": seed, "augment": augment, "device": device,
            "resume": str(resume) if resume else None, "checkpoint_every": checkpoint_every, "model": model_config,
            "features": features,
            "freeze": freeze or None, "freeze_epochs": freeze_epochs, "encoder_lr": encoder_lr,
        }.items() if value is not None
    }
    if patience is not None:
        options["patience"] = patience or None
    split = {key: value for key, value in {
        "mode": split_mode, "val": val_recordings, "test": test_recordings, "val_fraction": val_fraction,
        "test_fraction": test_fraction, "seed": seed}.items() if value is not None}
    if split:
        options["split"] = split
    trials = options.get("trials") or TrainConfig.model_fields["trials"].default
    with open_project(project) as opened:
        from ethoforge.ssl.features import parse_feature_sources
        from ethoforge.workflows import resolve_model

        embedding = parse_feature_sources(features)
        if embedding is not None:  # pose+embedding:MODEL; the other choices go to TrainConfig.features
            options.pop("features", None)
            options["embedding"] = str(resolve_model(opened, embedding)[0])
        if init_from is not None:
            options["init_from"] = str(resolve_model(opened, init_from)[0])
        which = f"{len(recordings)}" if recordings else "the dataset's"
        stderr().print(f"training: reading {which} recordings and computing features (progress per epoch follows)",
                       highlight=False)
        started = time.time()
        interrupted: dict | None
        with _epoch_bar(trials) as update:
            try:
                trained = train_in_project(opened, options, recordings=recordings, behaviors=behaviors,
                                           dataset=dataset, progress=update, name=name, activate=activate,
                                           warn=print_warning)
            except KeyboardInterrupt:
                interrupted = update.last
            else:
                interrupted = None
        if interrupted is not None:
            _interrupted(opened.root / TRAINING_DIR, started, interrupted)
            raise typer.Exit(130)
    summary = trained.to_dict()
    if json:
        emit_json(summary)
        return
    _print_summary(summary)


class _EpochProgress:
    """``progress(step, total, metrics)`` for the training loop: a bar (or lines) on stderr
    saying the trial, the epoch, the latest loss and val F1; remembers the last epoch."""

    def __init__(self, update: Callable[[int, int, str], None], trials: int):
        self.update, self.trials = update, max(1, trials)
        self.last: dict = {}  # the latest epoch's metrics, step and total

    def __call__(self, step: int, total: int, metrics: dict) -> bool:
        self.last = {**metrics, "step": step, "total": total}
        per_trial = max(1, total // self.trials)
        where = f"trial {int(metrics.get('trial', 0)) + 1}/{self.trials}"
        if "round" in metrics:  # gbdt: boosting rounds
            where += f" · round {metrics['round']}/{metrics['rounds']}"
        elif "boosting_rounds" in metrics:  # gbdt: a trial done
            where += f" · done, {metrics['boosting_rounds']} boosting rounds kept"
        elif per_trial > 1:
            where += f" · epoch {int(metrics.get('epoch', 0)) + 1}/{per_trial}"
        shown = [f"{label} {metrics[key]:.3f}" for key, label in
                 (("train_loss", "loss"), ("val_loss", "val loss"), ("val_macro_f1", "val F1"))
                 if isinstance(metrics.get(key), (int, float))]
        self.update(step, total, "  ".join([where, *shown]))
        return True


@contextmanager
def _epoch_bar(trials: int) -> Iterator[_EpochProgress]:
    """Progress on stderr, also with --json (stdout keeps exactly the JSON): a rich bar with
    the ETA on a terminal, one line per epoch otherwise."""
    with progress_bar("training", eta=True, lines=True) as update:
        yield _EpochProgress(update, trials)


def _interrupted(training_dir: Path, started: float, last: dict) -> None:
    """After Ctrl-C: keep only the latest checkpoint of the run started now (for --resume),
    drop its partial bundle, and say what was left."""
    import shutil

    console = stderr()
    where = (f" at trial {int(last.get('trial', 0)) + 1}, epoch {int(last.get('epoch', 0)) + 1} "
             f"({last['step']} of {last['total']} epochs done)" if last else " before the first epoch ended")
    runs = [d for d in training_dir.glob("*") if d.is_dir() and d.stat().st_mtime >= started - 1] \
        if training_dir.is_dir() else []
    kept = []
    for run in runs:
        latest = next(iter(sorted(run.glob(".*.partial/checkpoints/latest.pt"))), None)
        if latest is not None:
            latest.replace(run / "latest.pt")
        for partial in run.glob(".*.partial"):
            shutil.rmtree(partial, ignore_errors=True)
        if (run / "latest.pt").is_file():
            kept.append(run / "latest.pt")
        elif not any(run.iterdir()):
            run.rmdir()
    console.print(f"interrupted{where}: no model was registered and the partial bundle was removed.",
                  style="yellow", highlight=False)
    if kept:
        console.print(f"left: {kept[0]} (the latest epoch's checkpoint). Continue with the same command plus "
                      f"--resume {kept[0]}, or delete {kept[0].parent}", style="yellow", highlight=False)
    else:
        console.print("nothing was left on disk.", style="yellow", highlight=False)


def _print_summary(summary: dict) -> None:
    from rich.table import Table

    console = stdout()
    console.print(f"model {summary['model_name']} (id {summary['model_id']}, {summary['family']}) "
                  f"→ {summary['bundle']}")
    split = summary["split"]
    if split.get("kind") == "blocks":
        console.print(f"split by time blocks ({split['gap']} frames left out at each train/val boundary):")
    console.print(f"train: {', '.join(split['train'])}; val: {', '.join(split['val'])}"
                  + (f"; test: {', '.join(split['test'])}" if split.get("test") else ""))
    for side in ("val", "test"):
        scores = summary["metrics"].get(side)
        if not scores:
            continue
        table = Table("class", "precision", "recall", "F1", "support", title=f"{side} (frames)")
        for cls, row in scores.get("per_class", {}).items():
            table.add_row(cls, f"{row['precision']:.3f}", f"{row['recall']:.3f}", f"{row['f1']:.3f}",
                          f"{row['support']:,}")
        console.print(table)
        console.print(f"{side} macro F1: {scores['macro_f1']:.3f} (mean over the behaviors, background 'none' excluded)")
    best = (f"best trial {summary['best_trial'] + 1}" if summary["family"] == "gbdt"
            else f"best epoch {summary['best_epoch'] + 1} of trial {summary['best_trial'] + 1}")
    console.print(f"{best}; report: {Path(summary['bundle']) / 'performance_report.yaml'}")


def register(app: typer.Typer) -> None:
    app.command("train", cls=greedy(*_LISTS))(train)
