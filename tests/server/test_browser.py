"""Other web pages cannot drive the API (issue 12, item 2): forged Host and Origin headers,
cross-site fetch metadata and non-JSON writes are refused by the real server process."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

TIMEOUT = 60  # seconds: a loaded 2-core machine answers slowly


@pytest.fixture(scope="module")
def server(live_server):
    return live_server


@pytest.fixture()
def pending_job(server):
    """A pending training job (the server has no worker, so it stays pending)."""
    with server.client() as client:
        answer = client.post("/training/jobs", json={"dataset": "mice", "params": {"epochs": 1}})
        assert answer.status_code == 201, answer.text
        yield answer.json()["id"]
        client.post(f"/jobs/{answer.json()['id']}/cancel")


def _own(server) -> str:
    return f"http://127.0.0.1:{server.port}"


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1.evil.example:{port}",
                                  "192.168.1.20:{port}"])
@pytest.mark.parametrize("path", ["/api/v1/recordings", "/api/v1/health", "/"])
def test_dns_rebinding_a_foreign_host_name_is_refused(server, host, path):
    answer = httpx.get(f"{server.url}{path}", headers={"Host": host.format(port=server.port)}, timeout=TIMEOUT)
    assert answer.status_code == 400, answer.text
    assert "loopback" in answer.json()["detail"]


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}", "LOCALHOST"])
def test_loopback_names_are_served(server, host):
    assert httpx.get(f"{server.api}/recordings", headers={"Host": host.format(port=server.port)}, timeout=TIMEOUT).status_code == 200


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:1", "http://localhost:{port}",
                                    "file://", "https://127.0.0.1:{port}.evil.example"])
def test_cross_site_posts_are_refused_and_change_nothing(server, pending_job, origin):
    forged = {"Origin": origin.format(port=server.port)}
    with server.client() as client:
        for path in (f"/jobs/{pending_job}/cancel", "/models/1/activate"):
            answer = client.post(path, headers=forged)
            assert answer.status_code == 403, (path, answer.text)
            assert "only the EthoForge app itself" in answer.json()["detail"]
        assert client.post("/datasets", json={"name": "forged", "behaviors": ["x"]}, headers=forged).status_code == 403
        assert client.delete(f"/jobs/{pending_job}", headers=forged).status_code == 403
        assert client.get(f"/jobs/{pending_job}").json()["status"] == "pending"
        assert "forged" not in [d["name"] for d in client.get("/datasets").json()["datasets"]]
        # the app's own origin may
        same = client.post(f"/jobs/{pending_job}/cancel", headers={"Origin": _own(server)})
        assert same.status_code == 200 and same.json()["status"] == "cancelled"


def test_requests_browsers_mark_as_from_another_site_are_refused(server):
    for site in ("cross-site", "same-site"):
        answer = httpx.get(f"{server.api}/recordings", headers={"Sec-Fetch-Site": site}, timeout=TIMEOUT)
        assert answer.status_code == 403, answer.text
    for site in ("same-origin", "none"):  # the app itself, or a URL typed in the address bar
        assert httpx.get(f"{server.api}/recordings", headers={"Sec-Fetch-Site": site}, timeout=TIMEOUT).status_code == 200


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"])
def test_state_changing_requests_take_json_only(server, content_type):
    body = json.dumps({"name": "formed", "behaviors": ["x"]})
    with server.client() as client:
        answer = client.post("/datasets", content=body, headers={"Content-Type": content_type})
        assert answer.status_code == 415, answer.text
        assert "application/json" in answer.json()["detail"]
        assert client.put("/recordings/1/draft", content='{"bouts": []}',
                          headers={"Content-Type": content_type}).status_code == 415
        assert client.post("/models/1/activate", content=b"a=1", headers={"Content-Type": content_type}).status_code == 415
        assert client.post("/datasets", content=body, headers={"Content-Type": ""}).status_code == 415
        assert "formed" not in [d["name"] for d in client.get("/datasets").json()["datasets"]]
        ok = client.post("/datasets", content=body, headers={"Content-Type": "application/json; charset=utf-8"})
        assert ok.status_code == 201, ok.text
        assert client.delete(f"/datasets/{ok.json()['id']}").status_code == 204


def test_cross_site_websocket_is_refused(server, pending_job):
    import websockets
    from websockets.exceptions import InvalidStatus

    async def first(origin: str, host: str | None = None):
        url = f"ws://{host or '127.0.0.1'}:{server.port}/api/v1/jobs/{pending_job}/ws"
        async with websockets.connect(url, origin=origin, host="127.0.0.1", port=server.port) as socket:
            return json.loads(await asyncio.wait_for(socket.recv(), 10))

    for origin, host in (("http://evil.example", None), ("null", None), (_own(server), "evil.example")):
        with pytest.raises(InvalidStatus) as refused:
            asyncio.run(first(origin, host))
        assert refused.value.response.status_code in (400, 403)
    assert asyncio.run(first(_own(server)))["type"] == "state"


def test_every_answer_tells_browsers_to_send_no_referrer(server):
    for url in (f"{server.url}/", f"{server.api}/recordings", f"{server.api}/no-such-route"):
        answer = httpx.get(url, timeout=TIMEOUT)
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["x-frame-options"] == "DENY"
    refused = httpx.get(f"{server.api}/recordings", headers={"Host": "evil.example"}, timeout=TIMEOUT)
    assert refused.headers["referrer-policy"] == "no-referrer"
