"""Dataset changes the store does not offer yet: update (name, behaviors, recordings) and delete.

Each is one transaction holding the write lock. (Thin queries kept here until
`ethoforge.store.Project` has ``update_dataset`` / ``delete_dataset``.)
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from ethoforge.errors import ConflictError, InputError
from ethoforge.labels import Bout, parse_behaviors, validate_bouts
from ethoforge.store.info import DatasetInfo
from ethoforge.store.jobs_repo import ACTIVE_STATUSES, write_transaction
from ethoforge.store.models import DatasetRow, JobRow

_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_\-]{0,63}$"


def update_dataset(
    project,
    ref: str | int,
    *,
    name: str | None = None,
    behaviors: Sequence[str] | None = None,
    recordings: Sequence[str | int] | None = None,
    add_recordings: Sequence[str | int] = (),
    remove_recordings: Sequence[str | int] = (),
) -> DatasetInfo:
    """Rename a dataset, change its behaviors or its recordings; return it as now stored.

    Raises
    ------
    ConflictError
        The new name is taken.
    InputError
        Bad behaviors, or stored bouts of the dataset's recordings that overlap across its
        (mutually exclusive) behaviors.
    NotFoundError
        No such dataset or recording.
    """
    import re

    from ethoforge.store.project import _dataset_info

    with write_transaction(project) as session:
        row = project._dataset_row(session, ref)
        if name is not None and name != row.name:
            if not re.match(_NAME_PATTERN, name):
                raise InputError(f"dataset name {name!r} must be one word of letters, digits, '_' or '-' "
                                 "starting with a letter (at most 64 characters)")
            if session.scalar(select(func.count()).where(DatasetRow.name == name)):
                raise ConflictError(f"a dataset named {name!r} already exists; pick another name")
            row.name = name
        if behaviors is not None:
            row.behaviors = parse_behaviors(list(behaviors))
        members = {r.id: r for r in row.recordings}
        if recordings is not None:
            members = {r.id: r for r in (project._recording_row(session, ref) for ref in recordings)}
        for entry in add_recordings:
            added = project._recording_row(session, entry)
            members[added.id] = added
        for entry in remove_recordings:
            members.pop(project._recording_row(session, entry).id, None)
        row.recordings = sorted(members.values(), key=lambda r: r.id)
        for recording in row.recordings:
            bouts = [Bout(recording.name, b.behavior, b.start, b.stop, agent=b.agent, source=b.source)  # type: ignore[arg-type]
                     for b in recording.bouts if b.behavior in row.behaviors]
            validate_bouts(bouts, exclusive=True, source=f"recording {recording.name}")
        session.flush()
        return _dataset_info(row)


def delete_dataset(project, ref: str | int) -> None:
    """Delete a dataset (its recordings, labels and models stay; models lose their dataset link).

    Raises
    ------
    ConflictError
        A job of the dataset is pending or running; cancel it first.
    """
    with write_transaction(project) as session:
        row = project._dataset_row(session, ref)
        busy = session.scalars(select(JobRow.id).where(
            JobRow.dataset_id == row.id, JobRow.status.in_(("pending", *ACTIVE_STATUSES)))).all()
        if busy:
            raise ConflictError(f"dataset {row.name!r} has unfinished jobs {list(busy)}; cancel them first")
        session.delete(row)
