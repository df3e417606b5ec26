"""Accuracy benchmark: leave-one-recording-out frame F1, printed beside the human reference.

``ethome5`` (default): each of the five recordings is held out in turn; of the other four,
one validates (early stopping, calibration) and three train. Frames of the five held-out
predictions are pooled and the F1 of ``interact`` is printed beside the second human
annotator's 0.798. ``--dataset sturman``: 2-fold across the two ``sturman_oft`` recordings
(one is held out; the other's first 80 % trains and its last 20 %, after a 50-frame gap,
validates: the held-out recording is never validated on), behavior ``Supported`` rearing.

Run: ``python benchmarks/bench_accuracy.py [--families gbdt,conv_bilstm] [--config '{"epochs": 20}']
[--rotations 4]`` (default: every registered model family, in one run). ``--rotations`` repeats the
five folds once per choice of validation recording and prints the spread: a change smaller than it
is not shown to help. The output starts with the exact command and the machine (CPUs, CPU
threads, load, date) and ends with one summary line per family, so every figure quoted from one
run can be traced to it. Prints figures; it is not a timed test.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import shlex
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

HUMAN_REFERENCE = {"ethome5": ("interact", 0.798)}
SHARED = Path(os.environ.get("ETHOFORGE_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def _ethome5():
    from ethoforge.datasets import load_sample

    samples = load_sample()
    return [r for r, _ in samples], {r.name: b for r, b in samples}, ["interact"]


STURMAN_FPS = 25.0
VAL_GAP = 50  # frames between a recording's training and validation parts (> half the widest window)


def _sturman_bouts(labels, video: str, annotator: str, n_frames: int) -> list:
    """``Supported`` rearing bouts of one annotator inside the first ``n_frames`` frames."""
    from ethoforge.labels import Bout

    rows = labels[(labels["DLCFile"].astype(str).str.contains(video)) & (labels["type"] == "Supported")
                  & (labels["Experimenter"] == annotator)]
    return [
        Bout(video, "Supported", int(round(a * STURMAN_FPS)), min(int(round(b * STURMAN_FPS)), n_frames))
        for a, b in zip(rows["from"], rows["to"]) if int(round(a * STURMAN_FPS)) < n_frames
    ]


def _sturman():
    import pandas as pd

    from ethoforge.io.poses import load_poses

    root = SHARED / "sturman_oft"
    recordings, bouts = [], {}
    labels = pd.read_csv(root / "AllLabDataOFT_final.csv", sep=";")
    annotators = sorted(labels["Experimenter"].unique())
    for pose_file in sorted(root.glob("*DeepCut*.csv")):
        video = pose_file.name.split("DeepCut")[0]
        recording = load_poses(pose_file, fps=STURMAN_FPS, name=video)
        body = [k for k in recording.keypoints if k not in ("tl", "tr", "bl", "br", "centre")]
        recording.poses = recording.poses.sel(keypoint=body)
        bouts[video] = _sturman_bouts(labels, video, annotators[0], recording.n_frames)
        recordings.append(recording)
    return recordings, bouts, ["Supported"]


def sturman_agreement() -> dict[str, float]:
    """Pooled frame F1 of ``Supported`` between annotators on the frames with pose.

    The first annotator (alphabetically) gives the labels the models learn; each other
    annotator scored against them is the human reference, and the other two against each other.
    """
    import pandas as pd

    from ethoforge.evaluation.agreement import annotator_agreement
    from ethoforge.training.data import frame_targets

    recordings, _, behaviors = _sturman()
    labels = pd.read_csv(SHARED / "sturman_oft" / "AllLabDataOFT_final.csv", sep=";")
    annotators = sorted(labels["Experimenter"].unique())

    def frames(annotator: str) -> list:
        return [frame_targets(_sturman_bouts(labels, r.name, annotator, r.n_frames), behaviors, r.n_frames)
                for r in recordings]

    reference, others = annotators[0], annotators[1:]
    pairs = [(reference, other) for other in others] + [(others[0], other) for other in others[1:]]
    return {f"{b} vs {a}": annotator_agreement(frames(a), frames(b), behaviors)["per_behavior"][behaviors[0]]["f1"]
            for a, b in pairs}


def fold(recordings: list, bouts: dict, k: int, rotation: int, gap: int = VAL_GAP) -> tuple[list, dict, list, list]:
    """Recordings, bouts, train and validation names when recording ``k`` is held out.

    Of the others, recording ``(k + rotation) mod len`` validates and the rest train. With one
    other recording only (``sturman``), it is cut in time: its first 80 % trains and its last
    20 %, after a ``gap`` of frames (no window reaches across), validates. The held-out
    recording is never trained or validated on.
    """
    rest = [r for i, r in enumerate(recordings) if i != k]
    if len(rest) >= 2:
        val = [rest[(k + rotation) % len(rest)].name]
        return rest, bouts, [r.name for r in rest if r.name not in val], val
    head, tail = _split_in_time(rest[0], bouts.get(rest[0].name, []), 0.8, gap)
    parts = {head[0].name: head[1], tail[0].name: tail[1]}
    return [head[0], tail[0]], parts, [head[0].name], [tail[0].name]


def _split_in_time(recording, bouts: list, fraction: float, gap: int):
    """``(head, head_bouts), (tail, tail_bouts)``: frames ``[0, cut)`` and ``[cut + gap, n)``,
    bouts clipped to each part and shifted to start at its frame 0."""
    import dataclasses

    cut = int(recording.n_frames * fraction)
    parts = []
    for suffix, start, stop in (("head", 0, cut), ("tail", cut + gap, recording.n_frames)):
        name = f"{recording.name}_{suffix}"
        poses = recording.poses.isel(time=slice(start, stop))
        poses = poses.assign_coords(time=np.arange(stop - start))
        part = dataclasses.replace(recording, name=name, poses=poses, content_hash="")
        clipped = [b.with_(recording=name, start=max(b.start, start) - start, stop=min(b.stop, stop) - start)
                   for b in bouts if b.stop > start and b.start < stop]
        parts.append((part, clipped))
    return parts[0], parts[1]


def fold_config(family: str, overrides: dict, split: dict, threads: int | None = None) -> dict:
    """One fold's training options: ``overrides`` and ``split`` on the family's defaults, with
    ``threads`` CPU threads for torch (``num_threads``) or LightGBM (``model.num_threads``)
    unless ``overrides`` sets them."""
    config = {"family": family, **overrides, "split": split}
    if threads and family == "gbdt":
        config["model"] = {"num_threads": threads, **config.get("model", {})}
    elif threads:
        config.setdefault("num_threads", threads)
    return config


@functools.lru_cache(maxsize=2)
def _data(dataset: str) -> tuple[list, dict, list[str]]:
    """Recordings, bouts and behaviors of ``dataset`` (loaded once per process)."""
    return _ethome5() if dataset == "ethome5" else _sturman()


def _worker_threads(threads: int | None) -> None:
    import torch

    if threads:
        torch.set_num_threads(threads)


def fold_result(dataset: str, family: str, rotation: int, k: int, overrides: dict, out: Path,
                save_probs: Path | None = None, threads: int | None = None) -> dict:
    """Train the fold that holds out recording ``k`` and score it: its F1, frames and timing."""
    from ethoforge.evaluation.metrics import binary_f1
    from ethoforge.inference.bundle import load_bundle
    from ethoforge.pipeline import train_from_recordings
    from ethoforge.training.data import frame_targets

    recordings, bouts, behaviors = _data(dataset)
    test, tic = recordings[k], time.monotonic()
    chosen, fold_bouts, train_names, val = fold(recordings, bouts, k, rotation)
    config = fold_config(family, overrides, {"train": train_names, "val": val, "test": []}, threads)
    result = train_from_recordings(chosen, fold_bouts, behaviors, config, out / f"{family}_{rotation}_{k}")
    proba = load_bundle(result.bundle_dir).predict_proba(test, device="cpu")
    if save_probs is not None:  # held-out probabilities, e.g. to try averaging families
        save_probs.mkdir(parents=True, exist_ok=True)
        suffix = f"_rot{rotation}" if rotation else ""
        np.save(save_probs / f"{family}_{test.name}{suffix}.npy", proba)
    truth = frame_targets(bouts.get(test.name, []), behaviors, test.n_frames) == 1
    prediction = proba.argmax(axis=1) == 1
    return {"family": family, "rotation": rotation, "k": k, "name": test.name, "val": val[0],
            "truth": truth, "prediction": prediction, "f1": binary_f1(truth, prediction),
            "val_f1": result.metrics["val"]["macro_f1"], "epochs": len(result.history),
            "seconds": time.monotonic() - tic}


def pool_folds(folds: list[list[dict]]) -> dict:
    """One family's figures from its scored folds (``folds[rotation][k]``, `fold_result` dicts):
    the held-out frames of each rotation pooled into one F1, per recording F1 and the summed
    seconds; with more than one rotation also each rotation's F1, their mean and sd."""
    from ethoforge.evaluation.metrics import binary_f1

    by_rotation = [round(binary_f1(np.concatenate([f["truth"] for f in rotation]),
                                   np.concatenate([f["prediction"] for f in rotation])), 4) for rotation in folds]
    per_recording = {f["name"]: [round(rotation[k]["f1"], 3) for rotation in folds] for k, f in enumerate(folds[0])}
    result = {"pooled_f1": by_rotation[0], "per_recording": {n: v[0] for n, v in per_recording.items()},
              "seconds": round(sum(f["seconds"] for rotation in folds for f in rotation), 1)}
    if len(folds) > 1:
        spread = np.asarray(by_rotation)
        result.update(pooled_f1_by_rotation=by_rotation, per_recording_by_rotation=per_recording,
                      rotation_mean=round(float(spread.mean()), 4), rotation_sd=round(float(spread.std(ddof=1)), 4))
    return result


