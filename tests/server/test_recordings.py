"""``PATCH`` / ``DELETE /recordings/{id}`` against the real server over a copy of an ethome5 project."""

from __future__ import annotations


def _recordings(client) -> dict[str, dict]:
    return {r["name"]: r for r in client.get("/recordings").json()["recordings"]}


def test_set_fps_and_rename(client):
    [first, second] = _recordings(client).values()
    before = client.get(f"/recordings/{first['id']}/labels").json()["bouts"]
    refused = client.patch(f"/recordings/{first['id']}", json={"fps": 60})
    assert refused.status_code == 409 and '"confirm": true' in refused.json()["detail"]
    assert client.get(f"/recordings/{first['id']}").json()["fps"] == 30.0
    done = client.patch(f"/recordings/{first['id']}", json={"fps": 25, "name": "pair1"})
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["name"], body["fps"], body["old_fps"], body["bouts_rescaled"]) == ("pair1", 25.0, 30.0, 10)
    after = client.get(f"/recordings/{first['id']}/labels").json()["bouts"]
    assert [b["start"] for b in after] == [round(b["start"] * 25 / 30) for b in before]
    details = client.get(f"/recordings/{first['id']}").json()
    assert details["layout"]["fps"] == 25.0 and details["fps_assumed"] is False
    taken = client.patch(f"/recordings/{first['id']}", json={"name": second["name"]})
    assert taken.status_code == 409 and "already exists" in taken.json()["detail"]
    assert client.patch(f"/recordings/{first['id']}", json={"fps": -1}).status_code == 422
    assert client.patch("/recordings/999", json={"fps": 25}).status_code == 404


def test_delete_needs_confirm_when_labels_would_be_lost(client):
    recording = _recordings(client)["pair1"]
    refused = client.delete(f"/recordings/{recording['id']}")
    assert refused.status_code == 409 and "?confirm=true" in refused.json()["detail"]
    assert "pair1" in _recordings(client)
    assert client.delete(f"/recordings/{recording['id']}", params={"confirm": "true"}).status_code == 204
    assert "pair1" not in _recordings(client)
    assert client.get(f"/recordings/{recording['id']}").status_code == 404


def test_import_again_lists_the_skipped_file(client, ethome5_dir):
    [pose] = (ethome5_dir / "poses").glob("*122758-123309*")
    again = client.post("/recordings", json={"path": str(pose)})
    assert again.status_code == 201, again.text
    body = again.json()
    assert body["imported"] == [] and body["skipped"] == 1 and list(body["skipped_files"]) == [f"poses/{pose.name}"]
