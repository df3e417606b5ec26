"""Fixtures for server tests: the real server (`python -m ethoforge.server.run`) on a free
loopback port over a copy of the shared ethome5 project (see tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


@pytest.fixture()
def launch(ethome5_dir: Path, testkit) -> Iterator[Callable]:
    """Start servers (``launch(project_dir, *args, worker=False)``); all are stopped afterwards."""
    started = []

    def start(project_dir: Path, *args: str, worker: bool = False, port: int | None = None):
        server = testkit.start_server(project_dir, "--allow", str(ethome5_dir), *args, worker=worker, port=port)
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()
            testkit.kill_job_processes(server.project_dir)


@pytest.fixture(scope="module")
def live_server(ethome5_project: Path, tmp_path_factory, ethome5_dir: Path, testkit):
    """One server (no worker) over a fresh copy of the template project, shared by a module."""
    project_dir = testkit.copy_project(ethome5_project, tmp_path_factory.mktemp("live") / "project")
    server = testkit.start_server(project_dir, "--allow", str(ethome5_dir))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def client(live_server):
    """An HTTP client of the module's `live_server` (API paths relative to ``/api/v1``)."""
    with live_server.client() as http:
        yield http
