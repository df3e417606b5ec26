"""NWB labels: frame-exact round trips into new and existing files, foreign tables, bad input."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime

import numpy as np
import pytest

from ethoforge.errors import InputError
from ethoforge.io.nwb_labels import load_nwb_labels, save_nwb_labels
from ethoforge.labels import Bout

BOUTS = [
    Bout("mouse_3", "attack", 3, 10, agent="resident", target="intruder", source="predicted",
         annotator="model v1", score=0.8125),
    Bout("mouse_3", "groom", 10, 11),
    Bout("mouse_3", "attack", 999_999, 1_000_000, source="confirmed", score=1 / 3),
]

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")


def _nwbfile():
    from pynwb import NWBFile

    return NWBFile(session_description="test", identifier="abc",
                   session_start_time=datetime(2024, 1, 2, tzinfo=UTC))


@pytest.mark.parametrize("fps", [30.0, 29.97, 1000.0])
def test_round_trip_new_file(tmp_path, fps):
    path = tmp_path / "labels.nwb"
    save_nwb_labels(BOUTS, path, fps=fps)
    assert load_nwb_labels(path) == BOUTS
    assert load_nwb_labels(path, fps=fps) == BOUTS


def test_stored_seconds_and_columns(tmp_path):
    from pynwb import NWBHDF5IO

    path = tmp_path / "labels.nwb"
    save_nwb_labels(BOUTS, path, fps=25.0)
    with NWBHDF5IO(str(path), "r") as io:
        table = io.read().intervals["behavior_bouts"].to_dataframe()
    assert np.allclose(table["start_time"], [0.12, 0.4, 39999.96])
    assert np.allclose(table["stop_time"], [0.4, 0.44, 40000.0])
    assert list(table["start_frame"]) == [3, 10, 999_999]
    assert list(table["agent"]) == ["resident", "", ""]


def test_round_trip_empty(tmp_path):
    path = tmp_path / "empty.nwb"
    save_nwb_labels([], path, fps=30.0)
    assert load_nwb_labels(path) == []


def test_append_to_existing_file(tmp_path):
    from pynwb import NWBHDF5IO

    path = tmp_path / "session.nwb"
    nwbfile = _nwbfile()
    nwbfile.add_trial(start_time=0.0, stop_time=5.0)
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    save_nwb_labels(BOUTS, path, fps=30.0)
    assert load_nwb_labels(path, recording="mouse_3") == BOUTS
    with NWBHDF5IO(str(path), "r") as io:
        read = io.read()
        assert read.identifier == "abc" and len(read.trials) == 1
    with pytest.raises(InputError, match="already has an intervals table 'behavior_bouts'"):
        save_nwb_labels(BOUTS, path, fps=30.0)
    save_nwb_labels(BOUTS[:1], path, fps=30.0, table="second_annotator")
    assert load_nwb_labels(path, table="second_annotator") == BOUTS[:1]


def test_foreign_table_in_seconds(tmp_path):
    from pynwb import NWBHDF5IO
    from pynwb.epoch import TimeIntervals

    table = TimeIntervals(name="annotations", description="from another tool")
    table.add_column(name="behavior", description="label")
    table.add_row(start_time=1.0, stop_time=2.05, behavior="rear")
    nwbfile = _nwbfile()
    nwbfile.add_time_intervals(table)
    path = tmp_path / "other_tool.nwb"
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    assert load_nwb_labels(path, fps=30) == [Bout("other_tool", "rear", 30, 62)]  # 61.5 rounds up
    with pytest.raises(InputError, match="pass fps="):
        load_nwb_labels(path)


def test_bad_input(tmp_path):
    path = tmp_path / "labels.nwb"
    save_nwb_labels(BOUTS, path, fps=30.0)
    with pytest.raises(InputError, match="fps contradictory") as info:
        load_nwb_labels(path, fps=25.0)
    assert "labels.nwb" in str(info.value) and "table row 1" in str(info.value)
    with pytest.raises(InputError, match="past the last pose frame") as info:
        load_nwb_labels(path, n_frames=1000)
    assert "table row 3" in str(info.value)
    with pytest.raises(InputError, match="pass a positive fps"):
        save_nwb_labels(BOUTS, tmp_path / "x.nwb")
    not_nwb = tmp_path / "fake.nwb"
    not_nwb.write_text("recording,behavior\n")
    with pytest.raises(InputError, match="not a readable NWB file"):
        load_nwb_labels(not_nwb)
    with pytest.raises(InputError, match="cannot append to this file"):
        save_nwb_labels(BOUTS, not_nwb, fps=30.0)
    with pytest.raises(InputError, match="no intervals table 'nope'"):
        load_nwb_labels(path, table="nope")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(InputError, match="file not found"):
            load_nwb_labels(tmp_path / "missing.nwb")
