"""Per-frame 0/1 tables: ethome5 and BANOS/CalMS21 frames, SimBA files, round trips, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ethoforge.errors import InputError
from ethoforge.io.frame_table import load_frame_table, load_simba, save_frame_table, save_simba
from ethoforge.labels import Bout, bouts_to_frames

ETHOME5_INTERACT = {  # recording -> (frames, interact frames), from shared/data/SOURCES.md
    "e3v813a-20210610T120637-121213": (10080, 1090),
    "e3v813a-20210610T121558-122141": (10290, 2066),
    "e3v813a-20210610T122332-122642": (5700, 665),
    "e3v813a-20210610T122758-123309": (9330, 271),
    "e3v813a-20210610T123521-124106": (10349, 1456),
}


def _write(tmp_path: Path, text: str, name: str = "labels.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_ethome5_frame_labels(ethome5_dir):
    for name, (n_frames, interact) in ETHOME5_INTERACT.items():
        path = ethome5_dir / "labels_frames" / f"{name}_DERIVED_frame_labels.csv"
        bouts = load_frame_table(path, recording=name, n_frames=n_frames)
        assert {b.behavior for b in bouts} == {"interact"}
        assert {b.recording for b in bouts} == {name}
        assert sum(b.length for b in bouts) == interact
        assert all(b.stop <= n_frames for b in bouts)
        with pytest.raises(InputError, match="the recording has 100 frames"):
            load_frame_table(path, n_frames=100)
    default = load_frame_table(path)
    assert default[0].recording == path.stem


@pytest.mark.parametrize("recording", ["Recording_1", "Recording_4", "Recording_8"])
def test_banos_calms21_both_annotators(shared_data, recording):
    folder = shared_data / "banos_calms21_labels" / recording
    per_annotator = []
    for annotator in (1, 2):
        path = folder / f"humanAnnotation_{annotator}.csv"
        table = pd.read_csv(path)
        bouts = load_frame_table(path, recording=recording)
        behaviors = {b.behavior for b in bouts}
        assert behaviors <= {"attack", "investigation", "mount"}  # 'other' is background
        assert behaviors
        # one-hot rows: behavior frames plus 'other' frames make every row
        assert sum(b.length for b in bouts) + int(table["other"].sum()) == len(table)
        frames = bouts_to_frames(bouts, ["attack", "investigation", "mount"], len(table))
        assert (frames == table[["attack", "investigation", "mount"]].to_numpy()).all()
        assert 5 <= len(bouts) < len(table) / 50  # bouts last more than a few frames
        per_annotator.append(bouts)
        other = load_frame_table(path, recording=recording, behaviors=["other"])
        assert sum(b.length for b in other) == int(table["other"].sum())
    assert per_annotator[0] != per_annotator[1]


def test_crim13_simba(shared_data):
    files = sorted((shared_data / "crim13_simba_sample").glob("*.csv"))
    assert len(files) == 3
    expected = {
        "Tvideo_25_trim": [("sniff", 0, 101)],
        "Tvideo_80_trim": [("sniff", 0, 91), ("chase", 91, 101)],
        "Tvideo_8_trim": [("approach", 0, 7), ("sniff", 7, 101)],
    }
    for path in files:
        header = pd.read_csv(path, nrows=0).columns
        assert sum(c.endswith("_prediction") for c in header) == 11
        bouts = load_simba(path, n_frames=101)
        assert sorted((b.behavior, b.start, b.stop) for b in bouts) == sorted(expected[path.stem])
        assert {b.recording for b in bouts} == {path.stem}
        # every frame has a label in these files
        assert sum(b.length for b in bouts) == 101
    chosen = load_simba(files[1], behaviors=["chase", "attack"])
    assert [(b.behavior, b.start, b.stop) for b in chosen] == [("chase", 91, 101)]


def test_simba_machine_results_and_targets(tmp_path):
    text = "frames,Nose_x,Probability_Attack,Attack,Sniff\n0,1.5,0.9,1,0\n1,1.6,0.2,0,1\n2,1.7,0.8,1,1\n"
    path = _write(tmp_path, text, "video1.csv")
    assert [(b.behavior, b.start, b.stop) for b in load_simba(path)] == [("Attack", 0, 1), ("Attack", 2, 3)]
    both = load_simba(path, behaviors=["Attack", "Sniff"])
    assert sorted((b.behavior, b.start, b.stop) for b in both) == [
        ("Attack", 0, 1), ("Attack", 2, 3), ("Sniff", 1, 3)]
    no_marks = _write(tmp_path, "Nose_x,Sniff\n1.0,1\n", "targets.csv")
    with pytest.raises(InputError, match="pass behaviors="):
        load_simba(no_marks)


BOUTS = [Bout("r", "attack", 0, 3), Bout("r", "mount", 2, 9), Bout("r", "attack", 10, 11)]


@pytest.mark.parametrize("load, save", [(load_frame_table, save_frame_table), (load_simba, save_simba)])
def test_round_trip(tmp_path, load, save):
    path = tmp_path / "r.csv"
    save(BOUTS, path, n_frames=15, behaviors=["attack", "mount", "groom"])
    table = pd.read_csv(path)
    assert len(table) == 15 and table.shape[1] == 4
    assert load(path) == sorted(BOUTS, key=lambda b: (b.start, b.behavior))
    assert load(path, n_frames=15) == load(path)
    save(BOUTS, path)  # n_frames defaults to the last stop
    assert len(pd.read_csv(path)) == 11
    assert load(path, recording="other name")[0].recording == "other name"


def test_frame_column_and_index_column(tmp_path):
    sparse = _write(tmp_path, "frame,a\n2,1\n3,1\n7,1\n", "sparse.csv")
    assert [(b.start, b.stop) for b in load_frame_table(sparse)] == [(2, 4), (7, 8)]
    indexed = _write(tmp_path, ",a,background\n0,0,1\n1,1,0\n", "indexed.csv")
    assert [(b.behavior, b.start, b.stop) for b in load_frame_table(indexed)] == [("a", 1, 2)]
    no_frame = _write(tmp_path, "a,b\n1,0\n1,1\n", "plain.csv")
    assert [(b.behavior, b.start, b.stop) for b in load_frame_table(no_frame)] == [("a", 0, 2), ("b", 1, 2)]


def test_save_errors(tmp_path):
    with pytest.raises(InputError, match="pass n_frames="):
        save_frame_table([], tmp_path / "x.csv")
    with pytest.raises(InputError, match="one recording"):
        save_frame_table([Bout("r", "a", 0, 2), Bout("s", "a", 0, 2)], tmp_path / "x.csv")
    with pytest.raises(InputError, match="unknown behavior 'mount'"):
        save_frame_table(BOUTS, tmp_path / "x.csv", behaviors=["attack"])
    save_frame_table([], tmp_path / "empty.csv", n_frames=4, behaviors=["a"])
    assert load_frame_table(tmp_path / "empty.csv") == []
    assert len(pd.read_csv(tmp_path / "empty.csv")) == 4


# ---- bad input: each error names the file and the line -----------------------------------

@pytest.mark.parametrize(
    "text, pattern, location",
    [
        ("frame,a,b\n0,0,1\n1,2,0\n", "'2' where 0 or 1", "line 3, column 'a'"),
        ("frame,a,b\n0,0,1\n1,0,0.5\n", "'0.5' where 0 or 1", "line 3, column 'b'"),
        ("frame,a,b\n0,0,1\n1,yes,0\n", "'yes' where 0 or 1", "line 3, column 'a'"),
        ("frame,a,b\n0,0,1\n1,0,1\n2,1\n", "truncated", "line 4, column 'b'"),
        ("frame,a,b\n0,0,1\n\n2,1,0\n", "truncated", "line 3, column 'a'"),
        ("frame,a,b\n0,0,1\n1,0,1,1\n", "malformed row", "line 3"),
        ("frame,a\n0,0\n2,1\n1,1\n", "frames must increase", "line 4, column 'frame'"),
        ("frame,a\n0,0\n1.5,1\n", "whole number", "line 3, column 'frame'"),
        ("0,1,0\n1,0,0\n", "no header row .*expected column names such as 'frame,attack,investigation'", "line 1"),
        ("", "empty", "line 1"),
        ("frame,other\n0,1\n", "no behavior columns", "line 1"),
    ],
)
def test_bad_input(tmp_path, text, pattern, location):
    path = _write(tmp_path, text, "bad_frames.csv")
    with pytest.raises(InputError, match=pattern) as info:
        load_frame_table(path)
    assert "bad_frames.csv" in str(info.value)
    assert location in str(info.value)


def test_missing_behavior_column(tmp_path):
    path = _write(tmp_path, "frame,a\n0,1\n", "x.csv")
    with pytest.raises(InputError, match="no column for behavior 'b'"):
        load_frame_table(path, behaviors=["b"])
    simba = _write(tmp_path, "frames,a_prediction\n0,1\n", "s.csv")
    with pytest.raises(InputError, match="no column for behavior 'b'"):
        load_simba(simba, behaviors=["b"])
    assert load_simba(simba, behaviors=["a"]) == [Bout("s", "a", 0, 1)]


def test_large_table_is_fast(tmp_path):
    rng = np.random.default_rng(1)
    matrix = (rng.random((200_000, 3)) < 0.01).astype(int)
    path = tmp_path / "big.csv"
    pd.DataFrame(matrix, columns=["a", "b", "c"]).to_csv(path, index_label="frame")
    bouts = load_frame_table(path)
    assert (bouts_to_frames(bouts, ["a", "b", "c"], 200_000) == matrix).all()
