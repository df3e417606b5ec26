"""Report figures: several training trials are drawn apart, never joined into one line."""

from __future__ import annotations

import numpy as np

from ethoforge.evaluation.figures import history_figure, plot_history, trial_rows


def _history(trials: int, epochs: int) -> list[dict]:
    return [{"trial": t, "epoch": e, "train_loss": 1.0 / (e + 1) + t, "val_loss": 1.2 / (e + 1) + t,
             "val_macro_f1": 0.1 * e + 0.2 * t, "per_class": {"attack": {"f1": 0.1 * e, "precision": 0.5, "recall": 0.4}}}
            for t in range(trials) for e in range(epochs)]


def test_trial_rows_groups_each_trials_entries_in_order() -> None:
    rows = trial_rows(_history(3, 4))
    assert list(rows) == [0, 1, 2]
    assert [r.tolist() for r in rows.values()] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
    assert list(trial_rows([{"epoch": 0}, {"epoch": 1}])) == [0]  # no trial key: one trial


def test_each_trial_is_its_own_panel_and_no_line_crosses_trials() -> None:
    history = _history(3, 4)
    x = np.array([h["epoch"] for h in history], dtype=float)
    loss = np.array([h["train_loss"] for h in history])
    figure = history_figure(x, {"train loss": loss}, trial_rows(history), ylabel="loss", title="loss")
    panels = [a for a in figure.axes if a.get_visible()]
    assert len(panels) == 3
    for trial, axes in enumerate(panels):
        [line] = axes.get_lines()
        assert line.get_xdata().tolist() == [0, 1, 2, 3]  # epochs of this trial only
        assert np.allclose(line.get_ydata(), [1.0 / (e + 1) + trial for e in range(4)])


def test_plot_history_writes_every_figure_for_several_trials(tmp_path) -> None:
    written = plot_history(_history(2, 3), tmp_path, ["attack"])
    assert set(written) == {"loss", "f1", "precision", "recall"}
    assert all(path.stat().st_size > 1000 for path in written.values())
