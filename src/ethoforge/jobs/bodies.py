"""What each kind of job does, run inside the job process (`ethoforge.jobs.runner`).

A body takes the open project, the job and a `Reporter`, does the work, and returns the
job's ``result`` dict; it raises `JobCancelled` (or `ethoforge.errors.Cancelled`) to stop.

- ``train``: `ethoforge.workflows.train_in_project` (the workflow of the CLI and the Python
  API too) on the dataset's recordings, with ``PROJECT/jobs/<id>/`` as its run folder
  (checkpoints in ``jobs/<id>/.bundle.partial/``). Result ``{"model_id", "model_name", "metrics"}``.
- ``infer``: a registered model over recordings (`ethoforge.workflows.infer_many`) → probabilities
  and bouts in ``PROJECT/inference/job_<id>/`` (frame table, bouts, BORIS, ethogram). Result
  ``{"model_id", "outputs", "recordings"}``; the job fails if any recording failed.
- ``encode``: recordings' videos through a frame encoder into the feature cache
  (`ethoforge.video.job`).
- ``pretrain``: a self-supervised embedder (`ethoforge.ssl.job`), pretrained in
  ``PROJECT/jobs/<id>/`` like ``train`` and registered as a model of kind ``embedder``.
- ``prelabel``: as ``infer``, and the predicted bouts are stored with ``source="predicted"``
  (`ethoforge.store.Project.replace_predicted_bouts`: earlier predictions of the model's
  behaviors are replaced; frames humans labelled are left out).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ethoforge.errors import ConfigError, EthoForgeError
from ethoforge.jobs.params import split_train_params
from ethoforge.jobs.runner import JobCancelled, Reporter, _jsonable
from ethoforge.jobs.supervisor import job_dir
from ethoforge.store import jobs_repo, registry
from ethoforge.workflows import BUNDLE_DIR

if TYPE_CHECKING:
    from ethoforge.store import Project
    from ethoforge.store.jobs_repo import JobInfo

INFERENCE_DIR = "inference"


def checkpoint_path(project_root: Path, job_id: int) -> Path:
    """Where a training (or pretraining) job's latest checkpoint is written while it runs."""
    return job_dir(project_root, job_id) / f".{BUNDLE_DIR}.partial" / "checkpoints" / "latest.pt"


def inference_dir(project_root: Path, job_id: int) -> Path:
    """Where an inference or prelabel job writes its output files."""
    return Path(project_root) / INFERENCE_DIR / f"job_{int(job_id)}"


def train_body(project: Project, job: JobInfo, reporter: Reporter) -> dict[str, Any]:
    """Train on the job's dataset and register the model (`ethoforge.workflows.train_in_project`)."""
    from ethoforge.workflows import train_in_project

    options, extra = split_train_params(job.params)
    if job.dataset_id is None:
        raise ConfigError(f"training job {job.id} has no dataset")
    dataset = project.get_dataset(job.dataset_id)
    names = extra.get("recordings") or dataset.recordings
    if not reporter.stage(f"loading {len(names)} recordings of dataset {dataset.name!r}"):
        raise JobCancelled()
    if options.get("resume"):
        options["resume"] = str(project.root / options["resume"])
        reporter.log(f"resuming from checkpoint {options['resume']}")
    checkpoint = checkpoint_path(project.root, job.id)

    def loading(done: int, total: int, name: str) -> bool:
        if reporter.cancel_requested:
            return False
        return done < total or reporter.stage("computing features and training")

    def features(done: int, total: int, name: str) -> bool:
        return reporter.stage(f"features of {done}/{total} recordings computed (last: {name})")

    def progress(step: int, total: int, metrics: dict) -> bool:
        epochs = max(int(options.get("epochs", 0) or 0), 1)
        extra_keys: dict[str, Any] = {"epochs": options.get("epochs")}
        if "epoch" in metrics:
            extra_keys["epoch"] = int(metrics["epoch"]) + 1
            extra_keys["trial"] = int(metrics.get("trial", 0))
            reporter.add_epoch(metrics)
        elif total:
            extra_keys["epoch"] = (step - 1) % epochs + 1
        if checkpoint.is_file():
            extra_keys["checkpoint"] = str(checkpoint.relative_to(project.root))
        summary = ", ".join(f"{k}={v:.4g}" for k, v in metrics.items() if isinstance(v, float))
        return reporter.step(step, total, metrics, message=f"step {step}/{total} {summary}", **extra_keys)

    trained = train_in_project(
        project, options, recordings=names, dataset=dataset.name, progress=progress,
        name=extra.get("model_name"), activate=bool(extra.get("activate")), run_dir=job_dir(project.root, job.id),
        features=features,
        loading=loading, should_stop=lambda: jobs_repo.should_stop(project, job.id), warn=reporter.log,
    )
    reporter.progress["history"] = [_jsonable(row) for row in trained.result.history]  # incl. epochs before a resume
    reporter.progress.pop("checkpoint", None)  # the work folder became the registered bundle
    jobs_repo.write_progress(project, job.id, dict(reporter.progress))
    return {"model_id": trained.model.id, "model_name": trained.model.name, "metrics": trained.model.metrics}


