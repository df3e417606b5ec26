"""``ethoforge import poses``: many files go on past one that exists, --skip-existing, the frame rate."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from ethoforge.cli import app
from ethoforge.store import Project

REC_A = "e3v813a-20210610T122332-122642"  # 5,700 frames; its DLC file does not say its frame rate
runner = CliRunner()
EXE = str(Path(sys.executable).parent / "ethoforge")


def cli(*args):
    return runner.invoke(app, [str(a) for a in args])


def pose_file(ethome5_dir: Path, recording: str) -> Path:
    return next((ethome5_dir / "poses").glob(f"{recording}*.csv"))


def test_many_files_go_on_past_one_that_exists_and_sum_up(tmp_path, ethome5_dir):
    root = tmp_path / "p"
    assert cli("init", root).exit_code == 0
    assert cli("import", "poses", pose_file(ethome5_dir, REC_A), "--fps", "30", "--project", root).exit_code == 0
    result = cli("import", "poses", ethome5_dir / "poses", "--fps", "30", "--project", root)
    assert result.exit_code == 1  # one failed, after the four others were imported
    assert "already imported as recording" in result.stderr
    assert "4 imported (40,049 frames), 1 failed (1 already in the project: --skip-existing skips them)" in \
        " ".join(result.stdout.split())
    with Project.open(root) as project:
        assert len(project.recordings()) == 5


def test_skip_existing_skips_the_same_recording_from_another_file(tmp_path, ethome5_dir):
    root = tmp_path / "sample"
    assert cli("init", root, "--sample", "--json").exit_code == 0  # the same five recordings, from .npz files
    result = cli("import", "poses", ethome5_dir / "poses", "--skip-existing", "--project", root, "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["imported"] == [] and len(out["skipped"]) == 5 and out["failed"] == {}
    text = cli("import", "poses", ethome5_dir / "poses", "--skip-existing", "--project", root)
    assert text.exit_code == 0 and "0 imported (0 frames), 5 skipped (already in the project)" in text.stdout


def test_reimport_with_another_fps_says_how_to_change_the_rate(tmp_path, ethome5_dir):
    root = tmp_path / "p"
    cli("init", root)
    cli("import", "poses", pose_file(ethome5_dir, REC_A), "--fps", "30", "--project", root)
    result = cli("import", "poses", pose_file(ethome5_dir, REC_A), "--fps", "25", "--project", root)
    assert result.exit_code == 1
    message = " ".join(result.stderr.split())
    assert f"already imported as recording '{REC_A}' (id 1) at 30 fps" in message
    assert f"ethoforge recordings set-fps {REC_A} 25" in message


def test_missing_rate_warns_loudly_and_show_lists_the_assumption(tmp_path, ethome5_dir):
    root = tmp_path / "p"
    cli("init", root)
    result = cli("import", "poses", pose_file(ethome5_dir, REC_A), "--project", root)
    assert result.exit_code == 0
    warning = " ".join(result.stderr.split())
    assert "30 fps was ASSUMED" in warning and f"ethoforge recordings set-fps {REC_A} FPS" in warning
    assert "(ASSUMED)" in result.stdout
    shown = cli("recordings", "show", REC_A, "--project", root)
    assert "fps: 30 (ASSUMED" in shown.stdout
    assert json.loads(cli("recordings", "show", REC_A, "--project", root, "--json").stdout)["fps_assumed"] is True


def test_missing_rate_is_asked_for_on_a_terminal(tmp_path, ethome5_dir):
    root = tmp_path / "p"
    cli("init", root)
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen([EXE, "import", "poses", str(pose_file(ethome5_dir, REC_A)), "--project",
                                    str(root)], stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, env={**os.environ, "COLUMNS": "200"})
        os.write(controller, b"25\n")
        stdout, stderr = process.communicate(timeout=120)
    finally:
        os.close(controller)
        os.close(terminal)
    assert process.returncode == 0, stderr
    assert "does not say its frame rate; frames per second (--fps)" in stderr
    assert "at 25 fps" in stdout and "ASSUMED" not in stdout + stderr
    with Project.open(root) as project:
        assert project.get_recording(REC_A).fps == 25.0


def test_nwb_labels_from_the_table_named_by_table(tmp_path):
    from ethoforge.io.nwb_labels import save_nwb_labels
    from ethoforge.labels import Bout

    root = tmp_path / "sample"
    assert cli("init", root, "--sample", "--json").exit_code == 0
    labels = tmp_path / "two_annotators.nwb"
    save_nwb_labels([Bout(REC_A, "interact", 10, 20)], labels, fps=30.0, table="first")
    save_nwb_labels([Bout(REC_A, "interact", 100, 150)], labels, fps=30.0, table="second")
    common = ("import", "labels", labels, "--format", "nwb", "--recording", REC_A, "--replace", "--project", root)
    refused = cli(*common)
    assert refused.exit_code != 0 and "found 2" in refused.stderr and "--table" in refused.stderr
    assert cli(*common, "--table", "second").exit_code == 0
    with Project.open(root) as project:
        assert [(b.start, b.stop) for b in project.get_bouts(REC_A)] == [(100, 150)]
    wrong = cli("import", "labels", labels, "--format", "boris", "--table", "second", "--recording", REC_A,
                "--project", root)
    assert wrong.exit_code != 0 and "--table names an NWB intervals table" in " ".join(wrong.stderr.split())
