"""Build the bundled sample data (src/ethoforge/datasets/data/ethome5/) from ../shared/data/ethome5.

One compressed ``.npz`` per recording: ``position`` (time, space, keypoint, individual) and
``confidence`` (time, keypoint, individual) as float32, the names, ``fps`` = 30, the per-frame
``interact`` labels (uint8) and the source file names; plus ethome5's LICENSE and ATTRIBUTION.md.

Usage: python scripts/build_sample_data.py [--shared ../shared/data] [--out src/ethoforge/datasets/data/ethome5]
"""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from ethoforge.io.poses import load_poses

REPO = Path(__file__).resolve().parents[1]
RECORDING_ID = re.compile(r"^(e3v813a-\d{8}T\d{6}-\d{6})")
FPS = 30.0

ATTRIBUTION = """# ethome5 sample data: origin and licence

Five recordings of two mice (adult + juvenile, top view, 1600x1200 px, 30 fps) with the
per-frame `interact` labels, bundled with EthoForge as sample data.

- Origin: `ethome-ml` 0.3.0 source distribution on PyPI, file
  `ethome/data/sample_dataframe.pkl` (pose + per-frame labels of 5 recordings), and
  `benlansdell/ethome` @ e3f7d42 for the original DeepLabCut file of recording
  `e3v813a-20210610T122332-122642` and the five BORIS exports.
- Copyright (c) 2021 Ben Lansdell, MIT licence (see `LICENSE` in this folder).
- Pose: multi-animal DeepLabCut (`dlcrnetms5`, ellipse-tracked, filtered), 7 keypoints per
  animal (nose, leftear, rightear, neck, lefthip, righthip, tail), x/y in pixels plus likelihood.
- Conversion: each recording's DeepLabCut CSV was read and stored here as float32 arrays in a
  compressed `.npz` (`scripts/build_sample_data.py`), together with the per-frame `interact`
  column of the pickle (0/1). Labels: subject `adult` (BORIS), 45,749 frames, 5,548 interact
  frames, 94 bouts over the five recordings.
"""


def build(shared: Path, out: Path) -> list[Path]:
    """Write one npz per recording plus LICENSE and ATTRIBUTION.md; return the npz paths."""
    source = shared / "ethome5"
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for pose_file in sorted((source / "poses").glob("*.csv")):
        recording_id = RECORDING_ID.match(pose_file.name).group(1)
        recording = load_poses(pose_file, "dlc", fps=FPS, name=recording_id)
        label_file = next((source / "labels_frames").glob(f"{recording_id}*.csv"))
        labels = pd.read_csv(label_file)
        if len(labels) != recording.n_frames or not (labels["frame"].to_numpy() == np.arange(len(labels))).all():
            raise SystemExit(f"{label_file}: {len(labels)} label rows for {recording.n_frames} pose frames")
        target = out / f"{recording_id}.npz"
        np.savez_compressed(
            target,
            position=recording.poses["position"].values.astype(np.float32),
            confidence=recording.poses["confidence"].values.astype(np.float32),
            individuals=np.array(recording.individuals),
            keypoints=np.array(recording.keypoints),
            space=np.array([str(s) for s in recording.poses["space"].values]),
            fps=np.float64(FPS),
            interact=labels["interact"].to_numpy().astype(np.uint8),
            label_agent=np.array("adult"),
            pose_source=np.array(pose_file.name),
            label_source=np.array(label_file.name),
        )
        written.append(target)
    shutil.copyfile(source / "LICENSE", out / "LICENSE")
    (out / "ATTRIBUTION.md").write_text(ATTRIBUTION, encoding="utf-8")
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "src" / "ethoforge" / "datasets" / "data" / "ethome5")
    args = parser.parse_args()
    paths = build(args.shared, args.out)
    total = sum(p.stat().st_size for p in paths)
    print(f"wrote {len(paths)} recordings to {args.out} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
