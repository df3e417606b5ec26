"""The README is exact: every ``ethoforge`` command line in it parses with the options it shows,
and the Python snippet's comments name the types the functions return."""

from __future__ import annotations

import re
import shlex
import typing
from pathlib import Path

import typer

from ethoforge.cli import app

README = Path(__file__).resolve().parents[1] / "README.md"


def _command_lines() -> list[list[str]]:
    lines, blocks = [], re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.S)
    for block in blocks:
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("#")[0].strip()
            if line.startswith("ethoforge "):
                lines.append(shlex.split(line)[1:])
    return lines


def _resolve(tokens: list[str]):
    """The (click) command a command line names, and its remaining tokens (groups have ``commands``)."""
    command = typer.main.get_command(app)
    rest = list(tokens)
    while hasattr(command, "commands") and rest and rest[0] in command.commands:
        command = command.commands[rest.pop(0)]
    return command, rest


def test_every_command_line_in_the_readme_uses_real_options():
    lines = _command_lines()
    assert len(lines) >= 10
    for tokens in lines:
        command, rest = _resolve(tokens)
        assert not hasattr(command, "commands"), f"no such command: ethoforge {' '.join(tokens)}"
        known = {name for param in command.params for name in (*param.opts, *param.secondary_opts)}
        for token in rest:
            if token.startswith("-") and not re.fullmatch(r"-?\d+(\.\d+)?", token):
                assert token.split("=")[0] in known, f"ethoforge {' '.join(tokens)}: {token} is not an option"


def test_the_python_snippet_names_the_return_types():
    from ethoforge.datasets import load_sample
    from ethoforge.io.labels import load_labels
    from ethoforge.io.poses import load_poses

    text = README.read_text()
    hints = {f: typing.get_type_hints(f)["return"] for f in (load_poses, load_labels, load_sample)}
    assert hints[load_poses].__name__ == "Recording" and "= load_poses(" in text and "# Recording;" in text
    assert str(hints[load_labels]) == "list[ethoforge.labels.Bout]" and "# list[Bout]" in text
    assert "list[tuple[ethoforge.recording.Recording, list[ethoforge.labels.Bout]]]" == str(hints[load_sample])
    assert "# list[tuple[Recording, list[Bout]]]" in text
