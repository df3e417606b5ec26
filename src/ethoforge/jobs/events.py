"""Live-update messages for a job's WebSocket, derived from the job row (the source of truth).

`job_messages(before, after)` compares two snapshots of a job and returns what changed as
messages; `JobWatcher.poll` does this against the database, cheaply (it reads only the
version until something changed). The first poll of a watcher returns a ``state`` message
with the whole job, so a client that connects late starts from the current state.

Messages (``type`` and fields):

- ``state``: ``job`` (the job as a dict);
- ``status_change``: ``status``, ``previous``;
- ``progress``: ``progress`` (``step, total, fraction, eta_s, epoch, metrics``...);
- ``epoch_complete``: ``epoch``, ``trial``, ``metrics`` (one per finished epoch, none skipped);
- ``job_complete``: ``status`` (completed / failed / cancelled), ``model_id``, ``result``, ``error``.

Every message also carries ``job_id`` and ``version``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ethoforge.store import jobs_repo
from ethoforge.store.jobs_repo import JobInfo

if TYPE_CHECKING:
    from ethoforge.store import Project


def _epoch_key(row: dict) -> tuple[int, int]:
    return int(row.get("trial", 0) or 0), int(row.get("epoch", 0) or 0)


def job_messages(before: JobInfo | None, after: JobInfo) -> list[dict[str, Any]]:
    """Messages that take a client from snapshot ``before`` (None: nothing) to ``after``."""
    base = {"job_id": after.id, "version": after.version}
    if before is None:
        return [{"type": "state", **base, "job": _public(after)}]
    if after.version == before.version:
        return []
    messages: list[dict[str, Any]] = []
    if after.status != before.status:
        messages.append({"type": "status_change", **base, "status": after.status, "previous": before.status})
    public = _progress(after.progress)
    if public != _progress(before.progress):
        messages.append({"type": "progress", **base, "progress": public})
    seen = {_epoch_key(row) for row in before.progress.get("history", [])}
    for row in after.progress.get("history", []):
        if _epoch_key(row) not in seen:
            messages.append({"type": "epoch_complete", **base, "epoch": int(row.get("epoch", 0)) + 1,
                             "trial": int(row.get("trial", 0) or 0), "metrics": row})
    if after.is_final and not before.is_final:
        messages.append({"type": "job_complete", **base, "status": after.status,
                         "model_id": (after.result or {}).get("model_id"), "result": after.result,
                         "error": after.error})
    return messages


def _progress(progress: dict) -> dict:
    return {k: v for k, v in progress.items() if k != "history"}


def _public(job: JobInfo) -> dict:
    return job.to_dict()


class JobWatcher:
    """Polls one job and returns the messages since the previous poll.

    Examples
    --------
    >>> watcher = JobWatcher(project, job_id)          # doctest: +SKIP
    >>> while True:                                    # doctest: +SKIP
    ...     for message in watcher.poll(): send(message)
    ...     if watcher.done: break
    ...     sleep(0.5)
    """

    def __init__(self, project: Project, job_id: int) -> None:
        self.project = project
        self.job_id = job_id
        self.last: JobInfo | None = None

    @property
    def done(self) -> bool:
        """True once the job reached a final status (after the poll that said so)."""
        return self.last is not None and self.last.is_final

    def poll(self) -> list[dict[str, Any]]:
        """Messages since the last poll (`NotFoundError` if the job was deleted)."""
        if self.last is not None and jobs_repo.get_job_version(self.project, self.job_id) == self.last.version:
            return []
        current = jobs_repo.get_job_row(self.project, self.job_id)
        messages = job_messages(self.last, current)
        self.last = current
        return messages


def job_events_since(project: Project, job_id: int, version: int) -> tuple[JobInfo | None, int]:
    """The job if its version is newer than ``version`` (else None), and its current version."""
    current = jobs_repo.get_job_version(project, job_id)
    if current <= version:
        return None, current
    job = jobs_repo.get_job_row(project, job_id)
    return job, job.version
