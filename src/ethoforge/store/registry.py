"""The model registry: the ``models`` table and the bundles in ``PROJECT/models/<id>/``.

A bundle enters the registry by one rename into ``models/<id>/`` inside the database
transaction that adds its row, so a model is either fully registered (row and folder) or not
at all. Deleting renames the folder aside first and removes the files once the row is gone.
At most one model per dataset and kind is active. Kinds (`MODEL_KINDS`): ``classifier``
(behavior classifiers) and ``embedder`` (pretrained encoders, `ethoforge.ssl`).
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ethoforge.errors import ConfigError, InputError, NotFoundError
from ethoforge.store.models import DatasetRow, ModelRow

if TYPE_CHECKING:
    from ethoforge.store.project import Project

MODELS_DIR = "models"
MODEL_KINDS: tuple[str, ...] = ("classifier", "embedder")


@dataclass(frozen=True)
class ModelInfo:
    """A registered model; its bundle folder is ``path`` (relative to the project)."""

    id: int
    name: str
    dataset_id: int | None
    dataset: str | None
    family: str
    path: str
    metrics: dict[str, Any]
    config: dict[str, Any]
    active: bool
    created_at: datetime
    kind: str = "classifier"

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat(timespec="seconds") if self.created_at else None
        return data


def _info(session: Session, row: ModelRow) -> ModelInfo:
    dataset = session.get(DatasetRow, row.dataset_id) if row.dataset_id is not None else None
    return ModelInfo(
        id=row.id, name=row.name, dataset_id=row.dataset_id, dataset=dataset.name if dataset else None,
        family=row.family, path=row.path, metrics=dict(row.metrics or {}), config=dict(row.config or {}),
        active=bool(row.active), created_at=row.created_at, kind=row.kind or "classifier",
    )


def _model_row(session: Session, model_id: int | str) -> ModelRow:
    row = None
    if isinstance(model_id, int) or str(model_id).isdigit():
        row = session.get(ModelRow, int(model_id))
    if row is None:
        row = session.scalars(select(ModelRow).where(ModelRow.name == str(model_id))).first()
    if row is None:
        raise NotFoundError(f"no model {model_id!r} in the registry; list the models with `ethoforge models list` "
                            "(REST: GET /api/v1/models)")
    return row


def _move_into(source: Path, target: Path) -> None:
    """Move folder ``source`` to ``target`` so that ``target`` appears whole or not at all."""
    try:
        os.rename(source, target)
    except OSError as error:
        if error.errno != 18:  # EXDEV: another file system → copy beside the target, then rename
            raise
        temp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            shutil.copytree(source, temp)
            os.rename(temp, target)
        finally:
            shutil.rmtree(temp, ignore_errors=True)
        shutil.rmtree(source, ignore_errors=True)


def register_model(
    project: Project,
    dataset: str | int | None,
    bundle_path: str | Path,
    family: str,
    metrics: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
    *,
    name: str | None = None,
    kind: str = "classifier",
) -> ModelInfo:
    """Move the bundle folder into ``PROJECT/models/<id>/`` and add its registry row.

    The row and the folder appear together: the folder is renamed into place inside the
    database transaction and moved back if the transaction fails.

    Parameters
    ----------
    dataset
        The dataset (name or id) the model was trained on, or None.
    bundle_path
        A model bundle folder (holding ``bundle.json``); it is moved, not copied.
    name
        A unique name; default ``<dataset>-<family>-<id>`` (``<dataset>-embedder-<id>`` for embedders).
    kind
        One of `MODEL_KINDS`.

    Raises
    ------
    ConfigError
        An unknown ``kind``.
    InputError
        ``bundle_path`` is not a folder.
    NotFoundError
        No such dataset.
    """
    _check_kind(kind)
    source = Path(bundle_path).resolve()
    if not source.is_dir():
        raise InputError("not a model bundle folder", source)
    models_dir = project.root / MODELS_DIR
    models_dir.mkdir(exist_ok=True)
    moved: Path | None = None
    try:
        with project._transaction() as session:
            dataset_row = project._dataset_row(session, dataset) if dataset is not None else None
            row = ModelRow(
                dataset_id=dataset_row.id if dataset_row else None, name=name or f"pending-{uuid.uuid4().hex}",
                family=family, kind=kind, path="", metrics=dict(metrics or {}), config=dict(config or {}),
                active=False,
            )
            session.add(row)
            session.flush()
            target = models_dir / str(row.id)
            if target.exists():  # left by a crash between the rename and a commit: no row owns it
                shutil.rmtree(target)
            row.path = f"{MODELS_DIR}/{row.id}"
            if name is None:
                label = family if kind == "classifier" else kind
                row.name = f"{dataset_row.name if dataset_row else 'model'}-{label}-{row.id}"
            session.flush()
            _move_into(source, target)
            moved = target
            info = _info(session, row)
    except BaseException:
        if moved is not None and moved.exists() and not source.exists():
            os.rename(moved, source)
        raise
    return info


def list_models(project: Project, dataset: str | int | None = None, active: bool | None = None,
                kind: str | None = None) -> list[ModelInfo]:
    """Registered models, newest first, optionally of one dataset, active state and/or kind."""
    with project._sessions() as session:
        query = select(ModelRow).order_by(ModelRow.id.desc())
        if kind is not None:
            query = query.where(ModelRow.kind == _check_kind(kind))
        if dataset is not None:
            query = query.where(ModelRow.dataset_id == project._dataset_row(session, dataset).id)
        if active is not None:
            query = query.where(ModelRow.active == active)
        return [_info(session, row) for row in session.scalars(query).all()]


def get_model(project: Project, model_id: int | str) -> ModelInfo:
    """A model by id (or name); `NotFoundError` if there is none."""
    with project._sessions() as session:
        return _info(session, _model_row(session, model_id))


def activate_model(project: Project, model_id: int | str) -> ModelInfo:
    """Make a model the active one of its dataset and kind (the others of both become inactive)."""
    with project._transaction() as session:
        row = _model_row(session, model_id)
        if row.dataset_id is not None:
            session.execute(update(ModelRow).where(ModelRow.dataset_id == row.dataset_id, ModelRow.kind == row.kind,
                                                   ModelRow.id != row.id).values(active=False))
        row.active = True
        session.flush()
        return _info(session, row)


def active_model(project: Project, dataset: str | int, kind: str = "classifier") -> ModelInfo | None:
    """The active model of a dataset (of ``kind``), or None."""
    models = list_models(project, dataset=dataset, active=True, kind=kind)
    return models[0] if models else None


def delete_model(project: Project, model_id: int | str) -> None:
    """Remove a model's row and its bundle folder."""
    with project._sessions() as session:
        row = _model_row(session, model_id)
        folder = project.root / row.path if row.path else None
        row_id = row.id
    aside: Path | None = None
    if folder is not None and folder.is_dir():
        aside = folder.with_name(f".deleted-{folder.name}-{uuid.uuid4().hex[:8]}")
        os.rename(folder, aside)
    try:
        with project._transaction() as session:
            session.delete(_model_row(session, row_id))
    except BaseException:
        if aside is not None:
            os.rename(aside, folder)  # type: ignore[arg-type]
        raise
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)


def _check_kind(kind: str) -> str:
    if kind not in MODEL_KINDS:
        raise ConfigError(f"unknown model kind {kind!r}; expected one of {', '.join(MODEL_KINDS)}")
    return kind


def model_bundle_path(project: Project, model_id: int | str) -> Path:
    """The absolute path of a model's bundle folder."""
    return project.root / get_model(project, model_id).path
