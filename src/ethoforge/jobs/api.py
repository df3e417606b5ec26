"""The job API the server and CLI call: submit, look up, cancel, delete, resume, reap.

The ``jobs`` table is the source of truth; the queue (`ethoforge.jobs.queue`) only carries
job ids to workers. Statuses go ``pending → preparing → training → completed | failed |
cancelled``. ``project`` is an open `ethoforge.store.Project` or a project folder.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ethoforge.errors import ConflictError
from ethoforge.store import jobs_repo
from ethoforge.store.jobs_repo import JobInfo

if TYPE_CHECKING:
    from ethoforge.store import Project

JobKind = Literal["train", "infer", "prelabel", "encode", "pretrain"]
STALE_ENV = "ETHOFORGE_JOB_STALE_S"
DEFAULT_STALE_S = 30.0


@contextmanager
def _opened(project: Project | str | Path) -> Iterator[Project]:
    from ethoforge.store import Project

    if isinstance(project, Project):
        yield project
    else:
        with Project.open(project) as opened:
            yield opened


def submit_job(
    project: Project | str | Path,
    kind: JobKind,
    params: dict[str, Any] | None = None,
    dataset: str | int | None = None,
    *,
    redis_url: str | None = None,
) -> int:
    """Validate a job, store it as ``pending`` and queue it; return its id.

    Parameters
    ----------
    kind
        ``"train"`` (needs ``dataset``), ``"infer"``, ``"prelabel"``, ``"encode"`` or ``"pretrain"``.
    params
        Options (see `ethoforge.jobs.params`): for training, those of `TrainConfig`.
    dataset
        Dataset name or id.
    redis_url
        Queue on this Redis server instead of the project's SQLite queue (default
        ``$ETHOFORGE_REDIS_URL``); workers must use the same.

    Raises
    ------
    ConfigError
        Invalid kind or params (nothing is stored or queued).
    NotFoundError
        No such dataset.
    """
    from ethoforge.jobs.params import check_params

    with _opened(project) as opened:
        dataset_id = jobs_repo.dataset_id_of(opened, dataset) if dataset is not None else None
        checked = check_params(opened, kind, params if params is not None else {}, dataset_id)
        job = jobs_repo.insert_job(opened, kind, checked, dataset_id)
        _enqueue(opened, job.id, redis_url)
        return job.id


def _enqueue(project: Project, job_id: int, redis_url: str | None) -> None:
    from ethoforge.jobs.queue import enqueue_job

    try:
        enqueue_job(project.root, job_id, redis_url)
    except Exception as error:  # noqa: BLE001  (redis down, queue file unwritable...: the job fails, said why)
        message = f"could not queue the job: {type(error).__name__}: {error}"
        jobs_repo.set_status(project, job_id, "failed", only_from=("pending",), error=message, message=message)
        raise ConflictError(message) from None


def get_job(project: Project | str | Path, job_id: int) -> JobInfo:
    """The job ``job_id`` (`NotFoundError` if none)."""
    with _opened(project) as opened:
        return jobs_repo.get_job_row(opened, job_id)


def list_jobs(
    project: Project | str | Path, status: str | list[str] | None = None, dataset: str | int | None = None
) -> list[JobInfo]:
    """Jobs, newest first, optionally of some statuses and one dataset (name or id)."""
    with _opened(project) as opened:
        dataset_id = jobs_repo.dataset_id_of(opened, dataset) if dataset is not None else None
        return jobs_repo.select_jobs(opened, status, dataset_id)


def cancel_job(project: Project | str | Path, job_id: int) -> JobInfo:
    """Cancel a job: a pending one at once, a running one within seconds (its worker stops it,
    killing the job process if it does not stop by itself). Cancelling twice is harmless.

    Raises
    ------
    ConflictError
        The job has already completed or failed.
    """
    with _opened(project) as opened:
        return jobs_repo.request_cancel(opened, job_id)


def delete_job(project: Project | str | Path, job_id: int) -> None:
    """Delete a finished or pending job, its working folder and its inference outputs
    (models it made stay).

    Raises
    ------
    ConflictError
        The job is running; cancel it first.
    """
    from ethoforge.jobs.bodies import inference_dir
    from ethoforge.jobs.supervisor import discard_job_outputs

    with _opened(project) as opened:
        job = jobs_repo.get_job_row(opened, job_id)
        if job.status == "pending":
            jobs_repo.request_cancel(opened, job_id)
        jobs_repo.delete_job_row(opened, job_id)
        discard_job_outputs(opened.root, job_id)
        shutil.rmtree(inference_dir(opened.root, job_id), ignore_errors=True)


def resume_job(project: Project | str | Path, job_id: int, *, redis_url: str | None = None) -> JobInfo:
    """Queue a failed job again (a training or pretraining job continues from its last
    checkpoint), or a failed or cancelled ``encode`` job: its finished work is in the feature
    cache, so recordings already encoded are skipped and the others continue from their last
    finished chunk (`ethoforge.video.encode`).

    Raises
    ------
    ConflictError
        The job is neither ``failed`` nor a cancelled ``encode`` job.
    """
    from ethoforge.jobs.bodies import checkpoint_path

    with _opened(project) as opened:
        job = jobs_repo.get_job_row(opened, job_id)
        params = dict(job.params)
        params.pop("resume", None)
        message = "resumed: restarting from the beginning (no checkpoint)"
        if job.kind in ("train", "pretrain"):
            checkpoint = checkpoint_path(opened.root, job_id)
            if checkpoint.is_file():
                params["resume"] = str(checkpoint.relative_to(opened.root))
                message = f"resumed from checkpoint {params['resume']} (epoch {job.progress.get('epoch', '?')})"
        elif job.kind == "encode":
            message = ("resumed: recordings already encoded are skipped, the others continue from their last "
                       "finished chunk")
        info = jobs_repo.reset_for_resume(opened, job_id, params, message)
        _enqueue(opened, job_id, redis_url)
        return info


def stale_after_s() -> float:
    """Heartbeat age after which a running job counts as lost (``$ETHOFORGE_JOB_STALE_S``, default 30)."""
    try:
        return float(os.environ.get(STALE_ENV, DEFAULT_STALE_S))
    except ValueError:
        return DEFAULT_STALE_S


def reap_stale_jobs(project: Project | str | Path, older_than_s: float | None = None) -> list[int]:
    """Mark failed every preparing/training job whose heartbeat is older than ``older_than_s``.

    Such a job's worker died (or lost the database); `resume_job` continues it from its last
    checkpoint. Run by workers at start and periodically, and by the server at start.
    Returns the ids of the jobs marked failed.
    """
    limit = stale_after_s() if older_than_s is None else float(older_than_s)
    reaped = []
    with _opened(project) as opened:
        for job_id in jobs_repo.stale_job_ids(opened, limit):
            job = jobs_repo.get_job_row(opened, job_id)
            message = (f"no heartbeat for over {limit:g} s from worker {job.worker}: the worker stopped or was "
                       "killed; resume the job to continue from its last checkpoint")
            if job.cancel_requested:
                from ethoforge.jobs.supervisor import discard_job_outputs

                if jobs_repo.set_status(opened, job_id, "cancelled", only_from=jobs_repo.ACTIVE_STATUSES,
                                        message="cancelled (its worker stopped responding)"):
                    discard_job_outputs(opened.root, job_id)
                    reaped.append(job_id)
            elif jobs_repo.fail_if_stale(opened, job_id, limit, message):
                reaped.append(job_id)
    return reaped


def reap_periodically(project: Project | str | Path, stop: threading.Event, older_than_s: float | None = None) -> None:
    """Run `reap_stale_jobs` every third of the stale limit (0.5-10 s) until ``stop`` is set.

    Workers run it, and so does the server: a job whose worker died is marked failed (and
    shown so) even when no worker is left to notice.
    """
    import logging

    log = logging.getLogger("ethoforge.jobs")
    limit = stale_after_s() if older_than_s is None else float(older_than_s)
    interval = max(min(limit / 3.0, 10.0), 0.5)
    while not stop.wait(interval):
        try:
            reaped = reap_stale_jobs(project, limit)
            if reaped:
                log.warning("marked stale jobs failed: %s", reaped)
        except Exception:  # noqa: BLE001  (the database may be busy or briefly unavailable: try again later)
            log.exception("reaper")

