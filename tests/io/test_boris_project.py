"""BORIS project files (.boris): BORIS's own test project (tests/data/boris, GPL-3.0)."""

from __future__ import annotations

import pytest

from ethoforge.errors import InputError
from ethoforge.io.labels import load_labels

PROJECT = "boris/test.boris"


def test_an_observation_with_one_media_file_gives_its_bouts_at_the_media_fps(test_data):
    """'observation #1': state 's' of subject1 / subject2 on a 25 fps video; times 3.3, 7.75 s → frames 83, 194."""
    bouts = load_labels(test_data / PROJECT, "boris", recording="observation #1")
    assert [(b.recording, b.behavior, b.agent, b.start, b.stop) for b in bouts] == [
        ("observation #1", "s", "subject1", 83, 194),
        ("observation #1", "s", "subject1", 248, 405),
        ("observation #1", "s", "subject1", 459, 612),
        ("observation #1", "s", "subject2", 961, 1153),
    ]
    with pytest.raises(InputError, match="the file says 25 fps but 30 fps was given"):
        load_labels(test_data / PROJECT, "boris", recording="observation #1", fps=30)
    with pytest.raises(InputError, match=r"matches several.*'offset positif', 'offset neg', 'observation #1'"):
        load_labels(test_data / PROJECT, "boris", recording="video_test_25fps_360s")  # three observations of it


def test_point_events_and_state_events_with_modifiers(test_data):
    bouts = load_labels(test_data / PROJECT, "boris", recording="modifiers")
    assert [(b.behavior, b.start, b.stop - b.start) for b in bouts][:3] == [("q", 212, 1), ("q", 309, 1), ("q", 391, 1)]
    assert [(b.behavior, b.start, b.stop) for b in bouts if b.behavior == "r"] == [("r", 479, 699), ("r", 761, 1021)]
    assert all(b.agent is None for b in bouts)  # no focal subject
    by_media = load_labels(test_data / PROJECT, "boris", recording="video_test_25fps_180s")  # its one media file
    assert [(b.behavior, b.start, b.stop) for b in by_media] == [(b.behavior, b.start, b.stop) for b in bouts]


def test_what_cannot_be_read_from_a_project_says_to_export_events(test_data, tmp_path):
    with pytest.raises(InputError, match=r"observation #2.*2 media files.*export the events from BORIS"):
        load_labels(test_data / PROJECT, "boris", fps=25)
    with pytest.raises(InputError, match=r"'live'.*live observation.*fps"):
        load_labels(test_data / PROJECT, "boris", recording="live")
    with pytest.raises(InputError, match=r"never stops.*unmatched START"):
        load_labels(test_data / PROJECT, "boris", recording="live not paired", fps=25)
    other = tmp_path / "notes.boris"
    other.write_text('{"name": "not BORIS"}')
    with pytest.raises(InputError, match="not a BORIS project.*export the events from BORIS"):
        load_labels(other, "boris")


def test_a_project_observation_lands_in_the_recording_named_like_its_video(test_data, tmp_path):
    """Through the project (real SQLite): 'modifiers' plays video_test_25fps_180s.mp4 at 25 fps."""
    import numpy as np
    import xarray as xr

    from ethoforge.recording import Recording
    from ethoforge.store import Project

    n = 1100
    poses = xr.Dataset(
        {"position": (("time", "space", "keypoint", "individual"), np.random.default_rng(0).random((n, 2, 1, 1))),
         "confidence": (("time", "keypoint", "individual"), np.ones((n, 1, 1)))},
        coords={"time": np.arange(n), "space": ["x", "y"], "keypoint": ["nose"], "individual": ["m"]},
    )
    with Project.create(tmp_path / "p") as project:
        project.import_recording_object(Recording("video_test_25fps_180s", poses, fps=25.0))
        assert project.import_labels(test_data / PROJECT, "boris", recording="video_test_25fps_180s").bouts == 5
        stored = project.get_bouts("video_test_25fps_180s")
    assert sorted((b.behavior, b.start, b.stop) for b in stored)[-2:] == [("r", 479, 699), ("r", 761, 1021)]
