"""Fixtures for the store tests."""

from __future__ import annotations

import pytest

from ethoforge.store import Project


@pytest.fixture
def project(tmp_path):
    """An empty project, open (modules with another starting point define their own)."""
    with Project.create(tmp_path / "project") as opened:
        yield opened
