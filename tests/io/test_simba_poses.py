"""SimBA CSVs import as poses through their ``_x/_y/_p`` columns (generated files and the real crim13 sample)."""

from __future__ import annotations

import numpy as np
import pytest

from ethoforge.errors import InputError
from ethoforge.io.poses import detect_pose_format, load_poses
from ethoforge.store import Project


def _simba_csv(path, *, animals=("1", "2"), parts=("Nose", "Tail_base"), n_frames=4):
    """SimBA's layout: a 'scorer' index column, x/y/p triplets, then feature and label columns.
    Frame f of animal a, part k sits at x = 100a + 10k + f, y = x + 0.5, p = 0.9."""
    columns = ["scorer"] + [f"{part}_{animal}_{axis}" for animal in animals for part in parts for axis in "xyp"]
    columns += ["video_no", "frames", "Mouse_1_poly_area", "attack_prediction"]
    rows = []
    for frame in range(n_frames):
        cells = [str(frame)]
        for a, _ in enumerate(animals, start=1):
            for k, _ in enumerate(parts):
                x = 100 * a + 10 * k + frame
                cells += [str(x), str(x + 0.5), "0.9"]
        cells += ["8", str(frame), "123.4", str(frame % 2)]
        rows.append(",".join(cells))
    path.write_text(",".join(columns) + "\n" + "\n".join(rows) + "\n")
    return path


def test_a_two_animal_simba_file_loads_as_poses(tmp_path):
    path = _simba_csv(tmp_path / "Tvideo_1.csv")
    assert detect_pose_format(path) == "simba"
    recording = load_poses(path)
    assert recording.individuals == ["animal_1", "animal_2"] and recording.keypoints == ["Nose", "Tail_base"]
    assert recording.n_frames == 4 and recording.source_format == "simba" and recording.metadata["fps_assumed"]
    x = recording.poses["position"].sel(space="x", keypoint="Tail_base", individual="animal_2").values
    np.testing.assert_array_equal(x, [210, 211, 212, 213])
    y = recording.poses["position"].sel(space="y", keypoint="Nose", individual="animal_1").values
    np.testing.assert_array_equal(y, [100.5, 101.5, 102.5, 103.5])
    assert np.all(recording.poses["confidence"].values == 0.9)


def test_body_parts_without_an_animal_number_are_one_individual(tmp_path):
    path = tmp_path / "single.csv"
    path.write_text("Nose_x,Nose_y,Nose_p,Tail_x,Tail_y,Tail_p,Movement\n1,2,0.5,3,4,0.6,0\n5,6,0.7,7,8,0.8,1\n")
    recording = load_poses(path, fps=25)
    assert recording.individuals == ["individual_0"] and recording.keypoints == ["Nose", "Tail"]
    assert recording.poses["position"].sel(keypoint="Tail", space="y").values.ravel().tolist() == [4, 8]


def test_a_bad_cell_names_its_line_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("Nose_x,Nose_y,Nose_p\n1,2,0.5\n1,oops,0.5\n")
    with pytest.raises(InputError, match=r"bad\.csv, line 3, column 'Nose_y': 'oops' where a number was expected"):
        load_poses(path, format="simba")


def test_the_real_crim13_simba_sample_imports_into_a_project(tmp_path, shared_data):
    path = shared_data / "crim13_simba_sample" / "Tvideo_8_trim.csv"
    with Project.create(tmp_path / "project") as project:
        info = project.import_recording(path, fps=30)
        assert (info.name, info.n_frames, info.source_format) == ("Tvideo_8_trim", 101, "simba")
        assert info.individuals == ["animal_1", "animal_2"]
        assert info.keypoints == ["Ear_left", "Ear_right", "Nose", "Center", "Lat_left", "Lat_right", "Tail_base",
                                  "Tail_end"]
        poses = project.load_recording(info.id).poses
    import pandas as pd

    table = pd.read_csv(path)
    np.testing.assert_allclose(poses["position"].sel(space="x", keypoint="Nose", individual="animal_2").values,
                               table["Nose_2_x"].to_numpy())
    np.testing.assert_allclose(poses["confidence"].sel(keypoint="Tail_end", individual="animal_1").values,
                               table["Tail_end_1_p"].to_numpy())