def _targets(project: Project, job: JobInfo) -> list[str]:
    requested = job.params.get("recordings")
    if requested:
        return [project.get_recording(r).name for r in requested]
    if job.dataset_id is not None:
        return list(project.get_dataset(job.dataset_id).recordings)
    return [r.name for r in project.recordings()]


def infer_body(project: Project, job: JobInfo, reporter: Reporter, *, store_bouts: bool = False) -> dict[str, Any]:
    """Run a model over recordings and write its outputs (and, for prelabel, store the bouts)."""
    from ethoforge.inference.export import EXPORT_FORMATS
    from ethoforge.workflows import infer_many

    params = job.params
    model = registry.get_model(project, params["model_id"])
    names = _targets(project, job)
    out_dir = inference_dir(project.root, job.id)
    out_dir.mkdir(parents=True, exist_ok=True)
    total = len(names)
    if not reporter.step(0, total, None, status="training", message=f"running model {model.name} over {total} recordings"):
        raise JobCancelled()

    def progress(done: int, _total: int, name: str) -> bool:
        return reporter.step(done, total, {"recording": name}, message=f"{name} done")

    run = infer_many(
        model.id, names, out_dir, project=project, min_bout=int(params.get("min_bout", 1)),
        smoothing=int(params.get("smoothing", 1)), merge_gap=int(params.get("merge_gap", 0)),
        device=params.get("device", "auto"), formats=params.get("formats", EXPORT_FORMATS),
        progress=progress, should_stop=lambda: reporter.cancel_requested,
    )
    for name, count in run.bouts.items():
        reporter.log(f"{name}: {count} bouts")
    result: dict[str, Any] = {"model_id": model.id, "outputs": str(out_dir.relative_to(project.root)),
                              "recordings": names}
    if store_bouts:
        result["stored_bouts"] = sum(project.replace_predicted_bouts(name, bouts, behaviors=run.behaviors)
                                     for name, bouts in run.predicted.items())
    if run.failed:
        failures = "; ".join(f"{name}: {message}" for name, message in run.failed.items())
        raise EthoForgeError(f"inference failed on {len(run.failed)} of {total} recordings: {failures}")
    return result


def prelabel_body(project: Project, job: JobInfo, reporter: Reporter) -> dict[str, Any]:
    """`infer_body` that stores the predicted bouts."""
    return infer_body(project, job, reporter, store_bouts=True)


def encode_body(project: Project, job: JobInfo, reporter: Reporter) -> dict[str, Any]:
    """Encode recordings' videos (`ethoforge.video.job.encode_body`)."""
    from ethoforge.video.job import encode_body as body

    return body(project, job, reporter)


def pretrain_body(project: Project, job: JobInfo, reporter: Reporter) -> dict[str, Any]:
    """Pretrain and register an embedder (`ethoforge.ssl.job.pretrain_body`)."""
    from ethoforge.ssl.job import pretrain_body as body

    return body(project, job, reporter)


BODIES: dict[str, Callable[[Project, JobInfo, Reporter], dict[str, Any]]] = {
    "encode": encode_body,
    "pretrain": pretrain_body,
    "train": train_body,
    "infer": infer_body,
    "prelabel": prelabel_body,
}
