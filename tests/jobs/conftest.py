"""Fixtures for job tests: a small real project (2 ethome5 recordings), workers, redis-server."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

RECORDINGS = ("122332-122642", "122758-123309")  # the two shortest: 5,700 and 9,330 frames
FAST_ENV = {
    "ETHOFORGE_JOB_HEARTBEAT_S": "0.5",  # supervisor heartbeat and cancel check interval
    "ETHOFORGE_JOB_CANCEL_GRACE_S": "3",  # kill a job process 3 s after an ignored cancel
    "OMP_NUM_THREADS": "1",
}


@pytest.fixture(scope="session")
def template_project(tmp_path_factory, ethome5_dir: Path) -> Path:
    """A project with two ethome5 recordings, their BORIS labels and a dataset ``mice``."""
    from ethoforge.store import Project

    root = tmp_path_factory.mktemp("template") / "project"
    with Project.create(root) as project:
        for stem in RECORDINGS:
            [pose] = (ethome5_dir / "poses").glob(f"*{stem}*")
            [labels] = (ethome5_dir / "labels_boris").glob(f"*{stem}*")
            project.import_recording(pose)
            project.import_labels(labels, "boris")
        project.create_dataset("mice", ["interact"], recordings=[r.name for r in project.recordings()])
    return root


@pytest.fixture()
def project_dir(template_project: Path, tmp_path: Path) -> Path:
    """A fresh copy of the template project."""
    target = tmp_path / "project"
    shutil.copytree(template_project, target)
    return target


@pytest.fixture()
def project(project_dir: Path):
    from ethoforge.store import Project

    with Project.open(project_dir) as opened:
        yield opened


def tiny_train_params(project_dir: Path, epochs: int = 1, **overrides) -> dict:
    """A training config that takes seconds: small model, few samples, one recording per side."""
    from ethoforge.store import Project

    with Project.open(project_dir) as project:
        names = [r.name for r in project.recordings()]
    params = {
        "family": "conv_bilstm", "model": {"conv_channels": [16], "lstm_hidden": 16}, "epochs": epochs, "samples_per_epoch": 512, "batch_size": 128, "window": 15,
        "patience": None, "warmup_epochs": 0, "calibrate": False, "num_threads": 1, "device": "cpu",
        "split": {"train": [names[1]], "val": [names[0]]},
    }
    params.update(overrides)
    return params


@pytest.fixture()
def start_worker(project_dir: Path) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start worker processes (``python -m ethoforge.jobs.worker``); all are killed afterwards."""
    from ethoforge.jobs.worker import start_worker_process, stop_worker_process

    started: list[subprocess.Popen] = []

    def start(redis_url: str | None = None, **env: str) -> subprocess.Popen:
        log = project_dir / "jobs" / f"worker-test-{len(started)}.log"
        log.parent.mkdir(exist_ok=True)
        proc = start_worker_process(project_dir, redis_url, log_path=log, env={**FAST_ENV, **env})
        started.append(proc)
        wait_for(lambda: "Huey consumer started" in log.read_text(), 30, f"worker did not start: {log}")
        return proc

    try:
        yield start
    finally:
        for proc in started:
            stop_worker_process(proc, timeout=5)
        _kill_job_processes(project_dir)


def _kill_job_processes(project_dir: Path) -> None:
    """Kill any job process of this project still alive (a test that failed midway)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"ethoforge.jobs.runner" in command and str(project_dir.resolve()).encode() in command:
            try:
                os.kill(int(entry.name), signal.SIGKILL)
            except ProcessLookupError:
                pass


def job_processes(project_dir: Path, job_id: int) -> list[int]:
    """Pids of live ``ethoforge.jobs.runner`` processes of a job."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().split(") ", 1)[1][0]
        except (OSError, IndexError):
            continue
        if (b"ethoforge.jobs.runner" in command and str(project_dir.resolve()).encode() in command
                and str(job_id).encode() in command and state != "Z"):
            pids.append(int(entry.name))
    return pids


def wait_for(condition: Callable[[], object], timeout: float, message: str, interval: float = 0.1):
    """Poll ``condition`` until it returns something truthy; fail the test after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s: {message}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A real ``redis-server`` on a free loopback port (skipped when it is not installed)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server); CI installs it")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        import redis

        client = redis.Redis(host="127.0.0.1", port=port)
        wait_for(lambda: _pings(client), 10, "redis-server did not answer")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def redis_errors() -> tuple[type[Exception], ...]:
    import redis

    return (redis.exceptions.ConnectionError, redis.exceptions.BusyLoadingError)


def _pings(client) -> bool:
    try:
        return bool(client.ping())
    except redis_errors():
        return False


@pytest.fixture()
def jobs_helpers(project_dir: Path):
    """Helpers the job tests share (test modules cannot import conftest under importlib mode)."""

    class Helpers:
        wait_for = staticmethod(wait_for)

        @staticmethod
        def train_params(epochs: int = 1, **overrides) -> dict:
            return tiny_train_params(project_dir, epochs, **overrides)

        @staticmethod
        def job_processes(job_id: int) -> list[int]:
            return job_processes(project_dir, job_id)

    return Helpers
