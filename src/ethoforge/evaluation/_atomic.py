"""Atomic file writes for reports and inference outputs: write a temporary sibling, then rename."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_target(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path``.

    The temporary name (``.<stem>.tmp<pid><suffix>``) keeps the suffix last, so writers that
    pick a format by suffix (matplotlib, pandas) still work.
    On error the temporary file is removed and ``path`` is left as it was.
    """
    target = Path(path)
    temporary = target.with_name(f".{target.stem}.tmp{os.getpid()}{target.suffix}")
    try:
        yield temporary
        os.replace(temporary, target)
    finally:
        if temporary.exists():
            temporary.unlink()


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; return the path."""
    with atomic_target(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return Path(path)
