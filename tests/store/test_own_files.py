"""The project's own files are refused by every import and export before anything opens them."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from ethoforge.errors import InputError
from ethoforge.store import Project, find_pose_files
from ethoforge.store.engine import dump_database
from ethoforge.store.own_files import MANAGED_DIRS, MANAGED_FILES, OwnFiles

POSE = next((Path(__file__).resolve().parents[1] / "data" / "ethome5" / "poses").glob("*122332-122642*.csv"))
LABELS = next((Path(__file__).resolve().parents[1] / "data" / "ethome5" / "labels_boris").glob("*122332-122642*"))


@pytest.fixture
def project(tmp_path):
    with Project.create(tmp_path / "project") as opened:
        opened.import_recording(POSE)
        (opened.root / "models" / "1").mkdir(parents=True)
        (opened.root / "models" / "1" / "bundle.json").write_text("{}")
        (opened.root / "server_token").write_text("secret\n")
        yield opened


def _hold_database(project: Project):
    """A live connection of this process in a read transaction, as the server holds one."""
    connection = project.engine.connect()
    connection.execute(text("SELECT count(*) FROM recordings")).all()
    return connection


def test_own_files_are_refused_by_name_and_through_links(project, tmp_path):
    root = project.root
    (tmp_path / "elsewhere").mkdir()
    os.symlink(root / "ethoforge.db", tmp_path / "elsewhere" / "poses.csv")
    os.link(root / "server_token", tmp_path / "elsewhere" / "token_copy.csv")
    own = [root / "ethoforge.db", root / "ethoforge.db-wal", root / "ethoforge.db-shm", root / "ethoforge.db-journal",
           root / "project.yaml", root / "server_token", root / "poses" / "1.nc", root / "models" / "1" / "bundle.json",
           tmp_path / "elsewhere" / "poses.csv", tmp_path / "elsewhere" / "token_copy.csv"]
    before = dump_database(project.engine)
    for path in own:
        with pytest.raises(InputError, match="project's own files") as error:
            project.import_recording(path, format="dlc")
        assert str(path) in str(error.value)
        with pytest.raises(InputError, match="project's own files"):
            project.import_labels(path, "boris", recording=1)
        with pytest.raises(InputError, match="project's own files"):
            project.import_recordings([path])
    assert "link to the project's access token file" in OwnFiles.of(root).why(tmp_path / "elsewhere" / "token_copy.csv")
    assert dump_database(project.engine) == before


def test_refusing_the_live_database_keeps_its_locks(project):
    """Opening the database file would drop this process's POSIX locks: another process closing
    its connection would then delete the -wal and -shm files this one still uses."""
    held = _hold_database(project)
    try:
        with pytest.raises(InputError):
            project.import_recording(project.root / "ethoforge.db", format="dlc")
        with pytest.raises(InputError):
            project.import_labels(project.root / "ethoforge.db-wal", "boris", recording=1)
        assert (project.root / "ethoforge.db-wal").exists()
        script = f"import sqlite3; c = sqlite3.connect({str(project.root / 'ethoforge.db')!r}); " \
                 "c.execute('SELECT 1 FROM recordings').fetchall(); c.close()"
        subprocess.run([sys.executable, "-c", script], check=True)
        assert (project.root / "ethoforge.db-wal").exists(), "the other process removed the WAL still in use"
    finally:
        held.close()


def test_folder_import_of_the_project_folder_passes_over_its_own_files(project):
    mine = project.root / "inputs" / "mine.csv"
    mine.parent.mkdir()
    shutil.copy(POSE, mine)
    shutil.copy(POSE, project.root / "models" / "1" / "stray.csv")  # a pose file, but inside models/
    assert find_pose_files([project.root], own=project.own_files) == [mine]
    with pytest.raises(InputError, match="inside the project's poses/ folder"):
        find_pose_files([project.root / "poses"], own=project.own_files)


def test_export_never_writes_over_the_database(project):
    database = project.root / "ethoforge.db"
    size = database.stat().st_size
    with pytest.raises(InputError, match="project's database"):
        project.export_labels(1, database, "boris")
    with pytest.raises(InputError, match="project's poses/ folder"):
        project.export_labels(None, project.root / "poses", "boris")
    assert database.stat().st_size == size and sorted(os.listdir(project.poses_dir)) == ["1.nc"]
    connection = sqlite3.connect(database)
    assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    connection.close()


def test_a_database_kept_elsewhere_is_own_too(tmp_path):
    own = OwnFiles.of(tmp_path / "project", f"sqlite:///{tmp_path / 'shared' / 'meta.db'}")
    assert own.why(tmp_path / "shared" / "meta.db-wal") == "the project's database wal file"
    assert own.why(tmp_path / "shared" / "other.db") is None
    assert OwnFiles.of(tmp_path, "postgresql://host/db").databases == ((tmp_path / "ethoforge.db").resolve(),)


def test_the_list_names_every_folder_and_file_the_project_writes():
    from ethoforge.jobs.bodies import INFERENCE_DIR
    from ethoforge.jobs.queue import JOBS_DIR
    from ethoforge.server.auth import TOKEN_FILE
    from ethoforge.server.web_support import DRAFTS_DIR
    from ethoforge.store.folder import DATABASE_FILE, POSES_DIR, PROJECT_FILE
    from ethoforge.store.registry import MODELS_DIR
    from ethoforge.workflows import TRAINING_DIR

    assert {INFERENCE_DIR, JOBS_DIR, DRAFTS_DIR, POSES_DIR, MODELS_DIR, TRAINING_DIR} <= set(MANAGED_DIRS)
    assert {TOKEN_FILE, DATABASE_FILE, PROJECT_FILE} <= set(MANAGED_FILES)
