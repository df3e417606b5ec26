"""Pretraining curves: loss and accuracy per task and epoch (train and held-out), one PNG."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ethoforge.evaluation.figures import _save

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


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


def plot_motif_map(points: NDArray[np.floating], motifs: NDArray[np.integer], path: str | Path, *,
                   method: str = "pca", targets: NDArray[np.integer] | None = None,
                   classes: Sequence[str] | None = None) -> Path:
    """2-D map of frames coloured by motif and, when ``targets`` are given, by labelled class (second panel)."""
    import numpy as np
    from matplotlib.figure import Figure

    panels = 2 if targets is not None else 1
    figure = Figure(figsize=(5.5 * panels, 5))
    axes = figure.add_subplot(1, panels, 1)
    scatter = axes.scatter(points[:, 0], points[:, 1], c=motifs, cmap="tab20", s=2, linewidths=0)
    # num=None (one entry per motif) is documented by matplotlib but missing from its stub
    handles, labels = scatter.legend_elements(num=None)  # type: ignore[arg-type]
    axes.legend(handles, labels, title="motif", fontsize=6, markerscale=0.8, loc="best")
    axes.set_title(f"motifs ({method.upper()})")
    if targets is not None:
        known = np.asarray(targets) >= 0
        axes = figure.add_subplot(1, panels, 2)
        for index, name in enumerate(classes or []):
            chosen = known & (np.asarray(targets) == index)
            axes.scatter(points[chosen, 0], points[chosen, 1], s=2, linewidths=0, label=name,
                         color="lightgrey" if index == 0 else f"C{index}")
        axes.legend(fontsize=7, markerscale=4)
        axes.set_title("labelled behavior")
    figure.tight_layout()
    return _save(figure, path)
