"""``/models``: list (by dataset, active), details with metrics and report files, activate,
delete, download the bundle as a zip; report files by model id and a whitelisted key."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import FileResponse

from ethoforge.errors import NotFoundError
from ethoforge.server.deps import ServerState, Settings
from ethoforge.server.schemas import Id

router = APIRouter(tags=["models"])

REPORT_FILES: dict[str, tuple[str, str]] = {
    "bundle": ("bundle.json", "application/json"),
    "performance_report": ("performance_report.yaml", "application/yaml"),
    "history": ("history.json", "application/json"),
    "confusion_matrix": ("confusion_matrix_BEST.png", "image/png"),
    "confusion_matrix_csv": ("confusion_matrix_BEST.csv", "text/csv"),
    "class_share_csv": ("class_share.csv", "text/csv"),
    "plot_loss": ("plots/loss.png", "image/png"),
    "plot_f1": ("plots/f1.png", "image/png"),
    "plot_precision": ("plots/precision.png", "image/png"),
    "plot_recall": ("plots/recall.png", "image/png"),
    "plot_lr": ("plots/lr.png", "image/png"),
    "plot_class_share": ("plots/class_share.png", "image/png"),
    "plot_pretrain": ("plots/pretrain_history.png", "image/png"),  # an embedder's per-task curves
}
"""File key → (path inside the bundle, media type): the only files served."""


def _bundle_dir(settings: ServerState, model) -> Path:
    return (settings.root / model.path).resolve()


def _report_path(settings: ServerState, model, key: str) -> Path | None:
    folder = _bundle_dir(settings, model)
    path = folder / REPORT_FILES[key][0]
    if path.is_file() and not path.is_symlink() and path.resolve().is_relative_to(folder):
        return path
    return None


def _details(settings: ServerState, model) -> dict:
    data = model.to_dict()
    data["files"] = {key: f"/api/v1/models/{model.id}/files/{key}" for key in REPORT_FILES
                     if _report_path(settings, model, key) is not None}
    data["download"] = f"/api/v1/models/{model.id}/bundle.zip"
    return data


@router.get("/models", summary="Registered models, newest first")
def list_models(
    settings: Settings, dataset: str | None = Query(None, max_length=64, description="dataset name or id"),
    active: bool | None = None,
    kind: Literal["classifier", "embedder"] | None = Query(None, description="classifier or embedder"),
) -> dict:
    from ethoforge.store import registry

    return {"models": [m.to_dict() for m in registry.list_models(settings.project, dataset, active, kind)]}


@router.get("/models/{model_id}", summary="A model: metrics, config and its report files")
def get_model(settings: Settings, model_id: Id) -> dict:
    from ethoforge.store import registry

    return _details(settings, registry.get_model(settings.project, model_id))


@router.post("/models/{model_id}/activate", summary="Make the model its dataset's active one")
def activate_model(settings: Settings, model_id: Id) -> dict:
    from ethoforge.store import registry

    registry.get_model(settings.project, model_id)  # 404 before any write
    return _details(settings, registry.activate_model(settings.project, model_id))


@router.delete("/models/{model_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
               summary="Remove a model and its bundle")
def delete_model(settings: Settings, model_id: Id) -> Response:
    from ethoforge.store import registry

    registry.get_model(settings.project, model_id)
    registry.delete_model(settings.project, model_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/models/{model_id}/files/{key}", summary="A report file of the model, by key",
            response_class=FileResponse)
def get_model_file(settings: Settings, model_id: Id, key: str) -> FileResponse:
    from ethoforge.store import registry

    model = registry.get_model(settings.project, model_id)
    if key not in REPORT_FILES:
        raise NotFoundError(f"no report file {key!r}; files are named by key: {', '.join(REPORT_FILES)}")
    path = _report_path(settings, model, key)
    if path is None:
        raise NotFoundError(f"model {model_id} has no {REPORT_FILES[key][0]}")
    return FileResponse(path, media_type=REPORT_FILES[key][1])


@router.get("/models/{model_id}/bundle.zip", summary="The model bundle as a zip (checkpoints left out)",
            response_class=FileResponse, responses={200: {"content": {"application/zip": {}}}})
def download_model(settings: Settings, model_id: Id) -> FileResponse:
    import os
    import re
    import tempfile
    import zipfile

    from starlette.background import BackgroundTask

    from ethoforge.store import registry

    model = registry.get_model(settings.project, model_id)
    folder = _bundle_dir(settings, model)
    if not folder.is_dir():
        raise NotFoundError(f"the bundle folder of model {model_id} is missing ({model.path})")
    top = re.sub(r"[^A-Za-z0-9_.\-]+", "_", model.name).strip("._") or f"model-{model.id}"
    handle, temporary = tempfile.mkstemp(suffix=".zip")
    os.close(handle)
    with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if path.is_symlink() or not path.is_file() or relative.parts[0] == "checkpoints":
                continue
            archive.write(path, f"{top}/{relative.as_posix()}")
    return FileResponse(temporary, media_type="application/zip", filename=f"{top}.zip",
                        background=BackgroundTask(os.unlink, temporary))
