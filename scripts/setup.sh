#!/usr/bin/env bash
# Create .venv and install EthoForge with its server and test extras (no GPU needed).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
python -m pip install -q --upgrade pip
# The CPU build of PyTorch 2.13.0 lies on this machine's disk; pin it so pip never fetches a CUDA build.
python -m pip install -q "torch==2.13.0"
python -m pip install -q -e ".[server,test]"
