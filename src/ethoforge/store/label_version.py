"""Versions of a recording's human labels, and the frames a set of bouts covers.

A version is a digest of the human bouts (``manual`` and ``confirmed``), so it changes with
every commit that changes them and survives restarts without a counter.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections.abc import Iterable, Sequence

ANY_VERSION = "*"
"""The expected version that skips the check (overwrite whatever is stored)."""


def _key(bout) -> tuple:
    return (bout.behavior, bout.start, bout.stop, bout.agent or "", bout.target or "", bout.source,
            bout.annotator or "", "" if bout.score is None else f"{bout.score:.9g}")


def labels_version(human: Iterable) -> str:
    """Digest (16 hex digits) of human bouts (`Bout`s or rows with the same fields), independent of order."""
    digest = hashlib.sha256()
    for key in sorted(_key(b) for b in human):
        digest.update(repr(key).encode())
    return digest.hexdigest()[:16]


def duplicate_index(bouts: Sequence) -> int | None:
    """Index of the first bout equal (in every stored field) to an earlier one, or None."""
    seen: set[tuple] = set()
    for index, bout in enumerate(bouts):
        key = _key(bout)
        if key in seen:
            return index
        seen.add(key)
    return None


class FrameCoverage:
    """The frames covered by some bouts, as sorted disjoint ``[start, stop)`` runs."""

    def __init__(self, bouts: Iterable) -> None:
        runs: list[list[int]] = []
        for start, stop in sorted((b.start, b.stop) for b in bouts):
            if runs and start <= runs[-1][1]:
                runs[-1][1] = max(runs[-1][1], stop)
            else:
                runs.append([start, stop])
        self.starts = [r[0] for r in runs]
        self.stops = [r[1] for r in runs]

    def overlaps(self, start: int, stop: int) -> bool:
        """True if ``[start, stop)`` shares a frame with the covered runs."""
        index = bisect_left(self.starts, stop) - 1  # last run starting before ``stop``
        return index >= 0 and self.stops[index] > start
