"""Time importing the five ethome5 DeepLabCut CSVs through ``load_poses``; print frames/s.

Usage: python benchmarks/bench_import.py [--shared ../shared/data] [--repeat 3]
The first load also pays for importing movement (reported apart).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from ethoforge.io.poses import load_poses

    files = sorted((args.shared / "ethome5" / "poses").glob("*.csv"))
    start = time.perf_counter()
    import movement.io.load_poses  # noqa: F401  (one-off import cost, not per file)

    print(f"import movement: {time.perf_counter() - start:.2f} s")
    best = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        frames = sum(load_poses(path, fps=30).n_frames for path in files)
        best = min(best, time.perf_counter() - start)
    size = sum(p.stat().st_size for p in files) / 1e6
    print(f"{len(files)} DLC CSVs, {frames} frames, {size:.1f} MB: best of {args.repeat} {best:.2f} s "
          f"= {frames / best:,.0f} frames/s ({size / best:.1f} MB/s)")


if __name__ == "__main__":
    main()
