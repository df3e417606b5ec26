"""Label-efficiency benchmark of self-supervised pretraining on ethome5 (prints a table, writes a PNG).

Leave-one-recording-out: in fold ``k`` recording ``k`` is the test, the next one validates and
the other three train (``--rotations N``: also the 2nd … Nth next recording validates, each a
replicate beside the seeds, so a figure is the mean over validation choices). An embedder is pretrained on that fold's four non-test recordings only
(no labels). Label budgets are shares of the training frames drawn as whole bouts — runs of
``interact`` and of background between them — stratified by class: each class's runs in one
shuffled order per seed until they cover the budget's share of that class's frames, so smaller
budgets are subsets of larger ones, each holds at least one bout of each class and the drawn
labels keep the data's class balance; frames outside the drawn bouts are not annotated. Arms:

- ``scratch``: the transformer (the embedder's architecture, same epochs and steps) from random weights;
- ``probe``: the same transformer from the embedder, encoder frozen (linear probe);
- ``finetune``: from the embedder with the package's fine-tuning defaults: the head alone for
  two epochs, then everything with the encoder at a tenth of the head's learning rate;
- ``finetune_full``: from the embedder, the head alone for one epoch, then everything at the
  head's rate (the recipe before those defaults);
- ``gbdt_pose``: the default gbdt on pose features;
- ``gbdt_emb``: gbdt on pose features plus the embedder's embeddings.

F1 of ``interact`` on the pooled test frames, mean over seeds, with a 95 % bootstrap interval
(blocks of 300 frames resampled); each arm started from the embedder minus scratch gets a paired
bootstrap interval of the difference at each budget. Also printed: pretraining throughput (windows/s) of the
``small`` and ``lisbet`` presets and embedding speed of ``small`` (frames/s, best of 3, and frames
per CPU second).

The issue's full run is ``--folds 5 --seeds 3 --budgets 0.01,0.05,0.2,1`` (the defaults). Each
cell (arm, fold, seed, budget, rotation) keeps its held-out prediction in ``--work``: a run with the same
folder trains only the missing cells, so the grid can be filled in parts (``--arms``,
``--budgets``, ``--folds 0,2``) and tabulated with ``--report-only``; ``--jobs N`` trains N
embedders or cells at once. Reduced runs say so in their header, and a table cell says over
how many test folds it pooled. Prints figures; it is not a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

ARMS = ("scratch", "probe", "finetune", "finetune_full", "gbdt_pose", "gbdt_emb")
FROM_EMBEDDER = ("probe", "finetune", "finetune_full")  # compared with scratch, paired
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


def cell_path(work: Path, arm: str, k: int, seed: int, budget: float, rotation: int = 0) -> Path:
    """Where one cell's held-out prediction (bool per test frame, ``.npy``) is kept; ``rotation`` r:
    the (r + 1)th recording after the test one validates."""
    suffix = f"_rot{rotation}" if rotation else ""
    return work / "pred" / f"{arm}_fold{k}_seed{seed}_budget{budget:g}{suffix}.npy"


def validation_of(k: int, rotation: int, n: int = 5) -> int:
    """The validation recording of fold ``k`` in ``rotation`` (0: the next one after the test)."""
    if not 0 <= rotation < n - 1:
        raise SystemExit(f"rotation {rotation}: there are {n - 1} non-test recordings to validate on")
    return (k + 1 + rotation) % n


def _ethome5() -> tuple[list, dict, list[str]]:
    from ethoforge.datasets import load_sample

    samples = load_sample()
    return [r for r, _ in samples], {r.name: b for r, b in samples}, [r.name for r, _ in samples]


def pretrain_fold(args, work: Path, k: int) -> str:
    """The embedder of fold ``k`` (pretrained on every recording but the test one), made once per ``work``."""
    import shutil

    from ethoforge.ssl.train import pretrain

    _threads(args.threads)
    target = work / f"emb_{k}"
    if (target / "bundle.json").exists():
        return f"fold {k}: embedder kept from {target}"
    shutil.rmtree(target, ignore_errors=True)  # an interrupted run's leftovers
    recordings, _, names = _ethome5()
    tic = time.monotonic()
    pretrain([r for r in recordings if r.name != names[k]],
             {"epochs": args.pretrain_epochs, "train_sample": args.train_sample, "seed": k, "device": args.device,
              "eval_samples": 64, "num_threads": args.threads}, target)
    return f"fold {k}: pretrained on {len(names) - 1} recordings in {time.monotonic() - tic:.0f} s"


def run_cell(args, work: Path, arm: str, k: int, seed: int, budget: float, rotation: int = 0) -> str:
    """Train one arm on fold ``k``'s drawn labels, predict the test recording, keep the prediction."""
    import shutil

    from ethoforge.evaluation.metrics import binary_f1
    from ethoforge.inference.bundle import load_bundle
    from ethoforge.labels import bouts_to_frames
    from ethoforge.pipeline import train_from_recordings

    _threads(args.threads)
    recordings, bouts, names = _ethome5()
    test, val = names[k], names[validation_of(k, rotation, len(names))]
    train = [n for n in names if n not in (test, val)]
    scopes, kept, share = budget_scopes(recordings, bouts, train, budget, seed)
    labelled = {**{n: kept[n] for n in scopes}, val: bouts[val]}  # other training frames: unlabelled
    tic = time.monotonic()
    path = cell_path(work, arm, k, seed, budget, rotation)
    out = work / "bundles" / path.stem
    result = train_from_recordings([r for r in recordings if r.name != test], labelled, ["interact"],
                                   _arm_config(arm, args, work / f"emb_{k}", val, seed), out,
                                   scopes={**scopes, val: [(0, 10**9)]})
    test_recording = recordings[k]
    prediction = load_bundle(result.bundle_dir).predict_proba(test_recording, device=args.device).argmax(axis=1) == 1
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npy")
    np.save(partial, prediction)
    os.replace(partial, path)  # a cell is there whole or not at all
    shutil.rmtree(out, ignore_errors=True)
    truth = bouts_to_frames(bouts[test], ["interact"], test_recording.n_frames).ravel() == 1
    return (f"  fold {k} seed {seed} rotation {rotation} budget {budget:.0%} ({share:.1%} of frames) {arm}: "
            f"F1 {binary_f1(truth, prediction):.3f} ({time.monotonic() - tic:.0f} s)")


