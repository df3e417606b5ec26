"""Annotator agreement on the CalMS21-derived BANOS labels: annotator 2 vs 1, pooled over 10 recordings.

Prints our figures beside those in ../shared/data/SOURCES.md (frame F1: attack 0.740,
investigation 0.812, mount 0.925, macro 0.826), plus Cohen's kappa and the time taken.

    python benchmarks/bench_agreement.py [--root ../shared/data/banos_calms21_labels]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from ethoforge.evaluation.agreement import annotator_agreement

BEHAVIORS = ["attack", "investigation", "mount"]  # "other" is the background
PUBLISHED = {"attack": 0.740, "investigation": 0.812, "mount": 0.925, "macro": 0.826}
DEFAULT_ROOT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "banos_calms21_labels"


def load_annotations(root: Path) -> tuple[list, list, list[str]]:
    """Per-recording 0/1 matrices of annotator 1 and 2 (columns ``BEHAVIORS``) and the names."""
    recordings = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: int(p.name.split("_")[-1]))
    first = [pd.read_csv(p / "humanAnnotation_1.csv")[BEHAVIORS].to_numpy() for p in recordings]
    second = [pd.read_csv(p / "humanAnnotation_2.csv")[BEHAVIORS].to_numpy() for p in recordings]
    return first, second, [p.name for p in recordings]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    args = parser.parse_args()
    started = time.perf_counter()
    first, second, names = load_annotations(args.root)
    loaded = time.perf_counter()
    result = annotator_agreement(first, second, BEHAVIORS)
    done = time.perf_counter()
    print(f"{len(names)} recordings, {result['n_frames']:,} frames "
          f"(read {loaded - started:.2f} s, agreement {done - loaded:.3f} s)")
    print(f"{'behavior':<15}{'F1 ours':>9}{'SOURCES':>9}{'diff':>8}{'kappa':>8}{'frames A':>10}{'frames B':>10}")
    for name in BEHAVIORS:
        row = result["per_behavior"][name]
        print(f"{name:<15}{row['f1']:>9.3f}{PUBLISHED[name]:>9.3f}{row['f1'] - PUBLISHED[name]:>+8.3f}"
              f"{row['kappa']:>8.3f}{row['frames_a']:>10,}{row['frames_b']:>10,}")
    print(f"{'macro':<15}{result['macro_f1']:>9.3f}{PUBLISHED['macro']:>9.3f}"
          f"{result['macro_f1'] - PUBLISHED['macro']:>+8.3f}")
    print(f"Cohen's kappa over none + {len(BEHAVIORS)} behaviors: {result['kappa']:.3f}")
    per_recording = [
        sum(v for v in r.values() if v is not None) / max(1, sum(v is not None for v in r.values()))
        for r in result["per_recording"]
    ]
    print("macro F1 per recording (behaviors present): " + ", ".join(f"{n.split('_')[-1]}: {v:.3f}" for n, v in zip(names, per_recording)))


if __name__ == "__main__":
    main()
