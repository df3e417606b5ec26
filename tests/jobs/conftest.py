"""Fixtures for job tests: a copy of the shared ethome5 project (tests/conftest.py), workers, redis-server."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


@pytest.fixture()
def project_dir(ethome5_project: Path, tmp_path: Path, testkit) -> Path:
    """A fresh copy of the template project."""
    return testkit.copy_project(ethome5_project, tmp_path / "project")


@pytest.fixture()
def project(project_dir: Path):
    from ethoforge.store import Project

    with Project.open(project_dir) as opened:
        yield opened


@pytest.fixture()
def start_worker(project_dir: Path, testkit) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start worker processes (``python -m ethoforge.jobs.worker``); all are killed afterwards."""
    from ethoforge.jobs.worker import start_worker_process, stop_worker_process

    started: list[subprocess.Popen] = []

    def start(redis_url: str | None = None, **env: str) -> subprocess.Popen:
        log = project_dir / "jobs" / f"worker-test-{len(started)}.log"
        log.parent.mkdir(exist_ok=True)
        proc = start_worker_process(project_dir, redis_url, log_path=log, env={**testkit.FAST_ENV, **env})
        started.append(proc)
        testkit.wait_for(lambda: "Huey consumer started" in log.read_text(), 30, f"worker did not start: {log}")
        return proc

    try:
        yield start
    finally:
        for proc in started:
            stop_worker_process(proc, timeout=5)
        testkit.kill_job_processes(project_dir)


@pytest.fixture()
def redis_url(tmp_path: Path, testkit) -> Iterator[str]:
    """A real ``redis-server`` on a free loopback port (skipped when it is not installed)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server); CI installs it")
    port = testkit.free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        import redis

        client = redis.Redis(host="127.0.0.1", port=port)
        testkit.wait_for(lambda: _pings(client), 10, "redis-server did not answer")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _pings(client) -> bool:
    import redis

    try:
        return bool(client.ping())
    except (redis.exceptions.ConnectionError, redis.exceptions.BusyLoadingError):
        return False


@pytest.fixture()
def jobs_helpers(project_dir: Path, testkit):
    """`testkit` bound to this test's project."""
    from ethoforge.store import Project

    class Helpers:
        wait_for = staticmethod(testkit.wait_for)

        @staticmethod
        def train_params(epochs: int = 1, **overrides) -> dict:
            with Project.open(project_dir) as project:
                names = [r.name for r in project.recordings()]
            return testkit.tiny_train_params(names, epochs, **overrides)

        @staticmethod
        def job_processes(job_id: int) -> list[int]:
            return testkit.job_processes(project_dir, job_id)

    return Helpers
