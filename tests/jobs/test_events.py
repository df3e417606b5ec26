"""Live-update messages derived from the job row."""

from __future__ import annotations

from dataclasses import replace

from ethoforge.jobs import api
from ethoforge.jobs.events import JobWatcher, job_events_since, job_messages
from ethoforge.store import jobs_repo


def _types(messages) -> list[str]:
    return [m["type"] for m in messages]


def test_watcher_starts_with_the_state_then_reports_changes(project, jobs_helpers):
    job_id = api.submit_job(project, "train", jobs_helpers.train_params(epochs=3), "mice")
    watcher = JobWatcher(project, job_id)
    [state] = watcher.poll()
    assert state["type"] == "state" and state["job"]["status"] == "pending" and state["version"] == 1
    assert watcher.poll() == []  # nothing changed

    jobs_repo.claim_job(project, job_id, "h:1:w")
    jobs_repo.heartbeat(project, job_id, "h:1:w")  # heartbeats are not news
    assert _types(watcher.poll()) == ["status_change"]

    epochs = [{"trial": 0, "epoch": e, "train_loss": 1.0 / (e + 1), "val_macro_f1": 0.5 + e / 10} for e in range(3)]
    progress = {"step": 1, "total": 3, "history": epochs[:1]}
    jobs_repo.write_progress(project, job_id, progress, status="training")
    progress = {"step": 3, "total": 3, "history": epochs}  # two epochs between polls: none is lost
    jobs_repo.write_progress(project, job_id, progress)
    messages = watcher.poll()
    assert _types(messages) == ["status_change", "progress", "epoch_complete", "epoch_complete", "epoch_complete"]
    assert messages[0]["status"] == "training" and messages[0]["previous"] == "preparing"
    assert messages[1]["progress"] == {"step": 3, "total": 3}
    assert [m["epoch"] for m in messages[2:]] == [1, 2, 3]
    assert messages[4]["metrics"]["val_macro_f1"] == 0.7

    jobs_repo.set_status(project, job_id, "completed", result={"model_id": 5})
    [change, done] = watcher.poll()
    assert change["status"] == "completed" and done["type"] == "job_complete" and done["model_id"] == 5
    assert watcher.done


def test_failed_job_completes_with_its_error():
    before = _job(status="training", version=4)
    after = replace(before, status="failed", error="boom", version=5)
    [change, done] = job_messages(before, after)
    assert change["type"] == "status_change"
    assert done == {"type": "job_complete", "job_id": 1, "version": 5, "status": "failed", "model_id": None,
                    "result": None, "error": "boom"}
    assert job_messages(after, after) == []


def test_events_since_a_version(project, jobs_helpers):
    job_id = api.submit_job(project, "train", jobs_helpers.train_params(), "mice")
    assert job_events_since(project, job_id, 1) == (None, 1)
    api.cancel_job(project, job_id)
    job, version = job_events_since(project, job_id, 1)
    assert version == 2 and job.status == "cancelled"


def _job(**changes):
    from datetime import datetime

    from ethoforge.store.jobs_repo import JobInfo

    base = {"id": 1, "kind": "train", "dataset_id": 1, "status": "pending", "params": {}, "progress": {},
            "result": None, "error": None, "log": "", "worker": None, "heartbeat_at": None,
            "created_at": datetime(2024, 1, 1), "started_at": None, "finished_at": None,
            "cancel_requested": False, "version": 1}
    base.update(changes)
    return JobInfo(**base)
