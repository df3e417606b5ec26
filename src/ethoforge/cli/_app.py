"""The root typer app: errors EthoForge raises on purpose print as one red line, exit code 1
(with ``--json``: one JSON object ``{"error": kind, "detail": message}`` on stdout), naming
options as CLI flags (the ``cli`` `ethoforge.errors.voice`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup

from ethoforge.errors import EthoForgeError, InputError, voice

if TYPE_CHECKING:
    from typer._click import Context  # the click typer runs on (vendored since typer 0.29)


class _Group(TyperGroup):
    """Root command group that turns `EthoForgeError` into a message without a traceback."""

    def invoke(self, ctx: Context) -> Any:
        with voice("cli"):
            try:
                return super().invoke(ctx)
            except EthoForgeError as error:
                from ethoforge.cli._common import JSON_REQUESTED, emit_json, print_error

                if ctx.meta.get(JSON_REQUESTED):
                    emit_json(_error_object(error))
                else:
                    print_error(error)
                raise typer.Exit(1) from None


def _error_object(error: EthoForgeError) -> dict:
    """``{"error": kind, "detail": message}`` (as the REST API answers), with ``path`` and
    ``location`` of an `InputError` when it names them."""
    data: dict = {"error": type(error).__name__, "detail": str(error)}
    if isinstance(error, InputError):
        data.update({key: str(value) for key, value in (("path", error.path), ("location", error.location))
                     if value is not None})
    return data


app = typer.Typer(
    cls=_Group,
    name="ethoforge",
    help="EthoForge: from pose-tracking keypoints to behavior classifiers and ethograms.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
