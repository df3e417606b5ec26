"""REST API against the real server process (uvicorn on a loopback port, real SQLite project)."""

from __future__ import annotations

import os
import stat

import httpx
import pytest


def test_openapi_spec_lists_every_resource(client):
    spec = client.get("/openapi.json").json()
    paths = set(spec["paths"])
    for path in ("/api/v1/recordings", "/api/v1/recordings/{recording_id}/labels", "/api/v1/datasets",
                 "/api/v1/training/jobs", "/api/v1/inference/jobs", "/api/v1/models/{model_id}/bundle.zip",
                 "/api/v1/models/{model_id}/files/{key}", "/api/v1/recordings/{recording_id}/poses"):
        assert path in paths


def test_recordings_list_and_details_with_layout_and_label_counts(client):
    listed = client.get("/recordings").json()["recordings"]
    assert [r["n_frames"] for r in listed] == [5700, 9330]
    details = client.get(f"/recordings/{listed[0]['id']}").json()
    assert details["layout"]["individuals"] == ["adult", "juvenile"]
    assert details["layout"]["keypoints"] == ["nose", "leftear", "rightear", "neck", "lefthip", "righthip", "tail"]
    assert details["layout"]["fps"] == 30.0 and details["layout"]["n_frames"] == 5700
    assert details["label_counts"]["interact"]["manual"]["bouts"] == 10  # the BORIS file of 122332 has 10 bouts
    assert details["datasets"] == ["mice"] and details["has_video"] is False


def test_import_from_allowed_root_then_again_is_skipped(client, ethome5_dir):
    [pose] = (ethome5_dir / "poses").glob("*120637-121213*")
    answer = client.post("/recordings", json={"path": str(pose)})
    assert answer.status_code == 201, answer.text
    assert [r["n_frames"] for r in answer.json()["imported"]] == [10080]
    again = client.post("/recordings", json={"path": str(pose)})
    assert again.status_code == 201 and again.json()["imported"] == [] and again.json()["skipped"] == 1
    # named relative to the allowed root holding it (answers name no server folders)
    assert list(again.json()["skipped_files"]) == [f"poses/{pose.name}"] and again.json()["failed"] == {}


def test_paths_outside_the_roots_are_refused(client, live_server, tmp_path_factory, ethome5_dir):
    outside = tmp_path_factory.mktemp("outside")
    [pose] = (ethome5_dir / "poses").glob("*123521*")
    (outside / "poses.csv").write_bytes(pose.read_bytes())
    link = live_server.project_dir / "link_out.csv"
    link.symlink_to(outside / "poses.csv")
    folder_link = live_server.project_dir / "folder_out"
    folder_link.symlink_to(outside, target_is_directory=True)
    for path in ("../outside/poses.csv", str(outside / "poses.csv"), "link_out.csv", "folder_out",
                 f"{ethome5_dir}/poses/../../../../etc/passwd", "/etc/passwd"):
        answer = client.post("/recordings", json={"path": path})
        assert answer.status_code == 403, (path, answer.text)
        assert "detail" in answer.json()
    assert client.post("/recordings", json={"path": "no_such_file.csv"}).status_code == 422
    assert len(client.get("/recordings").json()["recordings"]) <= 3  # nothing imported from outside


def test_datasets_create_list_update_delete(client):
    names = [r["name"] for r in client.get("/recordings").json()["recordings"]][:2]
    created = client.post("/datasets", json={"name": "pairs", "behaviors": ["interact"], "recordings": names})
    assert created.status_code == 201, created.text
    dataset = created.json()
    assert dataset["recordings"] == names and dataset["active_model"] is None
    listed = {d["name"]: d for d in client.get("/datasets").json()["datasets"]}
    assert set(listed) >= {"mice", "pairs"} and listed["pairs"]["metrics"] is None
    updated = client.patch(f"/datasets/{dataset['id']}", json={"name": "pairs2", "remove_recordings": [names[1]],
                                                               "behaviors": ["interact", "chase"]})
    assert updated.status_code == 200, updated.text
    assert updated.json()["recordings"] == names[:1] and updated.json()["behaviors"] == ["interact", "chase"]
    assert client.post("/datasets", json={"name": "mice", "behaviors": ["x"]}).status_code == 409
    too_many = client.post("/datasets", json={"name": "big", "behaviors": [f"b{i}" for i in range(21)]})
    assert too_many.status_code == 422
    assert client.post("/datasets", json={"name": "none", "behaviors": []}).status_code == 422
    assert client.delete(f"/datasets/{dataset['id']}").status_code == 204
    assert client.get(f"/datasets/{dataset['id']}").status_code == 404
    assert client.patch("/datasets/999", json={"name": "x"}).status_code == 404


