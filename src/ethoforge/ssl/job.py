"""The ``pretrain`` job: `ethoforge.ssl.project.pretrain_in_project` under the job queue.

Params: the options of `ethoforge.ssl.PretrainConfig` (``tasks``, ``preset``, ``epochs``,
``window``...) plus ``recordings`` (names or ids; default the job's dataset's, else every
recording with poses) and ``model_name``. They are checked by `check_pretrain_request`, the
check of ``ethoforge pretrain``, before the job is stored. Progress is per epoch with an ETA;
``progress.metrics`` holds each task's train and held-out loss and accuracy (``<task>_loss``,
``val_<task>_accuracy``...), ``progress.history`` every epoch's. The run folder is
``PROJECT/jobs/<id>/``: cancelling removes it (nothing is registered); a failed job resumed
continues from ``jobs/<id>/.bundle.partial/checkpoints/latest.pt``, the last finished epoch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ethoforge.errors import ConfigError

if TYPE_CHECKING:
    from ethoforge.jobs.runner import Reporter
    from ethoforge.store import Project
    from ethoforge.store.jobs_repo import JobInfo

PRETRAIN_EXTRAS: tuple[str, ...] = ("recordings", "model_name")


def split_pretrain_params(params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Pretrain job params as ``(PretrainConfig options, extras)`` (`PRETRAIN_EXTRAS`), not validated."""
    options = {k: v for k, v in params.items() if k not in PRETRAIN_EXTRAS}
    extra = {k: v for k, v in params.items() if k in PRETRAIN_EXTRAS}
    return options, extra


def check_pretrain_params(project: Project, params: dict[str, Any], dataset_id: int | None) -> dict[str, Any]:
    """Validate a pretrain job's params before it is stored (the message names the JSON field)."""
    from ethoforge.ssl.project import check_pretrain_request

    if params.get("resume"):
        raise ConfigError("'resume' is set by resuming the job, from its last checkpoint; do not pass it")
    options, extra = split_pretrain_params(params)
    wanted = extra.get("recordings")
    if wanted is not None and (not isinstance(wanted, list) or not wanted or not all(_is_ref(n) for n in wanted)):
        raise ConfigError("'recordings' must be a non-empty list of recording names or ids")
    name = extra.get("model_name")
    if name is not None and not (isinstance(name, str) and 0 < len(name) <= 128):
        raise ConfigError("'model_name' must be a string of 1-128 characters")
    check_pretrain_request(project, options, recordings=wanted, dataset=dataset_id, files=False)
    return params


def _is_ref(value: Any) -> bool:
    """A recording name (1-255 characters) or id (0 to 2**31 - 1, what the database holds)."""
    if isinstance(value, str):
        return 0 < len(value) <= 255
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31


def pretrain_body(project: Project, job: JobInfo, reporter: Reporter) -> dict[str, Any]:
    """Pretrain an embedder in ``jobs/<id>/`` and register it; the result names the model."""
    from ethoforge.jobs.bodies import checkpoint_path
    from ethoforge.jobs.runner import JobCancelled, _jsonable
    from ethoforge.jobs.supervisor import job_dir
    from ethoforge.ssl.project import pretrain_in_project
    from ethoforge.store import jobs_repo

    options, extra = split_pretrain_params(job.params)
    if options.get("resume"):
        options["resume"] = str(project.root / options["resume"])
        reporter.log(f"resuming from checkpoint {options['resume']}")
    if not reporter.stage("reading recordings"):
        raise JobCancelled()
    checkpoint = checkpoint_path(project.root, job.id)

    def loading(done: int, total: int, name: str) -> bool:
        if done < total:
            return reporter.stage(f"read {done}/{total} recordings (last: {name})")
        return reporter.stage(f"read {total} recordings; computing features and pretraining epoch 1")

    def progress(epoch: int, epochs: int, row: dict) -> bool:
        reporter.add_epoch(row)
        keys: dict[str, Any] = {"epoch": epoch, "epochs": epochs}
        if checkpoint.is_file():
            keys["checkpoint"] = str(checkpoint.relative_to(project.root))
        accuracy = ", ".join(f"{key[4:-9]} {value:.2f}" for key, value in row.items()
                             if key.startswith("val_") and key.endswith("_accuracy"))
        message = f"epoch {epoch}/{epochs}: held-out loss {row['val_loss']:.4g}; accuracy {accuracy}"
        return reporter.step(epoch, epochs, row, message=message, **keys)

    trained = pretrain_in_project(
        project, options, recordings=extra.get("recordings"), dataset=job.dataset_id, progress=progress,
        name=extra.get("model_name"), run_dir=job_dir(project.root, job.id),
        should_stop=lambda: reporter.cancel_requested, loading=loading,
    )
    reporter.progress["history"] = [_jsonable(row) for row in trained.result.history]  # incl. epochs before a resume
    reporter.progress.pop("checkpoint", None)  # the work folder became the registered bundle
    jobs_repo.write_progress(project, job.id, dict(reporter.progress))
    return {"model_id": trained.info.id, "model_name": trained.info.name, "kind": trained.info.kind,
            "tasks": trained.result.tasks, "best_epoch": trained.result.best_epoch + 1,
            "metrics": trained.result.metrics}
