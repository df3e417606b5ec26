"""Browser-test fixtures: a real project (2 ethome5 recordings), a real server, headless Chromium."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
# one recording of > 10,000 frames (for the key-repeat speed check) and the shortest one
RECORDINGS = ("120637-121213", "122332-122642")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Api:
    """A tiny JSON client for checks through the API (urllib: nothing to install)."""

    def __init__(self, base: str):
        self.base = base

    def __call__(self, path: str, method: str = "GET", body=None, headers: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.base}/api/v1/{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json", **(headers or {})})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory, ethome5_dir: Path) -> Path:
    """A project with two ethome5 recordings and their BORIS labels (no dataset yet)."""
    from ethoforge.store import Project

    root = tmp_path_factory.mktemp("web") / "project"
    with Project.create(root) as project:
        for stem in RECORDINGS:
            [pose] = (ethome5_dir / "poses").glob(f"*{stem}*")
            [labels] = (ethome5_dir / "labels_boris").glob(f"*{stem}*")
            project.import_recording(pose)
            project.import_labels(labels, "boris")
    return root


@pytest.fixture(scope="module")
def server(project_dir: Path):
    """``(base URL, Api)`` of a real uvicorn server (with a job worker) over the project."""
    port = _free_port()
    log = open(project_dir / "server.log", "wb")  # noqa: SIM115  (closed after the server stops)
    ethoforge = Path(sys.executable).with_name("ethoforge")
    proc = subprocess.Popen([str(ethoforge), "serve", str(project_dir), "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "OMP_NUM_THREADS": "1", "ETHOFORGE_JOB_HEARTBEAT_S": "0.5"})
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/v1/health", timeout=2)
            break
        except (urllib.error.URLError, ConnectionError):
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"server did not start: {(project_dir / 'server.log').read_text()[-3000:]}")
            time.sleep(0.2)
    yield base, Api(base)
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.console_errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    page.on("console", lambda message: print(f"[browser {message.type}] {message.text}") if message.type in ("error", "warning") else None)
    yield page
    context.close()


@pytest.fixture(scope="session")
def stems() -> tuple[str, ...]:
    """Name parts of the two recordings: the 10,080-frame one and the 5,700-frame one."""
    return RECORDINGS


@pytest.fixture(scope="session")
def shot():
    """``shot(page, name)`` saves a screenshot to docs/screenshots/<name>.png."""

    def save(page, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return save
