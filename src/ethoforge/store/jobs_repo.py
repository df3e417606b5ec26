"""The ``jobs`` table: the source of truth for every background job's state.

Every write is one short transaction that names the columns it changes and holds the write
lock from its start (`ethoforge.store.engine.write_transaction`), so the process running a job
(progress), its supervisor (heartbeat) and the server (cancel) queue and never overwrite
each other. ``version`` grows by one on every change a client should see (status, progress,
result, log); heartbeats do not bump it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ethoforge.errors import ConflictError, NotFoundError
from ethoforge.store.models import JOB_KINDS, JOB_STATUSES, JobRow, utcnow

if TYPE_CHECKING:
    from ethoforge.store.project import Project

ACTIVE_STATUSES: tuple[str, ...] = ("preparing", "training")
FINAL_STATUSES: tuple[str, ...] = ("completed", "failed", "cancelled")
MAX_LOG_CHARS = 200_000  # older lines are dropped beyond this


@dataclass(frozen=True)
class JobInfo:
    """A job as stored (detached from the database)."""

    id: int
    kind: str
    dataset_id: int | None
    status: str
    params: dict[str, Any]
    progress: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    log: str
    worker: str | None
    heartbeat_at: datetime | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    cancel_requested: bool
    version: int

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def log_lines(self) -> list[str]:
        return self.log.splitlines()

    @property
    def resumable(self) -> bool:
        """True for a failed job, and for a cancelled ``encode`` job (cancelling keeps what it
        encoded, in the feature cache; other kinds lose their working folder)."""
        return self.status == "failed" or (self.status == "cancelled" and self.kind == "encode")

    def to_dict(self) -> dict:
        """JSON-ready dict (datetimes as ISO strings, UTC; with ``resumable``)."""
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, datetime):
                data[key] = value.isoformat(timespec="milliseconds")
        data["resumable"] = self.resumable
        return data


def _info(row: JobRow) -> JobInfo:
    return JobInfo(
        id=row.id, kind=row.kind, dataset_id=row.dataset_id, status=row.status, params=dict(row.params or {}),
        progress=dict(row.progress or {}), result=dict(row.result) if row.result is not None else None,
        error=row.error, log=row.log or "", worker=row.worker, heartbeat_at=row.heartbeat_at,
        created_at=row.created_at, started_at=row.started_at, finished_at=row.finished_at,
        cancel_requested=bool(row.cancel_requested), version=row.version,
    )


def _row(session: Session, job_id: int) -> JobRow:
    row = session.get(JobRow, int(job_id))
    if row is None:
        raise NotFoundError(f"no job {job_id} in the project; list jobs to see their ids")
    return row


def _log_line(message: str) -> str:
    return f"{utcnow().isoformat(timespec='seconds')} {message.rstrip()}\n"


def insert_job(project: Project, kind: str, params: dict[str, Any], dataset_id: int | None) -> JobInfo:
    """Store a new ``pending`` job and return it."""
    if kind not in JOB_KINDS:
        raise ValueError(f"job kind {kind!r} not in {JOB_KINDS}")
    with project._transaction() as session:
        row = JobRow(kind=kind, dataset_id=dataset_id, status="pending", params=params, progress={},
                     log=_log_line(f"{kind} job submitted"), version=1)
        session.add(row)
        session.flush()
        return _info(row)


def get_job_row(project: Project, job_id: int) -> JobInfo:
    """The job ``job_id``; `NotFoundError` if there is none."""
    with project._sessions() as session:
        return _info(_row(session, job_id))


def get_job_version(project: Project, job_id: int) -> int:
    """Only the job's ``version`` (cheap to poll)."""
    with project._sessions() as session:
        version = session.scalar(select(JobRow.version).where(JobRow.id == int(job_id)))
    if version is None:
        raise NotFoundError(f"no job {job_id} in the project; list jobs to see their ids")
    return int(version)


