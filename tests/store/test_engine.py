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


def test_a_read_then_write_transaction_waits_for_another_writer_instead_of_failing(tmp_path):
    """Deferred BEGIN: another connection commits between our read and our write → "database is
    locked" at once. `write_transaction` (BEGIN IMMEDIATE): the other writer waits for us."""
    import threading

    from sqlalchemy import func, select
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import sessionmaker

    from ethoforge.store import jobs_repo
    from ethoforge.store.engine import write_transaction
    from ethoforge.store.models import JobRow

    Project.create(tmp_path).close()
    errors: list[BaseException] = []

    def other_writer(about_to_write: threading.Event) -> None:
        try:
            with Project.open(tmp_path) as other:  # another engine: its own connection
                about_to_write.set()
                jobs_repo.insert_job(other, "train", {}, None)
        except BaseException as error:  # noqa: BLE001 - reported by the assertions below
            errors.append(error)

    def start_other_writer() -> threading.Thread:
        about_to_write = threading.Event()
        thread = threading.Thread(target=other_writer, args=(about_to_write,))
        thread.start()
        assert about_to_write.wait(30)
        return thread

    with Project.open(tmp_path) as project:
        sessions = sessionmaker(project.engine)
        with pytest.raises(OperationalError, match="database is locked"), sessions.begin() as session:
            session.scalar(select(func.count(JobRow.id)))  # read: deferred, no lock held
            start_other_writer().join(30)  # commits in between
            session.add(JobRow(kind="train", status="pending", params={}, progress={}, version=1))
            session.flush()  # the write fails at once

        with write_transaction(sessions) as session:
            before = session.scalar(select(func.count(JobRow.id)))
            waiting = start_other_writer()
            waiting.join(1.0)
            assert waiting.is_alive()  # queued behind our write lock
            session.add(JobRow(kind="infer", status="pending", params={}, progress={}, version=1))
        waiting.join(30)
        assert not waiting.is_alive() and errors == []
        kinds = [row.kind for row in jobs_repo.select_jobs(project)]
        assert before == 1 and kinds == ["train", "infer", "train"]  # newest first: the other came after us
