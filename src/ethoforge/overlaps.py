"""Resolving overlapping bouts of mutually exclusive behaviors by a stated rule.

Label files often hold bouts of different behaviors that overlap by a few frames (a rear
that turns from supported to unsupported, grooming that starts before a rear ends). A
dataset's behaviors are mutually exclusive, so such bouts must be resolved before they are
stored. Two rules, chosen by the user:

- ``priority:A,B,C`` — where bouts overlap, the behavior listed first keeps the frames;
- ``later-wins`` — the bout that starts later keeps them (a tie: the one later in the file).

Only frames where bouts of *different* behaviors of one recording and agent overlap change
hands; a bout that loses frames in its middle is split in two, one that loses all of them is
dropped. Bouts are frames ``[start, stop)``, 0-based, half-open. Pure functions: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from ethoforge.errors import InputError, option
from ethoforge.labels import Bout


@dataclass(frozen=True)
class OverlapRule:
    """``kind`` ``"priority"`` (with ``priority``, first wins) or ``"later-wins"``."""

    kind: Literal["priority", "later-wins"]
    priority: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"priority:{','.join(self.priority)}" if self.kind == "priority" else self.kind


@dataclass
class OverlapReport:
    """What `resolve_overlaps` changed: ``overlaps`` (runs of frames where behaviors overlapped),
    their ``frames``, bouts ``trimmed``, ``split`` and ``dropped``, and the frames each behavior kept
    (``kept``) in those runs."""

    rule: str
    overlaps: int = 0
    frames: int = 0
    trimmed: int = 0
    split: int = 0
    dropped: int = 0
    kept: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        if not self.overlaps:
            return f"no overlapping bouts (--overlap {self.rule})"
        kept = ", ".join(f"{name} {n}" for name, n in self.kept.items())
        return (f"{self.overlaps} overlaps ({self.frames} frames) resolved by {self.rule}: frames kept by {kept}; "
                f"{self.trimmed} bouts trimmed, {self.split} split, {self.dropped} dropped")


def parse_overlap_rule(text: str) -> OverlapRule:
    """``"priority:A,B"`` or ``"later-wins"`` → `OverlapRule`; `InputError` on anything else."""
    spec = text.strip()
    if spec == "later-wins":
        return OverlapRule("later-wins")
    kind, sep, names = spec.partition(":")
    listed = tuple(n.strip() for n in names.split(",") if n.strip())
    if kind.strip() == "priority" and sep and listed and len(set(listed)) == len(listed):
        return OverlapRule("priority", listed)
    raise InputError(f"{option('overlap')} expects 'priority:A,B' (behaviors first listed win, each once) or "
                     f"'later-wins', got {text!r}")


def resolve_overlaps(bouts: Sequence[Bout], rule: OverlapRule) -> tuple[list[Bout], OverlapReport]:
    """Bouts where no two of different behaviors of one recording and agent overlap, by ``rule``.

    Returns the bouts (sorted by recording, agent, start, behavior) and a report of the changes.

    Raises
    ------
    InputError
        A ``priority`` rule that does not name a behavior taking part in an overlap.
    """
    report = OverlapReport(str(rule))
    groups: dict[tuple[str, str | None], list[Bout]] = {}
    for bout in bouts:
        groups.setdefault((bout.recording, bout.agent), []).append(bout)
    resolved: list[Bout] = []
    for group in groups.values():
        resolved.extend(_resolve_group(group, rule, report))
    resolved.sort(key=lambda b: (b.recording, b.agent or "", b.start, b.behavior))
    return resolved, report


def _resolve_group(group: list[Bout], rule: OverlapRule, report: OverlapReport) -> list[Bout]:
    behaviors = list(dict.fromkeys(b.behavior for b in group))
    if len(behaviors) < 2:
        return group
    length = max(b.stop for b in group)
    # per behavior and frame: the precedence of its strongest bout there (-1 = none)
    strength = np.full((len(behaviors), length), -1, dtype=np.int64)
    for order, bout in enumerate(group):
        row = behaviors.index(bout.behavior)
        value = _precedence(bout, order, len(group), rule)
        np.maximum(strength[row, bout.start:bout.stop], value, out=strength[row, bout.start:bout.stop])
    covered = strength >= 0
    contested = covered.sum(axis=0) > 1
    if not contested.any():
        return group
    if rule.kind == "priority":
        _check_listed(behaviors, covered, contested, rule, group[0])
    winner = np.where(contested, strength.argmax(axis=0), -1)
    runs = np.diff(np.concatenate(([0], contested.astype(np.int8), [0])))
    report.overlaps += int((runs == 1).sum())
    report.frames += int(contested.sum())
    for row, name in enumerate(behaviors):
        won = int((winner == row).sum())
        if won:
            report.kept[name] = report.kept.get(name, 0) + won
    kept: list[Bout] = []
    for bout in group:
        row = behaviors.index(bout.behavior)
        keep = ~contested[bout.start:bout.stop] | (winner[bout.start:bout.stop] == row)
        if keep.all():
            kept.append(bout)
            continue
        edges = np.diff(np.concatenate(([0], keep.astype(np.int8), [0])))
        pieces = [bout.with_(start=bout.start + int(a), stop=bout.start + int(b))
                  for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1))]
        if not pieces:
            report.dropped += 1
        elif len(pieces) > 1:
            report.split += 1
        else:
            report.trimmed += 1
        kept.extend(pieces)
    return kept


def _precedence(bout: Bout, order: int, count: int, rule: OverlapRule) -> int:
    """Larger wins: the behavior's place in the priority list, or the bout's start (then file order)."""
    if rule.kind == "priority":
        listed = rule.priority
        return len(listed) - listed.index(bout.behavior) if bout.behavior in listed else 0
    return bout.start * count + order


def _check_listed(behaviors: list[str], covered: np.ndarray, contested: np.ndarray, rule: OverlapRule,
                  sample: Bout) -> None:
    for row, name in enumerate(behaviors):
        if name not in rule.priority and (covered[row] & contested).any():
            frame = int(np.flatnonzero(covered[row] & contested)[0])
            others = [b for r, b in enumerate(behaviors) if r != row and covered[r, frame]]
            raise InputError(
                f"{name!r} overlaps {others} at frame {frame} of recording {sample.recording!r} but the rule "
                f"{rule} does not list {name!r}; add it to {option('overlap', f'{rule},{name}')}"
            )
