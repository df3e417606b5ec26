"""``ethoforge models list|show|delete|activate``: the project's model registry."""

from __future__ import annotations

from typing import Annotated

import typer

from ethoforge.cli._common import JsonOption, ProjectOption, emit_json, open_project, stdout, whole_table

models_app = typer.Typer(help="Trained models registered in the project.", no_args_is_help=True)
ModelArgument = Annotated[str, typer.Argument(help="Model id or name.")]


@models_app.command("list")
def list_(
    dataset: Annotated[str | None, typer.Option(help="Only this dataset's models (name or id).")] = None,
    kind: Annotated[str | None, typer.Option(help="Only models of this kind: classifier or embedder.")] = None,
    project: ProjectOption = None,
    json: JsonOption = False,
) -> None:
    """List models, newest first, with their validation macro F1."""
    from ethoforge.store import registry

    with open_project(project) as opened:
        models = registry.list_models(opened, dataset=dataset, kind=kind)
    if json:
        emit_json({"models": [m.to_dict() for m in models]})
        return
    table = whole_table("id", "name", "dataset", "kind", "family", "val F1", "active",
                        widest={"name": max((len(m.name) for m in models), default=4)})
    for info in models:
        table.add_row(str(info.id), info.name, info.dataset or "-", info.kind, info.family, _val_f1(info.metrics),
                      "yes" if info.active else "")
    stdout().print(table if models else "no models yet; train one with `ethoforge train`")


@models_app.command("show")
def show(model: ModelArgument, project: ProjectOption = None, json: JsonOption = False) -> None:
    """Show one model: dataset, family, metrics, bundle folder."""
    from ethoforge.store import registry

    with open_project(project) as opened:
        info = registry.get_model(opened, model)
        bundle = opened.root / info.path
    if json:
        emit_json({**info.to_dict(), "bundle": str(bundle)})
        return
    console = stdout()
    console.print(f"model {info.name} (id {info.id}, {info.kind}, {info.family}){' — active' if info.active else ''}")
    console.print(f"dataset: {info.dataset or '-'}")
    console.print(f"val macro F1: {_val_f1(info.metrics)}")
    console.print(f"bundle: {bundle}")
    report = bundle / "performance_report.yaml"
    if report.is_file():
        console.print(f"report: {report}")


@models_app.command("delete")
def delete(
    model: ModelArgument,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    project: ProjectOption = None,
    json: JsonOption = False,
) -> None:
    """Delete a model and its bundle folder (asks first unless --yes)."""
    from ethoforge.errors import ConfigError
    from ethoforge.store import registry

    with open_project(project) as opened:
        info = registry.get_model(opened, model)
        if not yes:
            if json:
                raise ConfigError("--json cannot ask for confirmation; add --yes to delete the model")
            if not typer.confirm(f"delete model {info.name} (id {info.id}) and its bundle?"):
                raise typer.Exit(1)
        registry.delete_model(opened, info.id)
    if json:
        emit_json({"deleted": info.id, "name": info.name})
        return
    stdout().print(f"deleted model {info.name} (id {info.id})")


@models_app.command("activate")
def activate(model: ModelArgument, project: ProjectOption = None, json: JsonOption = False) -> None:
    """Make a model the active one of its dataset (the one the web app's inference uses)."""
    from ethoforge.store import registry

    with open_project(project) as opened:
        info = registry.activate_model(opened, model)
    if json:
        emit_json(info.to_dict())
        return
    stdout().print(f"model {info.name} (id {info.id}) is the active model of dataset {info.dataset or '-'}")


def _val_f1(metrics: dict) -> str:
    value = (metrics.get("val") or {}).get("macro_f1")
    return f"{value:.3f}" if isinstance(value, (int, float)) else "-"


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")