def _threads(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


def _map(jobs: int, function, tasks: list[tuple]) -> None:
    """``function(*task)`` for every task, ``jobs`` at a time in separate processes; prints each result line."""
    if jobs <= 1:
        for task in tasks:
            print(function(*task), flush=True)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        for future in as_completed([pool.submit(function, *task) for task in tasks]):
            print(future.result(), flush=True)


def run(args) -> dict:
    """Train the missing cells of the grid (embedders first), then tabulate every cell that is there."""
    from ethoforge.labels import bouts_to_frames

    recordings, bouts, names = _ethome5()
    folds = [int(k) for k in args.folds.split(",")] if "," in args.folds else list(range(int(args.folds)))
    budgets = [float(b) for b in args.budgets.split(",")]
    arms = args.arms.split(",")
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="bench_ssl_"))
    cells = [(arm, k, seed, budget, rotation) for rotation in range(args.rotations) for seed in range(args.seeds)
             for budget in budgets for k in folds for arm in arms]
    todo = [cell for cell in cells if not cell_path(work, *cell).exists()]
    print(f"work folder {work}: {len(cells) - len(todo)} of {len(cells)} cells already there", flush=True)
    if not args.report_only:
        _map(args.jobs, pretrain_fold, [(args, work, k) for k in folds
                                        if any(c[1] == k and c[0] != "gbdt_pose" for c in todo)])
        _map(args.jobs, run_cell, [(args, work, *cell) for cell in todo])
    truths = {k: bouts_to_frames(bouts[names[k]], ["interact"], recordings[k].n_frames).ravel() == 1 for k in folds}
    present = sum(cell_path(work, *cell).exists() for cell in cells)
    return {**tabulate(work, truths, arms, budgets, args.seeds, args.rotations), "cells": (present, len(cells))}


