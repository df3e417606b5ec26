"""Issue 12 in a real browser: the app opened with ``?token=`` works from an HttpOnly cookie
(API, WebSocket, video frames) with no token left in the address bar or the log, and a page of
another site, or reached under another name (DNS rebinding), cannot drive the API."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ATTACKER = "http://attacker.test"


@pytest.fixture(scope="module")
def browser_args(browser_args: list[str]) -> list[str]:
    """Overrides tests/web/conftest.py: ``rebind.test`` resolves to this machine."""
    return [*browser_args, "--host-resolver-rules=MAP rebind.test 127.0.0.1"]


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory, testkit):
    """The generated two-animal recording ``arena`` with its video and a dataset."""
    return testkit.make_video_project(tmp_path_factory.mktemp("web-security") / "project")


@pytest.fixture(scope="module")
def secured(project_dir: Path, testkit):
    """A server that asks for the token (no worker: a training job stays pending)."""
    live = testkit.start_server(project_dir, "--require-token", "--log-level", "info")
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture(scope="module")
def default(project_dir: Path, secured, testkit):
    """A second server over the same project as `ethoforge serve` starts by default: loopback, no token."""
    live = testkit.start_server(project_dir)
    try:
        yield live
    finally:
        live.stop()


def _api(live, path: str, method: str = "GET", body=None):
    token = {"Authorization": f"Bearer {live.token}"} if live.token else {}
    request = urllib.request.Request(f"{live.api}/{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={**token, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read() or b"null")


def test_the_app_runs_on_a_session_cookie_and_the_token_leaves_url_and_log(browser, secured, testkit):
    [rec] = _api(secured, "recordings")["recordings"]
    [dataset] = _api(secured, "datasets")["datasets"]
    job = _api(secured, "training/jobs", "POST", {"dataset": dataset["id"], "params": {"epochs": 1}})
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{secured.url}/?token={secured.token}#/label?dataset={dataset['id']}&recording={rec['id']}")
    page.wait_for_selector("#page[data-ready='true']", state="attached")
    page.wait_for_selector("#pose-canvas[data-video-frame='0']")  # the video frame (an image) came by cookie
    assert "token" not in page.url and page.url.endswith(f"#/label?dataset={dataset['id']}&recording={rec['id']}")
    [cookie] = context.cookies()
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["value"] != secured.token
    assert page.evaluate("document.cookie") == ""  # out of reach of scripts
    page.goto(f"{secured.url}/#/jobs/{job['id']}")  # the monitor follows the job over the WebSocket
    page.wait_for_selector("#page[data-ready='true']", state="attached")
    page.wait_for_selector("#job-status")
    accepted = '"WebSocket /api/v1/jobs/' + str(job["id"]) + '/ws" [accepted]'
    testkit.wait_for(lambda: accepted in secured.log.read_text(), 15, "the monitor's WebSocket was not accepted")
    assert errors == []
    context.close()
    log = secured.log.read_text()
    assert "GET /?token=[redacted]" in log and "frames/0.jpg" in log  # the visit is in the log...
    assert secured.token not in log and cookie["value"] not in log  # ...the token and session are not


@pytest.mark.parametrize("which", ["default", "secured"])
def test_a_page_of_another_site_cannot_drive_the_api(browser, request, which):
    """The user has the app open (on the default loopback bind with no token, or logged in with
    the cookie) and visits another site, whose page posts a form to ``/jobs/{id}/cancel`` (a
    navigation: browsers send it to loopback servers, unlike many cross-site fetches)."""
    live = request.getfixturevalue(which)
    [dataset] = _api(live, "datasets")["datasets"]
    job = _api(live, "training/jobs", "POST", {"dataset": dataset["id"], "params": {"epochs": 1}})
    cancel = f"{live.api}/jobs/{job['id']}/cancel"
    attack = f"""<!doctype html><html><body><form id="csrf" method="POST" action="{cancel}"></form>
      <script>document.getElementById("csrf").submit();</script></body></html>"""
    context = browser.new_context()
    page = context.new_page()
    page.route(f"{ATTACKER}/**", lambda route: route.fulfill(status=200, content_type="text/html", body=attack))
    page.goto(f"{live.url}/" + (f"?token={live.token}" if live.token else ""))  # the user has the app open...
    with page.expect_response(cancel) as answer:
        page.goto(f"{ATTACKER}/")  # ...and then visits another site in the same browser
    assert answer.value.status == 403 and answer.value.request.method == "POST"
    assert _api(live, f"jobs/{job['id']}")["status"] == "pending"
    context.close()
    _api(live, f"jobs/{job['id']}/cancel", "POST")


def test_dns_rebinding_is_refused(browser, secured):
    """This module's Chromium resolves ``rebind.test`` to 127.0.0.1 (`browser_args`), as a
    rebinding attacker's name would: the server refuses pages and API under that name."""
    context = browser.new_context()
    page = context.new_page()
    for path in ("/", "/api/v1/recordings", f"/?token={secured.token}"):
        answer = page.goto(f"http://rebind.test:{secured.port}{path}")
        assert answer is not None and answer.status == 400, path
        assert "loopback" in page.content()
    context.close()
