"""Shared CLI pieces: the --project and --json options, output, errors, progress."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Callable, Iterator

import typer
from typer.core import TyperCommand

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from typer._click import Context  # the click typer runs on (vendored since typer 0.29)

    from ethoforge.store import Project

ProjectOption = Annotated[
    Path | None,
    typer.Option("--project", "-p", envvar="ETHOFORGE_PROJECT",
                 help="Project folder (default: the current folder or the nearest one above it holding project.yaml)."),
]
ProjectArgument = Annotated[Path | None, typer.Argument(
    help="Project folder (or --project/-p, as the other commands take it).", show_default=False)]


def project_folder(argument: Path | None, option: Path | None) -> Path:
    """The project of a command taking it as an argument: the argument, else ``--project``, else
    the project at or above the current folder (as `open_project` finds it)."""
    from ethoforge.store.folder import find_project_root

    return argument or option or find_project_root(None)


_DEVICE_HELP = "auto (CUDA when present), cpu or cuda."
DeviceOption = Annotated[str, typer.Option(help=_DEVICE_HELP)]
"""``--device`` of commands that run a model (default ``"auto"``)."""
DeviceOverride = Annotated[str | None, typer.Option(help=_DEVICE_HELP)]
"""``--device`` of commands whose config has its own default (None: the config's)."""


JSON_REQUESTED = "ethoforge.json"
"""Key in ``ctx.meta`` set when a command was given ``--json`` (errors then print as JSON too)."""


def _remember_json(ctx: typer.Context, value: bool) -> bool:
    if value:
        ctx.meta[JSON_REQUESTED] = True
    return value


JsonOption = Annotated[bool, typer.Option(
    "--json", callback=_remember_json, help="Print exactly one JSON object to stdout (also on failure).")]


def stdout() -> "Console":
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def stderr() -> "Console":
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def print_error(error: BaseException) -> None:
    """One red line on stderr: ``error: <message>``."""
    from rich.text import Text

    stderr().print(Text(f"error: {error}", style="red"))


def print_warning(message: str) -> None:
    from rich.text import Text

    stderr().print(Text(f"warning: {message}", style="yellow"))


def open_project(directory: Path | None) -> "Project":
    """The project in ``directory``, or the nearest one at or above the cwd."""
    from ethoforge.store import Project

    return Project.open(directory)


def whole_table(*headers: str, title: str | None = None, widest: dict[str, int] | None = None) -> "Table":
    """A rich table whose cells wrap (long names fold onto the next line) instead of being cut with '…'.

    ``widest`` gives columns (by header) the width their longest cell needs, up to 32
    characters, before the others, so that names stay on one line where the terminal allows.
    """
    from rich.table import Column, Table

    widths = widest or {}
    return Table(*(Column(h, overflow="fold", min_width=min(widths[h], 32) if h in widths else None)
                   for h in headers), title=title)


def emit_json(data: dict) -> None:
    """Write one JSON object to stdout (plain, no markup)."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    sys.stdout.flush()


class GreedyListCommand(TyperCommand):
    """A command whose list options take several values after one flag: ``--recordings A B C``.

    Click options take one value per flag; this rewrites ``--opt A B`` to
    ``--opt A --opt B`` for the options named in ``greedy_options`` before parsing, so
    positional arguments must come before such an option.
    """

    greedy_options: tuple[str, ...] = ()

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        rewritten: list[str] = []
        current: str | None = None
        for token in args:
            if token.startswith("-"):
                current = token if token in self.greedy_options else None
                rewritten.append(token)
            elif current is not None and rewritten[-1] != current:
                rewritten.extend((current, token))
            else:
                rewritten.append(token)
        return super().parse_args(ctx, rewritten)


def greedy(*options: str) -> type[GreedyListCommand]:
    """A `GreedyListCommand` class for these option names (pass as ``cls=`` to a command)."""
    return type("GreedyCommand", (GreedyListCommand,), {"greedy_options": options})


@contextmanager
def progress_bar(
    description: str, enabled: bool = True, *, eta: bool = False, lines: bool = False
) -> Iterator[Callable[[int, int, str], None]]:
    """A rich progress bar on stderr (when it is a terminal); yields ``update(done, total, item)``.

    ``eta`` adds the estimated time remaining after the elapsed time. ``lines``: when stderr
    is not a terminal (a log file, a pipe), print one plain line per update instead of
    nothing, with the elapsed time and (``eta``) the time remaining.
    """
    console = stderr()
    if not enabled:
        yield lambda done, total, item: None
        return
    if not console.is_terminal:
        if not lines:
            yield lambda done, total, item: None
            return
        yield _line_printer(description, eta)
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    if eta:
        columns += [TextColumn("ETA"), TimeRemainingColumn()]
    with Progress(*columns, TextColumn("{task.fields[item]}"), console=console, transient=True) as progress:
        task = progress.add_task(description, total=None, item="")

        def update(done: int, total: int, item: str) -> None:
            progress.update(task, completed=done, total=total, item=item)

        yield update


def _line_printer(description: str, eta: bool) -> Callable[[int, int, str], None]:
    """``update(done, total, item)`` printing ``description done/total item, elapsed … ETA …`` on stderr."""
    import time

    start = time.monotonic()

    def update(done: int, total: int, item: str) -> None:
        elapsed = time.monotonic() - start
        text = f"{description} {done}/{total}" + (f"  {item}" if item else "") + f"  elapsed {_clock(elapsed)}"
        if eta and 0 < done < total:
            text += f"  ETA {_clock(elapsed / done * (total - done))}"
        sys.stderr.write(text + "\n")
        sys.stderr.flush()

    return update


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def parse_list(value: str | None) -> list[str] | None:
    """``"a,b"`` → ``["a", "b"]`` (None stays None)."""
    if value is None:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


def parse_rename(value: str | None, flag: str = "--rename") -> dict[str, str] | None:
    """``"old:new,old2:new2"`` → ``{"old": "new", "old2": "new2"}``; ``flag`` names the option in errors."""
    return parse_pairs(value, flag, ":", "old:new")


def parse_pairs(value: str | None, flag: str, separator: str, form: str) -> dict[str, str] | None:
    """``"a<separator>b,c<separator>d"`` → ``{"a": "b", "c": "d"}`` (None stays None)."""
    from ethoforge.errors import ConfigError

    if value is None:
        return None
    mapping = {}
    for pair in parse_list(value) or []:
        old, sep, new = pair.partition(separator)
        if not sep or not old.strip() or not new.strip():
            raise ConfigError(f"{flag} expects {form} pairs separated by commas, got {pair!r}")
        mapping[old.strip()] = new.strip()
    return mapping
