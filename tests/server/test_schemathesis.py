"""A schemathesis run with every check against the live server (issue 12 item 6).

``st run --checks all`` over the OpenAPI spec, seeded and bounded (examples and fuzzing
phases, a few examples per operation): no 500, every status documented, every error
body of the one error schema, 405 with the right ``Allow`` for unsupported methods, schema-
violating requests refused. ``schemathesis.toml`` beside this file says which answers count as
refusals by the project's rules.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("schemathesis")

CONFIG = Path(__file__).with_name("schemathesis.toml")
SEED = 12
MAX_EXAMPLES = 5


def test_schemathesis_all_checks_pass(live_server, tmp_path):
    st = Path(sys.executable).with_name("st")
    if not st.is_file():
        pytest.skip(f"the schemathesis CLI is not installed beside {sys.executable}")
    command = [str(st), "--no-color", "--config-file", str(CONFIG), "run", f"{live_server.api}/openapi.json",
               "--checks", "all", "--seed", str(SEED), "--max-examples", str(MAX_EXAMPLES), "--no-shrink",
               "--phases", "examples,fuzzing", "--request-timeout", "30", "--workers", "1"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)  # its reports land there
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-8000:]
    assert "Tested: " in output and " 0 passed" not in output
