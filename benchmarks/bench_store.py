"""Time ``ethoforge import poses`` of the five ethome5 DeepLabCut CSVs into a fresh project.

Runs the installed console script (start-up, parsing, netCDF writes and database included)
``--repeat`` times, each into a new temporary project, and prints seconds and frames/s.

    python benchmarks/bench_store.py [--shared ../shared/data] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def run_once(cli: str, poses: Path) -> tuple[float, int]:
    """Seconds for one ``ethoforge import poses`` of every file in ``poses``, and the frames."""
    root = Path(tempfile.mkdtemp(prefix="bench_store_"))
    try:
        subprocess.run([cli, "init", str(root / "p")], check=True, capture_output=True)
        start = time.perf_counter()
        done = subprocess.run([cli, "import", "poses", str(poses), "--fps", "30", "--json",
                               "--project", str(root / "p")], check=True, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        return seconds, json.loads(done.stdout)["frames"]
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cli = str(Path(sys.executable).parent / "ethoforge")
    poses = args.shared / "ethome5" / "poses"
    times = []
    for attempt in range(1, args.repeat + 1):
        seconds, frames = run_once(cli, poses)
        times.append(seconds)
        print(f"run {attempt}: {seconds:.2f} s, {frames:,} frames, {frames / seconds:,.0f} frames/s")
    best = min(times)
    print(f"best of {len(times)}: {best:.2f} s for {frames:,} frames ({frames / best:,.0f} frames/s), "
          f"5 files, whole command incl. start-up")


if __name__ == "__main__":
    main()