def select_jobs(
    project: Project, status: str | Iterable[str] | None = None, dataset_id: int | None = None
) -> list[JobInfo]:
    """Jobs, newest first, optionally of some statuses and one dataset."""
    query = select(JobRow).order_by(JobRow.id.desc())
    if status is not None:
        statuses = [status] if isinstance(status, str) else list(status)
        unknown = [s for s in statuses if s not in JOB_STATUSES]
        if unknown:
            from ethoforge.errors import ConfigError

            raise ConfigError(f"unknown job status {unknown}; expected some of {list(JOB_STATUSES)}")
        query = query.where(JobRow.status.in_(statuses))
    if dataset_id is not None:
        query = query.where(JobRow.dataset_id == dataset_id)
    with project._sessions() as session:
        return [_info(row) for row in session.scalars(query).all()]


def dataset_id_of(project: Project, dataset: str | int) -> int:
    """The id of a dataset given by name or id."""
    return project.get_dataset(dataset).id


def claim_job(project: Project, job_id: int, worker: str) -> bool:
    """Move a ``pending`` job to ``preparing`` for ``worker``; False if it is not pending any more.

    The compare-and-set makes sure two workers never run the same job.
    """
    now = utcnow()
    with project._transaction() as session:
        result = session.execute(
            update(JobRow)
            .where(JobRow.id == int(job_id), JobRow.status == "pending", JobRow.cancel_requested == False)  # noqa: E712 (an SQL comparison)
            .values(status="preparing", worker=worker, started_at=now, heartbeat_at=now, finished_at=None,
                    error=None, version=JobRow.version + 1,
                    log=func.coalesce(JobRow.log, "") + _log_line(f"started on worker {worker}"))
        )
        return result.rowcount == 1  # type: ignore[attr-defined]


def set_status(project: Project, job_id: int, status: str, *, only_from: Iterable[str] | None = None,
               message: str | None = None, **values: Any) -> bool:
    """Set a job's status (and other columns); False if its status was not in ``only_from``.

    Final statuses also set ``finished_at``. ``message`` is appended to the log.
    """
    if status not in JOB_STATUSES:
        raise ValueError(f"job status {status!r} not in {JOB_STATUSES}")
    values = dict(values, status=status, version=JobRow.version + 1)
    if status in FINAL_STATUSES:
        values.setdefault("finished_at", utcnow())
    if message:
        values["log"] = func.coalesce(JobRow.log, "") + _log_line(message)
    query = update(JobRow).where(JobRow.id == int(job_id))
    if only_from is not None:
        query = query.where(JobRow.status.in_(list(only_from)))
    with project._transaction() as session:
        return session.execute(query.values(**values)).rowcount == 1  # type: ignore[attr-defined]


def write_progress(project: Project, job_id: int, progress: dict[str, Any], *,
                   status: str | None = None, message: str | None = None) -> bool:
    """Store progress (and a heartbeat); return whether the job should stop.

    It should stop when cancelling was requested or it is no longer active (the reaper
    failed it). ``status`` moves the job on (``preparing`` → ``training``) only while it is active.
    """
    values: dict[str, Any] = {"progress": progress, "heartbeat_at": utcnow(), "version": JobRow.version + 1}
    if status is not None:
        values["status"] = status
    if message:
        values["log"] = func.coalesce(JobRow.log, "") + _log_line(message)
    with project._transaction() as session:
        session.execute(update(JobRow).where(JobRow.id == int(job_id), JobRow.status.in_(ACTIVE_STATUSES))
                        .values(**values))
        return _should_stop(session, job_id)


def _should_stop(session: Session, job_id: int, worker: str | None = None) -> bool:
    row = session.execute(select(JobRow.cancel_requested, JobRow.status, JobRow.worker)
                          .where(JobRow.id == int(job_id))).first()
    if row is None:
        return True
    cancel, status, owner = row
    return bool(cancel) or status not in ACTIVE_STATUSES or (worker is not None and owner != worker)


def should_stop(project: Project, job_id: int) -> bool:
    """True when the job's runner should stop: cancel requested, job no longer active or deleted."""
    with project._sessions() as session:
        return _should_stop(session, job_id)


def append_log(project: Project, job_id: int, message: str) -> None:
    """Append a timestamped line to the job's log (trimmed to `MAX_LOG_CHARS`)."""
    with project._transaction() as session:
        row = _row(session, job_id)
        log = (row.log or "") + _log_line(message)
        if len(log) > MAX_LOG_CHARS:
            log = log[-MAX_LOG_CHARS:].split("\n", 1)[-1]
        row.log = log
        row.version = row.version + 1


