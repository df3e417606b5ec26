"""``ethoforge train``: train a classifier on project recordings and register it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from ethoforge.cli._common import (
    JsonOption,
    ProjectOption,
    emit_json,
    greedy,
    open_project,
    progress_bar,
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
        "--model", help="Model family: gbdt, conv_bilstm (default) or transformer.")] = None,
    model_config: Annotated[str | None, typer.Option(
        help='Model options as JSON, e.g. \'{"hidden": 32}\' (override the family defaults).')] = None,
    window: Annotated[int | None, typer.Option(help="Context window in frames (odd; default 31).")] = None,
    epochs: Annotated[int | None, typer.Option(help="Epochs per trial (default 30).")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Windows per batch (default 256).")] = None,
    lr: Annotated[float | None, typer.Option(help="Learning rate of AdamW (> 0; default 2e-3).")] = None,
    weight_decay: Annotated[float | None, typer.Option(help="AdamW weight decay (default 1e-4).")] = None,
    samples_per_epoch: Annotated[int | None, typer.Option(help="Windows drawn per epoch (default 20000).")] = None,
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
    val_recordings: Annotated[list[str] | None, typer.Option(help="Validation recordings: --val-recordings A B.")] = None,
    test_recordings: Annotated[list[str] | None, typer.Option(help="Test recordings: --test-recordings C.")] = None,
    val_fraction: Annotated[float | None, typer.Option(
        help="Share of recordings drawn for validation when not listed (default 0.2).")] = None,
    test_fraction: Annotated[float | None, typer.Option(
        help="Share of recordings drawn for test when not listed (default 0).")] = None,
    device: Annotated[str | None, typer.Option(help="auto (CUDA when present), cpu or cuda.")] = None,
    features: Annotated[str | None, typer.Option(
        help="pose (default), video:ENCODER or pose+video:ENCODER (videos encoded first: ethoforge encode).")] = None,
    resume: Annotated[Path | None, typer.Option(help="Continue from this checkpoint (.pt).")] = None,
    checkpoint_every: Annotated[int | None, typer.Option(help="Also keep a checkpoint every N epochs.")] = None,
    name: Annotated[str | None, typer.Option(help="Registry name of the model.")] = None,
    activate: Annotated[bool, typer.Option("--activate", help="Make it the dataset's active model.")] = False,
    project: ProjectOption = None,
    json: JsonOption = False,
) -> None:
    """Train a behavior classifier on project recordings and register it in the project."""
    from ethoforge.workflows import train_in_project

    options: dict[str, Any] = {
        key: value for key, value in {
            "family": model, "window": window, "epochs": epochs, "batch_size": batch_size, "lr": lr,
            "weight_decay": weight_decay, "samples_per_epoch": samples_per_epoch, "sampling": sampling,
            "class_weights": class_weights, "trials": trials, "seed": seed, "augment": augment, "device": device,
            "resume": str(resume) if resume else None, "checkpoint_every": checkpoint_every, "model": model_config,
            "features": features,
        }.items() if value is not None
    }
    if patience is not None:
        options["patience"] = patience or None
    split = {key: value for key, value in {
        "val": val_recordings, "test": test_recordings, "val_fraction": val_fraction,
        "test_fraction": test_fraction, "seed": seed}.items() if value is not None}
    if split:
        options["split"] = split
    with open_project(project) as opened, _epoch_bar(enabled=not json) as update:
        trained = train_in_project(opened, options, recordings=recordings, behaviors=behaviors, dataset=dataset,
                                   progress=update, name=name, activate=activate)
    summary = trained.to_dict()
    if json:
        emit_json(summary)
        return
    _print_summary(summary)


@contextmanager
def _epoch_bar(enabled: bool) -> Iterator[Callable[[int, int, dict], bool]]:
    """A rich progress bar on stderr, one step per epoch, showing the latest loss and val F1."""
    with progress_bar("training", enabled=enabled) as update:

        def on_epoch(step: int, total: int, metrics: dict) -> bool:
            shown = [f"{label} {metrics[key]:.3f}" for key, label in
                     (("train_loss", "loss"), ("val_loss", "val loss"), ("val_macro_f1", "val F1"))
                     if isinstance(metrics.get(key), (int, float))]
            update(step, total, "  ".join(shown))
            return True

        yield on_epoch


def _print_summary(summary: dict) -> None:
    from rich.table import Table

    console = stdout()
    console.print(f"model {summary['model_name']} (id {summary['model_id']}, {summary['family']}) "
                  f"→ {summary['bundle']}")
    split = summary["split"]
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
        console.print(f"{side} macro F1: {scores['macro_f1']:.3f}")
    console.print(f"best epoch {summary['best_epoch'] + 1} of trial {summary['best_trial'] + 1}; "
                  f"report: {Path(summary['bundle']) / 'performance_report.yaml'}")


def register(app: typer.Typer) -> None:
    app.command("train", cls=greedy(*_LISTS))(train)
