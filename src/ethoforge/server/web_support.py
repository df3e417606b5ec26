"""Endpoints the web front end needs beyond the core API: label drafts, uncertainty ranking,
and per-recording results of inference jobs (bout table, CSV / BORIS / NWB / ethogram files).

Mounted with ``app.include_router(router)``; every path is under ``/api/v1``. Files are found
from ids (job id, recording name, format), never from a path sent by the client.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi import Path as FastPath
from fastapi.responses import FileResponse

from ethoforge.errors import EthoForgeError, NotFoundError

if TYPE_CHECKING:
    import numpy as np

    from ethoforge.store import Project

router = APIRouter(prefix="/api/v1", tags=["web"])

DRAFTS_DIR = "drafts"
MAX_DRAFT_BYTES = 8_000_000
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")
EXPORTS: dict[str, tuple[str, str]] = {  # format -> (file suffix, media type)
    "csv": ("_bouts.csv", "text/csv"),
    "boris": ("_boris.csv", "text/csv"),
    "nwb": ("_labels.nwb", "application/x-hdf5"),
    "frames": ("_frames.csv", "text/csv"),
    "ethogram": ("_ethogram.png", "image/png"),
}


def _project(request: Request) -> Project:
    """The app's open project (see `ethoforge.server.deps`)."""
    from ethoforge.server.deps import project

    return project(request)


def _http(error: EthoForgeError) -> HTTPException:
    status = 404 if isinstance(error, NotFoundError) else 409 if type(error).__name__ == "ConflictError" else 422
    return HTTPException(status, error.message("rest"))


def _recording(project: Project, ref: str):
    try:
        return project.get_recording(int(ref) if ref.isdigit() else ref)
    except EthoForgeError as error:
        raise _http(error) from None


# ---------------------------------------------------------------------- drafts

DraftSlot = Annotated[str | None, Query(
    pattern=r"^[A-Za-z0-9_-]{1,64}$",
    description="which draft of the recording (the web app uses one per page and dataset, e.g. "
                "'label-d1', 'review-d1'), so drafts made in different places never replace each other; "
                "absent: the recording's default draft")]


def _draft_path(project: Project, recording_id: int, slot: str | None = None) -> Path:
    name = f"{int(recording_id)}.json" if slot is None else f"{int(recording_id)}.{slot}.json"
    return project.root / DRAFTS_DIR / name


def _read_draft(path: Path) -> dict[str, Any] | None:
    try:
        draft = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return draft if isinstance(draft, dict) else None


@router.get("/recordings/{recording}/draft")
def get_draft(recording: str, request: Request, slot: DraftSlot = None) -> dict[str, Any]:
    """The unsaved labeling draft of a recording in ``slot``: ``{"draft": {...} | null}``."""
    project = _project(request)
    path = _draft_path(project, _recording(project, recording).id, slot)
    return {"draft": _read_draft(path) if path.is_file() else None}


@router.get("/recordings/{recording}/drafts")
def list_drafts(recording: str, request: Request) -> dict[str, Any]:
    """Every unsaved draft of a recording, newest first: slot, dataset, page, bouts, saved_at."""
    project = _project(request)
    rec_id = _recording(project, recording).id
    folder = project.root / DRAFTS_DIR
    found = []
    for path in [folder / f"{rec_id}.json", *folder.glob(f"{rec_id}.*.json")]:
        draft = _read_draft(path) if path.is_file() else None
        if draft is None:
            continue
        parts = path.name.split(".")
        found.append({"slot": parts[1] if len(parts) == 3 else None, "dataset": draft.get("dataset"),
                      "review": bool(draft.get("review")), "saved_at": draft.get("saved_at"),
                      "bouts": len(draft.get("bouts") or [])})
    found.sort(key=lambda d: d["saved_at"] if isinstance(d["saved_at"], int | float) else 0, reverse=True)
    return {"recording_id": rec_id, "drafts": found}


