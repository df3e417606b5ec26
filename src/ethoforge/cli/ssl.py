"""``ethoforge pretrain``, ``embed`` and ``discover``: self-supervised embedders (`ethoforge.ssl`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ethoforge.cli._common import (
    DeviceOption,
    DeviceOverride,
    JsonOption,
    ProjectOption,
    emit_json,
    greedy,
    open_project,
    progress_bar,
    stdout,
)

_LISTS = ("--recordings",)


def pretrain(
    recordings: Annotated[list[str] | None, typer.Option(
        help="Recording names/ids or pose files (a CalMS21/MABe file: all its sequences): --recordings A B "
             "(default: the dataset's, else all).")] = None,
    dataset: Annotated[str | None, typer.Option(help="Pretrain on this dataset's recordings.")] = None,
    tasks: Annotated[str | None, typer.Option(
        help="Pretext tasks, e.g. cons,order,shift,warp,mask (default: all the data allow).")] = None,
    window: Annotated[int | None, typer.Option(help="Frames per pretext sample (default 64).")] = None,
    preset: Annotated[str | None, typer.Option(
        help="Encoder size: small (32 x 4 layers x 4 heads x 64, default) or lisbet (64 x 8 x 8 x 256).")] = None,
    emb_dim: Annotated[int | None, typer.Option(help="Embedding size (overrides the preset).")] = None,
    layers: Annotated[int | None, typer.Option(help="Encoder layers, 4-8 (overrides the preset).")] = None,
    heads: Annotated[int | None, typer.Option(help="Attention heads; must divide --emb-dim.")] = None,
    hidden: Annotated[int | None, typer.Option(help="Feed-forward width (overrides the preset).")] = None,
    epochs: Annotated[int | None, typer.Option(help="Epochs (default 10).")] = None,
    train_sample: Annotated[float | None, typer.Option(
        help="Share of all windows drawn per epoch and task, in (0, 1] (default 0.05).")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Samples per task and step (default 64).")] = None,
    lr: Annotated[float | None, typer.Option(help="AdamW learning rate (default 1e-3).")] = None,
    max_shift: Annotated[int | None, typer.Option(help="Largest lag of the shift task, frames (default 60).")] = None,
    order_gap: Annotated[int | None, typer.Option(
        help="Largest gap between the order task's two parts, frames (default 30).")] = None,
    augment: Annotated[str | None, typer.Option(help='Pose augmentations, e.g. "perm_id:p=0.5,jitter:sigma=1".')] = None,
    eval_samples: Annotated[int | None, typer.Option(
        help="Held-out samples per task scored after each epoch (default 256).")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed.")] = None,
    device: DeviceOverride = None,
    workers: Annotated[int | None, typer.Option(
        help="Processes making pretext samples while the model trains; 0: none (default: one per spare core, ≤ 4).")] = None,
    resume: Annotated[Path | None, typer.Option(help="Continue from this checkpoint (.pt).")] = None,
    name: Annotated[str | None, typer.Option(help="Registry name of the embedder.")] = None,
    project: ProjectOption = None,
    json: JsonOption = False,
) -> None:
    """Pretrain an embedder on unlabelled recordings (self-supervised) and register it (kind embedder)."""
    from ethoforge.ssl.project import pretrain_in_project

    options: dict[str, Any] = {key: value for key, value in {
        "tasks": tasks, "window": window, "preset": preset, "emb_dim": emb_dim, "layers": layers, "heads": heads,
        "hidden": hidden, "epochs": epochs, "train_sample": train_sample, "batch_size": batch_size, "lr": lr,
        "max_shift": max_shift, "order_gap": order_gap, "augment": augment, "eval_samples": eval_samples,
        "seed": seed, "device": device,
        "workers": workers, "resume": str(resume) if resume else None}.items() if value is not None}
    with open_project(project) as opened, progress_bar("pretraining", enabled=not json, eta=True) as update:
        def on_epoch(step: int, total: int, row: dict) -> bool:
            accuracy = [f"{k.removeprefix('val_').removesuffix('_accuracy')} {v:.2f}" for k, v in row.items()
                        if k.startswith("val_") and k.endswith("_accuracy")]
            update(step, total, f"loss {row['val_loss']:.3f}  " + "  ".join(accuracy))
            return True

        trained = pretrain_in_project(opened, options, recordings=recordings, dataset=dataset, progress=on_epoch,
                                      name=name)
    summary = trained.to_dict()
    if json:
        emit_json(summary)
        return
    console = stdout()
    console.print(f"embedder {summary['model_name']} (id {summary['model_id']}) → {summary['bundle']}")
    console.print(f"tasks {','.join(summary['tasks'])}; best epoch {summary['best_epoch'] + 1} of {summary['epochs']}")
    for key, value in summary["metrics"].items():
        if key.endswith("_accuracy"):
            console.print(f"  held-out {key.removeprefix('val_').removesuffix('_accuracy')}: {value:.3f}")


def embed(
    model: Annotated[str, typer.Argument(help="Registry id or name of an embedder, or its bundle folder.")],
    recordings: Annotated[list[str] | None, typer.Option(
        help="Recording names/ids or pose files: --recordings A B file.csv")] = None,
    out: Annotated[Path | None, typer.Option(
        help="Output folder (default PROJECT/embeddings/model_<id>, or ./embeddings without a project).")] = None,
    formats: Annotated[str, typer.Option(help="parquet, netcdf or both (comma-separated).")] = "parquet,netcdf",
    device: DeviceOption = "auto",
    project: ProjectOption = None,
    json: JsonOption = False,
) -> None:
    """Per-frame embeddings of recordings (parquet and NetCDF with frame index and recording name)."""
    from ethoforge.cli.infer import _maybe_project
    from ethoforge.ssl.project import embed_many

    opened = _maybe_project(project)
    try:
        with progress_bar("embedding", enabled=not json, eta=True) as update:
            outputs = embed_many(model, recordings or [], out, project=opened, device=device,
                                 formats=[f.strip() for f in formats.split(",") if f.strip()], progress=update)
    finally:
        if opened is not None:
            opened.close()
    plain = {name: {kind: str(path) for kind, path in files.items()} for name, files in outputs.items()}
    if json:
        emit_json({"outputs": plain})
        return
    console = stdout()
    for name, files in plain.items():
        console.print(f"{name}: {', '.join(files.values())}")




def discover(
    model: Annotated[str, typer.Argument(help="Registry id or name of an embedder, or its bundle folder.")],
    recordings: Annotated[list[str] | None, typer.Option(
        help="Recording names/ids or pose files: --recordings A B file.csv")] = None,
    clusters: Annotated[int, typer.Option(help="Number of motifs (k-means clusters or HMM states).")] = 8,
    behaviors: Annotated[str | None, typer.Option(
        help='Labelled behaviors to compare motifs with, e.g. "attack;mount" (default: all labelled).')] = None,
    method: Annotated[str, typer.Option(help="kmeans, or hmm (a Gaussian HMM on the PCA-reduced embeddings: "
                                                    "motifs that also depend on neighbouring frames).")] = "kmeans",
    map_method: Annotated[str, typer.Option("--map", help="auto (UMAP when umap-learn is installed, else PCA), "
                                                          "umap or pca.")] = "auto",
    out: Annotated[Path | None, typer.Option(
        help="Output folder (default PROJECT/discovery/model_<id>, or ./discovery without a project).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    device: DeviceOption = "auto",
    project: ProjectOption = None,
    json: JsonOption = False,
) -> None:
    """Behavior motifs from embeddings: k-means or HMM, motif bouts, ethograms, a 2-D map, motif x behavior AMI."""
    from ethoforge.cli.infer import _maybe_project
    from ethoforge.ssl.project import discover_many

    opened = _maybe_project(project)
    try:
        with progress_bar("discovery", enabled=not json, eta=True) as update:
            run = discover_many(model, recordings or [], out, project=opened, clusters=clusters, behaviors=behaviors,
                                method=method, map_method=map_method, seed=seed, device=device, progress=update)
    finally:
        if opened is not None:
            opened.close()
    if json:
        emit_json(run.to_dict())
        return
    console = stdout()
    console.print(f"{run.clusters} motifs ({run.map_method.upper()} map) → {run.out_dir}")
    if run.ami is not None:
        console.print(f"motifs vs labelled behaviors: adjusted mutual information {run.ami:.3f}")


def register(app: typer.Typer) -> None:
    app.command("pretrain", cls=greedy(*_LISTS))(pretrain)
    app.command("embed", cls=greedy(*_LISTS))(embed)
    app.command("discover", cls=greedy(*_LISTS))(discover)
