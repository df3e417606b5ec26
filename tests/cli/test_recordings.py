"""``ethoforge recordings show|rename|set-fps|delete`` on a copy of a real ethome5 project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ethoforge.cli import app
from ethoforge.store import Project

REC_A = "e3v813a-20210610T122332-122642"  # 5,700 frames at 30 fps, 10 BORIS bouts
REC_B = "e3v813a-20210610T122758-123309"
runner = CliRunner()


def cli(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def root(ethome5_project, tmp_path, testkit) -> Path:
    return testkit.copy_project(ethome5_project, tmp_path / "project")


def test_delete_with_labels_asks_and_without_a_terminal_refuses(root):
    result = cli("recordings", "delete", REC_A, "--project", root)
    assert result.exit_code == 1
    assert f"recording '{REC_A}' has 10 labelled bout(s)" in result.stderr and "pass --yes" in result.stderr
    with Project.open(root) as project:
        assert len(project.recordings()) == 2 and len(project.get_bouts(REC_A)) == 10
    result = cli("recordings", "delete", REC_A, "--yes", "--project", root, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["labelled_bouts_dropped"] == 10
    with Project.open(root) as project:
        assert [r.name for r in project.recordings()] == [REC_B]


def test_set_fps_moves_labels_and_asks_before_dropping(root):
    with Project.open(root) as project:
        before = project.get_bouts(REC_A)
    result = cli("recordings", "set-fps", REC_A, "60", "--project", root)
    assert result.exit_code == 1 and "would start after its last frame" in result.stderr
    assert "pass --yes" in result.stderr
    out = json.loads(cli("recordings", "set-fps", REC_A, "25", "--project", root, "--json").stdout)
    assert (out["old_fps"], out["fps"], out["bouts_rescaled"], out["bouts_dropped"]) == (30.0, 25.0, 10, 0)
    with Project.open(root) as project:
        after = project.get_bouts(REC_A)
        assert project.get_recording(REC_A).fps == 25.0
    assert [b.start for b in after] == [round(b.start * 25 / 30) for b in before]
    shown = cli("recordings", "show", REC_A, "--project", root)
    assert "fps: 25" in shown.stdout and "ASSUMED" not in shown.stdout


def test_rename(root):
    result = cli("recordings", "rename", REC_A, "pair1", "--project", root)
    assert result.exit_code == 0 and f"renamed {REC_A} → pair1" in result.stdout
    result = cli("recordings", "rename", "pair1", REC_B, "--project", root)
    assert result.exit_code == 1 and "already exists" in result.stderr
    with Project.open(root) as project:
        assert len(project.get_bouts("pair1")) == 10
