"""The project's own files, which no import or export may open as a user's file.

Opening and closing the live SQLite database (or its ``-wal``/``-shm``/journal) in the
server's process drops that process's POSIX locks on it; another process may then checkpoint
and delete the ``-wal`` and ``-shm`` files the server still writes to, and acknowledged
writes vanish. So every path a user names is checked here *before* it is opened: only
`os.stat`/`Path.resolve` touch it (neither opens the file nor drops a lock).

Own files are the project file, the database and its side files (wherever ``database:`` in
``project.yaml`` puts a SQLite file), the access token and everything under the folders the
project writes (`MANAGED_DIRS`); hard links and symlinks to any of them count as them.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from ethoforge.errors import InputError
from ethoforge.store import folder as layout

TOKEN_FILE = "server_token"
MANAGED_FILES: dict[str, str] = {
    layout.PROJECT_FILE: "project file",
    layout.DATABASE_FILE: "database",
    TOKEN_FILE: "access token file",
}
"""Files at the top of the project folder → what they are (for the error message)."""
MANAGED_DIRS: tuple[str, ...] = (layout.POSES_DIR, "models", "training", "jobs", "inference", "drafts", "features")
"""Folders of the project that EthoForge writes (stored poses, model bundles, training runs,
the job queue and job folders, inference outputs, label drafts, cached video features)."""
SQLITE_SIDE_SUFFIXES: tuple[str, ...] = ("-wal", "-shm", "-journal")


@dataclass(frozen=True)
class OwnFiles:
    """The own files of the project at ``root`` whose SQLite databases are ``databases``."""

    root: Path
    databases: tuple[Path, ...]

    @classmethod
    def of(cls, root: Path, database_url: object = None) -> OwnFiles:
        """Own files of a project; ``database_url`` (a SQLAlchemy URL) adds a SQLite file kept elsewhere."""
        root = Path(root).resolve()
        databases = [root / layout.DATABASE_FILE]
        if database_url is not None:
            from sqlalchemy.engine import make_url

            url = make_url(str(database_url))
            if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
                databases.append(Path(url.database).expanduser().resolve())
        return cls(root, tuple(dict.fromkeys(databases)))

    def _database_files(self) -> list[tuple[Path, str]]:
        return [(Path(f"{database}{suffix}"), "database" + (f" {suffix[1:]} file" if suffix else ""))
                for database in self.databases for suffix in ("", *SQLITE_SIDE_SUFFIXES)]

    def why(self, path: str | Path) -> str | None:
        """What ``path`` is, if it is one of the project's own files (else None); never opens it."""
        try:
            real = Path(path).expanduser().resolve()
        except (OSError, RuntimeError):  # a symlink loop: opening it fails anyway
            return None
        for own, what in self._database_files():
            if real == own:
                return f"the project's {what}"
        if real != self.root and real.is_relative_to(self.root):
            parts = real.relative_to(self.root).parts
            if len(parts) == 1 and parts[0] in MANAGED_FILES:
                return f"the project's {MANAGED_FILES[parts[0]]}"
            if parts[0] in MANAGED_DIRS:
                return f"inside the project's {parts[0]}/ folder, which EthoForge manages"
        identity = _identity(real)  # a hard link elsewhere is the same file
        if identity is not None:
            named = [*self._database_files(), *((self.root / name, what) for name, what in MANAGED_FILES.items())]
            for own, what in named:
                if _identity(own) == identity:
                    return f"a link to the project's {what}"
        return None

    def check(self, path: str | Path, *, given_as: str | None = None) -> None:
        """Raise `InputError` if ``path`` is one of the project's own files.

        ``given_as`` names the CLI argument or JSON field that carried the path (``"field 'path'"``).
        """
        reason = self.why(path)
        if reason is not None:
            raise InputError(
                f"this is {reason}, one of the project's own files, which EthoForge never reads as input or "
                "writes as output (opening the live database would break its locks); name a pose, label or "
                "video file of yours", path, given_as,
            )


def _identity(path: Path) -> tuple[int, int] | None:
    """``(device, inode)`` of a regular file, else None (``os.stat`` does not open the file)."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_dev, found.st_ino) if stat.S_ISREG(found.st_mode) else None
