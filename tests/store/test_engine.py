"""The project database: migrations from an empty file, SQLite pragmas, constraints."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from ethoforge.errors import ConflictError, NotFoundError
from ethoforge.store import Project
from ethoforge.store.engine import head_revision, table_names
from ethoforge.store.models import Base

TABLES = {"recordings", "datasets", "dataset_recordings", "dataset_folders", "bouts", "annotated_scopes",
          "models", "jobs"}


def test_create_makes_folder_database_and_project_file(tmp_path):
    with Project.create(tmp_path / "p") as project:
        root = project.root
        assert set(table_names(project.engine)) == TABLES | {"alembic_version"}
    assert (root / "ethoforge.db").is_file() and (root / "poses").is_dir()
    assert "format_version: 1" in (root / "project.yaml").read_text()


def test_migrations_applied_wal_and_foreign_keys_on(tmp_path):
    Project.create(tmp_path).close()
    with Project.open(tmp_path) as project, project.engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revision()
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_migration_chain_builds_exactly_the_models(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with Project.create(tmp_path) as project, project.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_database_enforces_foreign_keys_and_bout_checks(tmp_path):
    with Project.create(tmp_path) as project:
        with pytest.raises(IntegrityError, match="FOREIGN KEY"), project.engine.begin() as connection:
            connection.execute(text("INSERT INTO bouts (recording_id, behavior, start, stop) VALUES (99, 'a', 0, 5)"))
        with pytest.raises(IntegrityError, match="CHECK"), project.engine.begin() as connection:
            connection.execute(text("INSERT INTO jobs (kind, params, progress) VALUES ('cook', '{}', '{}')"))


def test_create_twice_conflicts_and_open_without_project_is_not_found(tmp_path):
    Project.create(tmp_path).close()
    with pytest.raises(ConflictError, match="already holds"):
        Project.create(tmp_path)
    with pytest.raises(NotFoundError, match="ethoforge init"):
        Project.open(tmp_path / "elsewhere")


def test_open_walks_up_from_the_current_folder(tmp_path, monkeypatch):
    Project.create(tmp_path).close()
    (tmp_path / "poses" / "deeper").mkdir()
    monkeypatch.chdir(tmp_path / "poses" / "deeper")
    with Project.open() as project:
        assert project.root == tmp_path.resolve()


def test_newer_project_format_is_refused(tmp_path):
    Project.create(tmp_path).close()
    (tmp_path / "project.yaml").write_text("format_version: 99\n")
    with pytest.raises(ConflictError, match="newer"):
        Project.open(tmp_path)
