"""Evaluation: frame- and bout-level metrics, annotator agreement, training reports and figures.

Modules: `metrics` (per-frame scores), `bouts` (bout matching by IoU), `agreement` (two
annotators), `figures` (matplotlib plots), `report` (``performance_report.yaml`` and friends).
"""
