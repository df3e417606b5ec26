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


VERSION_FIELDS: tuple[str, ...] = ("behavior", "start", "stop", "agent", "target", "source", "annotator", "score")
"""The fields of a bout its labels version depends on, in the order `labels_version_of_rows` takes them."""


def _row_key(behavior, start, stop, agent, target, source, annotator, score) -> tuple:
    return (behavior, start, stop, agent or "", target or "", source, annotator or "",
            "" if score is None else f"{score:.9g}")


def _key(bout) -> tuple:
    return _row_key(bout.behavior, bout.start, bout.stop, bout.agent, bout.target, bout.source, bout.annotator,
                    bout.score)


def _digest(keys: list[tuple]) -> str:
    keys.sort()
    return hashlib.sha256("".join(map(repr, keys)).encode()).hexdigest()[:16]


def labels_version(human: Iterable) -> str:
    """Digest (16 hex digits) of human bouts (`Bout`s or rows with the same fields), independent of order."""
    return _digest([_key(b) for b in human])


def labels_version_of_rows(rows: Iterable[Sequence]) -> str:
    """`labels_version` of plain rows holding `VERSION_FIELDS` in order (no object per bout: fast)."""
    return _digest([_row_key(*row) for row in rows])


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
