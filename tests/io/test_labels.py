"""The label-format registry: dispatch, round trips through every format, selection, errors."""

from __future__ import annotations

import importlib.util

import pytest

from ethoforge.errors import InputError
from ethoforge.io.labels import LABEL_FORMATS, check_header_row, load_labels, save_labels, seconds_to_frame
from ethoforge.labels import Bout

SUFFIX = {"boris": ".csv", "intervals": ".csv", "frames": ".csv", "simba": ".csv",
          "calms21": ".json", "mabe": ".parquet", "nwb": ".nwb"}
# frame-exclusive bouts (CalMS21 holds one behavior per frame), neither touching nor overlapping
BOUTS = [Bout("rec1", "attack", 0, 4), Bout("rec1", "sniff", 6, 20), Bout("rec1", "attack", 25, 26),
         Bout("rec1", "sniff", 40, 99)]


def test_formats_listed():
    assert LABEL_FORMATS == ("boris", "intervals", "frames", "simba", "calms21", "mabe", "nwb")


def test_unknown_format_lists_formats(tmp_path):
    with pytest.raises(InputError, match="unknown label format 'elan'.*'boris'.*'nwb'"):
        load_labels(tmp_path / "x.csv", "elan")
    with pytest.raises(InputError, match="unknown label format 'BORIS'"):
        save_labels(BOUTS, tmp_path / "x.csv", "BORIS")


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("format", LABEL_FORMATS)
def test_round_trip_through_registry(tmp_path, format):
    module = {"calms21": "ethoforge.io.calms21", "mabe": "ethoforge.io.mabe"}.get(format)
    if module is not None and importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not written yet")
    path = tmp_path / f"rec1{SUFFIX[format]}"
    save_labels(BOUTS, path, format, fps=30.0, n_frames=120, behaviors=["attack", "sniff"])
    back = load_labels(path, format, fps=30.0, recording="rec1", n_frames=120)
    assert sorted((b.recording, b.behavior, b.start, b.stop) for b in back) == sorted(
        (b.recording, b.behavior, b.start, b.stop) for b in BOUTS)
    only = load_labels(path, format, fps=30.0, recording="rec1", behaviors=["sniff"])
    assert [(b.start, b.stop) for b in only] == [(6, 20), (40, 99)]


def test_real_files_through_registry(ethome5_dir, shared_data):
    boris = load_labels(ethome5_dir / "labels_boris" / "e3v813a-20210610T122332-122642_reencode.csv", "boris")
    assert len(boris) == 10
    frames = load_labels(
        ethome5_dir / "labels_frames" / "e3v813a-20210610T122332-122642_DERIVED_frame_labels.csv", "frames",
        recording="e3v813a-20210610T122332-122642", n_frames=5700,
    )
    assert sum(b.length for b in frames) == 665
    simba = load_labels(shared_data / "crim13_simba_sample" / "Tvideo_8_trim.csv", "simba", behaviors=["approach"])
    assert [(b.behavior, b.start, b.stop) for b in simba] == [("approach", 0, 7)]


def test_seconds_to_frame_edges():
    assert seconds_to_frame(0.0, 30) == 0
    assert seconds_to_frame(0.05, 30) == 2  # 1.5 -> 2 (halves up, not banker's rounding)
    assert seconds_to_frame(0.15, 30) == 5  # 4.4999999 in floats, still a half
    assert seconds_to_frame(0.049, 30) == 1
    assert seconds_to_frame(258.4, 30, "floor") == 7752  # 7751.999999999999 in floats
    assert seconds_to_frame(0.0666, 30, "floor") == 1


def test_a_first_row_of_only_numbers_is_a_missing_header(tmp_path):
    path = tmp_path / "table.csv"
    with pytest.raises(InputError, match=r"no header row \(the first row holds only numbers: "
                                         r"\['0', '1.5', '-2', '1e3'\]\); expected columns a, b") as info:
        check_header_row(["0", "1.5", "", "-2", "1e3"], path, 3, "columns a, b")  # empty cells do not count
    assert "table.csv" in str(info.value) and "line 3" in str(info.value)
    check_header_row(["frame", "0", "1"], path, 1, "columns a, b")  # one name makes a header
