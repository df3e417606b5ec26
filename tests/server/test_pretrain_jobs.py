"""``pretrain`` jobs over the real server, worker, SQLite and PyTorch: start over REST, follow
the WebSocket to an embedder in the registry, cancel, resume from the checkpoint after the
worker stopped, and bad configs refused (422, clear message) before anything is stored."""

from __future__ import annotations

import json
import time

import pytest

SHORT = "e3v813a-20210610T122332-122642"  # 5,700 frames
TINY = {"window": 24, "emb_dim": 16, "heads": 2, "hidden": 16, "batch_size": 16, "eval_samples": 16,
        "train_sample": 0.002, "device": "cpu", "num_threads": 1, "recordings": [SHORT]}
TASKS = ["cons", "order", "shift", "warp", "mask"]


@pytest.fixture()
def project_dir(ethome5_project, tmp_path, testkit):
    return testkit.copy_project(ethome5_project, tmp_path / "project")


def test_pretrain_job_over_rest_and_websocket_registers_an_embedder(launch, project_dir, testkit):
    server = launch(project_dir, worker=True)
    with server.client() as http:
        created = http.post("/pretraining/jobs", json={"dataset": "mice",
                                                        "params": {**TINY, "epochs": 2, "model_name": "emb"}})
        assert created.status_code == 201, created.text
        job = created.json()
        assert job["kind"] == "pretrain" and job["status"] == "pending" and job["dataset_id"] == 1
    messages = testkit.follow_job(f"{server.ws}/jobs/{job['id']}/ws")
    types = [m["type"] for m in messages]
    assert types[0] == "state" and types[-1] == "job_complete", types
    done = messages[-1]
    assert done["status"] == "completed", done["error"]
    assert [m["status"] for m in messages if m["type"] == "status_change"][-1] == "completed"
    epochs = [m for m in messages if m["type"] == "epoch_complete"]
    assert [m["epoch"] for m in epochs] == [1, 2]
    for message in epochs:  # per-task train and held-out loss and accuracy, every epoch
        assert all(f"{prefix}{task}_{what}" in message["metrics"]
                   for task in TASKS for prefix in ("", "val_") for what in ("loss", "accuracy"))
    progress = [m["progress"] for m in messages if m["type"] == "progress" and m["progress"].get("step")]
    assert [p["step"] for p in progress][-1] == 2 and all(p["total"] == 2 and p["epochs"] == 2 for p in progress)
    # progress is the job row's snapshot: on a loaded machine epoch 1's can be overwritten before the next poll
    first = progress[0]
    assert first["eta_s"] is not None and first["eta_s"] >= 0 and first["epoch"] == first["step"]
    assert 0 <= first["metrics"]["val_warp_accuracy"] <= 1
    running = [p for p in progress if "checkpoint" in p]  # the finished job's has none: its folder became the bundle
    assert all(p["checkpoint"].endswith("latest.pt") for p in running)

    with server.client() as http:
        final = http.get(f"/jobs/{job['id']}").json()
        assert final["result"]["model_id"] == done["model_id"] and final["result"]["kind"] == "embedder"
        assert final["result"]["tasks"] == TASKS and len(final["progress"]["history"]) == 2
        assert "checkpoint" not in final["progress"] and "epoch 2/2: held-out loss" in final["log"]
        [embedder] = http.get("/models", params={"kind": "embedder"}).json()["models"]
        assert (embedder["id"], embedder["name"], embedder["kind"], embedder["dataset"]) == \
            (done["model_id"], "emb", "embedder", "mice")
        assert http.get("/models", params={"kind": "classifier"}).json()["models"] == []
        assert [j["id"] for j in http.get("/pretraining/jobs", params={"status": "completed"}).json()["jobs"]] == \
            [job["id"]]
    bundle = project_dir / embedder["path"]
    assert json.loads((bundle / "bundle.json").read_text())["recordings"] == [SHORT]
    assert not list((project_dir / "jobs").rglob(".bundle.partial")) and not (project_dir / "training").exists()


