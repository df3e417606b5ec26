"""Recording names: the name a pose file gets, and which recording a labels file belongs to."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ethoforge.errors import InputError, option
from ethoforge.io.poses import recording_name_from_path

__all__ = ["match_recording_name", "recording_name_from_path"]


def match_recording_name(stem: str, names: Iterable[str], source: str | Path | None = None) -> str | None:
    """The one name in ``names`` that equals ``stem`` or is a prefix of it at a word edge.

    ``rec1`` matches ``rec1``, ``rec1_reencode`` and ``rec1-labels`` but not ``rec10``.
    Returns None when nothing matches; raises `InputError` when several names match.
    """
    names = list(names)
    if stem in names:
        return stem
    matches = [n for n in names if stem.startswith(n) and not stem[len(n)].isalnum()]
    if len(matches) > 1:
        raise InputError(
            f"the file name {stem!r} matches several recordings {sorted(matches)}; "
            f"say which with {option('recording', 'NAME')}",
            source,
        )
    return matches[0] if matches else None
