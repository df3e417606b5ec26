"""The token stays out of URLs and logs (issue 12, item 3): the web app trades ``?token=`` once
for an HttpOnly, SameSite=Strict cookie; answers name no server folders. Real server process."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

TIMEOUT = 60  # seconds: a loaded 2-core machine answers slowly


@pytest.fixture()
def token_server(launch, ethome5_project, tmp_path, testkit):
    project_dir = testkit.copy_project(ethome5_project, tmp_path / "project")
    return launch(project_dir, "--require-token", "--log-level", "info")


def _session(server) -> tuple[str, str]:
    answer = httpx.get(f"{server.url}/?token={server.token}", timeout=TIMEOUT)
    assert answer.status_code == 303, answer.text
    return answer.headers["set-cookie"].split(";", 1)[0].split("=", 1)


def test_the_token_is_traded_once_for_an_http_only_strict_cookie(token_server):
    server = token_server
    answer = httpx.get(f"{server.url}/?token={server.token}&x=1", timeout=TIMEOUT)
    assert answer.status_code == 303 and answer.headers["location"] == "/?x=1"  # the token leaves the address
    cookie = answer.headers["set-cookie"]
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/"} <= attributes
    name, value = cookie.split(";", 1)[0].split("=", 1)
    assert value and server.token not in cookie
    assert httpx.get(f"{server.url}/?token=nope", timeout=TIMEOUT).status_code == 401
    with httpx.Client(base_url=server.api, cookies={name: value}, timeout=TIMEOUT) as browser_like:
        assert browser_like.get("/recordings").status_code == 200
        assert browser_like.get("/recordings/1/poses?stop=2").status_code == 200  # what an <img> or fetch sends
    assert httpx.get(f"{server.api}/recordings", cookies={name: "forged"}, timeout=TIMEOUT).status_code == 401
    assert httpx.get(f"{server.api}/recordings", timeout=TIMEOUT).status_code == 401
    # a token in an API URL is no longer taken (URLs end in logs, history and Referer headers)
    assert httpx.get(f"{server.api}/recordings?token={server.token}", timeout=TIMEOUT).status_code == 401


def test_the_websocket_authenticates_by_cookie_or_header_not_by_url(token_server):
    import websockets
    from websockets.exceptions import InvalidStatus

    server = token_server
    with server.client() as client:
        job = client.post("/training/jobs", json={"dataset": "mice", "params": {"epochs": 1}}).json()
    name, value = _session(server)
    url = f"{server.ws}/jobs/{job['id']}/ws"

    async def first(url: str, headers: dict | None = None):
        async with websockets.connect(url, additional_headers=headers) as socket:
            return json.loads(await asyncio.wait_for(socket.recv(), 10))

    assert asyncio.run(first(url, {"Cookie": f"{name}={value}"}))["type"] == "state"
    assert asyncio.run(first(url, {"Authorization": f"Bearer {server.token}"}))["type"] == "state"
    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(first(f"{url}?token={server.token}"))
    assert refused.value.response.status_code == 401


def test_the_log_never_prints_the_token(token_server):
    server = token_server
    name, value = _session(server)
    httpx.get(f"{server.api}/recordings?token={server.token}", timeout=TIMEOUT)
    httpx.get(f"{server.api}/recordings", cookies={name: value}, timeout=TIMEOUT)
    httpx.get(f"{server.url}/?token=wrong-{server.token}", timeout=TIMEOUT)
    server.stop()
    log = server.log.read_text()
    assert "GET /?token=[redacted]" in log  # the visit is logged...
    assert server.token not in log and value not in log  # ...but not the token, nor the session


def test_health_and_answers_name_no_server_folders(token_server, ethome5_dir):
    server = token_server
    health = httpx.get(f"{server.api}/health", timeout=TIMEOUT)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    folders = [str(server.project_dir), str(server.project_dir.resolve()), str(ethome5_dir.resolve())]
    assert not any(folder in health.text for folder in folders)
    with server.client() as client:
        listed = client.get("/recordings").json()["recordings"]
        assert listed[0]["source_path"].startswith("poses/") and listed[0]["source_path"].endswith(".csv")
        assert (ethome5_dir / listed[0]["source_path"]).is_file()  # relative to the allowed root holding it
        missing = client.post("/recordings", json={"path": "inputs/missing.csv"})
        assert missing.status_code == 422 and missing.json()["detail"].startswith("inputs/missing.csv:")
        again = client.post("/recordings", json={"path": str(ethome5_dir / listed[0]["source_path"]),
                                                  "skip_existing": False})
        assert again.status_code == 409 and listed[0]["source_path"] in again.json()["detail"]
        for answer in (client.get("/recordings"), client.get("/recordings/1"), client.get("/datasets"), missing, again):
            assert not any(folder in answer.text for folder in folders), answer.text


def test_health_names_the_project_folder_on_loopback_without_token(live_server):
    health = httpx.get(f"{live_server.api}/health", timeout=TIMEOUT).json()
    assert health["project"] == str(live_server.project_dir.resolve())
