"""write_inference_outputs: every file read back and compared with what was written."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ethoforge.errors import InputError
from ethoforge.inference.export import EXPORT_FORMATS, labels_from_bouts, write_inference_outputs
from ethoforge.inference.postprocess import probabilities_to_bouts
from ethoforge.labels import bouts_from_dataframe

CLASSES = ["none", "attack", "groom"]
FPS = 30.0


@pytest.fixture()
def prediction():
    #          bouts: attack [0, 40), groom [100, 160), attack [250, 300) (stop = T)
    labels = np.zeros(300, dtype=np.int64)
    labels[:40] = 1
    labels[100:160] = 2
    labels[250:] = 1
    rng = np.random.default_rng(0)
    probs = rng.random((300, 3)).astype(np.float32) * 0.2
    probs[np.arange(300), labels] += 0.8
    probs /= probs.sum(axis=1, keepdims=True)
    frame_labels, bouts = probabilities_to_bouts(probs, CLASSES, "rec-1 test", min_bout_frames=5)
    assert frame_labels.tolist() == labels.tolist()
    return probs, frame_labels, bouts


def test_all_formats_round_trip(tmp_path, prediction):
    from ethoforge.io.labels import load_labels

    probs, frame_labels, bouts = prediction
    paths = write_inference_outputs(tmp_path / "out", "rec-1 test", probs, CLASSES, FPS, bouts)
    assert set(paths) == set(EXPORT_FORMATS)
    assert all(p.is_file() and p.parent == tmp_path / "out" for p in paths.values())
    assert paths["parquet"].name == "rec-1_test_frames.parquet"

    table = pd.read_parquet(paths["parquet"])
    assert list(table.columns) == ["frame", "time_s", *CLASSES, "label"]
    assert table["frame"].tolist() == list(range(300))
    assert table["time_s"].to_numpy() == pytest.approx(np.arange(300) / FPS)
    assert np.array_equal(table[CLASSES].to_numpy(), probs)  # float32 kept exactly
    assert table["label"].tolist() == [CLASSES[i] for i in frame_labels]

    csv = pd.read_csv(paths["csv"])
    assert list(csv.columns) == list(table.columns)
    assert csv[CLASSES].to_numpy() == pytest.approx(probs, abs=1e-6)
    assert csv["label"].tolist() == table["label"].tolist()

    read_bouts = bouts_from_dataframe(pd.read_csv(paths["bouts"]))
    assert [(b.recording, b.behavior, b.start, b.stop, b.source) for b in read_bouts] == [
        (b.recording, b.behavior, b.start, b.stop, b.source) for b in bouts
    ]
    assert [b.score for b in read_bouts] == pytest.approx([b.score for b in bouts])

    boris = load_labels(paths["boris"], "boris", fps=FPS)
    assert sorted((b.behavior, b.start, b.stop) for b in boris) == [
        ("attack", 0, 40), ("attack", 250, 300), ("groom", 100, 160),
    ]
    assert paths["ethogram"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list((tmp_path / "out").glob(".*"))  # no temporary files left


def test_subset_of_formats_and_explicit_labels(tmp_path, prediction):
    probs, _, bouts = prediction
    override = np.zeros(300, dtype=np.int64)
    paths = write_inference_outputs(tmp_path, "r", probs, CLASSES, FPS, bouts, formats=("csv",), labels=override)
    assert set(paths) == {"csv"}
    assert set(pd.read_csv(paths["csv"])["label"]) == {"none"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r_frames.csv"]


def test_labels_from_bouts_half_open(prediction):
    _, frame_labels, bouts = prediction
    assert labels_from_bouts(bouts, CLASSES, 300).tolist() == frame_labels.tolist()


def test_bad_inputs(tmp_path, prediction):
    probs, _, bouts = prediction
    with pytest.raises(InputError, match="unknown output format"):
        write_inference_outputs(tmp_path, "r", probs, CLASSES, FPS, bouts, formats=("xlsx",))
    with pytest.raises(InputError, match="expected \\(frames, 2\\)"):
        write_inference_outputs(tmp_path, "r", probs, ["none", "attack"], FPS, bouts, formats=("csv",))
    with pytest.raises(InputError, match="clash"):
        write_inference_outputs(tmp_path, "r", probs, ["none", "label", "groom"], FPS, [], formats=("csv",))
