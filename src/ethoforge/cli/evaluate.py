"""``ethoforge evaluate``: score a model on labelled project recordings."""

from __future__ import annotations

from typing import Annotated

import typer

from ethoforge.cli._common import (
    DeviceOption,
    JsonOption,
    ProjectOption,
    emit_json,
    greedy,
    open_project,
    print_warning,
    stdout,
)


def evaluate(
    model: Annotated[str, typer.Argument(help="Registry id or name of a model, or a model bundle folder.")],
    recordings: Annotated[list[str] | None, typer.Option(
        help="Labelled recordings to score on: --recordings C D (default: the model's test split).")] = None,
    device: DeviceOption = "auto",
    project: ProjectOption = None,
    json: JsonOption = False,
) -> None:
    """Per-class precision, recall, F1 and support, and macro F1, of a model on labelled recordings."""
    from ethoforge.workflows import evaluate_in_project

    with open_project(project) as opened:
        scores = evaluate_in_project(opened, model, recordings, device=device)
    for message in scores["warnings"]:
        print_warning(message)
    if json:
        emit_json(scores)
        return
    from rich.table import Table

    console = stdout()
    table = Table("class", "precision", "recall", "F1", "support",
                  title=f"{scores['model']} on {', '.join(scores['recordings'])} ({scores['n_frames']:,} frames)")
    for name, row in scores["per_class"].items():
        table.add_row(name, f"{row['precision']:.3f}", f"{row['recall']:.3f}", f"{row['f1']:.3f}",
                      f"{row['support']:,}")
    console.print(table)
    for key, label in (("macro_f1", "macro F1"), ("macro_f1_with_background", "macro F1 with background"),
                       ("weighted_f1", "weighted F1")):
        console.print(f"{label}: {scores[key]:.3f}  ({scores['averages'][key]})")
    if len(scores.get("per_recording", {})) > 1:
        for name, value in scores["per_recording"].items():
            console.print(f"  {name}: macro F1 {value:.3f} (behaviors only)")


def register(app: typer.Typer) -> None:
    app.command("evaluate", cls=greedy("--recordings"))(evaluate)
