"""Jobs through the API with a real worker: train over HTTP, follow it over the WebSocket,
find the model, run inference, and find everything again after the server restarts."""

from __future__ import annotations

import io
import zipfile

import pytest


@pytest.fixture(scope="module")
def trained(ethome5_project, tmp_path_factory, ethome5_dir, testkit):
    """A server with a worker, and the WebSocket messages of a 2-epoch training job it ran
    (shared by this module's tests, which run in order; the last one restarts the server)."""
    project_dir = testkit.copy_project(ethome5_project, tmp_path_factory.mktemp("trained") / "project")
    server = testkit.start_server(project_dir, "--allow", str(ethome5_dir), worker=True)
    try:
        with server.client() as http:
            names = [r["name"] for r in http.get("/recordings").json()["recordings"]]
            params = testkit.tiny_train_params(names, epochs=2, model_name="tiny", activate=True)
            created = http.post("/training/jobs", json={"dataset": "mice", "params": params})
            assert created.status_code == 201, created.text
            job = created.json()
            assert job["status"] == "pending" and job["kind"] == "train"
        messages = testkit.follow_job(f"{server.ws}/jobs/{job['id']}/ws")
        yield server, job, messages
    finally:
        server.stop()
        testkit.kill_job_processes(project_dir)


def test_training_job_end_to_end(trained, testkit):
    server, job, messages = trained
    types = [m["type"] for m in messages]
    assert types[0] == "state" and types[-1] == "job_complete", types
    statuses = [m["status"] for m in messages if m["type"] == "status_change"]
    assert statuses[-1] == "completed" and "training" in statuses, statuses
    epochs = [m for m in messages if m["type"] == "epoch_complete"]
    assert [m["epoch"] for m in epochs] == [1, 2]
    assert all("train_loss" in m["metrics"] for m in epochs)
    assert any(m["type"] == "progress" for m in messages)
    done = messages[-1]
    assert done["status"] == "completed" and isinstance(done["model_id"], int)

    with server.client() as http:
        assert http.get(f"/jobs/{job['id']}").json()["status"] == "completed"
        assert [j["id"] for j in http.get("/training/jobs", params={"status": "completed", "dataset": "mice"})
                .json()["jobs"]] == [job["id"]]
        assert http.get("/training/jobs", params={"status": "failed"}).json()["jobs"] == []
        models = http.get("/models", params={"dataset": "mice", "active": True}).json()["models"]
        assert [m["id"] for m in models] == [done["model_id"]] and models[0]["name"] == "tiny"
        details = http.get(f"/models/{done['model_id']}").json()
        assert {"performance_report", "history", "confusion_matrix"} <= set(details["files"])
        report = http.get(details["files"]["performance_report"].removeprefix("/api/v1"))
        assert report.status_code == 200 and report.headers["content-type"].startswith("application/yaml")
        png = http.get(f"/models/{done['model_id']}/files/confusion_matrix")
        assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
        for bad in ("..%2Fbundle.json", "weights.pt", "bundle.json"):
            assert http.get(f"/models/{done['model_id']}/files/{bad}").status_code == 404
        archive = zipfile.ZipFile(io.BytesIO(http.get(f"/models/{done['model_id']}/bundle.zip").content))
        assert "tiny/bundle.json" in archive.namelist()
        assert not any("checkpoints" in name for name in archive.namelist())
        datasets = http.get("/datasets").json()["datasets"]
        assert datasets[0]["active_model"]["id"] == done["model_id"] and datasets[0]["metrics"]

    # a client connecting late first gets the current state, then the completion
    late = testkit.follow_job(f"{server.ws}/jobs/{job['id']}/ws", timeout=10)
    assert [m["type"] for m in late] == ["state", "job_complete"]
    assert late[0]["job"]["status"] == "completed" and late[1]["model_id"] == done["model_id"]


