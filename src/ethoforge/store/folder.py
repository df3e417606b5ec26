"""The project folder: ``project.yaml`` (format version), ``ethoforge.db`` and ``poses/``.

```
DIR/
  project.yaml     # format_version, created_at, database (optional SQLAlchemy URL)
  ethoforge.db     # SQLite (WAL) metadata, labels, datasets, models, jobs
  poses/<id>.nc    # each recording's poses (netCDF, h5netcdf engine)
```
These and the other files the project writes are never taken as input: `ethoforge.store.own_files`.
"""

from __future__ import annotations

from pathlib import Path

from ethoforge.atomic import write_text_atomic
from ethoforge.errors import ConflictError, InputError, NotFoundError

PROJECT_FILE = "project.yaml"
DATABASE_FILE = "ethoforge.db"
POSES_DIR = "poses"
FORMAT_VERSION = 1


def write_project_file(root: Path, content: dict) -> None:
    """Write ``root/project.yaml`` atomically."""
    import yaml

    write_text_atomic(root / PROJECT_FILE, yaml.safe_dump(content, sort_keys=False))


def read_project_file(root: Path) -> dict:
    """Read and check ``root/project.yaml``."""
    import yaml

    path = root / PROJECT_FILE
    if not path.is_file():
        raise NotFoundError(f"no EthoForge project at {root} (no {PROJECT_FILE}); create one with `ethoforge init {root}`")
    try:
        content = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise InputError(f"not valid YAML ({error})", path) from None
    version = content.get("format_version") if isinstance(content, dict) else None
    if not isinstance(version, int):
        raise InputError("expected an integer 'format_version'", path)
    if version > FORMAT_VERSION:
        raise ConflictError(
            f"{path} has project format version {version}, newer than this EthoForge understands "
            f"({FORMAT_VERSION}); upgrade EthoForge"
        )
    return content


def find_project_root(start: str | Path | None = None) -> Path:
    """The nearest folder at or above ``start`` (default: cwd) holding ``project.yaml``."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / PROJECT_FILE).is_file():
            return folder
    raise NotFoundError(
        f"no EthoForge project in {here} or any folder above it; "
        "run `ethoforge init DIR` or pass --project DIR"
    )
