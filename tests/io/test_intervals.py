"""Interval CSV: lossless round trip, column synonyms, seconds, and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from ethoforge.errors import InputError
from ethoforge.io.intervals import load_intervals, save_intervals
from ethoforge.labels import Bout

BOUTS = [
    Bout("rec A", "attack", 0, 1, agent="m1", target="m2", source="predicted", annotator="model v2", score=1 / 3),
    Bout("rec A", "groom", 1, 30),
    Bout("rec, B", "attack", 5, 12, agent="m2", source="confirmed", score=0.1),
    Bout("rec, B", "attack", 12, 20, annotator="Ana", score=0.0),
]


def _write(tmp_path: Path, text: str, name: str = "bouts.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_round_trip_keeps_every_field(tmp_path):
    path = tmp_path / "bouts.csv"
    save_intervals(BOUTS, path)
    assert path.read_text().splitlines()[0] == "recording,behavior,start,stop,agent,target,source,annotator,score"
    assert load_intervals(path) == BOUTS


def test_round_trip_empty(tmp_path):
    path = tmp_path / "none.csv"
    save_intervals([], path)
    assert load_intervals(path) == []


def test_recording_column_selects(tmp_path):
    path = tmp_path / "bouts.csv"
    save_intervals(BOUTS, path)
    assert load_intervals(path, recording="rec, B") == BOUTS[2:]
    with pytest.raises(InputError, match="no bouts of recording 'nope'"):
        load_intervals(path, recording="nope")


def test_minimal_columns_and_synonyms(tmp_path):
    path = _write(tmp_path, "behavior,start_frame,stop_frame\nsniff,3,9\n", "session_4.csv")
    assert load_intervals(path) == [Bout("session_4", "sniff", 3, 9)]  # recording = file stem
    assert load_intervals(path, recording="s4") == [Bout("s4", "sniff", 3, 9)]


def test_seconds_need_fps(tmp_path):
    path = _write(tmp_path, "recording,behavior,start_s,stop_s\nr,sniff,0.05,1.0\n")
    assert load_intervals(path, fps=30) == [Bout("r", "sniff", 2, 30)]  # 1.5 rounds up to 2
    with pytest.raises(InputError, match="pass fps="):
        load_intervals(path)


def test_blank_lines_are_skipped(tmp_path):
    path = _write(tmp_path, "recording,behavior,start,stop\n\nr,a,0,2\n\n")
    assert load_intervals(path) == [Bout("r", "a", 0, 2)]


def test_save_checks_behaviors_and_length(tmp_path):
    with pytest.raises(InputError, match="unknown behavior 'groom'"):
        save_intervals(BOUTS, tmp_path / "x.csv", behaviors=["attack"])
    with pytest.raises(InputError, match="past the last pose frame"):
        save_intervals(BOUTS, tmp_path / "x.csv", n_frames=10)


# ---- bad input: each error names the file and the line -----------------------------------

@pytest.mark.parametrize(
    "text, pattern, line",
    [
        ("recording,behavior,start,stop\nr,a,0,5\nr,a,9,9\n", "must be after start", 3),
        ("recording,behavior,start,stop\nr,a,0,5\nr,a,9,4\n", "must be after start", 3),
        ("recording,behavior,start,stop\nr,a,zero,5\n", "'start' is 'zero'", 2),
        ("recording,behavior,start,stop\nr,a,1.5,5\n", "whole frame number", 2),
        ("recording,behavior,start,stop,score\nr,a,1,5,high\n", "'score' is 'high'", 2),
        ("recording,behavior,start,stop\nr,a,0,5\nr,a,6\n", "truncated", 3),
        ("recording,behavior,start,stop\nr,a,0,5\nr,,6,7\n", "empty 'behavior'", 3),
        ("recording,behavior,start,stop\nr,a,-1,5\n", "negative", 2),
        ("recording,behavior,start,stop,source\nr,a,1,5,guessed\n", "source 'guessed'", 2),
        ("r,a,0,5\nr,a,6,9\n", "start/stop columns", 1),
        ("0,1,0,5\n", "no header", 1),
        ("\n0,1,0,5\n", r"no header row \(the first row holds only numbers: \['0', '1', '0', '5'\]\)", 2),
        ("recording,start,stop\nr,0,5\n", "no 'behavior' column", 1),
        ("", "empty", 1),
        ("\n\n", "empty", 1),
    ],
)
def test_bad_input(tmp_path, text, pattern, line):
    path = _write(tmp_path, text, "bad_bouts.csv")
    with pytest.raises(InputError, match=pattern) as info:
        load_intervals(path)
    assert "bad_bouts.csv" in str(info.value)
    assert f"line {line}" in str(info.value)


def test_bout_past_recording_names_line(tmp_path):
    path = _write(tmp_path, "recording,behavior,start,stop\nr,a,0,5\nr,a,90,120\n")
    with pytest.raises(InputError, match="line 3: stop frame 120 is past"):
        load_intervals(path, n_frames=100)


def test_columns_map_another_bout_table_in_seconds_or_frames(tmp_path):
    seconds = _write(tmp_path, ",file,from,to,type\n0,a.csv,1.0,2.5,Supported\n1,a.csv,3.02,3.1,Grooming\n", "a.csv")
    mapping = {"from": "start_s", "to": "stop_s", "type": "behavior"}
    assert load_intervals(seconds, fps=25, columns=mapping) == [Bout("a", "Supported", 25, 63),  # 62.5 rounds up
                                                                 Bout("a", "Grooming", 76, 78)]  # 75.5, 77.5
    frames = _write(tmp_path, "start,stop,behavior\n3,9,rear\n", "b.csv")
    renamed = {"start": "stop", "stop": "start"}  # mapping may swap names
    with pytest.raises(InputError, match="stop frame 3 must be after start frame 9"):
        load_intervals(frames, columns=renamed)
    assert load_intervals(frames, columns={"behavior": "behavior"}) == [Bout("b", "rear", 3, 9)]


@pytest.mark.parametrize("mapping, pattern", [
    ({"frm": "start_s"}, r"columns= names column\(s\) \['frm'\] the file does not have; its header is \['', 'file', "),
    ({"from": "begin"}, r"columns= maps to \['begin'\]; expected some of \['recording', 'behavior'"),
    ({"from": "start", "to": "stop", "type": "behavior"},
     r"line 2, column 'start': 'start' is '1.5'; expected a whole frame number \(times in seconds\? name the columns start_s and stop_s, e\.g\. "
     r"columns=\{'from': 'start_s', 'to': 'stop_s'\}\)"),
    ({"file": "behavior", "type": "behavior"}, r"after columns= the header has \['behavior'\] twice"),
])
def test_bad_column_mappings_name_the_columns(tmp_path, mapping, pattern):
    path = _write(tmp_path, ",file,from,to,type\n0,a.csv,1.5,2.5,Supported\n", "a.csv")
    with pytest.raises(InputError, match=pattern):
        load_intervals(path, fps=25, columns=mapping)
