"""``ethoforge import videos`` and video-only recordings in ``recordings list``."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from ethoforge.cli import app
from ethoforge.store import Project
from ethoforge.store.engine import dump_database
from ethoforge.video.synthetic import write_blob_clip

runner = CliRunner()


def test_import_videos_folder_then_list(tmp_path):
    folder = tmp_path / "videos"
    folder.mkdir()
    write_blob_clip(folder / "day1.mp4", n_frames=30)
    write_blob_clip(folder / "day2.mov", n_frames=24, seed=1)
    project = tmp_path / "p"
    assert runner.invoke(app, ["init", str(project)]).exit_code == 0
    result = runner.invoke(app, ["import", "videos", str(folder), "--project", str(project), "--json"])
    assert result.exit_code == 0, result.output
    imported = json.loads(result.stdout)["imported"]
    assert [(r["name"], r["n_frames"], r["has_poses"], r["has_video"]) for r in imported] == [
        ("day1", 30, False, True), ("day2", 24, False, True)]
    listed = runner.invoke(app, ["recordings", "list", "--project", str(project)])
    assert listed.exit_code == 0 and "day1" in listed.stdout and "yes" in listed.stdout


def test_bad_video_exit_1_names_file_and_stores_nothing(tmp_path):
    project = tmp_path / "p"
    runner.invoke(app, ["init", str(project)])
    bad = tmp_path / "broken.avi"
    bad.write_bytes(b"RIFF0000AVI junk")
    with Project.open(project) as opened:
        before = dump_database(opened.engine)
    result = runner.invoke(app, ["import", "videos", str(bad), "--project", str(project)])
    assert result.exit_code == 1
    assert "broken.avi" in result.output and "Traceback" not in result.output
    with Project.open(project) as opened:
        assert dump_database(opened.engine) == before


def test_import_a_video_at_another_rate_than_its_poses_says_so(tmp_path, testkit):
    """Issue 17 item 4: a 30 fps video linked to 60 fps poses of the same 2 s is imported with
    its own frames and rate, and the output says its features will be resampled."""
    project = tmp_path / "p"
    runner.invoke(app, ["init", str(project)])
    poses = testkit.write_two_animal_poses(tmp_path / "arena.csv", n_frames=120, fps=60.0)
    assert runner.invoke(app, ["import", "poses", str(poses), "--fps", "60", "--project", str(project)]).exit_code == 0
    video = testkit.write_index_video(tmp_path / "clip.mp4", n_frames=60, fps=30)
    result = runner.invoke(app, ["import", "videos", str(video), "--recording", "arena", "--project", str(project)])
    assert result.exit_code == 0, result.output
    assert "60 frames at 30 fps" in result.output and "its poses are at 60 fps (120 frames)" in result.output
