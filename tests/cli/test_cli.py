"""The ``ethoforge`` command line on the real ethome5 files, and on a corpus of bad inputs.

Every bad input must give exit code 1, a message naming the file, the row/frame and what was
expected, no traceback, and leave the project (every table's rows and ``poses/``) unchanged.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ethoforge.cli import app
from ethoforge.io.labels import load_labels
from ethoforge.store import Project
from ethoforge.store.engine import dump_database

REC_A = "e3v813a-20210610T122332-122642"  # 5,700 frames, 10 BORIS bouts
REC_B = "e3v813a-20210610T122758-123309"  # 9,330 frames
runner = CliRunner()


def cli(*args: str | Path):
    return runner.invoke(app, [str(a) for a in args])


def ok(*args: str | Path):
    result = cli(*args)
    assert result.exit_code == 0, result.output
    return result


def as_json(*args: str | Path) -> dict:
    return json.loads(ok(*args, "--json").stdout)


def snapshot(root: Path):
    """Every table's rows and the files in poses/ (to compare before and after)."""
    with Project.open(root) as project:
        return dump_database(project.engine), sorted(os.listdir(project.poses_dir))


def pose_file(ethome5_dir: Path, recording: str) -> Path:
    return next((ethome5_dir / "poses").glob(f"{recording}*.csv"))


# ------------------------------------------------------------------ the real ethome5 files

@pytest.fixture(scope="module")
def ethome_project(tmp_path_factory, ethome5_dir):
    root = tmp_path_factory.mktemp("ethome") / "project"
    ok("init", root)
    ok("import", "poses", ethome5_dir / "poses", "--fps", "30", "--project", root)
    ok("import", "labels", *sorted((ethome5_dir / "labels_boris").glob("*.csv")), "--format", "boris",
       "--project", root)
    return root


def test_ethome5_import_counts(ethome_project):
    summary = as_json("summary", "--project", ethome_project)
    assert (summary["recordings"], summary["frames"], summary["bouts"]) == (5, 45_749, 94)
    recordings = as_json("recordings", "list", "--project", ethome_project)["recordings"]
    assert [r["n_bouts"] for r in recordings] == [15, 29, 10, 8, 32]
    assert recordings[2]["name"] == REC_A and recordings[2]["n_frames"] == 5_700
    assert recordings[0]["individuals"] == ["adult", "juvenile"] and len(recordings[0]["keypoints"]) == 7


def test_dataset_create_list_show(ethome_project):
    created = as_json("dataset", "create", "social", "--behaviors", "interact", "--recordings", REC_A, "4",
                      "--project", ethome_project)
    assert created["recordings"] == [REC_A, REC_B] and created["behaviors"] == ["interact"]
    listed = as_json("dataset", "list", "--project", ethome_project)["datasets"]
    assert [d["name"] for d in listed] == ["social"]
    assert as_json("dataset", "show", "social", "--project", ethome_project)["recordings"] == [REC_A, REC_B]
    assert "interact" in ok("dataset", "show", "social", "--project", ethome_project).stdout


def test_export_labels_round_trip(ethome_project, tmp_path, ethome5_dir):
    with Project.open(ethome_project) as project:
        stored = project.get_bouts(REC_A)
    for format in ("intervals", "boris"):
        out = tmp_path / f"{REC_A}.{format}.csv"
        ok("export", "labels", "--recording", REC_A, "--format", format, "--out", out, "--project", ethome_project)
        read = load_labels(out, format, fps=30, recording=REC_A)
        assert [(b.behavior, b.start, b.stop, b.agent) for b in read] == \
               [(b.behavior, b.start, b.stop, b.agent) for b in stored]
    # back into a fresh project: the same bouts
    fresh = tmp_path / "fresh"
    ok("init", fresh)
    ok("import", "poses", pose_file(ethome5_dir, REC_A), "--project", fresh)
    ok("import", "labels", tmp_path / f"{REC_A}.intervals.csv", "--format", "intervals", "--project", fresh)
    with Project.open(fresh) as project:
        assert project.get_bouts(REC_A) == stored


def test_subprocess_import_and_error_without_traceback(tmp_path, ethome5_dir):
    exe = [str(Path(sys.executable).parent / "ethoforge")]  # the installed console script
    root = tmp_path / "p"
    env = {**os.environ, "FORCE_COLOR": "1", "COLUMNS": "200"}
    done = subprocess.run([*exe, "init", str(root)], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([*exe, "import", "poses", str(pose_file(ethome5_dir, REC_A)), "--json"],
                          capture_output=True, text=True, cwd=root, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["frames"] == 5_700  # stdout is exactly one JSON object
    assert "30 assumed" in done.stderr
    before = snapshot(root)
    done = subprocess.run([*exe, "import", "poses", str(pose_file(ethome5_dir, REC_A))],
                          capture_output=True, text=True, cwd=root, env=env)
    assert done.returncode == 1
    assert "already imported as recording" in done.stderr and "\x1b[31m" in done.stderr  # red
    assert "Traceback" not in done.stderr + done.stdout
    assert snapshot(root) == before


def test_sample_command_imports_the_bundled_recordings(tmp_path):
    summary = as_json("init", tmp_path / "demo", "--sample")
    assert (summary["recordings"], summary["frames"], summary["bouts"]) == (5, 45_749, 94)
    assert summary["datasets"] == [{"name": "ethome5", "behaviors": ["interact"], "recordings": 5}]
    assert as_json("sample", "--project", tmp_path / "demo")["recordings"] == 5  # twice: nothing added


def test_no_project_here_says_how_to_make_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("summary")
    assert result.exit_code == 1 and "ethoforge init" in result.stderr
