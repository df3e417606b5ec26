"""The root typer app: errors EthoForge raises on purpose print as one red line, exit code 1."""

from __future__ import annotations

import click
import typer
from typer.core import TyperGroup

from ethoforge.errors import EthoForgeError


class _Group(TyperGroup):
    """Root command group that turns `EthoForgeError` into a message without a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except EthoForgeError as error:
            from ethoforge.cli._common import print_error

            print_error(error)
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=_Group,
    name="ethoforge",
    help="EthoForge: from pose-tracking keypoints to behavior classifiers and ethograms.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
