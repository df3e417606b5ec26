"""The package layers: `training/` and `inference/` never import each other; `bundles/` and
`models/` (below both) import neither."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import ethoforge

PACKAGE = Path(ethoforge.__file__).parent
FORBIDDEN = {
    "training": ("ethoforge.inference",),
    "inference": ("ethoforge.training",),
    "bundles": ("ethoforge.training", "ethoforge.inference"),
    "models": ("ethoforge.training", "ethoforge.inference"),
}


def imported_modules(path: Path) -> list[str]:
    """Every module an ``import``/``from ... import`` in ``path`` names (type-only ones too)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_import_forbidden_layers(package: str) -> None:
    bad = [f"{path.relative_to(PACKAGE)} imports {name}"
           for path in sorted((PACKAGE / package).rglob("*.py"))
           for name in imported_modules(path) if name.startswith(FORBIDDEN[package])]
    assert not bad, bad


def test_imported_modules_sees_nested_and_type_only_imports(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ethoforge.inference.bundle import X\n"
                      "def f():\n    import ethoforge.training.loop\n")
    assert imported_modules(source) == ["typing", "ethoforge.inference.bundle", "ethoforge.training.loop"]
