"""Seconds per training epoch of the torch families on ethome5 (3 recordings train, 1 validates).

The figure behind the torch defaults (`ethoforge.training.config.TrainConfig` epochs and
samples per epoch, the ``small`` presets of `ethoforge.models.config`): one epoch —
``samples_per_epoch`` training windows plus the whole-recording validation pass — should
take seconds on 2 CPU cores, so that ``ethoforge train`` with the defaults finishes in
minutes. Prints, per family, the wall and CPU seconds of each epoch (from the training
history) and the whole run; a busy machine inflates wall time, CPU time less so.

Run: ``OMP_NUM_THREADS=2 python benchmarks/bench_epoch.py [--epochs 2] [--families conv_bilstm,transformer]
[--option samples_per_epoch=20000 ...]``
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--families", default="conv_bilstm,transformer")
    parser.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "2")))
    parser.add_argument("--option", action="append", default=[],
                        help="TrainConfig option as key=JSON value, e.g. samples_per_epoch=8192 (repeatable)")
    args = parser.parse_args()

    from ethoforge.datasets import load_sample
    from ethoforge.pipeline import feature_spec_for
    from ethoforge.training.config import make_config
    from ethoforge.training.data import build_training_data, frame_targets
    from ethoforge.training.loop import train

    samples = load_sample()[:4]
    recordings = [r for r, _ in samples]
    targets = {r.name: frame_targets(b, ["interact"], r.n_frames) for r, b in samples}
    names = [r.name for r in recordings]
    overrides = {key: json.loads(value) for key, value in (o.split("=", 1) for o in args.option)}
    print(f"ethome5: train {len(names) - 1} recordings, validate on 1; torch threads {args.threads}; "
          f"load average {os.getloadavg()[0]:.1f}")
    for family in args.families.split(","):
        config = make_config({"family": family, "epochs": args.epochs, "device": "cpu", "patience": None,
                              "num_threads": args.threads, "split": {"train": names[:3], "val": [names[3]]},
                              **overrides})
        tic = time.monotonic()
        data = build_training_data(recordings, targets, ["interact"], feature_spec_for(recordings[0], config),
                                   normalise_on=names[:3], normalisation=config.normalisation)
        features_s = time.monotonic() - tic
        cpu, tic = time.process_time(), time.monotonic()
        with tempfile.TemporaryDirectory() as out:
            result = train(config, data, os.path.join(out, "bundle"))
        wall, cpu = time.monotonic() - tic, time.process_time() - cpu
        epochs = [row["seconds"] for row in result.history]
        print(f"{family}: samples/epoch {config.samples_per_epoch}, window {config.window}, "
              f"default epochs {make_config({'family': family}).epochs}; features {features_s:.1f} s; "
              f"epoch wall s {', '.join(f'{s:.1f}' for s in epochs)}; "
              f"run {wall:.1f} s wall, {cpu:.1f} s CPU ({cpu / len(epochs):.1f} CPU s/epoch incl. bundle); "
              f"val macro F1 {result.metrics['val']['macro_f1']:.3f}")


if __name__ == "__main__":
    main()
