"""``ethoforge train`` is never silent: progress on stderr (also with --json), and Ctrl-C says what it left."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ethoforge.cli import app
from ethoforge.store import Project, registry

REC_A = "e3v813a-20210610T122332-122642"  # 5,700 frames
REC_B = "e3v813a-20210610T122758-123309"  # 9,330 frames
TINY = ("--model", "conv_bilstm", "--samples-per-epoch", "256", "--batch-size", "64", "--window", "15",
        "--device", "cpu", "--model-config", '{"conv_channels": [8], "lstm_hidden": 8}', "--patience", "0")
EXE = str(Path(sys.executable).parent / "ethoforge")


@pytest.fixture
def root(ethome5_project, tmp_path, testkit) -> Path:
    return testkit.copy_project(ethome5_project, tmp_path / "project")


def test_json_keeps_stdout_clean_and_progress_goes_to_stderr(root):
    result = CliRunner().invoke(app, ["train", "--dataset", "mice", "--val-recordings", REC_B, *TINY,
                                      "--epochs", "2", "--trials", "2", "--project", str(root), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["epochs_run"] == 4  # stdout is exactly the JSON object
    lines = [line for line in result.stderr.splitlines() if line.startswith("training ")]
    assert [line.split("  ")[1] for line in lines] == [
        "trial 1/2 · epoch 1/2", "trial 1/2 · epoch 2/2", "trial 2/2 · epoch 1/2", "trial 2/2 · epoch 2/2"]
    assert lines[0].startswith("training 1/4") and "ETA" in lines[0] and "val F1" in lines[0]
    assert "computing features" in result.stderr


def test_ctrl_c_keeps_one_checkpoint_removes_the_partial_bundle_and_says_so(root):
    process = subprocess.Popen([EXE, "train", "--dataset", "mice", "--val-recordings", REC_B, *TINY,
                                "--epochs", "500", "--project", str(root), "--json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "COLUMNS": "200", "OMP_NUM_THREADS": "1"},
                               # a shell's background job ignores SIGINT and passes that on: Ctrl-C as in a terminal
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    seen = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        seen.append(line)
        if "epoch 2/500" in line:
            break
    else:
        process.kill()
        pytest.fail("no second epoch within 300 s:\n" + "".join(seen))
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    message = " ".join(stderr.split())
    assert process.returncode == 130, message
    assert stdout == "" and "Traceback" not in stderr
    assert "interrupted at trial 1, epoch" in message and "no model was registered" in message
    [left] = (root / "training").glob("*/latest.pt")
    assert f"left: {left}" in message and f"--resume {left}" in message
    assert sorted(p.name for p in left.parent.iterdir()) == ["latest.pt"]  # the partial bundle is gone
    with Project.open(root) as project:
        assert registry.list_models(project) == []


def test_the_progress_line_names_boosting_rounds_for_gbdt_and_epochs_for_torch():
    from ethoforge.cli.train import _EpochProgress

    lines: list[str] = []
    progress = _EpochProgress(lambda step, total, text: lines.append(text), trials=2)
    progress(30, 120, {"trial": 0, "round": 30, "rounds": 60, "val_loss": 0.25})
    progress(60, 120, {"trial": 0, "epoch": 0, "boosting_rounds": 42, "val_macro_f1": 0.8})  # the trial's end
    progress(3, 20, {"trial": 1, "epoch": 2, "train_loss": 0.5, "val_macro_f1": 0.7})
    assert lines == ["trial 1/2 · round 30/60  val loss 0.250", "trial 1/2 · done, 42 boosting rounds kept  val F1 0.800",
                     "trial 2/2 · epoch 3/10  loss 0.500  val F1 0.700"]
