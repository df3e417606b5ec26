"""The worker process: huey's consumer for a project's job queue, plus the stale-job reaper.

Run it with ``ethoforge worker PROJECT [--redis URL] [--workers N]`` or
``python -m ethoforge.jobs.worker PROJECT ...``; ``ethoforge serve`` starts one with
`start_worker_process` and stops it with `stop_worker_process`. SIGTERM stops the worker at
once (jobs it was running are marked failed and can be resumed); SIGINT (Ctrl-C) lets
running jobs finish first, a second SIGINT stops at once.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

log = logging.getLogger("ethoforge.worker")


def run_worker(
    project_dir: str | Path,
    *,
    redis_url: str | None = None,
    workers: int = 1,
    stale_after_s: float | None = None,
    exit_with_parent: int | None = None,
) -> None:
    """Run jobs of the project's queue until stopped (blocks; call from the main thread).

    Parameters
    ----------
    project_dir
        The project folder (as this machine sees the shared storage).
    redis_url
        Take jobs from this Redis server (default ``$ETHOFORGE_REDIS_URL``, else the project's
        SQLite queue).
    workers
        Jobs run at the same time by this process (each in its own child process).
    stale_after_s
        Heartbeat age after which the reaper marks a running job failed (default
        ``$ETHOFORGE_JOB_STALE_S`` or 30 s).
    exit_with_parent
        Stop (as on SIGTERM) when the process with this pid is no longer our parent.
    """
    from ethoforge.errors import ConfigError
    from ethoforge.jobs.api import reap_periodically, reap_stale_jobs
    from ethoforge.jobs.api import stale_after_s as default_stale
    from ethoforge.jobs.queue import get_huey
    from ethoforge.store import Project

    if workers < 1:
        raise ConfigError(f"workers must be >= 1, got {workers}")
    root = Path(project_dir).expanduser().resolve()
    with Project.open(root) as project:
        stale = default_stale() if stale_after_s is None else float(stale_after_s)
        reaped = reap_stale_jobs(project, stale)
        if reaped:
            log.warning("marked stale jobs failed: %s", reaped)
    huey = get_huey(root, redis_url)
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=False,
                                    initial_delay=0.1, backoff=1.15, max_delay=1.0, check_worker_health=True)
    stop = threading.Event()
    threading.Thread(target=reap_periodically, args=(root, stop, stale), name="reaper", daemon=True).start()
    if exit_with_parent is not None:
        threading.Thread(target=_parent_watch, args=(exit_with_parent, stop), name="parent-watch",
                         daemon=True).start()
    log.info("worker %d on %s (%s queue, %d job slots)", os.getpid(), root,
             "redis" if (redis_url or os.environ.get("ETHOFORGE_REDIS_URL")) else "sqlite", workers)
    try:
        consumer.run()
    finally:
        stop.set()
        _abandon_running(root)


def _parent_watch(parent: int, stop: threading.Event) -> None:
    while not stop.wait(1.0):
        if os.getppid() != parent:
            log.warning("parent %d is gone; stopping", parent)
            os.kill(os.getpid(), signal.SIGTERM)
            return


def _abandon_running(root: Path) -> None:
    """Kill job processes still running at shutdown and mark their jobs failed (resumable)."""
    from ethoforge.jobs.supervisor import kill_running_children
    from ethoforge.store import Project, jobs_repo

    job_ids = kill_running_children()
    if not job_ids:
        return
    with Project.open(root) as project:
        for job_id in job_ids:
            message = "the worker was stopped while the job ran; resume the job to continue from its last checkpoint"
            jobs_repo.set_status(project, job_id, "failed", only_from=jobs_repo.ACTIVE_STATUSES, error=message,
                                 message=message)


def start_worker_process(
    project_dir: str | Path,
    redis_url: str | None = None,
    *,
    workers: int = 1,
    log_path: str | Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.Popen:
    """Start ``python -m ethoforge.jobs.worker`` for the project; it stops when we exit.

    Output goes to ``log_path`` (default ``PROJECT/jobs/worker-<pid>.log``, pid of the caller).
    The worker runs in its own session, so a Ctrl-C meant for the caller does not reach it;
    stop it with `stop_worker_process`.
    """
    from ethoforge.jobs.queue import jobs_dir

    root = Path(project_dir).expanduser().resolve()
    command = [sys.executable, "-m", "ethoforge.jobs.worker", str(root), "--workers", str(workers),
               "--exit-with-parent", str(os.getpid())]
    if redis_url:
        command += ["--redis", redis_url]
    path = Path(log_path) if log_path else jobs_dir(root) / f"worker-{os.getpid()}.log"
    with open(path, "ab") as output:
        return subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env={**os.environ, **(env or {})}, start_new_session=True)


def stop_worker_process(proc: subprocess.Popen, timeout: float = 15.0) -> int:
    """Stop a worker from `start_worker_process` (SIGTERM, then SIGKILL after ``timeout`` s).

    Jobs it was running are marked failed (resumable). Returns the exit code.
    """
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ethoforge.jobs.worker", description=__doc__.splitlines()[0])
    parser.add_argument("project", help="project folder")
    parser.add_argument("--redis", default=None, help="Redis URL of a shared queue (redis://host:port/db)")
    parser.add_argument("--workers", type=int, default=1, help="jobs to run at the same time")
    parser.add_argument("--stale-after", type=float, default=None, help="heartbeat timeout in seconds")
    parser.add_argument("--exit-with-parent", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from ethoforge.errors import EthoForgeError

    try:
        run_worker(args.project, redis_url=args.redis, workers=args.workers, stale_after_s=args.stale_after,
                   exit_with_parent=args.exit_with_parent)
    except EthoForgeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