def test_labels_commit_with_version_and_conflict(client):
    rec = client.get("/recordings").json()["recordings"][1]["id"]
    first = client.get(f"/recordings/{rec}/labels")
    etag, bouts = first.headers["ETag"], first.json()["bouts"]
    assert first.json()["version"] == etag.strip('"') and len(bouts) == 8
    mine = [*bouts,
            {"behavior": "interact", "start": 9000, "stop": 9010, "source": "predicted"},  # unconfirmed: dropped
            {"behavior": "interact", "start": 9100, "stop": 9120, "source": "predicted", "modified": True},
            {"behavior": "interact", "start": 9200, "stop": 9230, "source": "confirmed", "score": 0.9}]
    committed = client.put(f"/recordings/{rec}/labels", json={"bouts": mine}, headers={"If-Match": etag})
    assert committed.status_code == 200, committed.text
    assert committed.json()["stored"] == 10 and committed.json()["dropped"] == 1
    new_etag = committed.headers["ETag"]
    assert new_etag != etag
    stored = client.get(f"/recordings/{rec}/labels")
    assert stored.headers["ETag"] == new_etag
    by_start = {b["start"]: b for b in stored.json()["bouts"]}
    assert 9000 not in by_start and by_start[9100]["source"] == "manual" and by_start[9200]["source"] == "confirmed"
    # a second editor still holding the first version is refused, and nothing changes
    stale = client.put(f"/recordings/{rec}/labels", json={"bouts": bouts}, headers={"If-Match": etag})
    assert stale.status_code == 409 and "changed since you read them" in stale.json()["detail"]
    stale_field = client.post(f"/recordings/{rec}/labels", json={"bouts": bouts, "version": etag.strip('"')})
    assert stale_field.status_code == 409
    assert client.get(f"/recordings/{rec}/labels").headers["ETag"] == new_etag
    assert client.put(f"/recordings/{rec}/labels", json={"bouts": bouts}).status_code == 428
    # the version in the body works too
    again = client.post(f"/recordings/{rec}/labels", json={"bouts": bouts, "version": new_etag.strip('"')})
    assert again.status_code == 200 and len(client.get(f"/recordings/{rec}/labels").json()["bouts"]) == 8


@pytest.mark.parametrize("bout, words", [
    ({"behavior": "interact", "start": 9320, "stop": 9331}, "past the last pose frame"),
    ({"behavior": "interact", "start": 50, "stop": 50}, "must be after start"),
    ({"behavior": "groom", "start": 5, "stop": 9}, "unknown behavior"),
    ({"behavior": "interact", "start": -1, "stop": 9}, "greater than or equal"),
])
def test_bad_bouts_are_refused_with_a_message(client, bout, words):
    rec = client.get("/recordings").json()["recordings"][1]["id"]
    answer = client.put(f"/recordings/{rec}/labels", json={"bouts": [bout], "version": "*"})
    assert answer.status_code == 422
    assert words in str(answer.json()["detail"])


def test_poses_block_and_missing_video(client):
    rec = client.get("/recordings").json()["recordings"][0]
    block = client.get(f"/recordings/{rec['id']}/poses", params={"start": 100, "stop": 110}).json()
    assert block["dims"] == ["time", "individual", "keypoint", "space"]
    assert len(block["position"]) == 10 and len(block["position"][0]) == 2 and len(block["position"][0][0]) == 7
    assert all(isinstance(v, float) for v in block["position"][0][0][0])
    assert client.get(f"/recordings/{rec['id']}/poses", params={"start": 5700}).status_code == 422
    assert client.get(f"/recordings/{rec['id']}/poses", params={"start": 0, "stop": 20_001}).status_code == 422
    assert client.get(f"/recordings/{rec['id']}/frames/0.jpg").status_code == 404


