"""The huey queue that carries job ids from the server to the workers.

Only the job id travels through the queue; what to do and how far it got is in the ``jobs``
table. By default the queue is a SQLite file in the project (``PROJECT/jobs/queue.db``);
with a Redis URL it is a `huey.RedisHuey`, so workers on other machines that share the
project storage pick up jobs. The queue name comes from ``PROJECT/jobs/queue_id`` (made on
first use), so several projects can share one Redis server.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from huey import Huey  # type: ignore[import-untyped]

JOBS_DIR = "jobs"
QUEUE_FILE = "queue.db"
QUEUE_ID_FILE = "queue_id"
REDIS_ENV = "ETHOFORGE_REDIS_URL"
TASK_NAME = "run_job"

_HUEYS: dict[tuple[str, str | None], Huey] = {}


def jobs_dir(project_root: str | Path) -> Path:
    """``PROJECT/jobs``: the queue file and each job's working folder (made if missing)."""
    folder = Path(project_root) / JOBS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def queue_id(project_root: str | Path) -> str:
    """The project's queue name, stored in ``PROJECT/jobs/queue_id`` (created once, atomically)."""
    path = jobs_dir(project_root) / QUEUE_ID_FILE
    if not path.is_file():
        temp = path.with_name(f".{QUEUE_ID_FILE}.{uuid.uuid4().hex}.tmp")
        temp.write_text(f"ethoforge-{uuid.uuid4().hex[:16]}\n")
        try:
            os.link(temp, path)  # fails if another process made it first: theirs wins
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            if not path.exists():
                os.replace(temp, path)
        finally:
            temp.unlink(missing_ok=True)
    return path.read_text().strip()


def resolve_redis_url(redis_url: str | None) -> str | None:
    """The Redis URL to use: ``redis_url``, else ``$ETHOFORGE_REDIS_URL``, else None (SQLite queue)."""
    return redis_url or os.environ.get(REDIS_ENV) or None


def get_huey(project_root: str | Path, redis_url: str | None = None) -> Huey:
    """The project's huey instance (cached per process), with the job task registered.

    Parameters
    ----------
    project_root
        The project folder.
    redis_url
        ``redis://host:port/db``; None uses ``$ETHOFORGE_REDIS_URL`` or the SQLite queue file.
    """
    from huey import RedisHuey, SqliteHuey  # type: ignore[import-untyped]

    root = str(Path(project_root).resolve())
    url = resolve_redis_url(redis_url)
    key = (root, url)
    if key not in _HUEYS:
        name = queue_id(root)
        if url:
            huey: Huey = RedisHuey(name, url=url, results=False)
        else:
            huey = SqliteHuey(name, filename=str(jobs_dir(root) / QUEUE_FILE), results=False, timeout=30)
        huey.task(name=TASK_NAME)(_job_task(root))
        _HUEYS[key] = huey
    return _HUEYS[key]


def enqueue_job(project_root: str | Path, job_id: int, redis_url: str | None = None) -> None:
    """Put ``job_id`` on the project's queue."""
    huey = get_huey(project_root, redis_url)
    task = huey._registry.string_to_task(f"{__name__}.{TASK_NAME}")
    huey.enqueue(task(args=(int(job_id),)))


def _job_task(project_root: str):
    """The huey task of one project: only the job id travels, so each worker uses its own
    path to the shared project folder."""

    def run_job(job_id: int) -> None:
        from ethoforge.jobs.supervisor import supervise_job

        supervise_job(project_root, job_id)

    run_job.__module__ = __name__
    return run_job