def tabulate(work: Path, truths: dict[int, np.ndarray], arms: list[str], budgets: list[float], seeds: int,
             rotations: int = 1) -> dict:
    """F1 per arm and budget, the mean over replicates (seed × rotation), with block-bootstrap 95 %
    intervals, over the folds that every replicate has for that cell (``n_folds`` says how many;
    0: the cell is missing); and each arm started from the embedder minus scratch over their
    common folds, paired bootstrap (key ``"<arm>-scratch"``)."""
    from ethoforge.evaluation.metrics import binary_f1

    replicates = [(s, r) for s in range(seeds) for r in range(rotations)]

    def complete_folds(arm: str, budget: float) -> list[int]:
        return [k for k in truths if all(cell_path(work, arm, k, s, budget, r).exists() for s, r in replicates)]

    def pooled(arm: str, budget: float, folds: list[int], seed: int, rotation: int) -> np.ndarray:
        return np.concatenate([np.load(cell_path(work, arm, k, seed, budget, rotation)) for k in folds])

    table: dict = {}
    for budget in budgets:
        for arm in arms:
            folds = complete_folds(arm, budget)
            if not folds:
                continue
            truth = np.concatenate([truths[k] for k in folds])
            predictions = [pooled(arm, budget, folds, s, r) for s, r in replicates]
            boot = block_bootstrap(truth, *predictions).mean(axis=1)
            table[(arm, budget)] = (float(np.mean([binary_f1(truth, p) for p in predictions])),
                                    *np.percentile(boot, [2.5, 97.5]).tolist(), len(folds))
        for arm in [a for a in FROM_EMBEDDER if a in arms and "scratch" in arms]:
            common = sorted(set(complete_folds(arm, budget)) & set(complete_folds("scratch", budget)))
            if not common:
                continue
            truth = np.concatenate([truths[k] for k in common])
            diffs = []
            for s, r in replicates:
                pair = block_bootstrap(truth, pooled(arm, budget, common, s, r), pooled("scratch", budget, common, s, r),
                                       seed=s)
                diffs.append(pair[:, 0] - pair[:, 1])
            diff = np.mean(diffs, axis=0)
            table[(f"{arm}-scratch", budget)] = (float(diff.mean()), *np.percentile(diff, [2.5, 97.5]).tolist(),
                                                 len(common))
    return {"table": table, "budgets": budgets, "arms": arms, "work": str(work), "n_folds": len(truths)}


def _arm_config(arm: str, args, embedder: Path, val: str, seed: int) -> dict:
    from ethoforge.training.config import TrainConfig

    base = {"split": {"val": [val], "test": []}, "seed": seed, "device": args.device}
    torch_options = {**base, "family": "transformer", "epochs": args.epochs, "samples_per_epoch": args.samples,
                     "window": args.window, "patience": None, "num_threads": args.threads}
    if arm == "scratch":  # the embedder's architecture (the classifier's own "small" preset is narrower)
        meta = json.loads((embedder / "bundle.json").read_text(encoding="utf-8"))
        return {**torch_options, "model": dict(meta["model_config"])}
    if arm == "probe":
        return {**torch_options, "init_from": str(embedder), "freeze": True}
    if arm == "finetune":  # the defaults of --init-from
        return {**torch_options, "init_from": str(embedder)}
    if arm == "finetune_full":
        return {**torch_options, "init_from": str(embedder), "freeze_epochs": 1,
                "encoder_lr": TrainConfig.model_fields["lr"].default}
    if arm == "gbdt_pose":
        return {**base, "family": "gbdt", "model": {"num_threads": args.threads}}
    if arm == "gbdt_emb":
        return {**base, "family": "gbdt", "embedding": str(embedder), "model": {"num_threads": args.threads}}
    raise SystemExit(f"unknown arm {arm!r}; known: {', '.join(ARMS)}")


def throughput(args) -> dict:
    """Pretraining windows/s per preset (one short epoch on two recordings; ``small`` also without
    sample workers, the trainer alone) and embedding frames/s (small)."""
    from ethoforge.datasets import load_sample
    from ethoforge.ssl.batches import auto_workers
    from ethoforge.ssl.embedder import load_embedder
    from ethoforge.ssl.train import pretrain

    recordings = [r for r, _ in load_sample()][:2]
    out: dict = {"sample_workers": auto_workers()}
    with tempfile.TemporaryDirectory() as folder:
        for preset, workers in (("small", 0), ("small", None), ("lisbet", None)):
            result = pretrain(recordings, {"preset": preset, "epochs": 1, "train_sample": 0.05, "device": args.device,
                                           "eval_samples": 16, "workers": workers}, Path(folder) / preset)
            label = f"{preset}_no_workers" if workers == 0 else preset
            out[f"pretrain_{label}_windows_per_s"] = result.history[-1]["windows_per_s"]
            if preset == "small" and workers is None:
                out.update(embed_speed(load_embedder(result.path), recordings, args.device))
    return out


