"""``/datasets``: create (name, 1-20 behaviors, recordings/folders), list with the active model's
metrics, get, update, delete."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from ethoforge.server.deps import ServerState, Settings
from ethoforge.server.paths import public_path, resolve_inside
from ethoforge.server.schemas import DatasetCreate, DatasetUpdate, Id

router = APIRouter(tags=["datasets"])


def _with_model(settings: ServerState, info) -> dict:
    from ethoforge.store import registry

    data = info.to_dict()
    data["folders"] = [public_path(folder, settings.roots) for folder in data.get("folders") or []]
    model = registry.active_model(settings.project, info.id)
    data["active_model"] = None if model is None else {"id": model.id, "name": model.name, "family": model.family}
    data["metrics"] = model.metrics if model is not None else None
    counts = settings.project.human_bout_counts(info.recordings)
    data["bouts_per_behavior"] = {behavior: counts.get(behavior, 0) for behavior in info.behaviors}
    return data


@router.get("/datasets", summary="Every dataset, with its human bouts per behavior and the metrics of its active model")
def list_datasets(settings: Settings) -> dict:
    return {"datasets": [_with_model(settings, d) for d in settings.project.datasets()]}


@router.post("/datasets", status_code=status.HTTP_201_CREATED, summary="Create a dataset")
def create_dataset(settings: Settings, body: DatasetCreate) -> dict:
    folders = [resolve_inside(folder, settings.root, settings.roots) for folder in body.folders]
    info = settings.project.create_dataset(body.name, body.behaviors, body.recordings, folders)
    return _with_model(settings, info)


@router.get("/datasets/{dataset_id}", summary="A dataset")
def get_dataset(settings: Settings, dataset_id: Id) -> dict:
    return _with_model(settings, settings.project.get_dataset(_by_id(settings, dataset_id)))


@router.patch("/datasets/{dataset_id}", summary="Rename, change behaviors or recordings")
def update_dataset(settings: Settings, dataset_id: Id, body: DatasetUpdate) -> dict:
    info = settings.project.update_dataset(
        _by_id(settings, dataset_id), name=body.name, behaviors=body.behaviors, recordings=body.recordings,
        add_recordings=body.add_recordings, remove_recordings=body.remove_recordings,
    )
    return _with_model(settings, info)


@router.delete("/datasets/{dataset_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
               summary="Delete a dataset (recordings, labels and models stay)")
def delete_dataset(settings: Settings, dataset_id: Id) -> Response:
    settings.project.delete_dataset(_by_id(settings, dataset_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _by_id(settings: ServerState, dataset_id: Id) -> int:
    """The dataset id, checked to exist as an id (the store would also take a name like "3")."""
    from ethoforge.errors import NotFoundError

    if not any(d.id == dataset_id for d in settings.project.datasets()):
        raise NotFoundError(f"no dataset with id {dataset_id}; GET /api/v1/datasets lists them")
    return dataset_id
