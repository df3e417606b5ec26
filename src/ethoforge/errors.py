"""Errors raised on bad input: each names the file, the place in it and what was expected.

Messages name options through `option` so that each front end speaks its user's language:
``fps=`` to Python callers, ``--fps`` on the command line, the JSON field ``"fps"`` over REST.
``str(error)`` renders in the current `voice` (Python unless a front end set another).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

Voice = Literal["python", "cli", "rest"]

_VOICE: ContextVar[Voice] = ContextVar("ethoforge_error_voice", default="python")
_MARK = re.compile("\x02(.*?)\x03", re.S)
_UNSET = object()
# Python argument -> CLI flag, where the flag is not "--" + the name with "-" for "_"
_CLI_FLAGS = {
    "keypoint_map": "--map",
    "thresholds": "--threshold",
    "family": "--model",
    "model": "--model-config",
    "split.mode": "--split",
    "split.train": "--recordings",
    "split.val": "--val-recordings",
    "split.test": "--test-recordings",
    "split.val_fraction": "--val-fraction",
    "split.test_fraction": "--test-fraction",
    "smoothing": "--smooth",
    "min_bout_frames": "--min-bout",
    "merge_gap_frames": "--merge-gap",
}
# options shown with a placeholder value when no value is given: (python, cli, rest)
_TEMPLATES = {"keypoint_map": ("{old: new}", "old:new", '{"old": "new"}')}


def option(name: str, value: Any = _UNSET) -> str:
    """Name an option (a Python argument such as ``"fps"``) in an error message, with an
    optional example value; rendered per `voice`: ``fps=30``, ``--fps 30``, ``"fps": 30``."""
    return "\x02" + json.dumps([name] if value is _UNSET else [name, value], default=str) + "\x03"


def label(name: str) -> str:
    """Name an option as the subject of a message (``batch_size: must be > 0``): the bare name in
    Python and over REST (where it is the JSON field), the flag on the command line."""
    return "\x02" + json.dumps({"label": name}) + "\x03"


def speak(message: str, voice: Voice | None = None) -> str:
    """``message`` with its `option` marks rendered for ``voice`` (default: the current one)."""
    chosen = voice or _VOICE.get()
    return _MARK.sub(lambda match: _render(json.loads(match.group(1)), chosen), message)


@contextmanager
def voice(chosen: Voice) -> Iterator[None]:
    """Render error messages for ``chosen`` inside the block (the CLI, the server's jobs)."""
    token = _VOICE.set(chosen)
    try:
        yield
    finally:
        _VOICE.reset(token)


def _render(parts: list | dict, chosen: Voice) -> str:
    if isinstance(parts, dict):
        name = parts["label"]
        return _CLI_FLAGS.get(name, "--" + name.replace("_", "-")) if chosen == "cli" else name
    name, has_value = parts[0], len(parts) > 1
    value = parts[1] if has_value else None
    template = _TEMPLATES.get(name)
    if chosen == "cli":
        flag = _CLI_FLAGS.get(name, "--" + name.replace("_", "-"))
        if has_value:
            return f"{flag} {_cli_value(value)}"
        return f"{flag} {template[1]}" if template else flag
    if chosen == "rest":
        if has_value:
            return f'"{name}": {json.dumps(value)}'
        return f'"{name}": {template[2]}' if template else f'"{name}"'
    if has_value:
        return f"{name}={value!r}"
    return f"{name}={template[0]}" if template else f"{name}="


def _cli_value(value: Any) -> str:
    import shlex

    if isinstance(value, dict):
        return ",".join(f"{k}:{v}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return shlex.quote(",".join(str(v) for v in value))
    if isinstance(value, float):
        return f"{value:g}"
    return shlex.quote(str(value))


class EthoForgeError(Exception):
    """Base class of every error EthoForge raises on purpose (the CLI prints these without a traceback).

    ``str(error)`` speaks the current `voice`; `message` takes one explicitly.
    """

    def __str__(self) -> str:
        return speak(super().__str__())

    def message(self, voice: Voice) -> str:
        """The message rendered for ``voice``."""
        return speak(super().__str__(), voice)


class InputError(EthoForgeError, ValueError):
    """A file or value does not fit what EthoForge expects.

    Parameters
    ----------
    message
        What is wrong and what was expected.
    path
        The offending file, if any.
    location
        Where in the file: ``"line 12"``, ``"frame 3051"``, ``"row 4, column 'x'"``.
    """

    def __init__(self, message: str, path: str | Path | None = None, location: str | None = None):
        self.path = Path(path) if path is not None else None
        self.location = location
        self.detail = message
        prefix = ""
        if self.path is not None:
            prefix = f"{self.path}"
            if location:
                prefix += f", {location}"
            prefix += ": "
        elif location:
            prefix = f"{location}: "
        super().__init__(prefix + message)


class ConfigError(EthoForgeError, ValueError):
    """An option or configuration value is invalid; raised before any work starts."""


class NotFoundError(EthoForgeError, LookupError):
    """A named recording, dataset, model or job does not exist."""


class ConflictError(EthoForgeError):
    """The request conflicts with stored state (duplicate import, stale version)."""


class Cancelled(EthoForgeError):
    """Long work (training, inference) stopped because its progress callback returned False."""
