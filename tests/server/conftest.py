"""Fixtures for server tests: a real project (2 ethome5 recordings, BORIS labels, dataset
``mice``) and the real server (`python -m ethoforge.server.run`) on a free loopback port."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

RECORDINGS = ("122332-122642", "122758-123309")  # the two shortest: 5,700 and 9,330 frames
FAST_ENV = {
    "ETHOFORGE_JOB_HEARTBEAT_S": "0.5",
    "ETHOFORGE_JOB_CANCEL_GRACE_S": "3",
    "OMP_NUM_THREADS": "1",
}


@pytest.fixture(scope="session")
def server_template(tmp_path_factory, ethome5_dir: Path) -> Path:
    """A project with two ethome5 recordings, their BORIS labels and a dataset ``mice``."""
    from ethoforge.store import Project

    root = tmp_path_factory.mktemp("server-template") / "project"
    with Project.create(root) as project:
        for stem in RECORDINGS:
            [pose] = (ethome5_dir / "poses").glob(f"*{stem}*")
            [labels] = (ethome5_dir / "labels_boris").glob(f"*{stem}*")
            project.import_recording(pose)
            project.import_labels(labels, "boris")
        project.create_dataset("mice", ["interact"], recordings=[r.name for r in project.recordings()])
    return root


def copy_project(template: Path, target: Path) -> Path:
    shutil.copytree(template, target)
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], object], timeout: float, message: str, interval: float = 0.1):
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s: {message}")
        time.sleep(interval)


@dataclass
class LiveServer:
    """A running ``python -m ethoforge.server.run`` process."""

    project_dir: Path
    port: int
    proc: subprocess.Popen
    log: Path
    token: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api(self) -> str:
        return f"{self.url}/api/v1"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1"

    def client(self, **kwargs):
        import httpx

        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return httpx.Client(base_url=self.api, headers=headers, timeout=60, **kwargs)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _up(server: LiveServer) -> bool:
    import httpx

    if server.proc.poll() is not None:
        pytest.fail(f"the server exited with {server.proc.returncode}:\n{server.log.read_text()[-3000:]}")
    try:
        return httpx.get(f"{server.api}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def start_server(project_dir: Path, *args: str, worker: bool = False, port: int | None = None) -> LiveServer:
    """Start the server on a free loopback port and wait until it answers."""
    port = port or free_port()
    log = project_dir.parent / f"server-{port}-{time.monotonic_ns()}.log"
    command = [sys.executable, "-m", "ethoforge.server.run", str(project_dir), "--port", str(port),
               "--log-level", "warning", *args]
    if not worker:
        command.append("--no-worker")
    with open(log, "wb") as output:
        proc = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env={**os.environ, **FAST_ENV})
    server = LiveServer(project_dir, port, proc, log)
    wait_for(lambda: _up(server), 60, f"server did not start: {log}")
    token_file = project_dir / "server_token"
    if token_file.is_file():
        server.token = token_file.read_text().strip()
    return server


def kill_job_processes(project_dir: Path) -> None:
    """Kill job and worker processes of this project still alive (a test that failed midway)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        ours = str(project_dir.resolve()).encode() in command
        if ours and (b"ethoforge.jobs.runner" in command or b"ethoforge.jobs.worker" in command):
            try:
                os.kill(int(entry.name), signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture()
def launch(ethome5_dir: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start servers (``launch(project_dir, *args, worker=False)``); all are stopped afterwards."""
    started: list[LiveServer] = []

    def start(project_dir: Path, *args: str, worker: bool = False, port: int | None = None) -> LiveServer:
        server = start_server(project_dir, "--allow", str(ethome5_dir), *args, worker=worker, port=port)
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()
            kill_job_processes(server.project_dir)


@pytest.fixture(scope="module")
def live_server(server_template: Path, tmp_path_factory, ethome5_dir: Path) -> Iterator[LiveServer]:
    """One server (no worker) over a fresh copy of the template project, shared by a module."""
    project_dir = copy_project(server_template, tmp_path_factory.mktemp("live") / "project")
    server = start_server(project_dir, "--allow", str(ethome5_dir))
    try:
        yield server
    finally:
        server.stop()


def tiny_train_params(names: list[str], epochs: int = 2, **overrides) -> dict:
    """A training config that takes seconds: small model, few samples, one recording per side."""
    params = {
        "family": "conv_bilstm", "epochs": epochs, "samples_per_epoch": 512, "batch_size": 128, "window": 15,
        "patience": None, "warmup_epochs": 0, "calibrate": False, "num_threads": 1, "device": "cpu",
        "split": {"train": [names[1]], "val": [names[0]]},
    }
    params.update(overrides)
    return params


@pytest.fixture(scope="session")
def server_helpers():
    """Helpers the server tests share (test modules cannot import conftest under importlib mode)."""

    class Helpers:
        wait_for = staticmethod(wait_for)
        copy_project = staticmethod(copy_project)
        start_server = staticmethod(start_server)
        free_port = staticmethod(free_port)
        tiny_train_params = staticmethod(tiny_train_params)
        kill_job_processes = staticmethod(kill_job_processes)

    return Helpers
