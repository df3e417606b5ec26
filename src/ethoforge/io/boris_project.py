"""BORIS project files (``.boris``, JSON) read as bouts: observations, subjects, behaviors.

A project holds several observations; each becomes the bouts of one recording:

- recording: the observation's media file (player 1) without its video extension, as for
  BORIS exports (`ethoforge.io.boris.recording_from_media`); a live observation (no media)
  is named by its observation id;
- fps: the media's fps from the project's ``media_info``; ``fps=`` must agree with it and
  is needed for live observations;
- events ``[time, subject, behavior code, modifiers, comment, ...]``: a ``State event``
  toggles per (subject, behavior, modifiers), START then STOP; a ``Point event`` is a
  one-frame bout. Times → frames as in `ethoforge.io.boris` (rounded half up, a state
  shorter than a frame lasts one frame). Subject ``""`` → ``agent`` None.

Observations that play several media files one after another, or carry a time offset, are
refused with a message to export their events from BORIS instead (times there are
per media file). ``recording=`` picks one observation by id or by recording name.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Literal

from ethoforge.errors import InputError, option
from ethoforge.io.boris import bout_from_seconds, recording_from_media
from ethoforge.io.labels import check_bouts_at, check_fps
from ethoforge.labels import Bout

_EXPORT_HINT = ("export the events from BORIS instead (Observations > Export events > Tabular events) "
                "and import that file")


def load_boris_project(
    path: str | Path,
    *,
    fps: float | None = None,
    recording: str | None = None,
    n_frames: int | None = None,
    rounding: Literal["nearest", "floor"] = "nearest",
) -> list[Bout]:
    """The bouts of every observation of a BORIS project (or of the one ``recording`` names).

    Raises
    ------
    InputError
        Not a BORIS project; an observation without fps (live) and no ``fps``; several
        media files in a row or a time offset; an event of an unknown behavior; a state
        event without its STOP; ``recording`` naming no observation. Names the observation.
    """
    project = _read_project(path)
    kinds = _behavior_kinds(project, path)
    observations = _chosen_observations(project["observations"], recording, path)
    bouts: list[Bout] = []
    places: list[str] = []
    for obs_id, observation in observations:
        name, rate = _recording_and_fps(obs_id, observation, fps, path)
        if recording is not None and len(observations) == 1:
            name = recording
        for bout, place in _observation_bouts(obs_id, observation, kinds, name, rate, rounding, path):
            bouts.append(bout)
            places.append(place)
    check_bouts_at(bouts, places, path, n_frames=n_frames)
    order = sorted(range(len(bouts)), key=lambda i: (bouts[i].recording, bouts[i].start, bouts[i].behavior))
    return [bouts[i] for i in order]


def _read_project(path: str | Path) -> dict[str, Any]:
    source = Path(path)
    if not source.is_file():
        raise InputError("file not found", source)
    try:
        project = json.loads(source.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"not a BORIS project file (JSON): {error}; {_EXPORT_HINT}", source) from None
    if not isinstance(project, dict) or not {"observations", "behaviors_conf"} <= set(project):
        keys = sorted(project)[:8] if isinstance(project, dict) else type(project).__name__
        raise InputError(f"not a BORIS project: no 'observations' and 'behaviors_conf' (found {keys}); "
                         f"{_EXPORT_HINT}", source)
    return project


def _behavior_kinds(project: dict[str, Any], path: str | Path) -> dict[str, str]:
    """Behavior code → ``"state"`` or ``"point"``."""
    kinds = {}
    for entry in project["behaviors_conf"].values():
        kind = str(entry.get("type", "")).lower()
        if "state" not in kind and "point" not in kind:
            raise InputError(f"behavior {entry.get('code')!r} has type {entry.get('type')!r}; expected "
                             f"'State event' or 'Point event'; {_EXPORT_HINT}", path)
        kinds[str(entry["code"])] = "state" if "state" in kind else "point"
    return kinds


def _chosen_observations(observations: dict[str, Any], recording: str | None,
                         path: str | Path) -> list[tuple[str, dict[str, Any]]]:
    with_events = [(obs_id, obs) for obs_id, obs in observations.items() if obs.get("events")]
    if recording is None:
        return with_events
    chosen = [(obs_id, obs) for obs_id, obs in with_events
              if recording in (obs_id, _media_recording(_player_one(obs)))]
    if len(chosen) == 1 or (not chosen and len(with_events) == 1):
        return chosen or with_events
    raise InputError(
        f"recording {recording!r} {'matches several' if chosen else 'matches none'} of the project's observations "
        f"with events {[obs_id for obs_id, _ in with_events]}; name one by its observation id", path,
    )


def _player_one(observation: dict[str, Any]) -> list[str]:
    files = observation.get("file") or {}
    return [str(f) for f in files.get("1", [])] if isinstance(files, dict) else []


def _media_recording(media: list[str]) -> str | None:
    return recording_from_media(media[0]) if len(media) == 1 else None


def _recording_and_fps(obs_id: str, observation: dict[str, Any], fps: float | None,
                       path: str | Path) -> tuple[str, float]:
    where = f"observation {obs_id!r}"
    media = _player_one(observation)
    if len(media) > 1:
        raise InputError(f"plays {len(media)} media files one after another {media}, with times running across "
                         f"them; {_EXPORT_HINT}", path, where)
    offset = float(observation.get("time offset") or 0.0)
    if offset:
        raise InputError(f"has a time offset of {offset:g} s; {_EXPORT_HINT}", path, where)
    if not media:
        if fps is None:
            raise InputError(f"is a live observation (no media file, so no fps): pass {option('fps')}", path, where)
        return obs_id, check_fps(fps, None, path, where)
    file_fps = (observation.get("media_info") or {}).get("fps", {}).get(media[0])
    name = _media_recording(media) or obs_id
    return name, check_fps(fps, float(file_fps) if file_fps else None, path, where)


def _observation_bouts(obs_id: str, observation: dict[str, Any], kinds: dict[str, str], name: str, fps: float,
                       rounding: Literal["nearest", "floor"], path: str | Path) -> list[tuple[Bout, str]]:
    out: list[tuple[Bout, str]] = []
    open_states: dict[tuple[str, str, str], tuple[float, int]] = {}
    for number, event in enumerate(observation["events"], start=1):
        where = f"observation {obs_id!r}, event {number}"
        if not isinstance(event, list) or len(event) < 3:
            raise InputError(f"event {event!r} is not [time, subject, behavior, ...]; {_EXPORT_HINT}", path, where)
        time, subject, code = event[0], str(event[1] or ""), str(event[2])
        modifiers = str(event[3]) if len(event) > 3 and event[3] is not None else ""
        if not isinstance(time, (int, float)) or not math.isfinite(time):
            raise InputError(f"time {time!r} of {code!r} is not a number of seconds; {_EXPORT_HINT}", path, where)
        if code not in kinds:
            raise InputError(f"behavior {code!r} is not in the project's behaviors {sorted(kinds)}", path, where)
        key = (subject, code, modifiers)
        if kinds[code] == "point":
            out.append((bout_from_seconds(name, code, time, time, fps, rounding, subject=subject), where))
        elif key in open_states:
            began, first = open_states.pop(key)
            out.append((bout_from_seconds(name, code, began, float(time), fps, rounding, subject=subject),
                        f"observation {obs_id!r}, events {first}-{number}"))
        else:
            open_states[key] = (float(time), number)
    if open_states:
        (subject, code, _), (began, number) = min(open_states.items(), key=lambda item: item[1][1])
        raise InputError(f"state {code!r}{' of ' + subject if subject else ''} starts at {began:g} s and never stops "
                         "(unmatched START)", path, f"observation {obs_id!r}, event {number}")
    return out
