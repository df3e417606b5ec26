"""kill -9 of the server in the middle of a large label commit: after a restart the commit is
either fully there or not at all, and the database is intact."""

from __future__ import annotations

import signal
import sqlite3
import threading
import time

import httpx


def _big_commit(n_frames: int) -> list[dict]:
    """~28,000 one-frame bouts of ``interact`` in three lanes (agent, target), none overlapping in its lane."""
    lanes = (("adult", None), ("adult", "juvenile"), ("juvenile", None))
    return [{"behavior": "interact", "start": start, "stop": start + 1, "agent": agent, "target": target,
             "annotator": "load"} for start in range(n_frames - 30) for agent, target in lanes]


def _write_lock_taken(database) -> bool:
    """True while another connection holds the database's write lock (a commit in progress)."""
    connection = sqlite3.connect(database, timeout=0, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as error:
        return "locked" in str(error)
    finally:
        connection.close()


def test_sigkill_during_a_label_commit_leaves_all_or_nothing(launch, ethome5_project, tmp_path, testkit):
    project_dir = testkit.copy_project(ethome5_project, tmp_path / "project")
    database = project_dir / "ethoforge.db"
    server = launch(project_dir)
    with server.client() as http:
        recording = http.get("/recordings/2").json()
        before = http.get("/recordings/2/labels")
    old_version = before.headers["ETag"].strip('"')
    old_bouts = before.json()["bouts"]
    bouts = _big_commit(recording["n_frames"])
    body = {"bouts": bouts, "version": old_version}

    outcomes = []
    for attempt in range(3):
        failure: list[BaseException] = []

        def commit(server=server, failure=failure) -> None:
            try:
                httpx.put(f"{server.api}/recordings/2/labels", json=body, timeout=120)
            except httpx.HTTPError as error:  # the server dies under us: expected
                failure.append(error)

        thread = threading.Thread(target=commit)
        thread.start()
        deadline = time.monotonic() + 60
        while not _write_lock_taken(database) and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.002)
        killed_mid_commit = thread.is_alive()
        time.sleep(0.01 * attempt)  # a little later into the transaction each time
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()
        thread.join(30)
        assert killed_mid_commit and failure, "the commit finished before the kill; make it larger"

        server = launch(project_dir)
        with server.client() as http:
            after = http.get("/recordings/2/labels")
            stored = after.json()["bouts"]
            version = after.headers["ETag"].strip('"')
            if version == old_version:
                assert stored == old_bouts
                outcomes.append("none")
            else:
                assert len(stored) == len(bouts) and all(b["annotator"] == "load" for b in stored)
                outcomes.append("all")
                # put the old labels back for the next attempt
                restored = http.put("/recordings/2/labels", json={"bouts": old_bouts, "version": version})
                assert restored.status_code == 200
                assert restored.headers["ETag"].strip('"') == old_version
        with sqlite3.connect(database) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert "none" in outcomes  # at least one kill landed inside the transaction before it committed

    with server.client() as http:  # and the same commit, not interrupted, is stored whole
        done = http.put("/recordings/2/labels", json=body)
        assert done.status_code == 200, done.text
        assert done.json()["stored"] == len(bouts)
        assert len(http.get("/recordings/2/labels").json()["bouts"]) == len(bouts)
