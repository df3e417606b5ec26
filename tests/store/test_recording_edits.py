"""Undoing an import on a real ethome5 project: rename, set the frame rate, delete."""

from __future__ import annotations


import pytest
from sqlalchemy import text

from ethoforge.errors import ConflictError, InputError
from ethoforge.store import Project
from ethoforge.store.recording_edits import (
    delete_recording,
    fps_changes,
    recording_metadata,
    rename_recording,
    set_recording_fps,
)

REC_A = "e3v813a-20210610T122332-122642"  # 5,700 frames at 30 fps, 10 BORIS bouts
REC_B = "e3v813a-20210610T122758-123309"  # 9,330 frames


@pytest.fixture
def project(ethome5_project, tmp_path, testkit):
    with Project.open(testkit.copy_project(ethome5_project, tmp_path / "project")) as opened:
        yield opened


def test_fps_changes_by_hand():
    # 30 -> 15 fps: frame 10 (0.333 s) becomes frame 5; a 1-frame bout keeps one frame
    assert fps_changes([(10, 20), (7, 8), (0, 100)], 100, 30, 15) == [(5, 10), (4, 5), (0, 50)]
    # 30 -> 60 fps on a 100-frame recording: [40, 60) ends past the last frame (clipped), [50, 60) starts past it
    assert fps_changes([(10, 20), (40, 60), (50, 60)], 100, 30, 60) == [(20, 40), (80, 100), None]


def test_set_fps_keeps_labels_at_the_same_seconds(project):
    before = project.get_bouts(REC_A)
    change = set_recording_fps(project, REC_A, 25)
    assert (change.old_fps, change.recording.fps, change.rescaled, change.dropped) == (30.0, 25.0, 10, 0)
    after = project.get_bouts(REC_A)
    assert len(after) == len(before) == 10
    for old, new in zip(before, after):
        assert new.start == round(old.start * 25 / 30) and abs(new.start / 25 - old.start / 30) <= 0.5 / 25
        assert new.stop == round(old.stop * 25 / 30) and new.behavior == old.behavior
    assert project.annotated_scopes(REC_A) == [(None, 0, 5700)]  # the whole recording stays annotated
    assert project.get_recording(REC_A).fps == 25.0 and project.load_recording(REC_A).n_frames == 5700
    metadata = recording_metadata(project, REC_A)
    assert metadata["fps_assumed"] is False and metadata["fps_before"] == 30.0


def test_set_fps_that_drops_labels_needs_consent_and_changes_nothing_without(project, testkit):
    stored = project.get_bouts(REC_A)
    late = [b for b in stored if round(b.start * 60 / 30) >= 5700]
    assert late, "the fixture must have bouts in the second half of the recording"
    before = testkit.project_snapshot(project)
    with pytest.raises(ConflictError, match=rf"{len(late)} bout\(s\) of recording '{REC_A}' would start after"):
        set_recording_fps(project, REC_A, 60)
    assert testkit.project_snapshot(project) == before
    change = set_recording_fps(project, REC_A, 60, drop_labels=True)
    assert (change.dropped, change.rescaled) == (len(late), len(stored) - len(late))
    assert len(project.get_bouts(REC_A)) == len(stored) - len(late)
    with pytest.raises(InputError, match="positive number"):
        set_recording_fps(project, REC_A, 0)


def test_rename_keeps_labels_and_datasets(project):
    n_bouts = len(project.get_bouts(REC_A))
    with pytest.raises(ConflictError, match=f"named '{REC_B}' already exists"):
        rename_recording(project, REC_A, REC_B)
    with pytest.raises(InputError, match="without '/'"):
        rename_recording(project, REC_A, "a/b")
    info = rename_recording(project, REC_A, "mouse-pair-1")
    assert info.name == "mouse-pair-1" and info.n_bouts == n_bouts
    assert len(project.get_bouts("mouse-pair-1")) == n_bouts
    assert "mouse-pair-1" in project.get_dataset("mice").recordings


def test_delete_with_labels_needs_consent(project, testkit):
    info = project.get_recording(REC_A)
    before = testkit.project_snapshot(project)
    with pytest.raises(ConflictError, match=f"recording '{REC_A}' has 10 labelled bout"):
        delete_recording(project, REC_A)
    assert testkit.project_snapshot(project) == before
    delete_recording(project, REC_A, drop_labels=True)
    assert [r.name for r in project.recordings()] == [REC_B]
    assert not (project.root / info.poses_path).exists()
    assert project.get_dataset("mice").recordings == [REC_B]
    with project.engine.connect() as connection:
        for table in ("bouts", "annotated_scopes", "dataset_recordings"):
            left = connection.execute(text(f"SELECT count(*) FROM {table} WHERE recording_id = :id"), {"id": info.id})
            assert left.scalar() == 0, table


def test_a_recording_with_a_video_keeps_the_video_rate(tmp_path, testkit):
    root = testkit.make_video_project(tmp_path / "project", n_frames=60)
    with Project.open(root) as project:
        assert project.get_recording("arena").has_video  # the video beside the pose file was linked at import
        before = testkit.project_snapshot(project)
        with pytest.raises(ConflictError, match="has a video .* cannot be changed"):
            set_recording_fps(project, "arena", 25)
        assert testkit.project_snapshot(project) == before
