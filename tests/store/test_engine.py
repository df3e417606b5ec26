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


_REBUILD_PARENTS = '''"""Test migration: rebuild the parent tables the way SQLite batch ALTERs do."""
import sqlalchemy as sa
from alembic import op

revision = "0002_test_rebuild"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("recordings", "datasets"):
        with op.batch_alter_table(table, recreate="always") as batch_op:
            batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))


def downgrade() -> None:
    pass
'''


def test_a_batch_migration_rebuilding_parent_tables_keeps_every_child_row(tmp_path):
    """Batch mode copies a table, drops the old one and renames the copy; with foreign keys on,
    the drop of ``recordings`` would cascade to every bout, scope and dataset membership."""
    import shutil

    from ethoforge.store.engine import MIGRATIONS_DIR, dump_database, upgrade_to_head

    chain = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, chain, ignore=shutil.ignore_patterns("__pycache__"))
    (chain / "versions" / "0002_test_rebuild.py").write_text(_REBUILD_PARENTS.format(down=head_revision()))
    with Project.create(tmp_path / "p") as project, project.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO recordings (id, name, content_hash, fps, n_frames, individuals, keypoints, "
            "source_format, poses_path) VALUES (1, 'r1', 'h1', 30, 100, '[]', '[]', 'dlc', 'a'), "
            "(2, 'r2', 'h2', 30, 100, '[]', '[]', 'dlc', 'b')"))
        connection.execute(text("INSERT INTO datasets (id, name, behaviors) VALUES (1, 'd', '[\"a\"]')"))
        connection.execute(text("INSERT INTO dataset_recordings VALUES (1, 1), (1, 2)"))
        connection.execute(text("INSERT INTO dataset_folders VALUES (1, '/data')"))
        connection.execute(text(
            "INSERT INTO bouts (recording_id, behavior, start, stop) VALUES (1, 'a', 0, 5), (2, 'a', 3, 9)"))
        connection.execute(text("INSERT INTO annotated_scopes (recording_id, start, stop) VALUES (1, 0, 100)"))
        connection.execute(text(
            "INSERT INTO models (dataset_id, name, family, path, metrics, config) VALUES (1, 'm', 'gbdt', 'm', '{}', '{}')"))
        connection.execute(text("INSERT INTO jobs (kind, dataset_id, params, progress) VALUES ('train', 1, '{}', '{}')"))
    with Project.open(tmp_path / "p") as project:
        before = dump_database(project.engine)
        assert upgrade_to_head(project.engine, chain) == "0002_test_rebuild"
        after = dump_database(project.engine)
        with project.engine.connect() as connection:
            columns = [row[1] for row in connection.execute(text("PRAGMA table_info(recordings)"))]
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1  # on again afterwards
    assert "note" in columns  # the table really was rebuilt
    for table in ("bouts", "annotated_scopes", "dataset_recordings", "dataset_folders", "models", "jobs"):
        assert after[table] == before[table], table
    assert len(after["bouts"]) == 2 and after["models"][0][1] == 1  # the model still names its dataset