def test_inference_over_a_folder(trained, ethome5_dir, tmp_path, testkit):
    """A folder inside the allowed roots: its new pose files are imported, one already imported
    (a copy of the same file) is found by its content, and the job runs over exactly those;
    a folder outside the roots is refused with 403, one with no pose files with 422."""
    import shutil

    server, _job, messages = trained
    model_id = messages[-1]["model_id"]
    cohort = server.project_dir / "cohort"
    cohort.mkdir()
    [known] = (ethome5_dir / "poses").glob("*122332-122642*")  # in the project already (5,700 frames)
    [new] = (ethome5_dir / "poses").glob("*121558-122141*")  # not yet
    for pose in (known, new):
        shutil.copy(pose, cohort / pose.name)
    with server.client() as http:
        before = http.get("/recordings").json()["recordings"]
        known_name = next(r["name"] for r in before if "122332-122642" in r["name"])
        created = http.post("/inference/jobs", json={"model_id": model_id, "folder": str(cohort), "device": "cpu",
                                                     "formats": ["bouts"]})
        assert created.status_code == 201, created.text
        after = http.get("/recordings").json()["recordings"]
        [added] = [r for r in after if r["id"] not in {b["id"] for b in before}]
        assert "121558-122141" in added["name"]
    done = testkit.follow_job(f"{server.ws}/jobs/{created.json()['id']}/ws")[-1]
    assert done["type"] == "job_complete" and done["status"] == "completed", done
    with server.client() as http:
        results = http.get(f"/inference/jobs/{created.json()['id']}/results").json()["recordings"]
        assert sorted(r["recording"] for r in results) == sorted([known_name, added["name"]])
        assert all(http.get(f"/inference/jobs/{created.json()['id']}/results/{i}/bouts").status_code == 200
                   for i in range(len(results)))

        outside = tmp_path / "outside"
        outside.mkdir()
        shutil.copy(new, outside / new.name)
        for folder in (str(outside), "cohort/../../outside", str(cohort / ".." / ".." / "x")):
            refused = http.post("/inference/jobs", json={"model_id": model_id, "folder": folder})
            assert refused.status_code in (403, 422) and refused.json()["detail"], (folder, refused.text)
        assert http.post("/inference/jobs", json={"model_id": model_id, "folder": str(outside)}).status_code == 403
        empty = server.project_dir / "empty"
        empty.mkdir()
        refused = http.post("/inference/jobs", json={"model_id": model_id, "folder": str(empty)})
        assert refused.status_code == 422 and "no pose file" in refused.json()["detail"], refused.text
        assert len(http.get("/recordings").json()["recordings"]) == len(after)  # nothing imported from those


def test_inference_job_results_and_restart_keeps_everything(trained, launch, testkit):
    server, job, messages = trained
    model_id = messages[-1]["model_id"]
    with server.client() as http:
        names = [r["name"] for r in http.get("/recordings").json()["recordings"]]
        created = http.post("/inference/jobs", json={"model_id": model_id, "recordings": names[:1], "device": "cpu",
                                                     "formats": ["parquet", "bouts", "ethogram"]})
        assert created.status_code == 201, created.text
        infer = created.json()
    done = testkit.follow_job(f"{server.ws}/jobs/{infer['id']}/ws")[-1]
    assert done["type"] == "job_complete" and done["status"] == "completed", done
    with server.client() as http:
        results = http.get(f"/inference/jobs/{infer['id']}/results").json()["recordings"]
        assert [r["recording"] for r in results] == names[:1]
        assert sorted(results[0]["files"]) == ["bouts", "ethogram", "probabilities"]
        probabilities = http.get(f"/inference/jobs/{infer['id']}/results/0/probabilities",
                                 params={"start": 0, "stop": 100}).json()
        assert probabilities["classes"] == ["none", "interact"] and len(probabilities["probabilities"]) == 100
        assert all(abs(sum(row) - 1) < 1e-3 for row in probabilities["probabilities"])
        assert probabilities["n_frames"] == 5700
        assert isinstance(http.get(f"/inference/jobs/{infer['id']}/results/0/bouts").json()["bouts"], list)
        png = http.get(f"/inference/jobs/{infer['id']}/results/0/ethogram.png")
        assert png.content[:4] == b"\x89PNG"
        assert http.get(f"/inference/jobs/{infer['id']}/results/1/bouts").status_code == 404
        assert http.get(f"/inference/jobs/{job['id']}/results").status_code == 404  # a training job
        labels = http.get("/recordings/2/labels")
        committed = http.put("/recordings/2/labels", headers={"If-Match": labels.headers["ETag"]},
                             json={"bouts": [*labels.json()["bouts"], {"behavior": "interact", "start": 1, "stop": 3}]})
        assert committed.status_code == 200
        before = {path: http.get(path).json() for path in ("/jobs", "/models", "/datasets", "/recordings")}
        before_labels = {rec: http.get(f"/recordings/{rec}/labels") for rec in (1, 2)}

    server.stop()
    again = launch(server.project_dir, worker=True)
    with again.client() as http:
        for path, expected in before.items():
            assert http.get(path).json() == expected, path
        for rec, answer in before_labels.items():
            now = http.get(f"/recordings/{rec}/labels")
            assert now.json() == answer.json() and now.headers["ETag"] == answer.headers["ETag"]
        assert http.get(f"/models/{model_id}/files/history").status_code == 200
        # and the old version still conflicts after the restart
        stale = http.put("/recordings/2/labels", headers={"If-Match": labels.headers["ETag"]}, json={"bouts": []})
        assert stale.status_code == 409
        # cancel and delete: a finished job cannot be cancelled, but can be deleted (its model stays)
        assert http.post(f"/jobs/{infer['id']}/cancel").status_code == 409
        assert http.delete(f"/jobs/{infer['id']}").status_code == 204
        assert http.get(f"/jobs/{infer['id']}").status_code == 404
        assert http.post(f"/models/{model_id}/activate").json()["active"] is True
        assert http.delete(f"/models/{model_id}").status_code == 204
        assert http.get("/models").json()["models"] == []


