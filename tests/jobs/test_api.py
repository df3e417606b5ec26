"""The job API without workers: validation before queueing, the job table, cancel, delete, reap."""

from __future__ import annotations

import time

import pytest

from ethoforge.errors import ConfigError, ConflictError, NotFoundError
from ethoforge.jobs import api
from ethoforge.jobs.queue import get_huey
from ethoforge.store import jobs_repo


def _queued(project) -> int:
    return get_huey(project.root).pending_count()


def test_submit_stores_a_pending_job_and_queues_its_id(project, jobs_helpers):
    job_id = api.submit_job(project, "train", jobs_helpers.train_params(epochs=2), "mice")
    job = api.get_job(project, job_id)
    assert job.status == "pending" and job.kind == "train" and job.params["epochs"] == 2
    assert job.dataset_id == project.get_dataset("mice").id and job.version == 1 and job.worker is None
    assert _queued(project) == 1
    assert (project.root / "jobs" / "queue.db").is_file()
    assert [j.id for j in api.list_jobs(project)] == [job_id]
    assert [j.id for j in api.list_jobs(project, status="pending", dataset="mice")] == [job_id]
    assert api.list_jobs(project, status=["completed", "failed"]) == []
    assert job.to_dict()["created_at"].startswith("20")


@pytest.mark.parametrize("params, message", [
    ({"epochs": 0}, "epochs: Input should be greater than or equal to 1"),
    ({"family": "svm"}, "family"),
    ({"window": 4}, "window must be an odd number"),
    ({"learning_rate": 0.1}, "learning_rate"),
    ({"augment": "nonsense:p=2"}, "nonsense"),
    ({"model": {"lstm_hidden": 0}}, "lstm_hidden"),
    ({"model": {"layers": 3}}, "layers"),
    ({"family": "cbas_head", "model": {"smooth_kernel": 2}}, "smooth_kernel must be odd"),
    ({"family": "cbas_head", "window": 7}, "attention_radius 4 pools 4 frames either side"),
    ({"recordings": ["not-there"]}, r"recordings \['not-there'\] are not in dataset 'mice'"),
    ({"resume": "jobs/1/x.pt"}, "resume_job"),
    ({"activate": "yes"}, "'activate' must be true or false"),
    ({"epochs": 10_001}, "epochs: Input should be less than or equal to 10000"),
    ({"batch_size": 65_537}, "batch_size: Input should be less than or equal to 65536"),
    ({"window": 2_003}, "window: Input should be less than or equal to 2001"),
    ({"trials": 101}, "trials: Input should be less than or equal to 100"),
    ({"samples_per_epoch": 10_000_001}, "samples_per_epoch: Input should be less than or equal to 10000000"),
    ({"num_threads": 257}, "num_threads: Input should be less than or equal to 256"),
    ({"features": {"../../etc/passwd": 1}}, r"unknown feature option\(s\) \['../../etc/passwd'\]"),
    ({"features": {"keypoints": ["nose"]}}, r"unknown feature option\(s\) \['keypoints'\]"),
    ({"features": {"groups": ["speed", "/tmp/x"]}}, "groups.1: Input should be 'position_egocentric'"),
    ({"features": {"centre": "../nose"}}, r"keypoint\(s\) \['../nose'\] are not among the spec's keypoints"),
])
def test_bad_training_options_raise_config_error_and_queue_nothing(project, params, message):
    with pytest.raises(ConfigError, match=message):
        api.submit_job(project, "train", params, "mice")
    assert api.list_jobs(project) == [] and _queued(project) == 0


def test_bad_kinds_datasets_and_inference_params(project):
    with pytest.raises(ConfigError, match="unknown job kind 'dance'"):
        api.submit_job(project, "dance", {}, "mice")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="needs a dataset"):
        api.submit_job(project, "train", {})
    with pytest.raises(NotFoundError, match="no dataset 'cats'; datasets: mice"):
        api.submit_job(project, "train", {}, "cats")
    with pytest.raises(ConfigError, match="needs 'model_id'"):
        api.submit_job(project, "infer", {})
    with pytest.raises(ConfigError, match="no model 7"):
        api.submit_job(project, "prelabel", {"model_id": 7})
    with pytest.raises(ConfigError, match="must be a JSON object"):
        api.submit_job(project, "train", ["epochs", 1], "mice")  # type: ignore[arg-type]
    assert api.list_jobs(project) == [] and _queued(project) == 0


