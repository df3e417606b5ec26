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
MAX_BEHAVIOR_CHARS = 64
BACKGROUND = "none"
"""The background class (class 0 of every model): no behavior may be named so, in any case."""
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


def check_behavior_name(name: object, where: str | None = None) -> str:
    """``name`` if it can name a behavior: a non-empty string of at most `MAX_BEHAVIOR_CHARS`
    characters that is not the background class `BACKGROUND` (in any case).

    Raises
    ------
    InputError
        Naming the value, what was expected and ``where`` it was found.
    """
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"behavior name {name!r} is empty; name the behavior (e.g. \"attack\")", location=where)
    if len(name) > MAX_BEHAVIOR_CHARS:
        raise InputError(f"behavior name {name[:20]!r}... has {len(name)} characters; at most "
                         f"{MAX_BEHAVIOR_CHARS} are allowed", location=where)
    if name.strip().lower() == BACKGROUND:
        raise InputError(f"behavior name {name!r} is reserved: {BACKGROUND!r} is the background class (frames "
                         "without any behavior); leave those frames unlabelled or pick another name", location=where)
    return name


def parse_behaviors(spec: str | Sequence[str]) -> list[str]:
    """Parse ``"a;b;c"`` (or a list) into 1-20 unique, valid behavior names.

    Raises
    ------
    InputError
        On 0 or more than 20 behaviors, an empty name in a list, duplicates (ignoring case),
        names over 64 characters, the reserved background name ``none``, or names with
        unusual characters.
    """
    if isinstance(spec, str):
        names = [n for n in (s.strip() for s in spec.split(";")) if n]
    else:
        names = [check_behavior_name(n, f"behavior {i + 1}").strip() for i, n in enumerate(spec)]
    if not names:
        raise InputError("a dataset needs at least 1 behavior, got none (use e.g. \"attack;grooming\")")
    if len(names) > MAX_BEHAVIORS:
        raise InputError(f"a dataset has at most {MAX_BEHAVIORS} behaviors, got {len(names)}")
    seen: set[str] = set()
    for index, name in enumerate(names):
        check_behavior_name(name, f"behavior {index + 1}")
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
    individuals: Sequence[str] | None = None,
    disjoint: bool = False,
    source: str | Path | None = None,
) -> list[Bout]:
    """Check bouts and return them as a list; raise `InputError` naming the first bad one.

    Checks: frames are whole numbers (not booleans) with ``0 <= start < stop``; ``stop <=
    n_frames`` when given; a behavior name `check_behavior_name` accepts, in ``behaviors`` when
    given; ``agent`` and ``target`` among ``individuals`` when given; with ``exclusive``, no two
    bouts of different behaviors of one agent overlap; with ``disjoint``, no two bouts of one
    behavior, agent and target overlap (they are refused, not merged: the message says how to
    join them).
    """
    checked = list(bouts)
    for index, bout in enumerate(checked):
        where = f"bout {index + 1} ({bout.behavior} [{bout.start}, {bout.stop}))"
        for field in ("start", "stop"):
            value = getattr(bout, field)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise InputError(f"{field} must be a whole frame number, got {value!r}", source, where)
        check_behavior_name(bout.behavior, where if source is None else f"{source}, {where}")
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
        if individuals is not None:
            for field in ("agent", "target"):
                animal = getattr(bout, field)
                if animal is not None and animal not in individuals:
                    raise InputError(f"{field} {animal!r} is not an individual of the recording; expected one of "
                                     f"{list(individuals)} (or none)", source, where)
    if disjoint:
        _check_disjoint(checked, source)
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


def _check_disjoint(bouts: list[Bout], source: str | Path | None) -> None:
    """No two bouts of one recording, behavior, agent and target share a frame."""
    order = sorted(range(len(bouts)), key=lambda i: (bouts[i].recording, bouts[i].behavior, bouts[i].agent or "",
                                                     bouts[i].target or "", bouts[i].start, bouts[i].stop))
    for before, after in zip(order, order[1:]):
        a, b = bouts[before], bouts[after]
        same = (a.recording, a.behavior, a.agent, a.target) == (b.recording, b.behavior, b.agent, b.target)
        if same and b.start < a.stop:
            who = f" of agent {a.agent!r}" if a.agent is not None else ""
            raise InputError(
                f"{b.behavior!r} [{b.start}, {b.stop}) overlaps {a.behavior!r} [{a.start}, {a.stop}) (bout "
                f"{before + 1}){who}: bouts of one behavior and animal must not overlap (they are refused, not "
                f"merged); send one bout [{a.start}, {max(a.stop, b.stop)}) instead",
                source, f"bout {after + 1}",
            )


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
