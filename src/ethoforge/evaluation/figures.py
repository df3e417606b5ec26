"""Report figures: confusion matrix, per-epoch curves, predicted vs true class share.

Figures are built on `matplotlib.figure.Figure` directly (Agg canvas, no pyplot state), so
they are safe in worker threads and servers. Each function writes one PNG atomically.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ethoforge.atomic import atomic_path


def _save(figure, path: str | Path, dpi: int = 110) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as temporary:
        figure.savefig(temporary, dpi=dpi, format="png")
    return target


def plot_confusion_matrix(matrix, classes: Sequence[str], path: str | Path, *, title: str | None = None) -> Path:
    """Confusion matrix PNG: colour = share of each true class (row), text = frame counts.

    Parameters
    ----------
    matrix
        ``(C, C)`` counts, rows = true class, columns = predicted.
    classes
        Class names in matrix order.
    path
        The PNG to write.
    """
    from matplotlib.figure import Figure

    counts = np.asarray(matrix, dtype=float)
    rows = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, rows, out=np.zeros_like(counts), where=rows > 0)
    n = len(classes)
    size = max(4.0, 0.8 * n + 2.5)
    figure = Figure(figsize=(size + 1.0, size))
    axes = figure.add_subplot()
    image = axes.imshow(share, cmap="Blues", vmin=0.0, vmax=1.0)
    figure.colorbar(image, ax=axes, label="share of true frames")
    axes.set_xticks(range(n), labels=list(classes), rotation=45, ha="right")
    axes.set_yticks(range(n), labels=list(classes))
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title(title or "confusion matrix (frames)")
    for i in range(n):
        for j in range(n):
            axes.text(
                j, i, f"{int(counts[i, j])}\n{share[i, j]:.0%}", ha="center", va="center", fontsize=8,
                color="white" if share[i, j] > 0.5 else "black",
            )
    figure.tight_layout()
    return _save(figure, path)


def _epochs(history: Sequence[dict]) -> np.ndarray:
    return np.array([entry.get("epoch", index) for index, entry in enumerate(history)], dtype=float)


def _series(history: Sequence[dict], key: str) -> np.ndarray | None:
    values = [entry.get(key) for entry in history]
    if all(v is None for v in values):
        return None
    return np.array([np.nan if v is None else float(v) for v in values])


def trial_rows(history: Sequence[dict]) -> dict[int, np.ndarray]:
    """``{trial: indices of its history entries}`` in order of first appearance (entries
    without ``trial`` belong to trial 0), so each trial is drawn on its own."""
    trials = np.array([int(entry.get("trial", 0) or 0) for entry in history])
    return {int(t): np.flatnonzero(trials == t) for t in dict.fromkeys(trials.tolist())}


def history_figure(x: np.ndarray, lines: dict[str, np.ndarray], trials: dict[int, np.ndarray], *,
                   ylabel: str, title: str, ylim=None):
    """A matplotlib Figure with one panel per trial (shared y axis); within a panel one line per
    entry of ``lines``. No line joins the end of one trial to the start of the next."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    n_panels = len(trials)
    columns = min(n_panels, 4)
    rows = -(-n_panels // columns)
    figure = Figure(figsize=(7 if n_panels == 1 else 3.4 * columns, 4 if rows == 1 else 3.2 * rows))
    axes_grid = figure.subplots(rows, columns, sharey=True, squeeze=False)
    for panel, (trial, index) in enumerate(trials.items()):
        axes = axes_grid[panel // columns][panel % columns]
        tx = x[index]
        for label, y in lines.items():
            # markers keep a one-entry history (gbdt) visible as points; the macro mean is dashed black
            macro = label.startswith("macro")
            axes.plot(tx, y[index], marker="o", markersize=3 if len(tx) > 30 else 5, label=label,
                      color="black" if macro else None, linestyle="--" if macro else "-")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        if len(tx) == 1:  # one entry (gbdt): a single tick, not a ±0.05 axis
            axes.set_xlim(tx[0] - 1, tx[0] + 1)
            axes.set_xticks([tx[0]])
        axes.set_xlabel("epoch")
        axes.set_title(title if n_panels == 1 else f"trial {trial + 1}", fontsize=None if n_panels == 1 else 9)
        if ylim is not None:
            axes.set_ylim(*ylim)
        axes.grid(alpha=0.3)
        if panel == 0:
            axes.set_ylabel(ylabel)
            if len(lines) > 1 or len(tx) == 1:
                axes.legend(fontsize=8)
    for panel in range(n_panels, rows * columns):
        axes_grid[panel // columns][panel % columns].set_visible(False)
    if n_panels > 1:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def plot_history(history: Sequence[dict], plots_dir: str | Path, behaviors: Sequence[str]) -> dict[str, Path]:
    """Per-epoch curves from training history entries; returns ``{plot name: path}``.

    Entries look like ``{"trial", "epoch", "train_loss", "val_loss", "val_macro_f1", "lr",
    "per_class": {name: {"precision", "recall", "f1"}}}``; missing keys are skipped, and a
    one-entry history (gbdt) gives one point per line. Several trials get one panel each.
    Writes ``loss.png`` (train/val), ``f1.png``, ``precision.png``, ``recall.png`` (one line
    per behavior plus the macro mean) and ``lr.png`` when the learning rate is logged.
    """
    directory = Path(plots_dir)
    written: dict[str, Path] = {}
    if not history:
        return written
    x = _epochs(history)
    trials = trial_rows(history)

    def plot(lines: dict[str, np.ndarray], name: str, **labels) -> None:
        written[name] = _save(history_figure(x, lines, trials, **labels), directory / f"{name}.png")

    losses = {k.replace("_", " "): s for k in ("train_loss", "val_loss") if (s := _series(history, k)) is not None}
    if losses:
        plot(losses, "loss", ylabel="loss", title="loss per epoch")
    for metric in ("f1", "precision", "recall"):
        lines: dict[str, np.ndarray] = {}
        for name in behaviors:
            values = [entry.get("per_class", {}).get(name, {}).get(metric) for entry in history]
            if any(v is not None for v in values):
                lines[name] = np.array([np.nan if v is None else float(v) for v in values])
        if lines:
            lines[f"macro {metric}"] = np.nanmean(np.vstack(list(lines.values())), axis=0)
        elif metric == "f1" and (macro := _series(history, "val_macro_f1")) is not None:
            lines["macro f1"] = macro
        if lines:
            plot(lines, metric, ylabel=f"validation {metric}", title=f"validation {metric} per behavior", ylim=(0.0, 1.02))
    if (lr := _series(history, "lr")) is not None:
        plot({"lr": lr}, "lr", ylabel="learning rate", title="learning rate")
    return written


def plot_class_share(share: dict, behaviors: Sequence[str], path: str | Path) -> Path:
    """Bar chart of true vs predicted share of frames per behavior (shows over-prediction).

    ``share`` is `frame_metrics`'s ``share`` table ({name: {true_share, predicted_share}}).
    """
    from matplotlib.figure import Figure

    names = list(behaviors)
    true = np.array([share[n]["true_share"] for n in names]) * 100
    predicted = np.array([share[n]["predicted_share"] for n in names]) * 100
    x = np.arange(len(names))
    figure = Figure(figsize=(max(5.0, 1.1 * len(names) + 2), 4))
    axes = figure.add_subplot()
    axes.bar(x - 0.2, true, width=0.4, label="true", color="#4c72b0")
    axes.bar(x + 0.2, predicted, width=0.4, label="predicted", color="#dd8452")
    axes.set_xticks(x, labels=names, rotation=30 if len(names) > 4 else 0, ha="right" if len(names) > 4 else "center")
    axes.set_ylabel("% of annotated frames")
    axes.set_title("class share: predicted vs true")
    axes.legend()
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    return _save(figure, path)
