"""Video figures: decoding alone vs encoding (frames/s, peak memory), and ethome5 accuracy on
rendered video beside poses.

Usage:
  python benchmarks/bench_video.py [--video PATH] [--frames N] [--encoders motion,efficientnet_lite0]
  python benchmarks/bench_video.py --long-minutes 60          # peak memory encoding a long 640x480 video
  python benchmarks/bench_video.py --accuracy [--jobs 5]      # ethome5 leave-one-recording-out F1
  python benchmarks/bench_video.py --accuracy --work DIR --features pose+video:motion   # reuse DIR's renders

Speed: decode-only is PyAV decoding every frame to RGB at full size (the bound); an encoder's
figure includes its own decoding (``encode_video`` into a fresh cache). Each measurement runs in
a child process, whose peak RSS is printed. Targets (issue 17): ``motion`` >= 50 % of
decode-only at 640x480 on 2 cores; ``efficientnet_lite0`` >= 25 frames/s on CPU; peak memory
encoding a one-hour video < 1.5 GB. Pin cores with ``taskset -c 0,1``.

Accuracy: the five ethome5 recordings are *rendered* from their real poses (ellipses and limbs
on a textured noisy background, `ethoforge.video.render`), so the labels are the real ones;
gbdt leave-one-recording-out pooled frame F1 of ``interact`` for ``pose``, ``video:motion`` and
``pose+video:motion`` (validation: the next recording, as ``bench_accuracy.py`` rotation 0).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_VIDEO = REPO / "tests" / "data" / "dlc_openfield" / "m3v1mp4.mp4"


def _child(kind: str, video: str, frames: int, cache: str) -> dict:
    """One measurement in this process: ``decode`` or an encoder name."""
    import numpy as np

    from ethoforge.io.video import VideoReader
    from ethoforge.recording import content_hash

    tic = time.monotonic()
    if kind == "decode":
        with VideoReader(video) as reader:
            count = sum(1 for _ in reader.frames(0, frames))
    else:
        from ethoforge.video.encode import EncodingCancelled, encode_video
        from ethoforge.video.encoders import get_encoder

        encoder = get_encoder(kind)
        encode = encoder.encode

        def counted(batch: np.ndarray, previous: np.ndarray | None = None) -> np.ndarray:
            nonlocal count
            count += len(batch)  # frames decoded and handed to the encoder
            return encode(batch, previous)

        encoder.encode = counted  # type: ignore[method-assign]
        tic = time.monotonic()  # weights loaded: time decoding + encoding only
        count = 0
        try:
            encode_video(video, encoder, cache, content_hash(video), chunk_frames=256,
                         progress=lambda done, _total, _info: done < frames)
        except EncodingCancelled:
            pass
    seconds = time.monotonic() - tic
    device = "cpu"
    if kind not in ("decode", "motion"):
        from ethoforge.models.chunked import resolve_device

        device = resolve_device("auto")
    return {"kind": kind, "frames": count, "seconds": round(seconds, 2), "fps": round(count / seconds, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1), "device": device}


def measure(kind: str, video: Path, frames: int) -> dict:
    with tempfile.TemporaryDirectory() as cache:
        answer = subprocess.run([sys.executable, __file__, "--child", kind, "--video", str(video), "--frames",
                                 str(frames), "--cache", cache], capture_output=True, text=True, check=True)
    return json.loads(answer.stdout.strip().splitlines()[-1])


def speed(video: Path, frames: int, encoders: list[str]) -> None:
    from ethoforge.io.video import probe_video

    info = probe_video(video)
    print(f"video {video.name}: {info.width}x{info.height}, {info.n_frames} frames at {info.fps:g} fps; "
          f"measuring the first {min(frames, info.n_frames)}", flush=True)
    decode = measure("decode", video, frames)
    print(f"  decode only: {decode['fps']} frames/s, peak RSS {decode['peak_rss_mb']} MB", flush=True)
    for name in encoders:
        result = measure(name, video, frames)
        ratio = result["fps"] / decode["fps"]
        print(f"  {name} ({result['device']}): {result['fps']} frames/s = {ratio:.0%} of decode only, "
              f"peak RSS {result['peak_rss_mb']} MB", flush=True)


def long_video(minutes: int) -> None:
    """Peak memory of ``motion`` over a ``minutes``-long 640x480 video: a generated one-minute
    blob clip repeated without re-encoding (`repeat_video`), every frame decoded and counted."""
    from ethoforge.io.video import probe_video
    from ethoforge.video.synthetic import repeat_video, write_blob_clip

    with tempfile.TemporaryDirectory() as folder:
        tic = time.monotonic()
        clip = write_blob_clip(Path(folder) / "minute.mp4", n_frames=60 * 30, width=640, height=480, bout=60)
        long = repeat_video(clip.path, Path(folder) / "long.mp4", minutes)
        info = probe_video(long)
        expected = minutes * len(clip.running)
        print(f"wrote a {info.duration_s / 60:g} min {info.width}x{info.height} video at {info.fps:g} fps "
              f"({info.n_frames} frames, {long.stat().st_size / 1e6:.0f} MB: a generated 1-min blob clip "
              f"repeated {minutes} times, not re-encoded) in {time.monotonic() - tic:.0f} s", flush=True)
        for kind in ("decode", "motion"):
            result = measure(kind, long, expected)
            if result["frames"] != expected:
                raise SystemExit(f"{kind}: {result['frames']} frames, expected {expected}")
            print(f"  {kind} over all {result['frames']} frames: {result['fps']} frames/s, peak RSS "
                  f"{result['peak_rss_mb']} MB ({result['seconds']:.0f} s)", flush=True)
        print("target: motion peak RSS < 1500 MB for one hour", flush=True)


def _render_and_encode(args: tuple[str, str]) -> str:
    """Render one ethome5 recording and encode it with ``motion`` into the project (a worker)."""
    import os

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    root, name = args
    from ethoforge.store import Project
    from ethoforge.video.render import render_recording
    from ethoforge.video.workflow import encode_recordings

    with Project.open(root) as project:
        recording = project.load_recording(name)
        video = render_recording(recording, Path(root).parent / f"{name}_RENDERED.mp4")
    with Project.open(root) as project:
        project.import_video(video, recording=name)
        encode_recordings(project, [name])
    return name


def _first_frames(recording, bouts: list, n: int):
    """The recording's first ``n`` frames and its bouts clipped to them."""
    import dataclasses

    if n >= recording.n_frames:
        return recording, bouts
    part = dataclasses.replace(recording, poses=recording.poses.isel(time=slice(0, n)), content_hash="")
    return part, [b.with_(stop=min(b.stop, n)) for b in bouts if b.start < n]


