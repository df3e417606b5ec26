"""Jobs run by real worker processes on a real project: train, cancel, kill -9 and resume, scale-out.

Nothing is mocked: workers are ``python -m ethoforge.jobs.worker`` processes taking job ids
from huey (SQLite file or a real ``redis-server``), each job runs in its own process and
trains a tiny model on two ethome5 recordings.
"""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pandas as pd

from ethoforge.jobs import api
from ethoforge.jobs.events import JobWatcher
from ethoforge.store import registry


def _finished(project, job_id: int):
    job = api.get_job(project, job_id)
    return job if job.is_final else None


def _pid_of(worker: str) -> int:
    return int(worker.split(":")[1])


def test_train_then_infer_and_prelabel(project, start_worker, jobs_helpers):
    worker = start_worker()
    tic = time.monotonic()
    job_id = api.submit_job(project, "train", jobs_helpers.train_params(epochs=2, activate=True), "mice")
    watcher = JobWatcher(project, job_id)
    messages = []

    def done():
        messages.extend(watcher.poll())
        return watcher.done

    jobs_helpers.wait_for(done, 120, "training job did not finish", interval=0.2)
    seconds = time.monotonic() - tic
    job = api.get_job(project, job_id)
    assert job.status == "completed", job.error or job.log
    assert _pid_of(job.worker) == worker.pid

    model = registry.get_model(project, job.result["model_id"])
    assert model.active and model.dataset == "mice" and model.family == "conv_bilstm"
    assert (project.root / model.path / "bundle.json").is_file()
    assert model.config["epochs"] == 2 and "val" in model.metrics
    assert not (project.root / "jobs" / str(job_id) / "bundle").exists()  # moved into the registry

    assert job.progress["step"] == job.progress["total"] == 2 and job.progress["fraction"] == 1.0
    assert job.progress["eta_s"] == 0.0 and "checkpoint" not in job.progress
    assert f"completed: model_id {model.id}" in job.log
    assert [row["epoch"] for row in job.progress["history"]] == [0, 1]
    kinds = [m["type"] for m in messages]
    assert kinds[0] == "state" and kinds[-1] == "job_complete" and kinds.count("epoch_complete") == 2
    statuses = [m["status"] for m in messages if m["type"] == "status_change"]
    assert statuses[-1] == "completed" and "training" in statuses
    assert messages[-1]["model_id"] == model.id
    print(f"\ntiny training job: {seconds:.1f} s from submit to completed")

    names = [r.name for r in project.recordings()]
    infer_id = api.submit_job(project, "infer", {"model_id": model.id, "recordings": names[:1], "device": "cpu"})
    prelabel_id = api.submit_job(project, "prelabel", {"model_id": model.id, "recordings": names[1:], "device": "cpu"},
                                 "mice")
    for other in (infer_id, prelabel_id):
        finished = jobs_helpers.wait_for(lambda other=other: _finished(project, other), 60, f"job {other} did not finish")
        assert finished.status == "completed", finished.error or finished.log
    infer = api.get_job(project, infer_id)
    outputs = project.root / infer.result["outputs"]
    assert (outputs / f"{names[0]}_ethogram.png").stat().st_size > 1000
    frames = pd.read_parquet(outputs / f"{names[0]}_frames.parquet")
    assert len(frames) == project.get_recording(names[0]).n_frames
    assert np.allclose(frames["none"] + frames["interact"], 1.0, atol=1e-4)
    assert infer.result["recordings"] == names[:1]
    prelabel = api.get_job(project, prelabel_id)
    predicted = project.get_bouts(names[1], sources=["predicted"])
    assert prelabel.result["stored_bouts"] == len(predicted)
    human = project.get_bouts(names[1], sources=["manual"])
    assert human and all(not (h.start < p.stop and p.start < h.stop) for h in human for p in predicted)


def test_cancel_stops_a_running_job_and_keeps_no_model(project, start_worker, jobs_helpers):
    start_worker()
    params = jobs_helpers.train_params(epochs=200, samples_per_epoch=2048)
    job_id = api.submit_job(project, "train", params, "mice")
    jobs_helpers.wait_for(lambda: api.get_job(project, job_id).progress.get("step"), 90, "no epoch finished")
    tic = time.monotonic()
    api.cancel_job(project, job_id)
    job = jobs_helpers.wait_for(lambda: _finished(project, job_id), 15, "cancel did not stop the job")
    seconds = time.monotonic() - tic
    assert job.status == "cancelled", job.log
    assert seconds < 10
    assert registry.list_models(project) == []
    assert not (project.root / "jobs" / str(job_id)).exists()
    assert not (project.root / "models").exists() or not any((project.root / "models").iterdir())
    jobs_helpers.wait_for(lambda: not jobs_helpers.job_processes(job_id), 5, "job process still alive")
    print(f"\ncancel took {seconds:.1f} s")