def test_cancel_stops_a_running_pretrain_job_within_the_grace_period_and_registers_nothing(launch, project_dir,
                                                                                          testkit):
    server = launch(project_dir, worker=True)
    with server.client() as http:
        job = http.post("/pretraining/jobs", json={"params": {**TINY, "epochs": 500, "tasks": "warp,mask"}}).json()
        assert job["dataset_id"] is None  # no dataset: the recordings named
        testkit.wait_for(lambda: (http.get(f"/jobs/{job['id']}").json()["progress"].get("step") or 0) >= 1, 120,
                         "no pretraining epoch finished")
        assert (project_dir / "jobs" / str(job["id"]) / ".bundle.partial" / "checkpoints" / "latest.pt").is_file()
        asked = time.monotonic()
        assert http.post(f"/jobs/{job['id']}/cancel").status_code == 200
        stopped = testkit.wait_for(
            lambda: (j := http.get(f"/jobs/{job['id']}").json())["status"] in ("cancelled", "failed", "completed")
            and j, 30, "the pretrain job did not stop")
        seconds = time.monotonic() - asked
        print(f"\npretrain job cancelled {seconds:.1f} s after the request")
        assert stopped["status"] == "cancelled", stopped["error"]
        # the job stopped by itself (the runner's message), not killed by the worker after the grace period
        assert stopped["log"].splitlines()[-1].endswith("cancelled; no model was kept"), stopped["log"]
        assert seconds < float(testkit.FAST_ENV["ETHOFORGE_JOB_CANCEL_GRACE_S"]) + 2, seconds
        assert http.get("/models").json()["models"] == []
        assert http.post(f"/jobs/{job['id']}/resume").status_code == 409  # cancelled: its checkpoints are gone
    assert not (project_dir / "jobs" / str(job["id"])).exists()
    assert not testkit.job_processes(project_dir, job["id"])


def test_a_pretrain_job_whose_worker_stopped_resumes_from_its_latest_checkpoint(launch, project_dir, testkit,
                                                                                tmp_path):
    from ethoforge.jobs.worker import start_worker_process, stop_worker_process

    server = launch(project_dir)  # no worker of its own
    worker = start_worker_process(project_dir, log_path=tmp_path / "worker1.log", env=testkit.FAST_ENV)
    try:
        with server.client() as http:
            params = {**TINY, "epochs": 6, "train_sample": 0.006, "tasks": "shift,warp,mask"}
            job_id = http.post("/pretraining/jobs", json={"dataset": "mice", "params": params}).json()["id"]
            testkit.wait_for(lambda: http.get(f"/jobs/{job_id}").json()["progress"].get("checkpoint"), 120,
                             "no checkpoint written")
            stop_worker_process(worker, timeout=10)  # the worker stops: its job is marked failed, resumable
            failed = http.get(f"/jobs/{job_id}").json()
            assert failed["status"] == "failed", failed
            at_failure = failed["progress"]["step"]
            assert 1 <= at_failure < 6
            resumed = http.post(f"/jobs/{job_id}/resume")
            assert resumed.status_code == 200, resumed.text
            assert resumed.json()["params"]["resume"] == f"jobs/{job_id}/.bundle.partial/checkpoints/latest.pt"

        def start_worker() -> None:
            nonlocal worker
            worker = start_worker_process(project_dir, log_path=tmp_path / "worker2.log", env=testkit.FAST_ENV)

        messages = testkit.follow_job(f"{server.ws}/jobs/{job_id}/ws", on_first=start_worker)
        assert messages[-1]["type"] == "job_complete" and messages[-1]["status"] == "completed", messages[-1]
        steps = [m["progress"]["step"] for m in messages[1:]  # epochs this run finished (a stage keeps the old step)
                 if m["type"] == "progress" and m["progress"].get("step") and "stage" not in m["progress"]]
        assert steps and steps[-1] == 6 and min(steps) >= at_failure + 1, (at_failure, steps)  # no epoch redone
        with server.client() as http:
            done = http.get(f"/jobs/{job_id}").json()
            assert "resumed from checkpoint" in done["log"] and "resuming from checkpoint" in done["log"]
            assert [row["epoch"] for row in done["progress"]["history"]] == list(range(6))
            [embedder] = http.get("/models", params={"kind": "embedder"}).json()["models"]
        history = json.loads((project_dir / embedder["path"] / "history.json").read_text())
        assert [row["epoch"] for row in history] == list(range(6))
    finally:
        stop_worker_process(worker, timeout=5)


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"params": {"emb_dim": 30, "heads": 4}}, 422, "emb_dim (30) must be divisible by heads (4)"),
        ({"params": {"tasks": "cons,jump"}}, 422, "tasks: unknown task(s) ['jump']; known: cons,order,shift,warp,mask"),
        ({"params": {"window": 20000}}, 422, '"window": 20000 is longer than every recording'),
        ({"params": {"preset": "huge"}}, 422, "preset: Input should be 'small' or 'lisbet'"),
        ({"params": {"epoch": 3}}, 422, "epoch: Extra inputs are not permitted"),
        ({"params": {"recordings": ["ghost"]}}, 422, "recordings: 'ghost' is not a recording of the project"),
        ({"params": {"recordings": [2**40]}}, 422, "'recordings' must be a non-empty list of recording names or ids"),
        ({"params": {"resume": "jobs/1/x.pt"}}, 422, "'resume' is set by resuming the job"),
        ({"dataset": "nope"}, 404, "nope"),
    ],
)
def test_bad_pretrain_configs_are_refused_before_a_job_is_stored(live_server, body, status, message):
    with live_server.client() as http:
        answer = http.post("/pretraining/jobs", json=body)
        assert answer.status_code == status and message in answer.json()["detail"], answer.text
        assert http.get("/jobs").json()["jobs"] == []