@router.put("/recordings/{recording}/draft")
async def put_draft(recording: str, request: Request, slot: DraftSlot = None) -> dict[str, Any]:
    """Store the unsaved labeling draft of a recording in ``slot`` (a JSON object with a ``bouts`` list)."""
    from ethoforge.atomic import write_text_atomic

    project = _project(request)
    info = _recording(project, recording)
    body = await request.body()
    if len(body) > MAX_DRAFT_BYTES:
        raise HTTPException(413, f"draft of {len(body)} bytes is larger than the {MAX_DRAFT_BYTES} allowed")
    try:
        draft = json.loads(body)
    except ValueError as error:
        raise HTTPException(422, f"the draft is not valid JSON: {error}") from None
    if not isinstance(draft, dict) or not isinstance(draft.get("bouts"), list):
        raise HTTPException(422, "a draft must be a JSON object with a 'bouts' list")
    path = _draft_path(project, info.id, slot)
    path.parent.mkdir(exist_ok=True)
    write_text_atomic(path, json.dumps(draft))
    return {"saved": True, "recording_id": info.id, "slot": slot, "bouts": len(draft["bouts"])}


@router.delete("/recordings/{recording}/draft")
def delete_draft(recording: str, request: Request, slot: DraftSlot = None) -> dict[str, Any]:
    """Discard the draft in ``slot`` of a recording (after a commit, or when the user chooses to)."""
    project = _project(request)
    path = _draft_path(project, _recording(project, recording).id, slot)
    existed = path.is_file()
    path.unlink(missing_ok=True)
    return {"deleted": existed}


# ---------------------------------------------------------------------- inference outputs

def _stem(name: str) -> str:
    return _UNSAFE.sub("_", name).strip("._") or "recording"


def _job_outputs(project: Project, job_id: int):
    from ethoforge.jobs.api import get_job

    try:
        job = get_job(project, job_id)
    except EthoForgeError as error:
        raise _http(error) from None
    if job.kind not in ("infer", "prelabel"):
        raise HTTPException(404, f"job {job_id} is a {job.kind} job; only inference jobs have results")
    if job.status != "completed" or not job.result:
        raise HTTPException(409, f"job {job_id} is {job.status}; results exist once it has completed")
    return job, project.root / job.result["outputs"]


def _result_recording(job, recording: str) -> str:
    names = list(job.result.get("recordings", []))
    if recording not in names:
        raise HTTPException(404, f"job {job.id} has no results for recording {recording!r}; it ran on {names}")
    return recording


def completed_predictions(project: Project, model_id: int) -> dict[str, Path]:
    """``{recording name: frames table}`` from the newest completed inference of ``model_id``."""
    from ethoforge.jobs.api import list_jobs

    found: dict[str, Path] = {}
    for job in list_jobs(project, status="completed"):  # newest first
        if job.kind not in ("infer", "prelabel") or job.params.get("model_id") != model_id or not job.result:
            continue
        folder = project.root / job.result.get("outputs", "")
        for name in job.result.get("recordings", []):
            if name in found:
                continue
            for suffix in ("_frames.parquet", "_frames.csv"):
                if (folder / f"{_stem(name)}{suffix}").is_file():
                    found[name] = folder / f"{_stem(name)}{suffix}"
                    break
    return found


@router.get("/jobs/{job_id}/recordings/{recording}/bouts")
def job_bouts(job_id: int, recording: str, request: Request) -> dict[str, Any]:
    """The predicted bouts of one recording of a completed inference job (frames ``[start, stop)``)."""
    import pandas as pd

    project = _project(request)
    job, folder = _job_outputs(project, job_id)
    name = _result_recording(job, recording)
    path = folder / f"{_stem(name)}_bouts.csv"
    if not path.is_file():
        raise HTTPException(404, f"job {job_id} did not write a bout table for {name!r} (formats {job.params.get('formats')})")
    table = pd.read_csv(path)
    fps = project.get_recording(name).fps
    rows = [
        {"behavior": str(r.behavior), "start": int(r.start), "stop": int(r.stop),
         "start_s": round(int(r.start) / fps, 3), "stop_s": round(int(r.stop) / fps, 3),
         "score": None if pd.isna(r.score) else float(r.score)}
        for r in table.itertuples(index=False)
    ]
    return {"job_id": job_id, "recording": name, "fps": fps, "bouts": rows}


