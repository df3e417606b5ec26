"""Browser-test fixtures: a real project (2 ethome5 recordings), a real server, headless Chromium.

A test module may define its own ``project_dir`` fixture; ``server`` and ``page`` then serve that one."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
# one recording of > 10,000 frames (for the key-repeat speed check) and the shortest one
RECORDINGS = ("120637-121213", "122332-122642")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


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
def project_dir(tmp_path_factory, ethome5_dir: Path, testkit) -> Path:
    """A project with two ethome5 recordings and their BORIS labels (no dataset yet)."""
    return testkit.make_ethome5_project(tmp_path_factory.mktemp("web") / "project", ethome5_dir, RECORDINGS, dataset=None)


@pytest.fixture(scope="module")
def server(project_dir: Path, testkit):
    """``(base URL, Api)`` of the real ``ethoforge serve`` (with a job worker) over ``project_dir``."""
    live = testkit.start_server(project_dir, worker=True, cli=True)
    try:
        yield live.url, Api(live.url)
    finally:
        live.stop()
        testkit.kill_job_processes(project_dir)


@pytest.fixture(scope="module")
def browser_args() -> list[str]:
    """Chromium's command line (a module may override this fixture to add switches)."""
    return list(CHROMIUM_ARGS)


@pytest.fixture(scope="module")
def browser(browser_args: list[str]):
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=browser_args)
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