def test_bad_requests_get_4xx_with_a_json_message(client):
    checks = [
        (client.get("/recordings/999"), 404),
        (client.get("/recordings/999/labels"), 404),
        (client.get("/jobs/999"), 404),
        (client.post("/jobs/999/cancel"), 404),
        (client.delete("/jobs/999"), 404),
        (client.get("/models/999"), 404),
        (client.get("/models/999/files/history"), 404),
        (client.get("/models/999/bundle.zip"), 404),
        (client.get("/inference/jobs/999/results"), 404),
        (client.get("/recordings/abc"), 422),
        (client.post("/training/jobs", json={"dataset": "mice", "params": {"epochs": 0}}), 422),
        (client.post("/training/jobs", json={"dataset": "mice", "params": {"family": "svm"}}), 422),
        (client.post("/training/jobs", json={"dataset": "nope", "params": {}}), 404),
        (client.post("/inference/jobs", json={"model_id": 999}), 422),
        (client.post("/datasets", content=b'{"name": "x", ', headers={"Content-Type": "application/json"}), 422),
        (client.post("/datasets", content=b"not json", headers={"Content-Type": "application/json"}), 422),
    ]
    for answer, expected in checks:
        assert answer.status_code == expected, (answer.request.url, answer.text)
        assert answer.headers["content-type"].startswith("application/json")
        assert "Traceback" not in answer.text and answer.json()["detail"]
    options = client.post("/training/jobs", json={"dataset": "mice", "params": {"epochs": 0}}).json()
    assert options["error"] == "ConfigError" and "epochs" in options["detail"]
    assert client.get("/jobs").json()["jobs"] == []  # nothing was queued


