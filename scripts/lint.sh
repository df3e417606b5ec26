#!/usr/bin/env bash
# Lint and type-check (configured in pyproject.toml): ruff over the code, tests and benchmarks,
# mypy over the package. Expects the .venv made by scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
. .venv/bin/activate
python -m pip install -q "ruff>=0.6" "mypy>=1.10"
ruff check src tests benchmarks
mypy
