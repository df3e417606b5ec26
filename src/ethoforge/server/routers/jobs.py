"""Jobs: ``/training/jobs``, ``/pretraining/jobs`` and ``/inference/jobs`` to create and list, ``/jobs/{id}`` to get,
cancel, resume and delete, ``/jobs/{id}/ws`` for live updates, and inference results.

Jobs run in the worker process; the ``jobs`` table is the source of truth, so the WebSocket
polls it (cheaply, by version) and works whichever process runs the job.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Literal

from fastapi import APIRouter, Query, Response, WebSocket, status
from fastapi.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect, WebSocketState

from ethoforge.errors import ConfigError, NotFoundError
from ethoforge.server.deps import ServerState, Settings
from ethoforge.server.paths import public_text, resolve_inside
from ethoforge.server.schemas import Id, Index, InferenceJobCreate, PretrainingJobCreate, TrainingJobCreate

router = APIRouter(tags=["jobs"])

JobStatus = Literal["pending", "preparing", "training", "completed", "failed", "cancelled"]


def _job(settings: ServerState, job_id: Id) -> dict:
    from ethoforge.jobs import get_job

    return _public(settings, get_job(settings.project, job_id).to_dict())


def _public(settings: ServerState, job: dict) -> dict:
    """A job dict whose error and log name paths relative to the project or allowed roots."""
    for key in ("error", "log"):
        if job.get(key):
            job[key] = public_text(job[key], settings.roots)
    return job


def _list(settings: ServerState, kinds: tuple[str, ...] | None, status_: Sequence[str] | None, dataset: str | None) -> dict:
    from ethoforge.jobs import list_jobs

    jobs = list_jobs(settings.project, list(status_) if status_ else None, dataset)
    return {"jobs": [_public(settings, j.to_dict()) for j in jobs if kinds is None or j.kind in kinds]}


@router.get("/jobs", summary="Jobs, newest first, filtered by kind, status and dataset")
def list_all_jobs(
    settings: Settings, kind: Literal["train", "infer", "prelabel", "encode", "pretrain"] | None = None,
    status: list[JobStatus] | None = Query(None),  # noqa: B008
    dataset: str | None = Query(None, max_length=64, description="dataset name or id"),
) -> dict:
    return _list(settings, (kind,) if kind else None, status, dataset)


@router.get("/jobs/{job_id}", summary="A job: status, progress, result, log")
def get_job(settings: Settings, job_id: Id) -> dict:
    return _job(settings, job_id)


@router.post("/jobs/{job_id}/cancel", summary="Cancel a job (a running one stops within seconds)")
def cancel_job(settings: Settings, job_id: Id) -> dict:
    from ethoforge.jobs import cancel_job as cancel

    return _public(settings, cancel(settings.project, job_id).to_dict())


@router.post("/jobs/{job_id}/resume",
             summary="Queue a failed job again (training continues from its last checkpoint), or a failed or "
                     "cancelled encode job (recordings already encoded are skipped, the rest continue from their last "
                     "finished chunk)",
             responses={409: {"description": "the job is not resumable (see its `resumable`)"}})
def resume_job(settings: Settings, job_id: Id) -> dict:
    from ethoforge.jobs import resume_job as resume

    return _public(settings, resume(settings.project, job_id, redis_url=settings.redis_url).to_dict())


@router.delete("/jobs/{job_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
               summary="Delete a finished or pending job (models it made stay)")
def delete_job(settings: Settings, job_id: Id) -> Response:
    from ethoforge.jobs import delete_job as delete

    delete(settings.project, job_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _submit(settings: Settings, kind: str, params: dict, dataset: str | int | None) -> dict:
    """Queue a job of ``kind`` (checked by the job kind before anything is stored) and answer it."""
    from ethoforge.jobs import submit_job

    return _job(settings, submit_job(settings.project, kind, params, dataset, redis_url=settings.redis_url))


# ---------------------------------------------------------------------- training


@router.post("/training/jobs", status_code=status.HTTP_201_CREATED, summary="Train a model on a dataset")
def create_training_job(settings: Settings, body: TrainingJobCreate) -> dict:
    return _submit(settings, "train", body.params, body.dataset)


@router.get("/training/jobs", summary="Training jobs, newest first")
def list_training_jobs(
    settings: Settings, status: list[JobStatus] | None = Query(None),  # noqa: B008
    dataset: str | None = Query(None, max_length=64, description="dataset name or id"),
) -> dict:
    return _list(settings, ("train",), status, dataset)


# ---------------------------------------------------------------------- pretraining


@router.post("/pretraining/jobs", status_code=status.HTTP_201_CREATED,
             summary="Pretrain a self-supervised embedder (registered as a model of kind embedder)")
def create_pretraining_job(settings: Settings, body: PretrainingJobCreate) -> dict:
    return _submit(settings, "pretrain", body.params, body.dataset)


@router.get("/pretraining/jobs", summary="Pretraining jobs, newest first")
def list_pretraining_jobs(
    settings: Settings, status: list[JobStatus] | None = Query(None),  # noqa: B008
    dataset: str | None = Query(None, max_length=64, description="dataset name or id"),
) -> dict:
    return _list(settings, ("pretrain",), status, dataset)


# ---------------------------------------------------------------------- inference


@router.post("/inference/jobs", status_code=status.HTTP_201_CREATED,
             summary="Run a model over recordings or a folder (prelabel also stores the bouts)")
def create_inference_job(settings: Settings, body: InferenceJobCreate) -> dict:
    from ethoforge.jobs import submit_job
    from ethoforge.store import registry

    project = settings.project
    try:
        model = registry.get_model(project, body.model_id)
    except NotFoundError as error:
        raise ConfigError(*error.args) from None
    params = body.model_dump(exclude={"kind", "folder", "recordings", "formats"}, exclude_none=True)
    if body.formats is not None:
        params["formats"] = body.formats
    recordings = list(body.recordings or [])
    if body.folder is not None:
        recordings += _folder_recordings(settings, body.folder)
    if recordings:
        params["recordings"] = recordings
    job_id = submit_job(project, body.kind, params, model.dataset_id, redis_url=settings.redis_url)
    return _job(settings, job_id)


def _folder_recordings(settings: ServerState, folder: str) -> list[str]:
    """Import the folder's new pose files; return the names of the recordings of all its pose
    files (one imported before, from here or from a copy elsewhere, is found by its content)."""
    from ethoforge.errors import InputError
    from ethoforge.io.poses import entry_hash
    from ethoforge.recording import content_hash
    from ethoforge.server.paths import PathNotAllowed, inside
    from ethoforge.store import find_pose_files
    from ethoforge.store.naming import recording_name_from_path

    path = resolve_inside(folder, settings.root, settings.roots)
    if not path.is_dir():
        raise InputError("not a folder", path)
    files = find_pose_files([path], own=settings.project.own_files)  # an InputError (422) when it holds none
    if any(not inside(f.resolve(), settings.roots) for f in files):
        raise PathNotAllowed("a pose file of this folder links outside the allowed folders", path)
    summary = settings.project.import_recordings(files, skip_existing=True)
    if summary.failed:
        raise next(iter(summary.failed.values()))
    hashes = {content_hash(f) for f in files}
    names = {recording_name_from_path(f) for f in summary.skipped}  # skipped: same content or same name

    def from_folder(r) -> bool:  # a sequence of a CalMS21/MABe file: hashed with its name (`entry_hash`)
        return r.content_hash in hashes or r.name in names or any(entry_hash(h, r.name) == r.content_hash
                                                                   for h in hashes)

    return [r.name for r in settings.project.recordings() if from_folder(r)]


@router.get("/inference/jobs", summary="Inference and prelabel jobs, newest first")
def list_inference_jobs(
    settings: Settings, status: list[JobStatus] | None = Query(None),  # noqa: B008
    dataset: str | None = Query(None, max_length=64),
) -> dict:
    return _list(settings, ("infer", "prelabel"), status, dataset)


@router.get("/inference/jobs/{job_id}/results", summary="Per recording: bouts, probabilities, ethogram URLs")
def inference_results(settings: Settings, job_id: Id) -> dict:
    from ethoforge.server.results import result_files

    files = result_files(settings.project, job_id)
    base = f"/api/v1/inference/jobs/{job_id}/results"
    return {"job_id": job_id, "recordings": [
        {"recording": name, "files": sorted(found),
         "urls": {"bouts": f"{base}/{index}/bouts", "probabilities": f"{base}/{index}/probabilities",
                  "ethogram": f"{base}/{index}/ethogram.png"}}
        for index, (name, found) in enumerate(files.items())
    ]}


@router.get("/inference/jobs/{job_id}/results/{index}/bouts", summary="Predicted bouts of result `index`")
def inference_bouts(settings: Settings, job_id: Id, index: Index) -> dict:
    from ethoforge.server.results import read_bouts, result_file

    name, path = result_file(settings.project, job_id, index, "bouts")
    return {"recording": name, "bouts": read_bouts(path)}


@router.get("/inference/jobs/{job_id}/results/{index}/probabilities",
            summary="Per-frame class probabilities of result `index`, frames [start, stop)")
def inference_probabilities(
    settings: Settings, job_id: Id, index: Index, start: int = Query(0, ge=0, le=2**31 - 1),
    stop: int | None = Query(None, ge=1, le=2**31 - 1),
) -> dict:
    from ethoforge.server.results import read_probabilities, result_file

    name, path = result_file(settings.project, job_id, index, "probabilities")
    return {"recording": name, **read_probabilities(path, start, stop)}


@router.get("/inference/jobs/{job_id}/results/{index}/ethogram.png", summary="Ethogram of result `index`",
            response_class=Response, responses={200: {"content": {"image/png": {}}}})
def inference_ethogram(settings: Settings, job_id: Id, index: Index) -> Response:
    from fastapi.responses import FileResponse

    from ethoforge.server.results import result_file

    _name, path = result_file(settings.project, job_id, index, "ethogram")
    return FileResponse(path, media_type="image/png")


# ---------------------------------------------------------------------- live updates


@router.websocket("/jobs/{job_id}/ws")
async def job_updates(websocket: WebSocket, job_id: Id) -> None:
    """Push ``state`` first (the job now), then ``status_change``, ``progress``, ``epoch_complete``
    and ``job_complete`` messages; the socket closes (1000) after ``job_complete``."""
    from ethoforge.jobs import JobWatcher

    settings: ServerState = websocket.app.state.ethoforge
    watcher = JobWatcher(settings.project, job_id)
    try:
        first = await run_in_threadpool(watcher.poll)
    except NotFoundError as error:
        await websocket.accept()
        await websocket.send_json({"type": "error", "job_id": job_id, "detail": str(error)})
        await websocket.close(code=4404)
        return
    await websocket.accept()
    closed = asyncio.Event()

    async def watch_client() -> None:
        try:
            while True:
                if (await websocket.receive())["type"] == "websocket.disconnect":
                    break
        except (WebSocketDisconnect, RuntimeError):
            pass
        closed.set()

    listener = asyncio.create_task(watch_client())
    try:
        messages = first + (_completion(watcher.last) if watcher.done else [])
        while True:
            for message in messages:
                await websocket.send_json(_public(settings, message))
            if watcher.done or closed.is_set():
                break
            try:
                await asyncio.wait_for(closed.wait(), timeout=settings.ws_poll_s)
                break
            except TimeoutError:
                pass
            try:
                messages = await run_in_threadpool(watcher.poll)
            except NotFoundError as error:
                await websocket.send_json({"type": "error", "job_id": job_id, "detail": f"{error} (deleted)"})
                break
        if websocket.client_state == WebSocketState.CONNECTED and not closed.is_set():
            await websocket.close(code=1000)
    except (WebSocketDisconnect, RuntimeError):  # the client went away mid-send
        pass
    finally:
        listener.cancel()


def _completion(job) -> list[dict]:
    """A ``job_complete`` message for a client that connects after the job ended."""
    return [{"type": "job_complete", "job_id": job.id, "version": job.version, "status": job.status,
             "model_id": (job.result or {}).get("model_id"), "result": job.result, "error": job.error}]