def run(dataset: str, families: list[str], overrides: dict, out: Path, save_probs: Path | None = None,
        rotations: int = 1, threads: int | None = None, jobs: int = 1) -> dict:
    """Pooled held-out F1 per family; with ``rotations`` > 1, once per choice of validation recording.

    Rotation ``r`` validates on recording ``(k + r) mod 4`` of the four left when ``k`` is held out
    (rotation 0 is the single run's split), so the spread over rotations shows how much of a
    difference between two configurations the validation choice alone can make. ``jobs`` > 1
    trains that many folds at once in separate processes (each fold is seeded alone, so the
    figures do not change); a family's ``seconds`` is then the sum of its folds' seconds.
    """
    recordings, bouts, behaviors = _data(dataset)
    rotations = max(1, min(rotations, len(recordings) - 1))
    tasks = [(dataset, family, rotation, k, overrides, out, save_probs, threads)
             for family in families for rotation in range(rotations) for k in range(len(recordings))]
    done = {}

    def report(scored: dict) -> None:
        done[scored["family"], scored["rotation"], scored["k"]] = scored
        print(f"  {scored['family']:12s} rotation {scored['rotation']} held out {scored['name']} (val {scored['val']}): "
              f"F1 {scored['f1']:.3f} (val {scored['val_f1']:.3f}, {scored['epochs']} epochs, {scored['seconds']:.0f} s)",
              flush=True)

    if jobs > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_worker_threads, initargs=(threads,)) as pool:
            for future in as_completed([pool.submit(fold_result, *task) for task in tasks]):
                report(future.result())
    else:
        for task in tasks:
            report(fold_result(*task))
    results = {}
    for family in families:
        results[family] = pool_folds([[done[family, rotation, k] for k in range(len(recordings))]
                                      for rotation in range(rotations)])
        pooled, pooled_by_rotation = results[family]["pooled_f1"], results[family].get("pooled_f1_by_rotation")
        reference = HUMAN_REFERENCE.get(dataset)
        ref = f" (human reference {reference[1]})" if reference else ""
        if dataset == "sturman":
            ref = " (annotator agreement: " + ", ".join(f"{k} {v:.3f}" for k, v in sturman_agreement().items()) + ")"
        print(f"{dataset} {family}: pooled frame F1 {behaviors[0]} = {pooled:.3f}{ref}; "
              f"{results[family]['seconds']} s", flush=True)
        if pooled_by_rotation:
            spread = np.asarray(pooled_by_rotation)
            print(f"{dataset} {family}: over {rotations} validation choices pooled F1 "
                  f"{', '.join(f'{v:.3f}' for v in pooled_by_rotation)}; mean {spread.mean():.3f} "
                  f"± {spread.std(ddof=1):.3f} (sd), range {spread.min():.3f}–{spread.max():.3f}", flush=True)
    return results


