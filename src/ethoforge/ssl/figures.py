"""Pretraining curves: loss and accuracy per task and epoch (train and held-out), one PNG."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ethoforge.evaluation.figures import _save


def plot_pretrain_history(history: Sequence[dict], tasks: Sequence[str], path: str | Path) -> Path:
    """Two panels (loss, accuracy; ``mask`` accuracy is its R²) with one line per task, train solid, held-out dashed."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 4))
    epochs = [row["epoch"] + 1 for row in history]
    for column, (metric, label) in enumerate((("loss", "loss"), ("accuracy", "accuracy (mask: R²)"))):
        axes = figure.add_subplot(1, 2, column + 1)
        for index, task in enumerate(tasks):
            colour = f"C{index}"
            axes.plot(epochs, [row[f"{task}_{metric}"] for row in history], color=colour, label=f"{task} train")
            axes.plot(epochs, [row[f"val_{task}_{metric}"] for row in history], color=colour, linestyle="--",
                      label=f"{task} held-out")
        axes.set_xlabel("epoch")
        axes.set_ylabel(label)
        if metric == "loss":
            axes.set_yscale("log")
    figure.axes[-1].legend(fontsize=7, loc="lower right")
    figure.suptitle("pretraining")
    figure.tight_layout()
    return _save(figure, path)