def test_oversized_bodies_get_413(client):
    huge = b'{"bouts": [' + b" " * (33 * 1024 * 1024) + b"]}"
    answer = client.put("/recordings/1/labels", content=huge, headers={"Content-Type": "application/json"})
    assert answer.status_code == 413 and "over the limit" in answer.json()["detail"]

    def chunks():  # no Content-Length: the limit counts what arrives
        for _ in range(40):
            yield b" " * (1024 * 1024)

    streamed = client.put("/recordings/1/labels", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413


def test_token_required_beyond_loopback(launch, ethome5_project, tmp_path, testkit):
    import asyncio

    import websockets

    project_dir = testkit.copy_project(ethome5_project, tmp_path / "project")
    server = launch(project_dir, "--require-token")
    token_file = project_dir / "server_token"
    assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
    assert server.token and len(server.token) >= 32
    assert httpx.get(f"{server.api}/recordings").status_code == 401
    wrong = httpx.get(f"{server.api}/recordings", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json()["detail"] == "wrong access token"
    assert httpx.get(f"{server.api}/recordings", headers={"Authorization": f"Bearer {server.token}"}).status_code == 200
    assert httpx.get(f"{server.api}/openapi.json").status_code == 200
    with server.client() as http:
        job = http.post("/training/jobs", json={"dataset": "mice", "params": {"epochs": 1}}).json()

    async def connect(token: str | None):
        headers = {"Authorization": f"Bearer {token}"} if token else None
        async with websockets.connect(f"{server.ws}/jobs/{job['id']}/ws", additional_headers=headers) as socket:
            import json

            return json.loads(await asyncio.wait_for(socket.recv(), 10))

    assert asyncio.run(connect(server.token))["type"] == "state"
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        asyncio.run(connect("nope"))
    assert refused.value.response.status_code == 401
    with pytest.raises(websockets.exceptions.InvalidStatus) as missing:  # no token at all
        asyncio.run(connect(None))
    assert missing.value.response.status_code == 401
    assert b"missing access token" in missing.value.response.body
    # the token survives a restart: same file, same token
    server.stop()
    again = launch(project_dir, "--require-token")
    assert again.token == server.token


def test_dataset_from_a_folder_takes_the_recordings_imported_from_it(client, ethome5_dir, tmp_path_factory):
    poses = ethome5_dir / "poses"
    from_folder = sorted(r["name"] for r in client.get("/recordings").json()["recordings"]
                         if (ethome5_dir / r["source_path"]).resolve().is_relative_to(poses.resolve()))
    created = client.post("/datasets", json={"name": "byfolder", "behaviors": ["interact"], "folders": [str(poses)]})
    assert created.status_code == 201, created.text
    assert sorted(created.json()["recordings"]) == from_folder and len(from_folder) >= 2
    outside = tmp_path_factory.mktemp("outside-folder")
    refused = client.post("/datasets", json={"name": "outside", "behaviors": ["interact"], "folders": [str(outside)]})
    assert refused.status_code == 403 and refused.json()["detail"]
    assert client.delete(f"/datasets/{created.json()['id']}").status_code == 204


def test_binding_beyond_loopback_turns_the_token_on(launch, ethome5_project, tmp_path, testkit):
    project_dir = testkit.copy_project(ethome5_project, tmp_path / "project")
    server = launch(project_dir, "--host", "0.0.0.0")  # no --require-token: the address alone asks for it
    assert server.token and (project_dir / "server_token").is_file()
    assert httpx.get(f"{server.api}/recordings").status_code == 401
    assert httpx.get(f"{server.api}/recordings", headers={"Authorization": f"Bearer {server.token}"}).status_code == 200


def test_drafts_are_kept_per_slot_and_listed(client):
    """Drafts of one recording in different slots (page kind + dataset) never replace each other."""
    rec = client.get("/recordings").json()["recordings"][0]["id"]
    label = {"dataset": 1, "review": False, "saved_at": 2, "bouts": [{"behavior": "interact", "start": 3, "stop": 9}]}
    review = {"dataset": 1, "review": True, "saved_at": 1, "bouts": []}
    assert client.put(f"/recordings/{rec}/draft", params={"slot": "label-d1"}, json=label).status_code == 200
    assert client.put(f"/recordings/{rec}/draft", params={"slot": "review-d1"}, json=review).status_code == 200
    assert client.get(f"/recordings/{rec}/draft", params={"slot": "label-d1"}).json()["draft"] == label
    assert client.get(f"/recordings/{rec}/draft", params={"slot": "review-d1"}).json()["draft"] == review
    assert client.get(f"/recordings/{rec}/draft").json()["draft"] is None  # the default slot is another one
    listed = client.get(f"/recordings/{rec}/drafts").json()["drafts"]
    assert [(d["slot"], d["review"], d["bouts"]) for d in listed] == [("label-d1", False, 1), ("review-d1", True, 0)]
    bad = client.put(f"/recordings/{rec}/draft", params={"slot": "../1"}, json=label)
    assert bad.status_code == 422 and "slot" in bad.text
    assert client.delete(f"/recordings/{rec}/draft", params={"slot": "label-d1"}).json() == {"deleted": True}
    assert [d["slot"] for d in client.get(f"/recordings/{rec}/drafts").json()["drafts"]] == ["review-d1"]
    client.delete(f"/recordings/{rec}/draft", params={"slot": "review-d1"})


def test_models_list_filters_by_kind(client, live_server, tmp_path):
    from ethoforge.store import Project, registry

    folder = tmp_path / "embedder"
    folder.mkdir()
    (folder / "bundle.json").write_text('{"kind": "embedder"}')
    with Project.open(live_server.project_dir) as project:
        info = registry.register_model(project, None, folder, "transformer", kind="embedder")
    embedders = client.get("/models", params={"kind": "embedder"}).json()["models"]
    assert [m["id"] for m in embedders] == [info.id] and embedders[0]["kind"] == "embedder"
    classifiers = client.get("/models", params={"kind": "classifier"}).json()["models"]
    assert info.id not in [m["id"] for m in classifiers]
    assert all(m["kind"] == "classifier" for m in classifiers)
    assert client.get("/models", params={"kind": "ranker"}).status_code == 422


def test_errors_name_json_fields_not_python_arguments(client, live_server):
    (live_server.project_dir / "odd.csv").write_text("a,b\n1,2\n")
    answer = client.post("/recordings", json={"path": "odd.csv"})
    assert answer.status_code == 422 and answer.json()["error"] == "InputError"
    assert '(or pass "format")' in answer.json()["detail"] and "format=" not in answer.json()["detail"]


def test_bad_values_are_refused_at_the_door_and_nothing_is_stored(client, live_server):
    """Issue 12 item 4: each of these was stored (2xx) or answered 500 before."""
    rec = client.get("/recordings").json()["recordings"][1]["id"]
    version = client.get(f"/recordings/{rec}/labels").headers["ETag"]
    datasets = client.get("/datasets").json()
    (live_server.project_dir / "junk.npy").write_bytes(b"not numpy, not a pickle")
    bout = {"behavior": "interact", "start": 10, "stop": 20}
    refused = [
        (client.post("/datasets", json={"name": "bg", "behaviors": ["walk", "None"]}), 422, "reserved"),
        (client.post("/datasets", json={"name": "bg", "behaviors": ["x" * 65]}), 422, "at most 64"),
        (client.post("/datasets", json={"name": "bg", "behaviors": [""]}), 422, "at least 1"),
        (client.put(f"/recordings/{rec}/labels", json={"version": "*", "bouts": [{**bout, "agent": "mallory"}]}),
         422, "agent 'mallory' is not an individual"),
        (client.put(f"/recordings/{rec}/labels", json={"version": "*", "bouts": [{**bout, "target": "x"}]}),
         422, "target 'x' is not an individual"),
        (client.put(f"/recordings/{rec}/labels", json={"version": "*", "bouts": [bout, {**bout, "start": 15}]}),
         422, "refused, not merged"),
        (client.put(f"/recordings/{rec}/labels", json={"version": "*", "bouts": [{**bout, "start": True}]}),
         422, "start"),
        (client.put(f"/recordings/{rec}/labels", json={"version": "*", "bouts": [{**bout, "behavior": "NONE"}]}),
         422, "reserved"),
        (client.patch("/datasets/1", json={"behaviors": ["chase"]}), 409, "cannot drop behavior(s) ['interact']"),
        (client.post("/training/jobs", json={"dataset": "mice", "params": {"epochs": 10**9}}), 422, "epochs"),
        (client.post("/training/jobs", json={"dataset": "mice", "params": {"features": {"../x": 1}}}), 422,
         "unknown feature option"),
        (client.post("/recordings", json={"path": "~nosuchuser/poses.csv"}), 422, "does not expand home folders"),
        (client.post("/recordings", json={"path": "~root/poses.csv"}), 422, "does not expand home folders"),
        (client.post("/recordings", json={"path": "junk.npy", "name": "junk"}), 422, "not a readable npy file"),
    ]
    for answer, status, words in refused:
        assert answer.status_code == status, (answer.request.method, answer.request.url, answer.request.content,
                                              answer.text)
        assert words in answer.text, answer.text
    assert client.get(f"/recordings/{rec}/labels").headers["ETag"] == version
    assert client.get("/datasets").json() == datasets
    assert client.get("/jobs").json()["jobs"] == []
    assert "junk" not in [r["name"] for r in client.get("/recordings").json()["recordings"]]


def test_unsupported_methods_get_405_with_every_allowed_method(client, live_server):
    """Issue 12 item 6: the Allow header lists every method of the path (it said "GET, HEAD" of the
    web front end), an unknown API path is a JSON 404, and both use the one error body."""
    for method, path, allowed in (("PUT", "/recordings", "GET, POST"), ("DELETE", "/datasets", "GET, POST"),
                                  ("PATCH", "/recordings/1/labels", "GET, POST, PUT"),
                                  ("GET", "/jobs/1/cancel", "POST"), ("POST", "/jobs/1", "DELETE, GET")):
        answer = client.request(method, path)
        assert answer.status_code == 405 and answer.headers["allow"] == allowed, (method, path, answer.headers)
        assert answer.json()["error"] == "MethodNotAllowed"
    missing = client.put("/no/such/route")
    assert missing.status_code == 404 and missing.json()["error"] == "NotFound"


def test_openapi_documents_every_4xx_with_the_one_error_schema(client):
    """Issue 12 item 6: domain 422s and validation 422s share `ErrorBody`, and the spec says so."""
    spec = client.get("/openapi.json").json()
    error_ref = "#/components/schemas/ErrorBody"
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            codes = {int(code) for code in operation["responses"] if code.isdigit() and code.startswith("4")}
            assert {400, 401, 403} <= codes, (method, path, codes)
            if operation.get("parameters") or operation.get("requestBody"):
                assert {404, 422} <= codes, (method, path, codes)
            for code in codes:
                schema = operation["responses"][str(code)]["content"]["application/json"]["schema"]
                assert schema == {"$ref": error_ref}, (method, path, code)
    for method in ("put", "post"):  # POST is PUT for clients that cannot PUT: the same answers
        labels = spec["paths"]["/api/v1/recordings/{recording_id}/labels"][method]["responses"]
        assert {"409", "413", "428"} <= set(labels), method
        assert labels["409"]["description"] == "the labels changed since the version given", method
        assert labels["428"]["description"].startswith("no version given (If-Match header"), method
    domain = client.post("/training/jobs", json={"dataset": "mice", "params": {"epochs": 0}}).json()
    validation = client.put("/recordings/1/labels", json={"version": "*", "bouts": [{"behavior": "a", "start": "x"}]})
    assert set(domain) <= {"detail", "error", "problems"} and isinstance(domain["detail"], str)
    body = validation.json()
    assert validation.status_code == 422 and set(body) == {"detail", "error", "problems"}
    assert body["detail"].startswith("bouts[0].start: ") and body["problems"][0]["loc"] == ["body", "bouts", 0, "start"]