def test_cancel_a_pending_job(launch, ethome5_project, tmp_path, testkit):
    project_dir = testkit.copy_project(ethome5_project, tmp_path / "project")
    server = launch(project_dir)  # no worker: the job stays pending
    with server.client() as http:
        names = [r["name"] for r in http.get("/recordings").json()["recordings"]]
        job = http.post("/training/jobs", json={"dataset": 1, "params": testkit.tiny_train_params(names)}).json()
        cancelled = http.post(f"/jobs/{job['id']}/cancel")
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        assert http.get("/jobs", params={"status": "cancelled"}).json()["jobs"][0]["id"] == job["id"]
    messages = testkit.follow_job(f"{server.ws}/jobs/{job['id']}/ws", timeout=10)
    assert [m["type"] for m in messages] == ["state", "job_complete"] and messages[1]["status"] == "cancelled"


def test_a_dead_workers_job_is_shown_failed_and_resumes_over_rest(launch, ethome5_project, tmp_path, testkit,
                                                                   monkeypatch):
    """Issue 12 item 5: no worker is alive, yet the server shows the job failed (not training), and
    POST /jobs/{id}/resume continues it from its checkpoint once a worker is back."""
    import os
    import signal

    from ethoforge.jobs.worker import start_worker_process, stop_worker_process

    monkeypatch.setenv("ETHOFORGE_JOB_STALE_S", "2")
    project_dir = testkit.copy_project(ethome5_project, tmp_path / "project")
    server = launch(project_dir)  # no worker of its own
    env = {**testkit.FAST_ENV, "ETHOFORGE_JOB_STALE_S": "600"}  # only the server may notice
    worker = start_worker_process(project_dir, log_path=tmp_path / "worker1.log", env=env)
    try:
        with server.client() as http:
            names = [r["name"] for r in http.get("/recordings").json()["recordings"]]
            params = testkit.tiny_train_params(names, epochs=3, samples_per_epoch=2048)
            job_id = http.post("/training/jobs", json={"dataset": "mice", "params": params}).json()["id"]
            testkit.wait_for(lambda: http.get(f"/jobs/{job_id}").json()["progress"].get("checkpoint"), 120,
                             "no checkpoint written")
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()
            testkit.wait_for(lambda: not testkit.job_processes(project_dir, job_id), 10, "job outlived its worker")
            failed = testkit.wait_for(lambda: (j := http.get(f"/jobs/{job_id}").json())["status"] == "failed" and j,
                                      20, "the server did not mark the dead worker's job failed")
            assert "no heartbeat" in failed["error"] and "resume the job" in failed["error"]
            resumed = http.post(f"/jobs/{job_id}/resume")
            assert resumed.status_code == 200, resumed.text
            assert resumed.json()["status"] == "pending" and resumed.json()["params"]["resume"].endswith("latest.pt")
            again = http.post(f"/jobs/{job_id}/resume")
            assert again.status_code == 409 and "only failed jobs can be resumed" in again.json()["detail"]
            assert http.post("/jobs/999/resume").status_code == 404
            worker = start_worker_process(project_dir, log_path=tmp_path / "worker2.log", env=env)
            done = testkit.wait_for(lambda: (j := http.get(f"/jobs/{job_id}").json())["status"] in
                                    ("completed", "failed", "cancelled") and j, 180, "resumed job did not finish")
            assert done["status"] == "completed", done["error"]
            assert "resumed from checkpoint" in done["log"]
    finally:
        stop_worker_process(worker, timeout=5)


def test_a_folder_job_takes_every_sequence_of_a_calms21_file(tmp_path, testkit):
    """The recordings of a folder given to a job include each sequence of a multi-sequence CalMS21 file,
    whether this call imports it or it was in the project already."""
    from types import SimpleNamespace

    from ethoforge.server.routers.jobs import _folder_recordings
    from ethoforge.store import Project

    folder = tmp_path / "cohort"
    folder.mkdir()
    path = testkit.write_calms21_file(folder / "calms21.json", {"s/a": 60, "s/b": 40, "s/c": 50})
    with Project.create(tmp_path / "project") as project:
        project.import_recording(path, name="s__b")
        settings = SimpleNamespace(project=project, root=project.root, roots=[tmp_path])
        assert sorted(_folder_recordings(settings, str(folder))) == ["s__a", "s__b", "s__c"]
        assert sorted(_folder_recordings(settings, str(folder))) == ["s__a", "s__b", "s__c"]  # all known now