def test_kill_9_of_the_worker_then_reaper_then_resume_from_checkpoint(project, start_worker, jobs_helpers):
    worker = start_worker()
    params = jobs_helpers.train_params(epochs=4, samples_per_epoch=4096)
    job_id = api.submit_job(project, "train", params, "mice")
    def checkpointed():
        progress = api.get_job(project, job_id).progress
        return progress.get("checkpoint") and progress.get("step", 0) < 4

    jobs_helpers.wait_for(checkpointed, 90, "no checkpoint written")
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    jobs_helpers.wait_for(lambda: not jobs_helpers.job_processes(job_id), 5, "the job process outlived its worker")
    assert api.get_job(project, job_id).status in ("preparing", "training")  # nobody has noticed yet

    time.sleep(1.6)
    assert api.reap_stale_jobs(project, older_than_s=1.5) == [job_id]
    failed = api.get_job(project, job_id)
    assert failed.status == "failed" and "no heartbeat" in failed.error
    assert failed.progress["checkpoint"].endswith("checkpoints/latest.pt")
    import torch

    checkpoint = torch.load(project.root / failed.progress["checkpoint"], map_location="cpu", weights_only=False)
    epochs_done = checkpoint["epoch"] + 1
    assert 1 <= epochs_done < 4

    resumed = api.resume_job(project, job_id)
    assert resumed.status == "pending" and resumed.params["resume"] == failed.progress["checkpoint"]
    second = start_worker()
    job = jobs_helpers.wait_for(lambda: _finished(project, job_id), 120, "resumed job did not finish")
    assert job.status == "completed", job.error or job.log
    assert _pid_of(job.worker) == second.pid
    assert "resumed from checkpoint" in job.log
    history = job.progress["history"]
    assert [row["epoch"] for row in history] == list(range(4))  # nothing repeated, nothing missing
    restarted_at = next(i for i, line in enumerate(job.log_lines) if "resumed from checkpoint" in line)
    steps_after = [line for line in job.log_lines[restarted_at:] if " step " in line]
    assert len(steps_after) == 4 - epochs_done  # only the missing epochs were trained again
    assert registry.get_model(project, job.result["model_id"]).dataset == "mice"


def _scale_out(project, start_worker, jobs_helpers, redis_url=None) -> None:
    workers = [start_worker(redis_url), start_worker(redis_url)]
    params = jobs_helpers.train_params(epochs=1)
    job_ids = [api.submit_job(project, "train", params, "mice", redis_url=redis_url) for _ in range(3)]
    jobs = [jobs_helpers.wait_for(lambda j=j: _finished(project, j), 150, f"job {j} did not finish")
            for j in job_ids]
    assert [j.status for j in jobs] == ["completed"] * 3, [j.error for j in jobs]
    ran_on = {_pid_of(j.worker) for j in jobs}
    assert ran_on == {w.pid for w in workers}
    assert len({j.result["model_id"] for j in jobs}) == 3 == len(registry.list_models(project))


def test_scale_out_with_the_sqlite_queue(project, start_worker, jobs_helpers):
    _scale_out(project, start_worker, jobs_helpers)


def test_scale_out_with_redis(project, start_worker, jobs_helpers, redis_url):
    _scale_out(project, start_worker, jobs_helpers, redis_url)
    assert not (project.root / "jobs" / "queue.db").exists() or not api.list_jobs(project, status="pending")


def test_stopping_the_worker_fails_its_job_resumably(project, start_worker, jobs_helpers):
    from ethoforge.jobs.worker import stop_worker_process

    worker = start_worker()
    job_id = api.submit_job(project, "train", jobs_helpers.train_params(epochs=50), "mice")
    jobs_helpers.wait_for(lambda: jobs_helpers.job_processes(job_id), 30, "the job process did not start")
    assert stop_worker_process(worker, timeout=10) == 0
    job = api.get_job(project, job_id)
    assert job.status == "failed" and "worker was stopped" in job.error
    assert not jobs_helpers.job_processes(job_id)
    assert api.resume_job(project, job_id).status == "pending"
