"""Background jobs: training and inference run by workers, the job table as source of truth.

The queue is huey (`ethoforge.jobs.queue`): a SQLite file in the project by default, Redis
to share jobs with workers on other machines. Workers (`ethoforge.jobs.worker`) run each
job in a child process (`ethoforge.jobs.runner`) they watch over (`ethoforge.jobs.supervisor`).
Library calls are in `ethoforge.jobs.api`, live-update messages in `ethoforge.jobs.events`.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "submit_job": "ethoforge.jobs.api",
    "get_job": "ethoforge.jobs.api",
    "list_jobs": "ethoforge.jobs.api",
    "cancel_job": "ethoforge.jobs.api",
    "delete_job": "ethoforge.jobs.api",
    "resume_job": "ethoforge.jobs.api",
    "reap_stale_jobs": "ethoforge.jobs.api",
    "reap_periodically": "ethoforge.jobs.api",
    "JobInfo": "ethoforge.store.jobs_repo",
    "JobWatcher": "ethoforge.jobs.events",
    "job_messages": "ethoforge.jobs.events",
    "job_events_since": "ethoforge.jobs.events",
    "run_worker": "ethoforge.jobs.worker",
    "start_worker_process": "ethoforge.jobs.worker",
    "stop_worker_process": "ethoforge.jobs.worker",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'ethoforge.jobs' has no attribute {name!r}")
