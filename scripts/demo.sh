#!/usr/bin/env bash
# Set up and run the main job on the bundled ethome5 sample data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
ethoforge demo "$@"
