"""Paths a client may name: only inside the project's allowed roots, never by ``..``.

Allowed roots are the project folder, the folders listed under ``allowed_roots`` in
``project.yaml`` and those given to `ethoforge.server.create_app`. A relative path is taken
relative to the project folder. Symlinks are followed before the check, so a link that
points out of the roots is refused like the path it points to. Answers name paths relative
to the roots (`public_path`, `public_text`), never the server's own folders.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath

from ethoforge.errors import InputError

CONFIG_KEY = "allowed_roots"


class PathNotAllowed(InputError):
    """A path outside the allowed roots (answered with 403)."""


def allowed_roots(project_root: Path, config: dict, extra: Iterable[str | Path] | None = None) -> list[Path]:
    """The resolved allowed roots: the project folder, ``config['allowed_roots']`` and ``extra``.

    Relative entries of the config are relative to the project folder.
    """
    entries: list[str | Path] = [project_root]
    configured = config.get(CONFIG_KEY) or []
    if isinstance(configured, str):
        configured = [configured]
    entries += [project_root / Path(entry).expanduser() for entry in configured]
    entries += list(extra or [])
    roots: list[Path] = []
    for entry in entries:
        root = Path(entry).expanduser().resolve()
        if root not in roots:
            roots.append(root)
    return roots


def resolve_inside(path: str, project_root: Path, roots: Sequence[Path]) -> Path:
    """The real path of ``path`` if it lies inside one of ``roots``.

    Raises
    ------
    PathNotAllowed
        ``path`` holds ``..``, a NUL byte, or resolves (symlinks followed) outside every root.
    InputError
        ``path`` starts with ``~`` (home folders are the server's business, not a client's).
    """
    if not path or "\x00" in path:
        raise PathNotAllowed("expected a non-empty path without NUL bytes", location="path")
    parts = set(PurePosixPath(path).parts) | set(PureWindowsPath(path).parts)
    if path.startswith("~"):
        raise InputError(f"path {path!r} starts with '~': the server does not expand home folders; give the "
                         "absolute path or one relative to the project folder", location="path")
    if ".." in parts:
        raise PathNotAllowed(f"path {path!r} contains '..'; name the file inside an allowed folder directly",
                             location="path")
    candidate = Path(path)
    if not candidate.is_absolute():
        candidate = project_root / candidate
    try:
        real = candidate.resolve()
        real.exists()  # a name too long for the file system raises here, not later in a route
    except (OSError, RuntimeError) as error:  # symlink loops, ENAMETOOLONG
        raise PathNotAllowed(f"cannot resolve path {path[:200]!r}: {getattr(error, 'strerror', None) or error}",
                             location="path") from None
    if not any(real == root or real.is_relative_to(root) for root in roots):
        raise PathNotAllowed(
            f"path {path!r} is outside the folders this server may read (the project folder and its allowed "
            f"roots; symlinks are followed); add its folder to '{CONFIG_KEY}' in project.yaml or start the "
            "server with --allow DIR",
            location="path",
        )
    return real


def inside(real: Path, roots: Sequence[Path]) -> bool:
    """True if the resolved path ``real`` lies in one of ``roots``."""
    return any(real == root or real.is_relative_to(root) for root in roots)


def public_path(path: str | Path, roots: Sequence[Path]) -> str:
    """``path`` as a client sees it: relative to the first of ``roots`` (the project folder
    first) that holds it, else only its file name; the server's folders stay private."""
    real = Path(path)
    for root in roots:
        if real == root or real.is_relative_to(root):
            return real.relative_to(root).as_posix() or "."
    return real.name


def public_text(text: str, roots: Sequence[Path]) -> str:
    """``text`` (an error message, a job log) with the root folders left out of the paths in it."""
    for root in sorted(roots, key=lambda r: len(str(r)), reverse=True):
        text = text.replace(f"{root}{os.sep}", "").replace(str(root), ".")
    return text
