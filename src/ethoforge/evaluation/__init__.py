"""Evaluation: frame- and bout-level metrics, annotator agreement, training reports and figures.

Modules: `metrics` (per-frame scores), `bouts` (bout matching by IoU), `agreement` (two
annotators), `figures` (matplotlib plots), `report` (``performance_report.yaml`` and friends).
The names below are re-exported; importing them loads numpy only (sklearn, matplotlib, pandas
and yaml are imported inside the functions that use them).
"""

from ethoforge.evaluation.agreement import annotator_agreement, cohen_kappa
from ethoforge.evaluation.bouts import bout_metrics, labels_to_bouts
from ethoforge.evaluation.metrics import binary_f1, frame_metrics, pooled_f1
from ethoforge.evaluation.report import evaluate_predictions, write_training_report

__all__ = [
    "annotator_agreement",
    "binary_f1",
    "bout_metrics",
    "cohen_kappa",
    "evaluate_predictions",
    "frame_metrics",
    "labels_to_bouts",
    "pooled_f1",
    "write_training_report",
]
