"""Inference speed, demo training time and streaming memory — printed figures, not timed tests.

1. Frames/s of `ModelBundle.predict_proba` (features included) on a synthetic 1-hour
   2-mouse recording (108,000 frames at 30 fps, ethome5's 7 keypoints) for each family,
   beside the same model applied one window per frame (what LISBET/CBAS do), timed in the
   same run so the ratio holds on a busy machine. The per-frame baseline is timed on
   ``--baseline-frames`` windows and extrapolated (said so in the output). For torch models
   its features are precomputed (the baseline is flattered); for gbdt each frame's features
   come from its own pose window (window statistics plus margin), 256 rows per predict call.
   ``--threads`` sets torch's threads and the chunks run at once (`ModelBundle.predict_proba`).
2. Wall time of `ethoforge.pipeline.run_demo` (train on four ethome5 recordings).
3. Peak memory of a fresh subprocess streaming a 10-hour recording (``VmHWM`` from
   ``/proc/self/status``: ``ru_maxrss`` of a child keeps the parent's peak across ``exec``).

Run: ``python benchmarks/bench_inference.py [--threads 2] [--families gbdt,conv_bilstm,transformer]
[--bundles DIR]`` (``--bundles`` keeps the quickly trained bundles for the next run).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

FPS = 30.0
ONE_HOUR = 108_000
SPEED_TARGET = 50_000  # frames/s of the default model on 2 cores
SPEEDUP_TARGET = 30  # x the one-window-per-frame baseline
DEMO_TARGET_S = 120.0
MEMORY_TARGET_MB = 1536.0


def synthetic_recording(n_frames: int, seed: int = 0):
    """Two mice doing smooth random walks, ethome5's keypoint layout (float32, built in blocks
    so that making a 10-hour recording does not itself raise the peak memory)."""
    import xarray as xr

    from ethoforge.datasets import load_sample_recording, sample_names
    from ethoforge.recording import Recording

    template, _ = load_sample_recording(sample_names()[0])
    body = template.poses["position"].values[:200].astype(np.float32)
    offsets = body.mean(axis=0) - body.mean(axis=(0, 2), keepdims=True)[0]  # (space, keypoint, individual)
    rng = np.random.default_rng(seed)
    position = np.empty((n_frames, *offsets.shape), np.float32)
    centre = np.full((2, 1, offsets.shape[2]), 600.0, np.float32)
    for first in range(0, n_frames, 50_000):
        n = min(50_000, n_frames - first)
        steps = rng.standard_normal((n, 2, 1, offsets.shape[2]), dtype=np.float32) * 0.4
        walk = centre + np.cumsum(steps, axis=0)
        centre = walk[-1]
        noise = rng.standard_normal((n, *offsets.shape), dtype=np.float32)
        position[first : first + n] = walk + offsets[None] + noise
    confidence = np.full((n_frames, *offsets.shape[1:]), 0.95, np.float32)
    poses = xr.Dataset(
        {"position": (("time", "space", "keypoint", "individual"), position),
         "confidence": (("time", "keypoint", "individual"), confidence)},
        coords={"time": np.arange(n_frames), "space": ["x", "y"], "keypoint": template.keypoints,
                "individual": template.individuals},
    )
    return Recording("synthetic", poses, FPS, content_hash="synthetic")


def quick_bundle(family: str, out: Path, overrides: dict | None = None) -> Path:
    """A bundle of ``family`` trained briefly on two ethome5 recordings (speed does not need accuracy)."""
    from ethoforge.datasets import load_sample
    from ethoforge.pipeline import train_from_recordings

    samples = load_sample()[:3]
    names = [r.name for r, _ in samples]
    config = {"family": family, "epochs": 1, "samples_per_epoch": 2000, "device": "cpu",
              "split": {"train": names[:2], "val": names[2:]}, **(overrides or {})}
    if family == "gbdt":
        config.setdefault("model", {"n_estimators": 200, "early_stopping_rounds": None})
    train_from_recordings([r for r, _ in samples], {r.name: b for r, b in samples}, ["interact"], config, out)
    return out


def per_window_baseline(bundle, recording, n_frames: int) -> float:
    """Seconds per frame of the model applied one window per frame (centre output kept)."""
    if bundle.family == "gbdt":
        return gbdt_per_window_baseline(bundle, recording, n_frames)
    import torch

    from ethoforge.training.data import gather_windows, pad_features

    features = bundle.features_of(bundle.prepare_poses(recording), 0, min(recording.n_frames, n_frames + 100))
    padded = pad_features(features, bundle.window // 2)
    model = bundle.model("cpu")
    centres = np.arange(n_frames)
    tic = time.perf_counter()
    with torch.inference_mode():
        for first in range(0, n_frames, 256):
            windows = gather_windows(padded, centres[first : first + 256], bundle.window)
            model(torch.from_numpy(windows))[:, bundle.window // 2]
    return (time.perf_counter() - tic) / n_frames


def gbdt_per_window_baseline(bundle, recording, n_frames: int) -> float:
    """Seconds per frame of gbdt applied one window per frame: each frame's features from its own
    pose window (the spec's window statistics plus margin), predicted in batches of 256 rows."""
    poses = bundle.prepare_poses(recording)
    first = bundle.feature_margin()
    model = bundle.model("cpu")
    tic = time.perf_counter()
    for start in range(first, first + n_frames, 256):
        centres = range(start, min(start + 256, first + n_frames))
        model.predict_proba(np.concatenate([bundle.features_of(poses, t, t + 1) for t in centres]))
    return (time.perf_counter() - tic) / n_frames


def bench_families(families: list[str], baseline_frames: int, out: Path, default_family: str, threads: int) -> dict:
    from ethoforge.inference.bundle import load_bundle

    recording = synthetic_recording(ONE_HOUR)
    results = {}
    for family in families:
        path = out / family
        bundle = load_bundle(path if (path / "bundle.json").is_file() else quick_bundle(family, path))
        bundle.predict_proba(synthetic_recording(5000, seed=1), device="cpu", threads=threads)  # warm-up
        tic, tic_cpu = time.perf_counter(), time.process_time()
        proba = bundle.predict_proba(recording, device="cpu", threads=threads)
        seconds, cpu = time.perf_counter() - tic, time.process_time() - tic_cpu
        assert proba.shape == (ONE_HOUR, 2)
        per_frame = per_window_baseline(bundle, recording, baseline_frames)
        row = {"frames_per_s": round(ONE_HOUR / seconds), "seconds_1h": round(seconds, 2),
               "cpu_seconds_1h": round(cpu, 2), "frames_per_cpu_s": round(ONE_HOUR / cpu),
               "per_window_frames_per_s": round(1.0 / per_frame),
               "per_window_seconds_1h_extrapolated": round(per_frame * ONE_HOUR, 1),
               "speedup": round(per_frame * ONE_HOUR / seconds, 1)}
        results[family] = row
        line = (f"{family:12s} chunked: {row['frames_per_s']:>9,} frames/s ({seconds:.1f} s for 1 h, "
                f"{cpu:.1f} CPU s = {row['frames_per_cpu_s']:,} frames per CPU second); "
                f"one window per frame: {row['per_window_frames_per_s']:,} frames/s (timed on {baseline_frames:,} "
                f"frames, extrapolated {row['per_window_seconds_1h_extrapolated']} s for 1 h) -> {row['speedup']}x")
        if family == default_family:
            line += (f"  [default model: {row['frames_per_s'] / SPEED_TARGET:.2f}x the {SPEED_TARGET:,} frames/s "
                     f"target, {row['speedup'] / SPEEDUP_TARGET:.2f}x the {SPEEDUP_TARGET}x target]")
        print(line, flush=True)
    return results


_MEMORY_CHILD = """
import resource, sys, time, numpy as np, torch

def hwm():  # VmHWM of this process image (ru_maxrss would carry the parent's peak across exec)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

torch.set_num_threads({threads})
sys.path.insert(0, {here!r})
from bench_inference import synthetic_recording
from ethoforge.inference.bundle import load_bundle
bundle = load_bundle({bundle!r})
recording = synthetic_recording({frames})
before = hwm()
tic = time.perf_counter()
proba = bundle.predict_proba(recording, device="cpu", threads={threads})
seconds = time.perf_counter() - tic
peak = hwm()
print({{"peak_mb": peak / 1024, "after_loading_poses_mb": before / 1024, "seconds": seconds,
       "frames": {frames}, "pose_mb": recording.poses["position"].nbytes / 2**20}})
"""


def bench_memory(bundle: Path, hours: float, threads: int) -> dict:
    frames = int(hours * ONE_HOUR)
    code = _MEMORY_CHILD.format(threads=threads, here=str(Path(__file__).parent), bundle=str(bundle), frames=frames)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    result = eval(out.stdout.strip().splitlines()[-1])  # a dict printed by our own child
    print(f"streaming {hours:g} h ({frames:,} frames): peak RSS {result['peak_mb']:.0f} MB "
          f"(poses alone {result['pose_mb']:.0f} MB, {result['after_loading_poses_mb']:.0f} MB before predicting), "
          f"{result['seconds']:.1f} s; target under {MEMORY_TARGET_MB:.0f} MB: "
          f"{'met' if result['peak_mb'] < MEMORY_TARGET_MB else 'MISSED'}", flush=True)
    return result


def bench_demo(out: Path, config: dict | None) -> dict:
    from ethoforge.pipeline import run_demo

    tic = time.perf_counter()
    result = run_demo(out / "demo", config=config)
    result["wall_seconds"] = time.perf_counter() - tic
    print(f"demo: trained in {result['train_seconds']:.1f} s (wall {result['wall_seconds']:.1f} s with evaluation), "
          f"F1 interact on {result['test'][0]} = {result['f1_interact']:.3f} "
          f"(human reference {result['human_reference_f1']}); training target under {DEMO_TARGET_S:.0f} s: "
          f"{'met' if result['train_seconds'] < DEMO_TARGET_S else 'MISSED'}", flush=True)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", default="gbdt,conv_bilstm,transformer")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--baseline-frames", type=int, default=3000)
    parser.add_argument("--memory-hours", type=float, default=10.0)
    parser.add_argument("--skip", default="", help="comma list of: speed, demo, memory")
    parser.add_argument("--bundles", default=None,
                        help="folder keeping the quickly trained bundles (reused when there; default: a temporary one)")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    from ethoforge.training.config import DEFAULT_FAMILY

    skip = set(filter(None, args.skip.split(",")))
    results: dict = {"threads": args.threads, "torch_threads": torch.get_num_threads(),
                     "default_family": DEFAULT_FAMILY}
    print(f"threads: {args.threads} (torch {torch.get_num_threads()}, {os.cpu_count()} CPUs seen); "
          f"default family: {DEFAULT_FAMILY}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.bundles or tmp)
        if "speed" not in skip:
            results["speed"] = bench_families(args.families.split(","), args.baseline_frames, out, DEFAULT_FAMILY,
                                              args.threads)
        if "demo" not in skip:
            results["demo"] = bench_demo(Path(tmp), {"num_threads": args.threads})
        if "memory" not in skip:
            bundle = out / DEFAULT_FAMILY
            if not (bundle / "bundle.json").is_file():
                quick_bundle(DEFAULT_FAMILY, bundle)
            results["memory"] = bench_memory(bundle, args.memory_hours, args.threads)
    print(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
