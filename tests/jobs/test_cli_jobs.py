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


def test_jobs_resume_queues_a_failed_job_again(project_dir, project):
    """Issue 12 item 5: ``ethoforge jobs resume ID`` backs the "resume the job" message."""
    from ethoforge.cli import app as root
    from ethoforge.jobs import get_job
    from ethoforge.store import jobs_repo

    job = jobs_repo.insert_job(project, "train", {"epochs": 1}, project.get_dataset("mice").id)
    assert jobs_repo.claim_job(project, job.id, "gone:1:w")
    jobs_repo.set_status(project, job.id, "failed", error="the worker was stopped")
    runner = CliRunner()
    listed = runner.invoke(root, ["jobs", "list", "--project", str(project_dir)])
    assert listed.exit_code == 0 and f"{job.id:>4}  train    failed" in listed.output
    result = runner.invoke(root, ["jobs", "resume", str(job.id), "--project", str(project_dir)])
    assert result.exit_code == 0, result.output
    assert "is pending again: " in result.output and "restarting from the beginning" in result.output
    assert get_job(project, job.id).status == "pending"
    again = runner.invoke(root, ["jobs", "resume", str(job.id), "--project", str(project_dir)])
    assert again.exit_code == 1 and "only failed jobs can be resumed" in again.output
    missing = runner.invoke(root, ["jobs", "resume", "999", "--project", str(project_dir)])
    assert missing.exit_code == 1 and "no job 999" in missing.output


def test_jobs_resume_takes_a_cancelled_encode_job_but_not_a_cancelled_training(project_dir, project):
    """Issue 17 item 3: cancelling an encode job keeps what it encoded, so ``ethoforge jobs
    resume`` queues it again (a cancelled training job lost its checkpoints: refused)."""
    from ethoforge.cli import app as root
    from ethoforge.jobs import get_job
    from ethoforge.store import jobs_repo

    encode = jobs_repo.insert_job(project, "encode", {"encoder": "motion"}, None)
    train = jobs_repo.insert_job(project, "train", {"epochs": 1}, project.get_dataset("mice").id)
    for job in (encode, train):
        jobs_repo.request_cancel(project, job.id)  # pending: cancelled at once
    assert get_job(project, encode.id).to_dict()["resumable"] and not get_job(project, train.id).resumable
    runner = CliRunner()
    result = runner.invoke(root, ["jobs", "resume", str(encode.id), "--project", str(project_dir)])
    assert result.exit_code == 0, result.output
    assert "recordings already encoded are skipped" in result.output and get_job(project, encode.id).status == "pending"
    refused = runner.invoke(root, ["jobs", "resume", str(train.id), "--project", str(project_dir)])
    assert refused.exit_code == 1 and "is cancelled; only failed jobs can be resumed" in refused.output
