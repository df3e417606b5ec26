"""Discovery: k-means motifs recover separated clusters, the HMM a known state sequence; AMI and counts are right;
the CLI runs on ethome5 with either method."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from ethoforge.cli import app
from ethoforge.errors import ConfigError
from ethoforge.ssl.discover import fit_motifs, motif_behavior_table


def blobs(seed: int = 0) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Two recordings of frames from 3 well-separated 4-D Gaussians; the true blob per frame."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 0, 0, 0], [10, 0, 0, 0], [0, 10, 0, 0]], np.float32)
    truth = {name: rng.integers(0, 3, 500) for name in ("a", "b")}
    return {n: centres[t] + rng.normal(0, 0.5, (len(t), 4)).astype(np.float32) for n, t in truth.items()}, truth


def test_kmeans_motifs_recover_separated_clusters():
    embeddings, truth = blobs()
    motifs = fit_motifs(embeddings, 3)
    assert motifs.names == ["motif_0", "motif_1", "motif_2"]
    _, ami = motif_behavior_table(np.concatenate(list(motifs.per_recording.values())),
                                  np.concatenate(list(truth.values())), ["x", "y", "z"])
    assert ami == pytest.approx(1.0)


def markov_embeddings(separation: float, seed: int = 0) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Two recordings of 1,500 frames from a 3-state Markov chain (stay 0.98, else a uniform draw); each frame is
    its state's 16-D mean (means ``separation`` apart, states 0 and 1) plus unit Gaussian noise."""
    rng = np.random.default_rng(seed)
    means = rng.normal(0, 1, (3, 16))
    means *= separation / np.linalg.norm(means[0] - means[1])
    embeddings, truth = {}, {}
    for name in ("a", "b"):
        states = np.empty(1500, np.int64)
        states[0] = rng.integers(3)
        for t in range(1, len(states)):
            states[t] = states[t - 1] if rng.random() < 0.98 else rng.integers(3)
        truth[name] = states
        embeddings[name] = (means[states] + rng.normal(0, 1, (len(states), 16))).astype(np.float32)
    return embeddings, truth


def test_hmm_recovers_a_known_state_sequence_that_kmeans_cannot():
    embeddings, truth = markov_embeddings(separation=2.0)
    flat_truth = np.concatenate(list(truth.values()))
    ami = {}
    for method in ("kmeans", "hmm"):
        motifs = fit_motifs(embeddings, 3, method=method)
        assert motifs.centres.shape == (3, 16)
        ami[method] = motif_behavior_table(np.concatenate(list(motifs.per_recording.values())), flat_truth,
                                           ["x", "y", "z"])[1]
    assert ami["hmm"] > 0.9 and ami["kmeans"] < 0.7, ami  # overlapping frames: only time tells them apart


def test_motif_behavior_table_counts_frames_and_skips_unannotated():
    motifs = np.array([0, 0, 1, 1, 2, 2])
    targets = np.array([0, 0, 1, 1, 1, -1])
    counts, ami = motif_behavior_table(motifs, targets, ["none", "groom"])
    np.testing.assert_array_equal(counts, [[2, 0], [0, 2], [0, 1]])
    assert 0 < ami < 1
    rng = np.random.default_rng(0)
    _, unrelated = motif_behavior_table(rng.integers(0, 5, 5000), rng.integers(0, 2, 5000), ["none", "groom"])
    assert abs(unrelated) < 0.01


def test_bad_cluster_counts_are_refused():
    embeddings, _ = blobs()
    for k in (1, 10_000):
        with pytest.raises(ConfigError, match="--clusters must be between 2"):
            fit_motifs(embeddings, k)


def test_discover_cli_on_ethome5_writes_motifs_bouts_map_and_ami(ssl_project, tmp_path):
    rec_a, rec_b = ssl_project.recordings
    result = CliRunner().invoke(app, ["discover", "emb", "--recordings", rec_a, rec_b, "--clusters", "4",
                                      "--out", str(tmp_path / "disc"), "--device", "cpu",
                                      "--project", str(ssl_project.root), "--json"])
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)
    out = tmp_path / "disc"
    assert run["map"] == "pca" and run["clusters"] == 4 and -1 <= run["ami"] <= 1
    motifs = pd.read_parquet(out / "motifs.parquet")
    assert len(motifs) == 5700 + 9330 and set(motifs["motif"]) <= {0, 1, 2, 3}
    bouts = pd.read_csv(out / "motif_bouts.csv")
    for name, frames in motifs.groupby("recording"):
        mine = bouts[bouts["recording"] == name].sort_values("start")
        assert mine["start"].iloc[0] == 0 and mine["stop"].iloc[-1] == len(frames)
        assert (mine["start"].to_numpy()[1:] == mine["stop"].to_numpy()[:-1]).all()  # bouts tile the recording
    table = pd.read_csv(out / "motif_behavior.csv", index_col="motif")
    assert list(table.columns) == ["none", "interact"] and table.to_numpy().sum() == 5700 + 9330
    summary = json.loads((out / "summary.json").read_text())
    assert summary["behaviors"] == ["interact"] and set(summary["ami_per_recording"]) == {rec_a, rec_b}
    for name in ("map.png", f"ethogram_{rec_a}.png", f"ethogram_{rec_b}.png"):
        assert (out / name).stat().st_size > 1000
    assert not list(tmp_path.glob(".*partial"))


def test_discover_cli_runs_an_hmm_on_ethome5(ssl_project, tmp_path):
    rec_a, rec_b = ssl_project.recordings
    result = CliRunner().invoke(app, ["discover", "emb", "--recordings", rec_a, rec_b, "--method", "hmm",
                                      "--clusters", "3", "--out", str(tmp_path / "hmm"), "--device", "cpu",
                                      "--project", str(ssl_project.root), "--json"])
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)
    assert run["clusters"] == 3 and -1 <= run["ami"] <= 1
    motifs = pd.read_parquet(tmp_path / "hmm" / "motifs.parquet")
    assert len(motifs) == 5700 + 9330 and set(motifs["motif"]) <= {0, 1, 2}
    assert json.loads((tmp_path / "hmm" / "summary.json").read_text())["method"] == "hmm"


def test_discover_refuses_an_unknown_method_before_any_work(ssl_project, tmp_path):
    result = CliRunner().invoke(app, ["discover", "emb", "--recordings", ssl_project.recordings[0],
                                      "--method", "spectral", "--out", str(tmp_path / "d"),
                                      "--project", str(ssl_project.root)])
    assert result.exit_code == 1 and "expected one of kmeans, hmm" in result.output and not (tmp_path / "d").exists()
