"""Recording names: the name a pose file gets, and which recording a labels file belongs to."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

from ethoforge.errors import InputError

# Suffixes trackers and conversions append to the video name in a pose file's stem:
# DeepLabCut "<video>DLC_<net>_<project>shuffle1_100000[_el][_filtered]", SLEAP
# "<video>.predictions" / ".analysis", and files marked DERIVED in the shared data.
_POSE_SUFFIXES = (
    re.compile(r"DLC_[A-Za-z0-9]+.*$"),
    re.compile(r"_DERIVED(_.*)?$"),
    re.compile(r"\.(predictions|analysis)$"),
)


def recording_name_from_path(path: str | Path) -> str:
    """The recording name for a pose file: its stem without tracker suffixes.

    ``e3v813a-...T122332-122642DLC_dlcrnetms5_..._filtered.csv`` → ``e3v813a-...T122332-122642``.
    """
    stem = Path(path).stem
    for pattern in _POSE_SUFFIXES:
        cleaned = pattern.sub("", stem)
        if cleaned:
            stem = cleaned
    return stem


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
            "say which with --recording NAME",
            source,
        )
    return matches[0] if matches else None
