"""Behavior labels as bouts, and conversions between bouts and per-frame arrays.

A `Bout` covers frames ``start <= f < stop``: **0-based, half-open** ``[start, stop)``.
A bout ``Bout(start=10, stop=12)`` labels frames 10 and 11; its length is ``stop - start``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Literal, Sequence

import numpy as np

from ethoforge.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

BoutSource = Literal["manual", "predicted", "confirmed"]
BOUT_SOURCES: tuple[str, ...] = ("manual", "predicted", "confirmed")
HUMAN_SOURCES: tuple[str, ...] = ("manual", "confirmed")
"""Sources of human labels: only these train or score a model; ``predicted`` never does."""
BOUT_COLUMNS: tuple[str, ...] = (
    "recording", "behavior", "start", "stop", "agent", "target", "source", "annotator", "score",
)
MAX_BEHAVIORS = 20
_BEHAVIOR_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\- .]*$")


@dataclass(frozen=True)
class Bout:
    """One bout of a behavior in one recording: frames ``[start, stop)``, 0-based, half-open."""

    recording: str
    behavior: str
    start: int
    stop: int
    agent: str | None = None
    target: str | None = None
    source: BoutSource = "manual"
    annotator: str | None = None
    score: float | None = None

    @property
    def length(self) -> int:
        return self.stop - self.start

    def with_(self, **changes) -> "Bout":
        """A copy with some fields changed."""
        return replace(self, **changes)


def parse_behaviors(spec: str | Sequence[str]) -> list[str]:
    """Parse ``"a;b;c"`` (or a list) into 1-20 unique, valid behavior names.

    Raises
    ------
    InputError
        On 0 or more than 20 behaviors, duplicates, or names with unusual characters.
    """
    names = [s.strip() for s in (spec.split(";") if isinstance(spec, str) else spec)]
    names = [n for n in names if n]
    if not names:
        raise InputError("a dataset needs at least 1 behavior, got none (use e.g. \"attack;grooming\")")
    if len(names) > MAX_BEHAVIORS:
        raise InputError(f"a dataset has at most {MAX_BEHAVIORS} behaviors, got {len(names)}")
    seen: set[str] = set()
    for name in names:
        if not _BEHAVIOR_NAME.match(name):
            raise InputError(f"behavior name {name!r} may only hold letters, digits, '_', '-', '.' and spaces")
        if name.lower() in seen:
            raise InputError(f"behavior {name!r} is listed twice")
        seen.add(name.lower())
    return names


def validate_bouts(
    bouts: Iterable[Bout],
    *,
    n_frames: int | None = None,
    behaviors: Sequence[str] | None = None,
    exclusive: bool = False,
    source: str | Path | None = None,
) -> list[Bout]:
    """Check bouts and return them as a list; raise `InputError` naming the first bad one.

    Checks: ``0 <= start < stop``; ``stop <= n_frames`` when given; behavior in ``behaviors``
    when given; with ``exclusive``, no two bouts of different behaviors of one agent overlap.
    """
    checked = list(bouts)
    for index, bout in enumerate(checked):
        where = f"bout {index + 1} ({bout.behavior} [{bout.start}, {bout.stop}))"
        if bout.start < 0:
            raise InputError(f"start frame {bout.start} is negative; frames are 0-based", source, where)
        if bout.stop <= bout.start:
            raise InputError(
                f"stop frame {bout.stop} must be after start frame {bout.start} (bouts are [start, stop))",
                source, where,
            )
        if n_frames is not None and bout.stop > n_frames:
            raise InputError(
                f"stop frame {bout.stop} is past the last pose frame ({n_frames - 1}; "
                f"the recording has {n_frames} frames)", source, where,
            )
        if behaviors is not None and bout.behavior not in behaviors:
            raise InputError(
                f"unknown behavior {bout.behavior!r}; expected one of {list(behaviors)}", source, where
            )
        if bout.source not in BOUT_SOURCES:
            raise InputError(f"source {bout.source!r} is not one of {BOUT_SOURCES}", source, where)
    if exclusive:
        by_agent: dict[tuple[str, str | None], list[Bout]] = {}
        for bout in checked:
            by_agent.setdefault((bout.recording, bout.agent), []).append(bout)
        for group in by_agent.values():
            group = sorted(group, key=lambda b: (b.start, b.stop))
            for previous, current in zip(group, group[1:]):
                if current.start < previous.stop and current.behavior != previous.behavior:
                    raise InputError(
                        f"{current.behavior!r} [{current.start}, {current.stop}) overlaps "
                        f"{previous.behavior!r} [{previous.start}, {previous.stop}) but the "
                        "behaviors are mutually exclusive",
                        source, f"frame {current.start}",
                    )
    return checked


def bouts_to_frames(bouts: Iterable[Bout], behaviors: Sequence[str], n_frames: int) -> np.ndarray:
    """Per-frame 0/1 matrix ``(n_frames, len(behaviors))`` (uint8) from bouts of ``behaviors``.

    Bouts of other behaviors are ignored; bouts are clipped to ``[0, n_frames)``.
    """
    index = {name: i for i, name in enumerate(behaviors)}
    frames = np.zeros((n_frames, len(behaviors)), dtype=np.uint8)
    for bout in bouts:
        column = index.get(bout.behavior)
        if column is not None:
            frames[max(bout.start, 0) : min(bout.stop, n_frames), column] = 1
    return frames


def frames_to_bouts(
    frames: np.ndarray,
    behaviors: Sequence[str],
    recording: str,
    *,
    agent: str | None = None,
    source: BoutSource = "manual",
    scores: np.ndarray | None = None,
) -> list[Bout]:
    """Bouts from a per-frame 0/1 matrix ``(T, B)`` (or a 1-D vector for one behavior).

    ``scores`` (same shape, optional) gives each bout the mean score over its frames.
    """
    matrix = np.asarray(frames)
    if matrix.ndim == 1:
        matrix = matrix[:, None]
    if scores is not None:
        scores = np.asarray(scores, dtype=float).reshape(matrix.shape)
    bouts: list[Bout] = []
    for column, behavior in enumerate(behaviors):
        active = matrix[:, column].astype(bool)
        edges = np.diff(np.concatenate(([0], active.astype(np.int8), [0])))
        starts = np.flatnonzero(edges == 1)
        stops = np.flatnonzero(edges == -1)
        for start, stop in zip(starts, stops):
            score = float(scores[start:stop, column].mean()) if scores is not None else None
            bouts.append(Bout(recording, behavior, int(start), int(stop), agent=agent, source=source, score=score))
    bouts.sort(key=lambda b: (b.start, b.behavior))
    return bouts


def bouts_to_dataframe(bouts: Iterable[Bout]) -> "pd.DataFrame":
    """A DataFrame with one row per bout and columns ``BOUT_COLUMNS``."""
    import pandas as pd

    rows = [asdict(b) for b in bouts]
    frame = pd.DataFrame(rows, columns=list(BOUT_COLUMNS))
    return frame.astype({"start": "int64", "stop": "int64"}) if len(frame) else frame


def bouts_from_dataframe(frame: "pd.DataFrame", source_path: str | Path | None = None) -> list[Bout]:
    """Bouts from a DataFrame with at least ``recording, behavior, start, stop``."""
    import pandas as pd

    missing = [c for c in ("recording", "behavior", "start", "stop") if c not in frame.columns]
    if missing:
        raise InputError(f"missing column(s) {missing}; expected {list(BOUT_COLUMNS)}", source_path, "header")

    def optional(value, cast=str):
        return None if value is None or (not isinstance(value, str) and pd.isna(value)) else cast(value)

    bouts = []
    for row_number, row in enumerate(frame.itertuples(index=False), start=2):
        values = row._asdict()
        try:
            start, stop = int(values["start"]), int(values["stop"])
        except (TypeError, ValueError):
            raise InputError(
                f"start/stop must be whole frame numbers, got {values['start']!r}, {values['stop']!r}",
                source_path, f"line {row_number}",
            ) from None
        bouts.append(Bout(
            recording=str(values["recording"]),
            behavior=str(values["behavior"]),
            start=start,
            stop=stop,
            agent=optional(values.get("agent")),
            target=optional(values.get("target")),
            source=optional(values.get("source")) or "manual",
            annotator=optional(values.get("annotator")),
            score=optional(values.get("score"), float),
        ))
    return bouts
