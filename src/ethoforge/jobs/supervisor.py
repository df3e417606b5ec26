"""Run one job in a child process and watch over it from the worker.

The worker's huey thread claims the job (``pending`` → ``preparing``), starts
``python -m ethoforge.jobs.runner`` for it, refreshes the heartbeat every
``heartbeat_s`` seconds while the child lives, and kills the child when a cancel request
is not honoured within ``cancel_grace_s`` seconds. The child dies with the worker (Linux
parent-death signal plus a watchdog), so a killed worker leaves a job whose heartbeat goes
stale, which `ethoforge.jobs.api.reap_stale_jobs` then marks failed.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from ethoforge.errors import NotFoundError
from ethoforge.store import jobs_repo

HEARTBEAT_ENV = "ETHOFORGE_JOB_HEARTBEAT_S"
CANCEL_GRACE_ENV = "ETHOFORGE_JOB_CANCEL_GRACE_S"
DEFAULT_HEARTBEAT_S = 2.0
DEFAULT_CANCEL_GRACE_S = 5.0

_RUNNING: dict[int, subprocess.Popen] = {}
_LOCK = threading.Lock()
_SHUTTING_DOWN = threading.Event()  # set before the worker kills its children; it then settles their jobs


def worker_id() -> str:
    """``host:pid:thread`` of the calling worker thread (recorded on each job it runs)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"


def job_dir(project_root: str | Path, job_id: int) -> Path:
    """``PROJECT/jobs/<id>``: the job's working folder (training output, checkpoints, process log)."""
    return Path(project_root) / "jobs" / str(int(job_id))


def _seconds(env: str, default: float) -> float:
    try:
        return float(os.environ.get(env, default))
    except ValueError:
        return default


def supervise_job(project_root: str | Path, job_id: int) -> str | None:
    """Claim and run job ``job_id``; return its final status (None if it was not pending).

    Blocks until the child process ends. Called by the huey task in the worker.
    """
    from ethoforge.store import Project

    heartbeat_s = _seconds(HEARTBEAT_ENV, DEFAULT_HEARTBEAT_S)
    grace_s = _seconds(CANCEL_GRACE_ENV, DEFAULT_CANCEL_GRACE_S)
    root = Path(project_root).resolve()
    worker = worker_id()
    with Project.open(root) as project:
        if not jobs_repo.claim_job(project, job_id, worker):
            return None  # cancelled, deleted or taken by another worker meanwhile
        folder = job_dir(root, job_id)
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / "process.log", "ab") as output:
            child = subprocess.Popen(
                [sys.executable, "-m", "ethoforge.jobs.runner", str(root), str(job_id), worker, str(os.getpid())],
                stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        with _LOCK:
            _RUNNING[int(job_id)] = child
        try:
            returncode, killed = _watch(project, job_id, worker, child, heartbeat_s, grace_s)
        finally:
            with _LOCK:
                _RUNNING.pop(int(job_id), None)
        if _SHUTTING_DOWN.is_set():
            return None  # the stopping worker marks the job failed (resumable) itself
        return _finish(project, job_id, returncode, killed)


def _watch(project, job_id: int, worker: str, child: subprocess.Popen, heartbeat_s: float,
           grace_s: float) -> tuple[int, bool]:
    stop_since: float | None = None  # when the job was first seen to be cancelled / taken away
    while True:
        try:
            return child.wait(timeout=heartbeat_s), False
        except subprocess.TimeoutExpired:
            pass
        try:
            stop = jobs_repo.heartbeat(project, job_id, worker)
        except SQLAlchemyError:  # database busy or briefly unreachable: try again next beat
            stop = False
        if stop and stop_since is None:
            stop_since = time.monotonic()
        if stop_since is not None and time.monotonic() - stop_since > grace_s:
            child.kill()
            return child.wait(), True


def _finish(project, job_id: int, returncode: int, killed: bool) -> str | None:
    """Settle a job whose child ended without giving it a final status."""
    try:
        job = jobs_repo.get_job_row(project, job_id)
    except NotFoundError:  # deleted meanwhile
        return None
    if job.is_final:
        return job.status
    if job.cancel_requested:
        discard_job_outputs(project.root, job_id)
        how = "killed after not stopping within the grace period" if killed else f"exit code {returncode}"
        jobs_repo.set_status(project, job_id, "cancelled", only_from=jobs_repo.ACTIVE_STATUSES,
                             message=f"cancelled (job process {how})")
        return "cancelled"
    tail = _process_log_tail(project.root, job_id)
    error = f"the job process ended with exit code {returncode} without finishing" + (f": {tail}" if tail else "")
    jobs_repo.set_status(project, job_id, "failed", only_from=jobs_repo.ACTIVE_STATUSES, error=error,
                         message=error)
    return "failed"


def _process_log_tail(root: Path, job_id: int, lines: int = 5) -> str:
    path = job_dir(root, job_id) / "process.log"
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])


def discard_job_outputs(project_root: str | Path, job_id: int) -> None:
    """Remove a job's working folder (its unfinished model and checkpoints)."""
    folder = job_dir(project_root, job_id)
    if folder.is_dir():
        aside = folder.with_name(f".discard-{folder.name}-{os.getpid()}-{time.monotonic_ns()}")
        try:
            os.rename(folder, aside)
        except OSError:
            aside = folder
        shutil.rmtree(aside, ignore_errors=True)


def kill_running_children() -> list[int]:
    """Kill the job processes this worker started; return their job ids (worker shutdown)."""
    _SHUTTING_DOWN.set()
    with _LOCK:
        running = dict(_RUNNING)
    for child in running.values():
        if child.poll() is None:
            child.kill()
    for child in running.values():
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    return list(running)