def machine_facts(argv: list[str], threads: int, jobs: int = 1) -> dict:
    """The exact command, the date and the machine a run's figures come from."""
    from importlib.metadata import version

    return {
        "command": shlex.join(["python", "benchmarks/bench_accuracy.py", *argv]),
        "date_utc": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "host": platform.node(), "cpus": os.cpu_count(), "threads": threads, "jobs": jobs,
        "load_average_1min": round(os.getloadavg()[0], 1), "python": platform.python_version(),
        "torch": version("torch"), "lightgbm": version("lightgbm"),
    }


def summary(dataset: str, results: dict) -> list[str]:
    """One line per family: the mean ± sd over validation choices (or the single split's F1),
    the F1 of each choice and the range of the per-recording F1."""
    lines = []
    for family, r in results.items():
        by_rotation = r.get("pooled_f1_by_rotation", [r["pooled_f1"]])
        head = (f"{r['rotation_mean']:.3f} ± {r['rotation_sd']:.3f} (sd over {len(by_rotation)} validation choices: "
                f"{' / '.join(f'{v:.3f}' for v in by_rotation)})" if "rotation_mean" in r
                else f"{r['pooled_f1']:.3f} (one validation choice)")
        per_recording = [f for v in r.get("per_recording_by_rotation", r["per_recording"]).values()
                         for f in (v if isinstance(v, list) else [v])]
        lines.append(f"{dataset} {family}: pooled F1 {head}; per recording {min(per_recording):.2f}–"
                     f"{max(per_recording):.2f}; {r['seconds']:.0f} s")
    return lines


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The options (``--families`` defaults to every registered model family)."""
    from ethoforge.models.config import MODEL_FAMILIES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=["ethome5", "sturman"], default="ethome5")
    parser.add_argument("--families", default=",".join(MODEL_FAMILIES), help="comma-separated (default: all)")
    parser.add_argument("--config", default="{}", help="JSON of TrainConfig overrides")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads of torch and LightGBM (per job)")
    parser.add_argument("--jobs", type=int, default=1, help="folds trained at once, in separate processes")
    parser.add_argument("--save-probs", type=Path, default=None, help="folder for each held-out recording's probabilities (.npy)")
    parser.add_argument("--rotations", type=int, default=1,
                        help="train each fold once per choice of validation recording (up to 3 more), print the spread")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    facts, tic = machine_facts(argv, args.threads, args.jobs), time.monotonic()
    print("; ".join(f"{k} {v}" for k, v in facts.items()), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        results = run(args.dataset, args.families.split(","), json.loads(args.config), Path(tmp), args.save_probs,
                      args.rotations, args.threads, args.jobs)
    facts.update(wall_seconds=round(time.monotonic() - tic), load_average_1min_at_end=round(os.getloadavg()[0], 1))
    print(f"summary of one run ({facts['command']}; {facts['date_utc']} UTC, {facts['cpus']} CPUs, "
          f"threads {facts['threads']} × {facts['jobs']} jobs, {facts['wall_seconds']} s wall):")
    print("\n".join(summary(args.dataset, results)))
    json.dump({"run": facts, "families": results}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
