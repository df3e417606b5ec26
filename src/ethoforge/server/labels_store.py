"""Labels of one recording as the API sees them: a list of bouts and a version of the human ones.

The version is a digest of the recording's human bouts (``manual`` and ``confirmed``), so it
changes with every commit that changes them and survives restarts without a counter. A
commit checks the version and replaces the human bouts in one database transaction that
holds the write lock: two editors cannot both commit against the same version, and a
server killed during a commit leaves the old labels or the new ones, never a mix.

(Thin queries kept here until `ethoforge.store.Project` has versioned label commits.)
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from ethoforge.errors import ConflictError, InputError, NotFoundError
from ethoforge.labels import Bout, validate_bouts
from ethoforge.store.jobs_repo import write_transaction
from ethoforge.store.models import (
    AnnotatedScopeRow,
    BoutRow,
    DatasetRow,
    RecordingRow,
    utcnow,
)

HUMAN_SOURCES: tuple[str, ...] = ("manual", "confirmed")
ANY_VERSION = "*"
_COLUMNS = (BoutRow.id, BoutRow.behavior, BoutRow.start, BoutRow.stop, BoutRow.agent, BoutRow.target,
            BoutRow.source, BoutRow.annotator, BoutRow.score)


@dataclass(frozen=True)
class CommitResult:
    """What a commit stored: ``stored`` human bouts, ``dropped`` unconfirmed predictions of the
    request, ``superseded`` stored predictions under the new human bouts, the new ``version``."""

    stored: int
    dropped: int
    superseded: int
    version: str


def _key(row) -> tuple:
    return (row.behavior, row.start, row.stop, row.agent or "", row.target or "", row.source,
            row.annotator or "", "" if row.score is None else f"{row.score:.9g}")


def version_of(human: Sequence) -> str:
    """Digest (16 hex digits) of human bouts (rows or `Bout`s), independent of their order."""
    digest = hashlib.sha256()
    for key in sorted(_key(b) for b in human):
        digest.update(repr(key).encode())
    return digest.hexdigest()[:16]


def _recording(session: Session, recording_id: int) -> RecordingRow:
    row = session.get(RecordingRow, recording_id)
    if row is None:
        raise NotFoundError(f"no recording with id {recording_id}; GET /api/v1/recordings lists them")
    return row


def read_labels(project, recording_id: int, behaviors: Sequence[str] | None = None) -> tuple[list[dict], str]:
    """The recording's bouts (JSON-ready dicts ordered by start) and its labels version.

    ``behaviors`` filters the bouts listed, not the version.
    """
    with project._sessions() as session, session.begin():  # one snapshot for bouts and version
        row = _recording(session, recording_id)
        rows = session.execute(select(*_COLUMNS).where(BoutRow.recording_id == row.id)
                               .order_by(BoutRow.start, BoutRow.behavior, BoutRow.id)).all()
        version = version_of([r for r in rows if r.source in HUMAN_SOURCES])
        wanted = set(behaviors) if behaviors else None
        bouts = [{"recording": row.name, "behavior": r.behavior, "start": r.start, "stop": r.stop, "agent": r.agent,
                  "target": r.target, "source": r.source, "annotator": r.annotator, "score": r.score}
                 for r in rows if wanted is None or r.behavior in wanted]
    return bouts, version


def commit_labels(
    project,
    recording_id: int,
    bouts: Sequence[Bout],
    expected_version: str,
    *,
    annotator: str | None = None,
    dropped: int = 0,
    mark_annotated: bool = False,
) -> CommitResult:
    """Replace the recording's human bouts by ``bouts`` if its labels are still at ``expected_version``.

    Only ``manual`` and ``confirmed`` bouts may be given; their ``recording`` field is ignored. Stored predictions that overlap a
    committed bout are removed (a person decided those frames); other predictions stay.

    Raises
    ------
    ConflictError
        The labels changed since ``expected_version`` was read (``"*"`` skips the check).
    InputError
        A bout past the recording's end, of a behavior outside its datasets, overlapping a
        bout of another mutually exclusive behavior, or listed twice.
    """
    wrong = [b for b in bouts if b.source not in HUMAN_SOURCES]
    if wrong:
        raise InputError(f"only manual or confirmed bouts are stored, got source {wrong[0].source!r}")
    with write_transaction(project) as session:
        row = _recording(session, recording_id)
        rows = session.execute(select(*_COLUMNS).where(BoutRow.recording_id == row.id)).all()
        current = version_of([r for r in rows if r.source in HUMAN_SOURCES])
        if expected_version != ANY_VERSION and expected_version != current:
            raise ConflictError(
                f"the labels of recording {row.name!r} changed since you read them (your version "
                f"{expected_version}, now {current}); reload them, merge your changes and commit again"
            )
        if annotator:
            bouts = [b if b.annotator else b.with_(annotator=annotator) for b in bouts]
        datasets = session.scalars(select(DatasetRow).where(DatasetRow.recordings.any(RecordingRow.id == row.id))).all()
        allowed = sorted({name for d in datasets for name in d.behaviors}) if datasets else None
        validate_bouts(bouts, n_frames=row.n_frames, behaviors=allowed, source=f"recording {row.name}")
        seen: set[tuple] = set()
        for index, bout in enumerate(bouts):
            key = _key(bout)
            if key in seen:
                raise InputError(f"{bout.behavior!r} [{bout.start}, {bout.stop}) is listed twice",
                                 location=f"bout {index + 1}")
            seen.add(key)
        for dataset in datasets:
            validate_bouts([b for b in bouts if b.behavior in dataset.behaviors], exclusive=True,
                           source=f"recording {row.name}, dataset {dataset.name}")
        covered = _Coverage(bouts)
        superseded = [r.id for r in rows if r.source == "predicted" and covered.overlaps(r.start, r.stop)]
        session.execute(delete(BoutRow).where(BoutRow.recording_id == row.id, BoutRow.source.in_(HUMAN_SOURCES)))
        for start in range(0, len(superseded), 500):
            session.execute(delete(BoutRow).where(BoutRow.id.in_(superseded[start:start + 500])))
        if bouts:
            now = utcnow()
            session.execute(insert(BoutRow.metadata.tables["bouts"]), [  # Core executemany: no per-row ORM work
                {"recording_id": row.id, "behavior": b.behavior, "start": b.start, "stop": b.stop, "agent": b.agent,
                 "target": b.target, "source": b.source, "annotator": b.annotator, "score": b.score,
                 "created_at": now}
                for b in bouts
            ])
        if mark_annotated:
            _mark_whole_recording(session, row, annotator)
    return CommitResult(stored=len(bouts), dropped=dropped, superseded=len(superseded), version=version_of(bouts))


class _Coverage:
    """The frames covered by some bouts, as sorted disjoint ``[start, stop)`` runs."""

    def __init__(self, bouts: Sequence[Bout]) -> None:
        runs: list[list[int]] = []
        for start, stop in sorted((b.start, b.stop) for b in bouts):
            if runs and start <= runs[-1][1]:
                runs[-1][1] = max(runs[-1][1], stop)
            else:
                runs.append([start, stop])
        self.starts = [r[0] for r in runs]
        self.stops = [r[1] for r in runs]

    def overlaps(self, start: int, stop: int) -> bool:
        """True if ``[start, stop)`` shares a frame with the covered runs."""
        from bisect import bisect_left

        index = bisect_left(self.starts, stop) - 1  # last run starting before ``stop``
        return index >= 0 and self.stops[index] > start


def _mark_whole_recording(session: Session, row: RecordingRow, annotator: str | None) -> None:
    exists = session.scalars(select(AnnotatedScopeRow).where(
        AnnotatedScopeRow.recording_id == row.id, AnnotatedScopeRow.behavior.is_(None),
        AnnotatedScopeRow.start == 0, AnnotatedScopeRow.stop == row.n_frames)).first()
    if exists is None:
        session.add(AnnotatedScopeRow(recording_id=row.id, behavior=None, start=0, stop=row.n_frames,
                                      annotator=annotator))
