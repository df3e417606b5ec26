"""Errors raised on bad input: each names the file, the place in it and what was expected."""

from __future__ import annotations

from pathlib import Path


class EthoForgeError(Exception):
    """Base class of every error EthoForge raises on purpose (the CLI prints these without a traceback)."""


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