def test_cancel_and_delete_a_pending_job(project, jobs_helpers):
    job_id = api.submit_job(project, "train", jobs_helpers.train_params(), "mice")
    cancelled = api.cancel_job(project, job_id)
    assert cancelled.status == "cancelled" and cancelled.cancel_requested and cancelled.finished_at is not None
    assert cancelled.version == 2 and "cancelled before it started" in cancelled.log
    assert api.cancel_job(project, job_id).version == 2  # twice is harmless
    with pytest.raises(ConflictError, match="only failed jobs can be resumed"):
        api.resume_job(project, job_id)
    api.delete_job(project, job_id)
    with pytest.raises(NotFoundError, match=f"no job {job_id}"):
        api.get_job(project, job_id)
    with pytest.raises(NotFoundError):
        api.cancel_job(project, job_id)


def test_a_claimed_job_is_not_claimed_twice_and_cannot_be_deleted(project, jobs_helpers):
    job_id = api.submit_job(project, "train", jobs_helpers.train_params(), "mice")
    assert jobs_repo.claim_job(project, job_id, "host:1:w")
    assert not jobs_repo.claim_job(project, job_id, "host:2:w")
    job = api.get_job(project, job_id)
    assert job.status == "preparing" and job.worker == "host:1:w" and job.heartbeat_at is not None
    with pytest.raises(ConflictError, match="cancel it before deleting"):
        api.delete_job(project, job_id)
    flagged = api.cancel_job(project, job_id)
    assert flagged.status == "preparing" and flagged.cancel_requested  # the worker stops it
    jobs_repo.set_status(project, job_id, "completed", result={"model_id": 1})
    with pytest.raises(ConflictError, match="already completed"):
        api.cancel_job(project, job_id)


def test_reaper_fails_jobs_whose_heartbeat_is_stale(project, jobs_helpers):
    stale = api.submit_job(project, "train", jobs_helpers.train_params(), "mice")
    fresh = api.submit_job(project, "train", jobs_helpers.train_params(), "mice")
    pending = api.submit_job(project, "train", jobs_helpers.train_params(), "mice")
    assert jobs_repo.claim_job(project, stale, "gone:1:w") and jobs_repo.claim_job(project, fresh, "here:2:w")
    time.sleep(1.2)
    assert jobs_repo.heartbeat(project, fresh, "here:2:w") is False
    assert api.reap_stale_jobs(project, older_than_s=1.0) == [stale]
    job = api.get_job(project, stale)
    assert job.status == "failed" and "no heartbeat for over 1 s from worker gone:1:w" in job.error
    assert api.get_job(project, fresh).status == "preparing"
    assert api.get_job(project, pending).status == "pending"
    assert api.reap_stale_jobs(project, older_than_s=1.0) == []
    resumed = api.resume_job(project, stale)  # no checkpoint yet: starts over
    assert resumed.status == "pending" and "resume" not in resumed.params and resumed.error is None
    assert "restarting from the beginning" in resumed.log


def test_a_stale_job_with_a_cancel_request_ends_cancelled(project, jobs_helpers):
    job_id = api.submit_job(project, "train", jobs_helpers.train_params(), "mice")
    jobs_repo.claim_job(project, job_id, "gone:1:w")
    (project.root / "jobs" / str(job_id) / ".bundle.partial").mkdir(parents=True)
    api.cancel_job(project, job_id)
    time.sleep(0.6)
    assert api.reap_stale_jobs(project, older_than_s=0.5) == [job_id]
    assert api.get_job(project, job_id).status == "cancelled"
    assert not (project.root / "jobs" / str(job_id)).exists()


def test_status_filter_rejects_unknown_statuses(project):
    with pytest.raises(ConfigError, match="unknown job status"):
        api.list_jobs(project, status="running")