@router.get("/jobs/{job_id}/recordings/{recording}/files/{fmt}")
def job_file(job_id: int, recording: str, fmt: Literal["csv", "boris", "nwb", "frames", "ethogram"],
             request: Request) -> FileResponse:
    """One output file of one recording of a completed inference job (NWB is written on first request)."""
    project = _project(request)
    job, folder = _job_outputs(project, job_id)
    name = _result_recording(job, recording)
    suffix, media = EXPORTS[fmt]
    path = folder / f"{_stem(name)}{suffix}"
    if fmt == "nwb" and not path.is_file():
        _write_nwb(project, folder, name, path)
    if not path.is_file():
        raise HTTPException(404, f"job {job_id} did not write a {fmt} file for {name!r}")
    return FileResponse(path, media_type=media, filename=path.name)


def _write_nwb(project: Project, folder: Path, name: str, path: Path) -> None:
    import pandas as pd

    from ethoforge.atomic import atomic_path
    from ethoforge.io.labels import save_labels
    from ethoforge.labels import bouts_from_dataframe

    table_path = folder / f"{_stem(name)}_bouts.csv"
    if not table_path.is_file():
        raise HTTPException(404, f"no bout table for {name!r} to convert to NWB")
    bouts = bouts_from_dataframe(pd.read_csv(table_path), table_path)
    info = project.get_recording(name)
    behaviors = sorted({b.behavior for b in bouts})
    with atomic_path(path) as temporary:
        save_labels(bouts, temporary, "nwb", fps=info.fps, n_frames=info.n_frames, behaviors=behaviors or None)


# ---------------------------------------------------------------------- uncertainty

@router.get("/datasets/{dataset}/uncertainty")
def uncertainty(
    dataset: Annotated[str, FastPath(max_length=255)], model_id: Annotated[int, Query(ge=0, le=2**31 - 1)],
    request: Request, window: Annotated[int, Query(ge=1, le=100_000)] = 300,
    top: Annotated[int, Query(ge=1, le=1000)] = 20,
) -> dict[str, Any]:
    """Rank the dataset's recordings, and stretches of ``window`` frames, by the model's uncertainty.

    Uncertainty of a frame is ``1 - max class probability`` from the newest completed inference
    (or pre-label) job of ``model_id`` on that recording; recordings without one are listed in
    ``missing``.
    """
    import numpy as np

    from ethoforge.store import registry

    project = _project(request)
    try:
        info = project.get_dataset(dataset)
        model = registry.get_model(project, model_id)
    except EthoForgeError as error:
        raise _http(error) from None
    tables = completed_predictions(project, model.id)
    recordings: list[dict[str, Any]] = []
    stretches: list[dict[str, Any]] = []
    missing: list[str] = []
    for name in info.recordings:
        path = tables.get(name)
        if path is None:
            missing.append(name)
            continue
        values = _uncertainty_of(path)
        rec_id = project.get_recording(name).id
        recordings.append({"recording": name, "recording_id": rec_id, "uncertainty": float(values.mean()),
                           "frames": int(values.size)})
        n = values.size // window
        if n:
            means = values[: n * window].reshape(n, window).mean(axis=1)
            stretches.extend({"recording": name, "recording_id": rec_id, "start": int(i * window),
                              "stop": int((i + 1) * window), "uncertainty": float(means[i])}
                             for i in np.argsort(-means)[:top])
    recordings.sort(key=lambda r: -r["uncertainty"])
    stretches.sort(key=lambda s: -s["uncertainty"])
    return {"model_id": model.id, "window": window, "recordings": recordings, "stretches": stretches[:top],
            "missing": missing}


def _uncertainty_of(path: Path) -> np.ndarray:
    """Per frame, 1 - the highest class probability of a predictions table."""
    import pandas as pd

    table = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    probs = table.drop(columns=[c for c in ("frame", "time_s", "label") if c in table.columns])
    return 1.0 - probs.to_numpy(dtype=float).max(axis=1)
