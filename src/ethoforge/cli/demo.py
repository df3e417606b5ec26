"""``ethoforge demo``: train on four bundled ethome5 recordings, score the fifth beside a human."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ethoforge.cli._common import JsonOption, emit_json, progress_bar, stdout


def demo(
    out: Annotated[Path, typer.Option(help="Folder for the model, its report and the ethogram.")] = Path("ethoforge-demo"),
    model: Annotated[str | None, typer.Option("--model", help="Model family (default: the pipeline's).")] = None,
    epochs: Annotated[int | None, typer.Option(help="Epochs (default: the pipeline's).")] = None,
    model_config: Annotated[str | None, typer.Option(
        help='Model options as JSON, e.g. \'{"lstm_hidden": 32}\' (default: the pipeline\'s).')] = None,
    json: JsonOption = False,
) -> None:
    """Train on four bundled ethome5 recordings, evaluate on the fifth, print its F1 for 'interact'."""
    from ethoforge.workflows import build_train_config
    from ethoforge.workflows import demo as run

    options = {k: v for k, v in {"family": model, "epochs": epochs, "model": model_config}.items() if v is not None}
    config = build_train_config(options) if options else None
    with progress_bar("training", eta=True, lines=True) as update:  # stderr, so also with --json
        result = run(out, lambda step, total, metrics: update(step, total, _epoch_text(metrics)), config=config)
    if json:
        emit_json(result)
        return
    from rich.table import Table

    console = stdout()
    table = Table("", "F1 for 'interact'", title=f"ethome5: held-out recording {', '.join(result['test'])}")
    table.add_row(f"EthoForge ({result['family']})", f"{result['f1_interact']:.3f}")
    table.add_row("second human annotator", f"{result['human_reference_f1']:.3f}")
    console.print(table)
    console.print(f"trained on {len(result['train'])} recordings, validated on {len(result['val'])} "
                  f"in {result['train_seconds']:.0f} s")
    console.print(f"model: {result['bundle']}")
    if result.get("report"):
        console.print(f"report (held-out recording {', '.join(result['test'])}): {result['report']}")
    if result.get("ethogram"):
        console.print(f"ethogram: {result['ethogram']}")


def _epoch_text(metrics: dict) -> str:
    value = metrics.get("val_macro_f1")
    return f"val F1 {value:.3f}" if isinstance(value, (int, float)) else ""


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
