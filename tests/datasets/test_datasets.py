"""The bundled ethome5 sample equals the shared DLC files and labels (SOURCES.md counts)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ethoforge.datasets import load_sample, sample_names, sample_path
from ethoforge.errors import NotFoundError
from ethoforge.io.poses import load_poses
from ethoforge.labels import bouts_to_frames
from ethoforge.recording import POSITION_DIMS

# SOURCES.md: frames, interact frames, bouts
EXPECTED = {
    "e3v813a-20210610T120637-121213": (10080, 1090, 15),
    "e3v813a-20210610T121558-122141": (10290, 2066, 29),
    "e3v813a-20210610T122332-122642": (5700, 665, 10),
    "e3v813a-20210610T122758-123309": (9330, 271, 8),
    "e3v813a-20210610T123521-124106": (10349, 1456, 32),
}


@pytest.fixture(scope="module")
def sample():
    return load_sample()


def test_names():
    assert sample_names() == sorted(EXPECTED)
    assert sample_path(sample_names()[0]).suffix == ".npz"
    with pytest.raises(NotFoundError, match="available"):
        sample_path("nope")


def test_label_counts_match_sources(sample):
    totals = np.zeros(3, dtype=int)
    for recording, bouts in sample:
        frames, interact, n_bouts = EXPECTED[recording.name]
        labelled = bouts_to_frames(bouts, ["interact"], recording.n_frames)
        assert (recording.n_frames, int(labelled.sum()), len(bouts)) == (frames, interact, n_bouts)
        assert {(b.recording, b.behavior, b.agent) for b in bouts} == {(recording.name, "interact", "adult")}
        totals += (recording.n_frames, int(labelled.sum()), len(bouts))
    assert totals.tolist() == [45749, 5548, 94]


def test_labels_equal_the_per_frame_csv(sample, ethome5_dir):
    for recording, bouts in sample:
        csv = next((ethome5_dir / "labels_frames").glob(f"{recording.name}*.csv"))
        expected = pd.read_csv(csv)["interact"].to_numpy()
        np.testing.assert_array_equal(bouts_to_frames(bouts, ["interact"], recording.n_frames)[:, 0], expected)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_poses_equal_the_dlc_files_to_float32(sample, ethome5_dir, name):
    recording = next(r for r, _ in sample if r.name == name)
    assert tuple(recording.poses["position"].dims) == POSITION_DIMS
    assert recording.fps == 30.0 and recording.poses["position"].dtype == np.float32
    original = load_poses(next((ethome5_dir / "poses").glob(f"{name}*.csv")))
    assert recording.individuals == original.individuals == ["adult", "juvenile"]
    assert recording.keypoints == original.keypoints
    np.testing.assert_array_equal(
        recording.poses["position"].values, original.poses["position"].values.astype(np.float32)
    )
    np.testing.assert_array_equal(
        recording.poses["confidence"].values, original.poses["confidence"].values.astype(np.float32)
    )


def test_bundle_is_small_and_attributed():
    folder = sample_path(sample_names()[0]).parent
    total = sum(p.stat().st_size for p in folder.iterdir())
    assert total < 8e6
    assert "MIT License" in (folder / "LICENSE").read_text()
    assert "Ben Lansdell" in (folder / "ATTRIBUTION.md").read_text()
