"""The ``ethoforge`` command line (typer + rich); the console script is ``ethoforge.cli:app``.

Each public module of this package (name not starting with ``_``) adds its commands with
``register(app)``; to add a command group, drop a module here (heavy imports inside the
command functions, so ``ethoforge --help`` stays fast).
"""

from __future__ import annotations

import importlib
import pkgutil

from ethoforge.cli._app import app

for _module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}").register(app)

__all__ = ["app"]
