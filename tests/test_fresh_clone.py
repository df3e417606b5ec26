"""The README's test command on a fresh clone with nothing beside it: the suite collects with
no errors and the tests that need ``../shared`` skip with a reason instead of erroring."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# Test files that use real data from ../shared (and from tests/data): run them in the clone.
SHARED_DATA_TESTS = ["tests/io/test_frame_table.py", "tests/evaluation/test_agreement.py", "tests/io/test_labels.py"]


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory) -> Path:
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout of the repository")
    target = tmp_path_factory.mktemp("fresh") / "ethoforge"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(REPO_ROOT), str(target)], check=True)
    return target


def _pytest_in(clone: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(clone / "src"),
           "ETHOFORGE_SHARED_DATA": str(clone.parent / "no-shared-here")}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          cwd=clone, env=env, capture_output=True, text=True, timeout=600)


def test_the_suite_collects_without_errors(fresh_clone: Path) -> None:
    done = _pytest_in(fresh_clone, "--collect-only")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "error" not in done.stdout.splitlines()[-1].lower(), done.stdout[-2000:]


def test_real_data_tests_pass_or_skip_with_a_reason(fresh_clone: Path) -> None:
    done = _pytest_in(fresh_clone, "-rs", *SHARED_DATA_TESTS)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "passed" in done.stdout and "skipped" in done.stdout, done.stdout[-2000:]
    assert "real data outside the repository not found" in done.stdout
