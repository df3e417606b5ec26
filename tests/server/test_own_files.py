"""The project's own files are never opened as input: a request naming the live database must
not break the server's SQLite locks (issue 12, item 1), against the real server process."""

from __future__ import annotations

import signal
import sqlite3

import pytest

OWN_FILES = ("ethoforge.db", "ethoforge.db-wal", "ethoforge.db-shm", "project.yaml", "jobs/queue_id",
             "poses/1.nc")


def _open_and_close(database) -> None:
    """What another process does (a CLI command, a backup script): open the database, read, close."""
    connection = sqlite3.connect(database)
    connection.execute("SELECT count(*) FROM recordings").fetchall()
    connection.close()


def test_importing_the_live_database_keeps_every_acknowledged_write(launch, ethome5_project, tmp_path, testkit):
    project_dir = testkit.copy_project(ethome5_project, tmp_path / "project")
    server = launch(project_dir)
    database = project_dir / "ethoforge.db"
    created = []
    with server.client() as client:
        for index in range(3):  # writes before, so the WAL holds something
            answer = client.post("/datasets", json={"name": f"before{index}", "behaviors": ["interact"]})
            assert answer.status_code == 201, answer.text
            created.append(f"before{index}")
        answer = client.post("/recordings", json={"path": "ethoforge.db"})
        assert answer.status_code == 422, answer.text
        assert "project's own" in answer.json()["detail"] and "ethoforge.db" in answer.json()["detail"]
        assert client.post("/recordings", json={"path": str(database) + "-wal"}).status_code == 422
        _open_and_close(database)  # with the server's locks gone, this would delete -wal and -shm
        assert (project_dir / "ethoforge.db-wal").exists(), "another process removed the WAL the server uses"
        for index in range(20):
            answer = client.post("/datasets", json={"name": f"after{index}", "behaviors": ["interact"]})
            assert answer.status_code == 201, answer.text
            created.append(f"after{index}")
            if index % 5 == 0:
                _open_and_close(database)
    server.stop(signal.SIGKILL)  # acknowledged writes must survive even a crash
    connection = sqlite3.connect(database)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        stored = {name for (name,) in connection.execute("SELECT name FROM datasets")}
    finally:
        connection.close()
    assert set(created) <= stored, f"acknowledged writes lost: {sorted(set(created) - stored)}"


@pytest.mark.parametrize("path", OWN_FILES)
def test_every_own_file_is_refused_by_name(live_server, path):
    with live_server.client() as client:
        answer = client.post("/recordings", json={"path": path})
    assert answer.status_code == 422, answer.text
    assert "project's own" in answer.json()["detail"], answer.text
