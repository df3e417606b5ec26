"""Bad pose files raise InputError naming the file, the line/frame and what was expected."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from ethoforge.errors import InputError
from ethoforge.io.poses import load_poses, save_poses

HEADER = [
    "scorer,S,S,S,S,S,S,S,S,S,S,S,S",
    "individuals,m1,m1,m1,m1,m1,m1,m2,m2,m2,m2,m2,m2",
    "bodyparts,nose,nose,nose,tail,tail,tail,nose,nose,nose,tail,tail,tail",
    "coords,x,y,likelihood,x,y,likelihood,x,y,likelihood,x,y,likelihood",
]


def _rows(n=5):
    return [f"{t}," + ",".join(f"{t + c}.5" for c in range(12)) for t in range(n)]


def _write(tmp_path, lines, name="bad.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def test_good_generated_file_loads(tmp_path):
    recording = load_poses(_write(tmp_path, HEADER + _rows()))
    assert recording.n_frames == 5 and recording.individuals == ["m1", "m2"]
    assert recording.poses["position"].sel(time=2, individual="m2", keypoint="tail").values.tolist() == [11.5, 12.5]


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(InputError, match="empty") as info:
        load_poses(path)
    assert info.value.path == path and info.value.location == "line 1"


def test_truncated_csv_names_the_last_line(tmp_path):
    text = "\n".join(HEADER + _rows(6))
    path = tmp_path / "cut.csv"
    path.write_text(text[: text.rfind(",", 0, len(text) - 20)])  # cut in the middle of the last row
    with pytest.raises(InputError, match="truncated") as info:
        load_poses(path)
    assert info.value.location == "line 10"
    assert str(path) in str(info.value)


def test_header_without_data_rows(tmp_path):
    with pytest.raises(InputError, match="no data rows"):
        load_poses(_write(tmp_path, HEADER))


def test_wrong_first_header_row(tmp_path):
    lines = ["frame,x,y"] + _rows()
    with pytest.raises(InputError, match="'scorer'") as info:
        load_poses(_write(tmp_path, lines), "dlc")
    assert info.value.location == "line 1"


def test_unknown_csv_layout_in_auto_mode(tmp_path):
    with pytest.raises(InputError, match="cannot tell the CSV format"):
        load_poses(_write(tmp_path, ["frame,x,y", "0,1,2"]))


def test_missing_bodyparts_row(tmp_path):
    lines = [HEADER[0], HEADER[1], HEADER[3]] + _rows()
    with pytest.raises(InputError, match="expected 'bodyparts'") as info:
        load_poses(_write(tmp_path, lines))
    assert info.value.location == "line 2"


def test_unknown_coordinate_name(tmp_path):
    lines = HEADER[:3] + [HEADER[3].replace("likelihood", "p", 1)] + _rows()
    with pytest.raises(InputError, match=r"unknown coordinate name\(s\) \['p'\]") as info:
        load_poses(_write(tmp_path, lines))
    assert info.value.location == "line 4"


def test_non_numeric_cell_names_line_and_column(tmp_path):
    rows = _rows()
    cells = rows[2].split(",")
    cells[2] = "abc"  # m1 / nose / y of frame 2, file line 7
    rows[2] = ",".join(cells)
    with pytest.raises(InputError, match=r"'abc' in column m1/nose/y is not a number") as info:
        load_poses(_write(tmp_path, HEADER + rows))
    assert info.value.location == "line 7"


def test_row_with_extra_cells(tmp_path):
    rows = _rows()
    rows[1] += ",9,9"
    with pytest.raises(InputError):
        load_poses(_write(tmp_path, HEADER + rows))


def test_nan_only_keypoint_is_dropped_with_a_warning_naming_it(tmp_path):
    rows = []
    for t in range(4):
        cells = [str(t)] + [f"{t}.5"] * 12
        for column in (4, 5, 10, 11):  # tail x, y of both mice
            cells[column] = ""
        rows.append(",".join(cells))
    recording = load_poses(_write(tmp_path, HEADER + rows))
    assert list(recording.poses["keypoint"].values) == ["nose"]
    assert np.isfinite(recording.poses["position"].values).all()
    assert any("['tail']" in w and "dropped" in w for w in recording.metadata["warnings"])


def test_all_nan_file(tmp_path):
    rows = [f"{t}," + ",".join([""] * 12) for t in range(3)]
    with pytest.raises(InputError, match="every keypoint is NaN"):
        load_poses(_write(tmp_path, HEADER + rows))


def test_unknown_suffix_and_unknown_format(tmp_path):
    path = tmp_path / "poses.txt"
    path.write_text("hello")
    with pytest.raises(InputError, match="unknown pose file type '.txt'"):
        load_poses(path)
    with pytest.raises(InputError, match="unknown pose format 'deeplabcut'"):
        load_poses(_write(tmp_path, HEADER + _rows()), "deeplabcut")


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_poses(tmp_path / "nope.csv")


def test_h5_that_is_neither_dlc_nor_sleap(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as handle:
        handle["data"] = np.zeros(3)
    with pytest.raises(InputError, match="neither a SLEAP analysis file"):
        load_poses(path)


def test_h5_that_is_not_hdf5(tmp_path):
    path = tmp_path / "fake.h5"
    path.write_text("not hdf5")
    with pytest.raises(InputError, match="not a readable HDF5"):
        load_poses(path)


def test_save_with_wrong_suffix(tmp_path):
    recording = load_poses(_write(tmp_path, HEADER + _rows()))
    with pytest.raises(InputError, match="must end in .nwb"):
        save_poses(recording, tmp_path / "out.h5", "nwb")
    with pytest.raises(InputError, match="cannot save poses as 'mabe'"):
        save_poses(recording, tmp_path / "out.parquet", "mabe")


def test_duplicate_column(tmp_path):
    lines = [HEADER[0], HEADER[1], HEADER[2].replace("tail,tail,tail", "nose,nose,nose", 1), HEADER[3]] + _rows()
    with pytest.raises(InputError, match="m1/nose/x appears twice") as info:
        load_poses(_write(tmp_path, lines))
    assert info.value.location == "header"


def test_multi_animal_file_with_unique_bodyparts(tmp_path):
    """maDLC 'unique' bodyparts: individual 'single' holds its own bodyparts; the rest is NaN."""
    lines = [
        "scorer,S,S,S,S,S,S,S,S,S",
        "individuals,m1,m1,m1,m2,m2,m2,single,single,single",
        "bodyparts,nose,nose,nose,nose,nose,nose,lamp,lamp,lamp",
        "coords,x,y,likelihood,x,y,likelihood,x,y,likelihood",
    ] + [f"{t},{t},1,0.9,{t + 10},2,0.8,50,60,1.0" for t in range(3)]
    recording = load_poses(_write(tmp_path, lines))
    assert recording.individuals == ["m1", "m2", "single"] and recording.keypoints == ["nose", "lamp"]
    position = recording.poses["position"]
    assert position.sel(time=2, individual="m2", keypoint="nose").values.tolist() == [12.0, 2.0]
    assert position.sel(time=1, individual="single", keypoint="lamp").values.tolist() == [50.0, 60.0]
    assert np.isnan(position.sel(individual="single", keypoint="nose").values).all()
    assert np.isnan(position.sel(individual="m1", keypoint="lamp").values).all()


@pytest.mark.parametrize("name, content, message", [
    ("garbage.npy", b"garbage", "not a readable npy file"),  # numpy tried it as a pickle: 500 over REST
    ("latin1.json", b"\xff\xfe\x00", "cannot read this file as calms21 poses: UnicodeDecodeError"),
    ("one_coord.csv", b"scorer,a\nbodyparts,nose\ncoords,x\n0,1\n", "cannot read this file as dlc poses"),
])
def test_files_that_are_not_poses_raise_input_error(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as raised:
        load_poses(path)
    assert str(path) in str(raised.value)


def test_hdf5_without_nwb_version_raises_input_error(tmp_path):
    path = tmp_path / "plain.nwb"
    with h5py.File(path, "w") as handle:
        handle["x"] = np.zeros(2)
    with pytest.raises(InputError, match="nwb"):
        load_poses(path)
