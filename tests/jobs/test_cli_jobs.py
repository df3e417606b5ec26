"""The ``worker`` typer command."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from ethoforge.cli.worker import app, register


def test_worker_command_help_and_missing_project(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["worker", "--help"])
    assert result.exit_code == 0 and "--redis" in result.output and "--workers" in result.output
    result = runner.invoke(app, ["worker", str(tmp_path / "nowhere")])
    assert result.exit_code != 0 and "no EthoForge project" in str(result.exception)


def test_register_mounts_worker_on_a_root_app():
    root = typer.Typer()
    register(root)

    @root.command()
    def other() -> None:
        """Another command, so typer keeps sub-command names."""

    result = CliRunner().invoke(root, ["worker", "--help"])
    assert result.exit_code == 0 and "Run jobs from the project's queue" in result.output