def accuracy(jobs: int, families: list[str], max_frames: int | None = None, work: Path | None = None,
             feature_sets: tuple[str, ...] = ("pose", "video:motion", "pose+video:motion")) -> dict:
    """Pooled LORO F1 per family and feature set; renders into ``work`` (a temporary folder when
    None) unless a project rendered there by an earlier run exists (then reused as it is)."""
    from concurrent.futures import ProcessPoolExecutor

    import numpy as np

    from ethoforge.datasets import load_sample
    from ethoforge.evaluation.metrics import binary_f1
    from ethoforge.inference.bundle import load_bundle
    from ethoforge.pipeline import train_from_recordings
    from ethoforge.store import Project
    from ethoforge.training.data import frame_targets

    folder = work or Path(tempfile.mkdtemp(prefix="bench_video_"))
    root = folder / "project"
    rendered = root.exists()
    folder.mkdir(parents=True, exist_ok=True)
    samples = load_sample()
    if max_frames:
        samples = [_first_frames(r, b, max_frames) for r, b in samples]
        print(f"the first {max_frames} frames of each recording", flush=True)
    if rendered:
        print(f"reusing the rendered and encoded project {root}", flush=True)
    else:
        with Project.create(root) as project:
            for recording, bouts in samples:
                project.import_recording_object(recording, bouts)
        tic = time.monotonic()
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for name in pool.map(_render_and_encode, [(str(root), r.name) for r, _ in samples]):
                print(f"  rendered and encoded {name}", flush=True)
        print(f"rendering + motion encoding of 5 recordings: {time.monotonic() - tic:.0f} s", flush=True)
    with Project.open(root) as project:
        recordings = [project.load_recording(r.name) for r, _ in samples]
    bouts = {r.name: b for r, b in samples}
    results = {}
    for family in families:
        for features in feature_sets:
            truths, predictions, tic = [], [], time.monotonic()
            for k, test in enumerate(recordings):
                rest = [r for i, r in enumerate(recordings) if i != k]
                val = [rest[k % len(rest)].name]
                config = {"family": family, "features": features,
                          "split": {"train": [r.name for r in rest if r.name not in val], "val": val, "test": []}}
                result = train_from_recordings(rest, bouts, ["interact"], config,
                                               folder / f"{family}_{features.replace(':', '_')}_{k}")
                proba = load_bundle(result.bundle_dir).predict_proba(test, device="cpu")
                truths.append(frame_targets(bouts[test.name], ["interact"], test.n_frames) == 1)
                predictions.append(proba.argmax(axis=1) == 1)
            pooled = binary_f1(np.concatenate(truths), np.concatenate(predictions))
            results[f"{family} {features}"] = round(pooled, 3)
            print(f"ethome5 {family} --features {features}: pooled LORO frame F1 interact = {pooled:.3f} "
                  f"({time.monotonic() - tic:.0f} s; rendered video, real labels)", flush=True)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--frames", type=int, default=1200, help="frames timed per measurement")
    parser.add_argument("--encoders", default="motion,efficientnet_lite0")
    parser.add_argument("--long-minutes", type=int, default=None)
    parser.add_argument("--accuracy", action="store_true")
    parser.add_argument("--families", default="gbdt")
    parser.add_argument("--max-frames", type=int, default=None, help="accuracy on each recording's first N frames")
    parser.add_argument("--jobs", type=int, default=2, help="recordings rendered and encoded at once")
    parser.add_argument("--features", default="pose,video:motion,pose+video:motion", help="feature sets compared")
    parser.add_argument("--work", type=Path, default=None, help="folder for the renders and models (reused)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--cache", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.child, str(args.video), args.frames, args.cache)))
        return
    if args.long_minutes:
        long_video(args.long_minutes)
    elif args.accuracy:
        accuracy(args.jobs, args.families.split(","), args.max_frames, args.work, tuple(args.features.split(",")))
    else:
        speed(args.video, args.frames, [e for e in args.encoders.split(",") if e])


if __name__ == "__main__":
    main()
