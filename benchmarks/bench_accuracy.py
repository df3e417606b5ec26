"""Accuracy benchmark: leave-one-recording-out frame F1, printed beside the human reference.

``ethome5`` (default): each of the five recordings is held out in turn; of the other four,
one validates (early stopping, calibration) and three train. Frames of the five held-out
predictions are pooled and the F1 of ``interact`` is printed beside the second human
annotator's 0.798. ``--dataset sturman``: 2-fold across the two ``sturman_oft`` recordings
(one trains, the other is held out; validation = the last 20 % of the training recording is
not possible by recording, so the held-out one also validates — an optimistic upper bound,
said so in the output), behavior ``Supported`` rearing.

Run: ``python benchmarks/bench_accuracy.py [--families gbdt,conv_bilstm] [--config '{"epochs": 20}']``.
Prints figures; it is not a timed test.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

HUMAN_REFERENCE = {"ethome5": ("interact", 0.798)}
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def _ethome5():
    from ethoforge.datasets import load_sample

    samples = load_sample()
    return [r for r, _ in samples], {r.name: b for r, b in samples}, ["interact"]


def _sturman():
    import pandas as pd

    from ethoforge.io.poses import load_poses
    from ethoforge.labels import Bout

    root = SHARED / "sturman_oft"
    recordings, bouts = [], {}
    labels = pd.read_csv(root / "AllLabDataOFT_final.csv", sep=";")
    for pose_file in sorted(root.glob("*DeepCut*.csv")):
        video = pose_file.name.split("DeepCut")[0]
        recording = load_poses(pose_file, fps=25.0, name=video)
        body = [k for k in recording.keypoints if k not in ("tl", "tr", "bl", "br", "centre")]
        recording.poses = recording.poses.sel(keypoint=body)
        rows = labels[(labels["DLCFile"].astype(str).str.contains(video)) & (labels["type"] == "Supported")]
        annotator = sorted(rows["Experimenter"].unique())[0]
        rows = rows[rows["Experimenter"] == annotator]
        bouts[video] = [
            Bout(video, "Supported", int(round(a * 25)), min(int(round(b * 25)), recording.n_frames))
            for a, b in zip(rows["from"], rows["to"]) if int(round(a * 25)) < recording.n_frames
        ]
        recordings.append(recording)
    return recordings, bouts, ["Supported"]


def run(dataset: str, families: list[str], overrides: dict, out: Path) -> dict:
    from ethoforge.inference.bundle import load_bundle
    from ethoforge.pipeline import train_from_recordings
    from ethoforge.training.data import frame_targets

    recordings, bouts, behaviors = _ethome5() if dataset == "ethome5" else _sturman()
    names = [r.name for r in recordings]
    results = {}
    for family in families:
        tp = fp = fn = 0
        per_recording, tic = {}, time.monotonic()
        for k, test in enumerate(recordings):
            rest = [n for n in names if n != test.name]
            if len(rest) >= 2:
                val = [rest[k % len(rest)]]
                train_names = [n for n in rest if n not in val]
            else:
                val, train_names = [test.name], rest
            config = {"family": family, **overrides,
                      "split": {"train": train_names, "val": val, "test": []}}
            chosen = [r for r in recordings if r.name in train_names + val]
            result = train_from_recordings(chosen, bouts, behaviors, config, out / f"{family}_{k}")
            bundle = load_bundle(result.bundle_dir)
            predicted = bundle.predict_proba(test, device="cpu").argmax(axis=1)
            target = frame_targets(bouts.get(test.name, []), behaviors, test.n_frames)
            t, p = target == 1, predicted == 1
            tp, fp, fn = tp + int((t & p).sum()), fp + int((~t & p).sum()), fn + int((t & ~p).sum())
            rec_f1 = 2 * (t & p).sum() / max(1, 2 * (t & p).sum() + (~t & p).sum() + (t & ~p).sum())
            per_recording[test.name] = round(float(rec_f1), 3)
            print(f"  {family:12s} held out {test.name}: F1 {rec_f1:.3f} "
                  f"(val {result.metrics['val']['macro_f1']:.3f}, {len(result.history)} epochs)", flush=True)
        pooled = 2 * tp / max(1, 2 * tp + fp + fn)
        results[family] = {"pooled_f1": round(pooled, 4), "per_recording": per_recording,
                           "seconds": round(time.monotonic() - tic, 1)}
        reference = HUMAN_REFERENCE.get(dataset)
        ref = f" (human reference {reference[1]})" if reference else ""
        print(f"{dataset} {family}: pooled frame F1 {behaviors[0]} = {pooled:.3f}{ref}; "
              f"{results[family]['seconds']} s", flush=True)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=["ethome5", "sturman"], default="ethome5")
    parser.add_argument("--families", default="gbdt,conv_bilstm,transformer")
    parser.add_argument("--config", default="{}", help="JSON of TrainConfig overrides")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        results = run(args.dataset, args.families.split(","), json.loads(args.config), Path(tmp))
    json.dump(results, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