def embed_speed(embedder, recordings, device: str, repeats: int = 3) -> dict:
    """Embedding frames/s of ``recordings[1]`` (best wall time of ``repeats``) and frames per CPU second of that run.

    On a shared machine the wall figure counts other people's load (the header prints the
    load average); frames per CPU second do not.
    """
    threads = os.cpu_count() or 1  # every core, whatever --threads set for the cells
    embedder.embed(recordings[0], device=device, threads=threads)  # warm-up
    runs = []
    for _ in range(repeats):
        tic, tic_cpu = time.monotonic(), time.process_time()
        embedder.embed(recordings[1], device=device, threads=threads)
        runs.append((time.monotonic() - tic, time.process_time() - tic_cpu))
    wall, cpu = min(runs)
    n_frames = recordings[1].n_frames
    return {"embed_small_frames_per_s": n_frames / wall, "embed_small_frames_per_cpu_s": n_frames / cpu,
            "embed_threads": threads}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", default="5", help="N (the first N test recordings) or a list such as 0,2,4")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--budgets", default="0.01,0.05,0.2,1")
    parser.add_argument("--rotations", type=int, default=1,
                        help="validation choices per fold (1-4), replicates beside the seeds")
    parser.add_argument("--arms", default=",".join(ARMS))
    parser.add_argument("--pretrain-epochs", type=int, default=10)
    parser.add_argument("--train-sample", type=float, default=0.05)
    parser.add_argument("--epochs", type=int, default=30, help="supervised epochs of the torch arms")
    parser.add_argument("--samples", type=int, default=20_000, help="windows per supervised epoch")
    parser.add_argument("--window", type=int, default=31,
                        help="frames the torch arms see per prediction (odd; a new --work folder for another value)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads of torch and LightGBM per job")
    parser.add_argument("--jobs", type=int, default=1, help="embedders and cells trained at once, in processes")
    parser.add_argument("--work", default=None,
                        help="folder for embedders and per-cell predictions; a rerun with the same folder trains only "
                             "the missing cells (default: a new temporary folder)")
    parser.add_argument("--report-only", action="store_true", help="tabulate the cells in --work, train nothing")
    parser.add_argument("--skip-accuracy", action="store_true", help="only the throughput figures")
    parser.add_argument("--skip-throughput", action="store_true", help="only the label-efficiency table")
    parser.add_argument("--png", default="bench_ssl.png")
    args = parser.parse_args(argv)
    full = (args.folds == "5" and args.seeds >= 3 and args.budgets == "0.01,0.05,0.2,1"
            and set(args.arms.split(",")) >= set(ARMS) - {"finetune_full"})
    scope = "the issue's full" if full else "a REDUCED"
    print(f"bench_ssl: {scope} grid: folds {args.folds}, seeds {args.seeds}, rotations {args.rotations}, budgets "
          f"{args.budgets}, arms {args.arms}; pretrain epochs {args.pretrain_epochs} (train-sample "
          f"{args.train_sample}), supervised epochs {args.epochs} x {args.samples} windows of {args.window} frames, "
          f"device {args.device}, {args.threads} thread(s) x {args.jobs} job(s); {os.cpu_count()} CPU cores, load average "
          f"{os.getloadavg()[0]:.1f}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", flush=True)
    speeds = {} if args.skip_throughput or args.report_only else throughput(args)
    for key, value in speeds.items():
        print(f"{key}: {value:,.0f}")
    if args.skip_accuracy:
        return
    result = run(args)
    print(f"\ninteract F1 on pooled test frames (mean over {args.seeds} seed(s) x {args.rotations} validation "
          f"choice(s)) [95 % block-bootstrap interval] (test folds pooled, of {result['n_folds']}; a missing cell: -)")
    columns = [*result["arms"], *(f"{a}-scratch" for a in FROM_EMBEDDER if a in result["arms"] and "scratch" in result["arms"])]
    print("budget  " + "  ".join(f"{arm:>28}" for arm in columns))
    for budget in result["budgets"]:
        cells = []
        for arm in columns:
            value = result["table"].get((arm, budget))
            cells.append(f"{value[0]:.3f} [{value[1]:.3f}, {value[2]:.3f}] ({value[3]})" if value else "-")
        print(f"{budget:>6.0%}  " + "  ".join(f"{c:>28}" for c in cells))
    present, total = result["cells"]
    print(f"{present} of {total} cells of this grid are there" + ("" if present == total else ": a PARTIAL table"))
    _plot(result, args.png)
    print(f"figure: {args.png}")
    print(json.dumps({"speeds": speeds, "table": {f"{a}@{b}": v for (a, b), v in result["table"].items()}}))


def _plot(result: dict, path: str) -> None:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 4))
    axes = figure.add_subplot()
    for arm in result["arms"]:
        shown = [b for b in result["budgets"] if (arm, b) in result["table"]]
        values = [result["table"][(arm, b)] for b in shown]
        axes.errorbar([b * 100 for b in shown], [v[0] for v in values],
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