def heartbeat(project: Project, job_id: int, worker: str) -> bool:
    """Refresh the heartbeat of an active job run by ``worker``; return whether it should stop
    (cancel requested, no longer active, taken over by another worker, or deleted)."""
    with project._transaction() as session:
        session.execute(update(JobRow).where(
            JobRow.id == int(job_id), JobRow.status.in_(ACTIVE_STATUSES), JobRow.worker == worker,
        ).values(heartbeat_at=utcnow()))
        return _should_stop(session, job_id, worker)


def request_cancel(project: Project, job_id: int) -> JobInfo:
    """Cancel a pending job now, or flag an active one for its runner to stop.

    Raises
    ------
    ConflictError
        The job already completed or failed.
    """
    with project._transaction() as session:
        row = _row(session, job_id)
        if row.status in ("completed", "failed"):
            raise ConflictError(f"job {job_id} has already {row.status}; nothing to cancel")
        if row.status == "pending":
            row.status = "cancelled"
            row.finished_at = utcnow()
            row.log = (row.log or "") + _log_line("cancelled before it started")
        elif row.status in ACTIVE_STATUSES and not row.cancel_requested:
            row.log = (row.log or "") + _log_line("cancel requested")
        else:
            return _info(row)
        row.cancel_requested = True
        row.version = row.version + 1
        session.flush()
        return _info(row)


def reset_for_resume(project: Project, job_id: int, params: dict[str, Any], message: str) -> JobInfo:
    """Put a resumable job (`JobInfo.resumable`) back to ``pending`` with new params (used by resume)."""
    with project._transaction() as session:
        row = _row(session, job_id)
        if not _info(row).resumable:
            raise ConflictError(f"job {job_id} is {row.status}; only failed jobs can be resumed (and cancelled "
                                "encode jobs, whose finished work is kept)")
        row.status = "pending"
        row.params = params
        row.error = None
        row.result = None
        row.cancel_requested = False
        row.finished_at = None
        row.heartbeat_at = None
        row.worker = None
        row.log = (row.log or "") + _log_line(message)
        row.version = row.version + 1
        session.flush()
        return _info(row)


def delete_job_row(project: Project, job_id: int) -> None:
    """Delete a job that is not running.

    Raises
    ------
    ConflictError
        The job is preparing or training (cancel it first).
    """
    with project._transaction() as session:
        row = _row(session, job_id)
        if row.status in ACTIVE_STATUSES:
            raise ConflictError(f"job {job_id} is {row.status}; cancel it before deleting it")
        session.execute(delete(JobRow).where(JobRow.id == row.id))


def stale_job_ids(project: Project, older_than_s: float) -> list[int]:
    """Active jobs whose heartbeat (or start) is older than ``older_than_s`` seconds."""
    limit = utcnow() - timedelta(seconds=older_than_s)
    beat = func.coalesce(JobRow.heartbeat_at, JobRow.started_at, JobRow.created_at)
    with project._sessions() as session:
        return list(session.scalars(
            select(JobRow.id).where(JobRow.status.in_(ACTIVE_STATUSES), beat < limit).order_by(JobRow.id)
        ).all())


def fail_if_stale(project: Project, job_id: int, older_than_s: float, message: str) -> bool:
    """Mark an active job failed if its heartbeat is still older than ``older_than_s`` (atomic)."""
    limit = utcnow() - timedelta(seconds=older_than_s)
    beat = func.coalesce(JobRow.heartbeat_at, JobRow.started_at, JobRow.created_at)
    with project._transaction() as session:
        result = session.execute(
            update(JobRow).where(JobRow.id == int(job_id), JobRow.status.in_(ACTIVE_STATUSES), beat < limit)
            .values(status="failed", error=message, finished_at=utcnow(), version=JobRow.version + 1,
                    log=func.coalesce(JobRow.log, "") + _log_line(message))
        )
        return result.rowcount == 1  # type: ignore[attr-defined]
