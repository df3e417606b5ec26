"""The child process that runs one job: ``python -m ethoforge.jobs.runner ROOT JOB_ID WORKER PARENT_PID``.

It reads the job from the database, runs its body (`ethoforge.jobs.bodies`) with a
`Reporter` that stores progress and heartbeats and asks the body to stop when a cancel is
requested, and gives the job its final status. It dies with its worker (Linux parent-death
signal, and a watchdog thread that notices a new parent), so a killed worker stops its jobs.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from ethoforge.store import jobs_repo

CANCEL_POLL_S = 0.5  # least time between two cancel checks of a frequently called callback
HISTORY_LIMIT = 500  # epoch rows kept in progress["history"]


class JobCancelled(Exception):
    """Raised inside a body when the job was asked to stop."""


class Reporter:
    """Stores a job's progress and log and answers "go on?" (False once cancel is requested).

    ``progress`` JSON keys: ``step, total, fraction, eta_s`` always; ``epoch, epochs, trial,
    metrics, history, checkpoint`` for training; ``stage`` while preparing.
    """

    def __init__(self, project, job_id: int) -> None:
        self.project = project
        self.job_id = job_id
        self.progress: dict[str, Any] = dict(jobs_repo.get_job_row(project, job_id).progress)
        self.progress.pop("stage", None)
        self._cancel = False
        self._last_check = 0.0
        self._start = time.monotonic()
        self._first_step = int(self.progress.get("step") or 0)  # > 0 when resuming

    @property
    def cancel_requested(self) -> bool:
        """True once the job should stop: cancel requested, or no longer active (checked against
        the database at most every 0.5 s)."""
        now = time.monotonic()
        if not self._cancel and now - self._last_check >= CANCEL_POLL_S:
            self._last_check = now
            self._cancel = jobs_repo.should_stop(self.project, self.job_id)
        return self._cancel

    def stage(self, name: str) -> bool:
        """Note the preparation stage (``loading``, ``features``...); return False to stop."""
        self.progress["stage"] = name
        self._cancel = jobs_repo.write_progress(self.project, self.job_id, dict(self.progress), message=name)
        return not self._cancel

    def log(self, message: str) -> None:
        """Append a line to the job's log."""
        jobs_repo.append_log(self.project, self.job_id, message)

    def step(self, step: int, total: int, metrics: dict | None = None, *, status: str = "training",
             message: str | None = None, **extra: Any) -> bool:
        """Store progress ``step`` of ``total``; return False when the job should stop."""
        now = time.monotonic()
        done_here = step - self._first_step
        eta = (now - self._start) / done_here * (total - step) if done_here > 0 and total > 0 else None
        self.progress.pop("stage", None)
        self.progress.update(step=int(step), total=int(total), fraction=round(step / total, 4) if total else None,
                             eta_s=round(eta, 1) if eta is not None else None, **extra)
        if metrics is not None:
            self.progress["metrics"] = _jsonable(metrics)
        self._cancel = jobs_repo.write_progress(self.project, self.job_id, dict(self.progress), status=status,
                                                message=message)
        self._last_check = now
        return not self._cancel

    def add_epoch(self, row: dict) -> None:
        """Append an epoch's metrics to ``progress["history"]`` (stored with the next `step`)."""
        row = _jsonable(row)
        key = (row.get("trial", 0), row.get("epoch"))
        history = [r for r in self.progress.get("history", []) if (r.get("trial", 0), r.get("epoch")) != key]
        history.append(row)
        history.sort(key=lambda r: (r.get("trial", 0) or 0, r.get("epoch") or 0))
        self.progress["history"] = history[-HISTORY_LIMIT:]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        try:
            return value.item()
        except (ValueError, TypeError):
            pass
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _die_with_parent(parent_pid: int) -> None:
    """Exit when the worker that started this process dies (even by kill -9)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except OSError:
            pass
    if os.getppid() != parent_pid:
        os._exit(3)

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent_pid:
                os._exit(3)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def run(project_root: str | Path, job_id: int) -> str:
    """Run job ``job_id`` of the project to a final status and return it.

    Error messages name options as the job's JSON params do (the ``rest`` `voice`)."""
    from ethoforge.errors import voice

    with voice("rest"):
        return _run(project_root, job_id)


def _run(project_root: str | Path, job_id: int) -> str:
    from ethoforge.errors import Cancelled, EthoForgeError
    from ethoforge.jobs.bodies import BODIES
    from ethoforge.jobs.supervisor import discard_job_outputs
    from ethoforge.store import Project

    with Project.open(project_root) as project:
        job = jobs_repo.get_job_row(project, job_id)
        reporter = Reporter(project, job_id)
        try:
            if reporter.cancel_requested:
                raise JobCancelled()
            result = BODIES[job.kind](project, job, reporter)
        except (JobCancelled, Cancelled):
            now = jobs_repo.get_job_row(project, job_id)
            if not now.cancel_requested:  # failed by the reaper meanwhile: keep its checkpoints
                return now.status
            discard_job_outputs(project.root, job_id)
            kept = ("what was encoded is kept in the feature cache; resume the job to continue"
                    if job.kind == "encode" else "no model was kept")
            jobs_repo.set_status(project, job_id, "cancelled", only_from=jobs_repo.ACTIVE_STATUSES,
                                 message=f"cancelled; {kept}")
            return "cancelled"
        except EthoForgeError as error:
            _fail(project, job_id, str(error), traceback.format_exc())
            return "failed"
        except Exception as error:  # noqa: BLE001  (any bug in a body fails the job, with its traceback)
            _fail(project, job_id, f"{type(error).__name__}: {error}", traceback.format_exc())
            return "failed"
        if not jobs_repo.set_status(project, job_id, "completed", only_from=jobs_repo.ACTIVE_STATUSES,
                                    result=result, message=_summary(result)):
            _undo(project, result)  # the job was failed (stale heartbeat) or cancelled meanwhile
            return jobs_repo.get_job_row(project, job_id).status
        return "completed"


def _summary(result: dict[str, Any]) -> str:
    parts = [f"{key} {result[key]}" for key in ("model_id", "outputs", "stored_bouts") if key in result]
    return "completed" + (": " + ", ".join(parts) if parts else "")


def _undo(project, result: dict[str, Any]) -> None:
    """Remove the model a job registered when the job could not be marked completed."""
    from ethoforge.errors import NotFoundError
    from ethoforge.store import registry

    if result.get("model_id") is not None:
        try:
            registry.delete_model(project, result["model_id"])
        except NotFoundError:
            pass


def _fail(project, job_id: int, error: str, trace: str) -> None:
    print(trace, file=sys.stderr, flush=True)
    jobs_repo.set_status(project, job_id, "failed", only_from=jobs_repo.ACTIVE_STATUSES, error=error,
                         message=f"failed: {error}")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 4:
        print("usage: python -m ethoforge.jobs.runner PROJECT JOB_ID WORKER PARENT_PID", file=sys.stderr)
        return 2
    root, job_id, _worker, parent = args
    _die_with_parent(int(parent))
    status = run(root, int(job_id))
    return 0 if status in ("completed", "cancelled") else 1


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # everything is committed and closed; skip the slow teardown of torch & co. (seconds)
