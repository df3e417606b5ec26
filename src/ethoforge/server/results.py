"""Inference outputs of a job, found from the job's result (never from a client's path).

A job's outputs are in ``PROJECT/<result["outputs"]>/<stem>_{bouts.csv,frames.parquet,
frames.csv,ethogram.png}`` (`ethoforge.inference.export`), one stem per recording listed in
the result; clients name a recording by its index in that list.
"""

from __future__ import annotations

import re
from pathlib import Path

from ethoforge.errors import ConflictError, NotFoundError

KIND_SUFFIXES = {
    "bouts": ("_bouts.csv",),
    "probabilities": ("_frames.parquet", "_frames.csv"),
    "ethogram": ("_ethogram.png",),
}
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")  # as ethoforge.inference.export names its files
MAX_FRAMES = 20_000


def _stem(name: str) -> str:
    return _UNSAFE.sub("_", name).strip("._") or "recording"


def _outputs(project, job_id: int) -> tuple[Path, list[str]]:
    from ethoforge.jobs import get_job

    job = get_job(project, job_id)
    if job.kind not in ("infer", "prelabel"):
        raise NotFoundError(f"job {job_id} is a {job.kind} job; only inference jobs have results")
    if job.status != "completed" or not job.result or not job.result.get("outputs"):
        raise ConflictError(f"job {job_id} is {job.status}; its results exist once it has completed")
    folder = (project.root / job.result["outputs"]).resolve()
    if not folder.is_relative_to(project.root.resolve()):
        raise NotFoundError(f"the outputs of job {job_id} are not in the project")
    return folder, list(job.result.get("recordings") or [])


def result_files(project, job_id: int) -> dict[str, list[str]]:
    """``{recording: [kinds present]}`` for a completed inference job."""
    folder, names = _outputs(project, job_id)
    return {name: [kind for kind, suffixes in KIND_SUFFIXES.items()
                   if any((folder / f"{_stem(name)}{s}").is_file() for s in suffixes)] for name in names}


def result_file(project, job_id: int, index: int, kind: str) -> tuple[str, Path]:
    """The recording name and the file of ``kind`` for result ``index`` of a job."""
    folder, names = _outputs(project, job_id)
    if not 0 <= index < len(names):
        raise NotFoundError(f"job {job_id} has results 0-{len(names) - 1}, not {index}")
    for suffix in KIND_SUFFIXES[kind]:
        path = folder / f"{_stem(names[index])}{suffix}"
        if path.is_file():
            return names[index], path
    raise NotFoundError(f"job {job_id} wrote no {kind} for {names[index]!r} (see its 'formats' option)")


def read_bouts(path: Path) -> list[dict]:
    """Bouts of a ``*_bouts.csv`` as JSON-ready dicts."""
    import pandas as pd  # type: ignore[import-untyped]

    from ethoforge.labels import bouts_from_dataframe

    frame = pd.read_csv(path, keep_default_na=True)
    return [dict(b.__dict__) for b in bouts_from_dataframe(frame, path)]


def read_probabilities(path: Path, start: int, stop: int | None) -> dict:
    """``classes``, ``start``, ``stop`` and ``probabilities`` (rows of frames) from a frame table."""
    import pandas as pd  # type: ignore[import-untyped]

    frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    classes = [c for c in frame.columns if c not in ("frame", "time_s", "label")]
    stop = min(len(frame), start + MAX_FRAMES if stop is None else stop)
    if stop - start > MAX_FRAMES:
        from ethoforge.errors import InputError

        raise InputError(f"at most {MAX_FRAMES} frames per request, asked for {stop - start}", location="stop")
    part = frame.iloc[start:stop]
    return {"classes": classes, "start": start, "stop": max(start, stop), "n_frames": len(frame),
            "labels": part["label"].astype(str).tolist() if "label" in part else None,
            "probabilities": part[classes].round(4).to_numpy().tolist()}
