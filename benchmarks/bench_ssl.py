"""Label-efficiency benchmark of self-supervised pretraining on ethome5 (prints a table, writes a PNG).

Leave-one-recording-out: in fold ``k`` recording ``k`` is the test, the next one validates and
the other three train. An embedder is pretrained on that fold's four non-test recordings only
(no labels). Label budgets are shares of the training frames drawn as whole bouts — runs of
``interact`` and of background between them — stratified by class: each class's runs in one
shuffled order per seed until they cover the budget's share of that class's frames, so smaller
budgets are subsets of larger ones, each holds at least one bout of each class and the drawn
labels keep the data's class balance; frames outside the drawn bouts are not annotated. Arms:

- ``scratch``: the transformer (the embedder's architecture, same epochs and steps) from random weights;
- ``probe``: the same transformer from the embedder, encoder frozen (linear probe);
- ``finetune``: from the embedder, head first for one epoch, then everything;
- ``gbdt_pose``: the default gbdt on pose features;
- ``gbdt_emb``: gbdt on pose features plus the embedder's embeddings.

F1 of ``interact`` on the pooled test frames, mean over seeds, with a 95 % bootstrap interval
(blocks of 300 frames resampled); the fine-tuned minus scratch difference gets a paired
bootstrap interval at each budget. Also printed: pretraining throughput (windows/s) of the
``small`` and ``lisbet`` presets and embedding speed of ``small`` (frames/s, best of 3, and frames
per CPU second).

The issue's full run is ``--folds 5 --seeds 3 --budgets 0.01,0.05,0.2,1``. Reduced runs (fewer
folds, seeds, epochs) say so in their header. Prints figures; it is not a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

ARMS = ("scratch", "probe", "finetune", "gbdt_pose", "gbdt_emb")
BLOCK = 300


def budget_scopes(recordings, bouts, names, budget: float, seed: int):
    """``(scopes, bouts, share)`` of the runs drawn for ``budget`` in this seed's order.

    Stratified by class: runs of ``interact`` and runs of background are each taken in one
    shuffled order per seed until they cover ``budget`` of that class's training frames (at
    least one run each), so the drawn labels keep the data's class balance and smaller budgets
    are prefixes of larger ones. ``share`` is the drawn share of all training frames.
    """
    from ethoforge.labels import bouts_to_frames

    runs = []
    for recording in recordings:
        if recording.name not in names:
            continue
        frames = bouts_to_frames(bouts[recording.name], ["interact"], recording.n_frames).ravel()
        edges = np.flatnonzero(np.diff(frames)) + 1
        for start, stop in zip([0, *edges], [*edges, len(frames)]):
            runs.append((recording.name, int(start), int(stop), int(frames[start])))
    order = np.random.default_rng(seed).permutation(len(runs))
    chosen = []
    for cls in (1, 0):
        of_class = [runs[i] for i in order if runs[i][3] == cls]
        total, covered = sum(stop - start for _, start, stop, _ in of_class), 0
        for run in of_class:
            if covered >= budget * total:
                break
            chosen.append(run)
            covered += run[2] - run[1]
    scopes = {name: sorted((s, e) for n, s, e, _ in chosen if n == name) for name in names}
    kept = {name: [b for b in bouts[name] if any(s <= b.start and b.stop <= e for s, e in scopes[name])]
            for name in names}
    share = sum(e - s for _, s, e, _ in chosen) / sum(e - s for _, s, e, _ in runs)
    return {n: r for n, r in scopes.items() if r}, kept, share


def block_bootstrap(truth: np.ndarray, *predictions: np.ndarray, n: int = 1000, seed: int = 0) -> np.ndarray:
    """``(n, len(predictions))`` F1 of resampled blocks of ``BLOCK`` frames (the same blocks for every prediction)."""
    from ethoforge.evaluation.metrics import binary_f1

    blocks = np.arange(0, len(truth), BLOCK)
    rng = np.random.default_rng(seed)
    out = np.empty((n, len(predictions)))
    for b in range(n):
        pick = rng.choice(blocks, len(blocks))
        index = (pick[:, None] + np.arange(BLOCK)[None]).ravel()
        index = index[index < len(truth)]
        out[b] = [binary_f1(truth[index], p[index]) for p in predictions]
    return out


def run(args) -> dict:
    from ethoforge.datasets import load_sample
    from ethoforge.evaluation.metrics import binary_f1
    from ethoforge.inference.bundle import load_bundle
    from ethoforge.labels import bouts_to_frames
    from ethoforge.pipeline import train_from_recordings
    from ethoforge.ssl.train import pretrain

    samples = load_sample()
    recordings = [r for r, _ in samples]
    bouts = {r.name: b for r, b in samples}
    names = [r.name for r in recordings]
    budgets = [float(b) for b in args.budgets.split(",")]
    arms = args.arms.split(",")
    work = Path(tempfile.mkdtemp(prefix="bench_ssl_"))
    truths: dict = {}
    preds: dict = {(arm, b, s): [] for arm in arms for b in budgets for s in range(args.seeds)}
    drawn: dict = {}
    for k in range(args.folds):
        test, val = names[k], names[(k + 1) % len(names)]
        train = [n for n in names if n not in (test, val)]
        tic = time.monotonic()
        embedder = pretrain([r for r in recordings if r.name != test],
                            {"epochs": args.pretrain_epochs, "train_sample": args.train_sample, "seed": k,
                             "device": args.device, "eval_samples": 64},
                            work / f"emb_{k}").path
        print(f"fold {k}: pretrained on {len(names) - 1} recordings in {time.monotonic() - tic:.0f} s", flush=True)
        test_recording = next(r for r in recordings if r.name == test)
        truths.setdefault(k, bouts_to_frames(bouts[test], ["interact"], test_recording.n_frames).ravel() == 1)
        for seed in range(args.seeds):
            for budget in budgets:
                scopes, kept, share = budget_scopes(recordings, bouts, train, budget, seed)
                drawn[(k, seed, budget)] = share
                for arm in arms:
                    config = _arm_config(arm, args, embedder, val, seed)
                    tic = time.monotonic()
                    labelled = {**{n: kept[n] for n in scopes}, val: bouts[val]}  # other train frames: unlabelled
                    result = train_from_recordings([r for r in recordings if r.name != test],
                                                   labelled, ["interact"], config,
                                                   work / f"{arm}_{k}_{seed}_{budget}",
                                                   scopes={**scopes, val: [(0, 10**9)]})
                    proba = load_bundle(result.bundle_dir).predict_proba(test_recording, device=args.device)
                    preds[(arm, budget, seed)].append(proba.argmax(axis=1) == 1)
                    print(f"  fold {k} seed {seed} budget {budget:.0%} ({share:.1%} of frames) {arm}: "
                          f"F1 {binary_f1(truths[k], preds[(arm, budget, seed)][-1]):.3f} "
                          f"({time.monotonic() - tic:.0f} s)", flush=True)
    truth = np.concatenate([truths[k] for k in range(args.folds)])
    table = {}
    for budget in budgets:
        for arm in arms:
            pooled = [np.concatenate(preds[(arm, budget, s)]) for s in range(args.seeds)]
            f1s = [binary_f1(truth, p) for p in pooled]
            boot = block_bootstrap(truth, *pooled).mean(axis=1)
            table[(arm, budget)] = (float(np.mean(f1s)), *np.percentile(boot, [2.5, 97.5]).tolist())
        if "finetune" in arms and "scratch" in arms:
            diffs = []
            for s in range(args.seeds):
                pair = block_bootstrap(truth, np.concatenate(preds[("finetune", budget, s)]),
                                       np.concatenate(preds[("scratch", budget, s)]), seed=s)
                diffs.append(pair[:, 0] - pair[:, 1])
            diff = np.mean(diffs, axis=0)
            table[("finetune-scratch", budget)] = (float(diff.mean()), *np.percentile(diff, [2.5, 97.5]).tolist())
    return {"table": table, "budgets": budgets, "arms": arms, "drawn": drawn, "work": str(work)}


def _arm_config(arm: str, args, embedder: Path, val: str, seed: int) -> dict:
    base = {"split": {"val": [val], "test": []}, "seed": seed, "device": args.device}
    torch_options = {**base, "family": "transformer", "epochs": args.epochs, "samples_per_epoch": args.samples,
                     "window": 31, "patience": None}
    if arm == "scratch":  # the embedder's architecture (the classifier's own "small" preset is narrower)
        meta = json.loads((embedder / "bundle.json").read_text(encoding="utf-8"))
        return {**torch_options, "model": dict(meta["model_config"])}
    if arm == "probe":
        return {**torch_options, "init_from": str(embedder), "freeze": True}
    if arm == "finetune":
        return {**torch_options, "init_from": str(embedder), "freeze_epochs": 1}
    if arm == "gbdt_pose":
        return {**base, "family": "gbdt"}
    if arm == "gbdt_emb":
        return {**base, "family": "gbdt", "embedding": str(embedder)}
    raise SystemExit(f"unknown arm {arm!r}; known: {', '.join(ARMS)}")


def throughput(args) -> dict:
    """Pretraining windows/s per preset (one short epoch on two recordings) and embedding frames/s (small)."""
    from ethoforge.datasets import load_sample
    from ethoforge.ssl.embedder import load_embedder
    from ethoforge.ssl.train import pretrain

    recordings = [r for r, _ in load_sample()][:2]
    out: dict = {}
    with tempfile.TemporaryDirectory() as folder:
        for preset in ("small", "lisbet"):
            result = pretrain(recordings, {"preset": preset, "epochs": 1, "train_sample": 0.01, "device": args.device,
                                           "eval_samples": 16}, Path(folder) / preset)
            out[f"pretrain_{preset}_windows_per_s"] = result.history[-1]["windows_per_s"]
            if preset == "small":
                out.update(embed_speed(load_embedder(result.path), recordings, args.device))
    return out


def embed_speed(embedder, recordings, device: str, repeats: int = 3) -> dict:
    """Embedding frames/s of ``recordings[1]`` (best wall time of ``repeats``) and frames per CPU second of that run.

    On a shared machine the wall figure counts other people's load (the header prints the
    load average); frames per CPU second do not.
    """
    import torch

    embedder.embed(recordings[0], device=device)  # warm-up
    runs = []
    for _ in range(repeats):
        tic, tic_cpu = time.monotonic(), time.process_time()
        embedder.embed(recordings[1], device=device)
        runs.append((time.monotonic() - tic, time.process_time() - tic_cpu))
    wall, cpu = min(runs)
    n_frames = recordings[1].n_frames
    return {"embed_small_frames_per_s": n_frames / wall, "embed_small_frames_per_cpu_s": n_frames / cpu,
            "embed_threads": torch.get_num_threads()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", type=int, default=5, help="folds (test recordings) of the 5, in order")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--budgets", default="0.01,0.05,0.2,1")
    parser.add_argument("--arms", default=",".join(ARMS))
    parser.add_argument("--pretrain-epochs", type=int, default=10)
    parser.add_argument("--train-sample", type=float, default=0.05)
    parser.add_argument("--epochs", type=int, default=30, help="supervised epochs of the torch arms")
    parser.add_argument("--samples", type=int, default=20_000, help="windows per supervised epoch")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--skip-accuracy", action="store_true", help="only the throughput figures")
    parser.add_argument("--skip-throughput", action="store_true", help="only the label-efficiency table")
    parser.add_argument("--png", default="bench_ssl.png")
    args = parser.parse_args(argv)
    full = args.folds == 5 and args.seeds >= 3 and args.budgets == "0.01,0.05,0.2,1"
    print(f"bench_ssl: {'full' if full else 'REDUCED'} run: folds {args.folds}, seeds {args.seeds}, budgets "
          f"{args.budgets}, pretrain epochs {args.pretrain_epochs} (train-sample {args.train_sample}), supervised "
          f"epochs {args.epochs} x {args.samples} windows, device {args.device}; {os.cpu_count()} CPU cores, "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    speeds = {} if args.skip_throughput else throughput(args)
    for key, value in speeds.items():
        print(f"{key}: {value:,.0f}")
    if args.skip_accuracy:
        return
    result = run(args)
    print(f"\ninteract F1 on pooled test frames (mean over {args.seeds} seed(s)) [95 % block-bootstrap interval]")
    print("budget  " + "  ".join(f"{arm:>22}" for arm in [*result["arms"], "finetune-scratch"]))
    for budget in result["budgets"]:
        cells = []
        for arm in [*result["arms"], "finetune-scratch"]:
            value = result["table"].get((arm, budget))
            cells.append(f"{value[0]:.3f} [{value[1]:.3f}, {value[2]:.3f}]" if value else "-")
        print(f"{budget:>6.0%}  " + "  ".join(f"{c:>22}" for c in cells))
    _plot(result, args.png)
    print(f"figure: {args.png}")
    print(json.dumps({"speeds": speeds, "table": {f"{a}@{b}": v for (a, b), v in result["table"].items()}}))


def _plot(result: dict, path: str) -> None:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 4))
    axes = figure.add_subplot()
    for arm in result["arms"]:
        values = [result["table"][(arm, b)] for b in result["budgets"]]
        axes.errorbar([b * 100 for b in result["budgets"]], [v[0] for v in values],
                      yerr=[[v[0] - v[1] for v in values], [v[2] - v[0] for v in values]], label=arm, capsize=3,
                      marker="o")
    axes.set_xscale("log")
    axes.set_xlabel("label budget (% of training frames)")
    axes.set_ylabel("interact F1 (test)")
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
