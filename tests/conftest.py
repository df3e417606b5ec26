"""Shared fixtures: the real data in ../shared/data and small generated data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_root() -> Path:
    """``../shared/data`` beside the repository (override with ETHOFORGE_SHARED_DATA)."""
    return Path(os.environ.get("ETHOFORGE_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    root = shared_data_root()
    assert root.is_dir(), f"real test data not found at {root}; CI clones the repo with ../shared beside it"
    return root


@pytest.fixture(scope="session")
def ethome5_dir(shared_data: Path) -> Path:
    return shared_data / "ethome5"
