"""``encode`` jobs over the real server and worker: progress with ETA, cancel keeping the
finished chunks, a new job resuming from them, and refusals before anything is stored."""

from __future__ import annotations

import numpy as np


def test_encode_job_cancel_and_resume(tmp_path, testkit):
    from ethoforge.store import Project
    from ethoforge.video.synthetic import write_blob_clip

    write_blob_clip(tmp_path / "long.mp4", n_frames=900, seed=3)
    with Project.create(tmp_path / "project") as project:
        project.import_video(tmp_path / "long.mp4")
    server = testkit.start_server(tmp_path / "project", worker=True)
    try:
        with server.client() as http:
            encoders = {e["name"]: e for e in http.get("/encoders").json()["encoders"]}
            assert encoders["motion"]["dim"] > 20 and {"efficientnet_lite0", "dinov2_small"} <= set(encoders)
            for bad, field in (({"encoder": "nope"}, "nope"), ({"recordings": ["ghost"]}, "ghost")):
                answer = http.post("/encoding/jobs", json=bad)
                assert answer.status_code in (400, 404, 422) and field in answer.text
            assert http.get("/jobs", params={"kind": "encode"}).json()["jobs"] == []

            job = http.post("/encoding/jobs", json={"chunk_frames": 30}).json()
            assert job["kind"] == "encode"
            testkit.wait_for(lambda: (http.get(f"/jobs/{job['id']}").json()["progress"].get("step") or 0) >= 60,
                             60, "no encoding progress")
            progress = http.get(f"/jobs/{job['id']}").json()["progress"]
            assert progress["total"] == 900 and progress["eta_s"] is not None
            http.post(f"/jobs/{job['id']}/cancel")
            testkit.wait_for(lambda: http.get(f"/jobs/{job['id']}").json()["status"] not in ("pending", "training"),
                             30, "not stopped")
            stopped = http.get(f"/jobs/{job['id']}").json()
            assert stopped["status"] == "cancelled", (stopped["error"], stopped["log"])
            chunks = list((tmp_path / "project" / "features").rglob("chunk_*.npy"))
            assert len(chunks) >= 2 and not list((tmp_path / "project" / "features").glob("*/*.npy"))  # no final file

            again = http.post("/encoding/jobs", json={"chunk_frames": 30}).json()
            testkit.wait_for(lambda: http.get(f"/jobs/{again['id']}").json()["status"] == "completed", 120,
                             "the second encode job did not finish")
            result = http.get(f"/jobs/{again['id']}").json()["result"]["recordings"][0]
            assert result["resumed_from"] >= 60 and result["frames"] == 900 and not result["cached"]
        files = list((tmp_path / "project" / "features").rglob("*.npy"))  # chunks gone, one file
        assert len(files) == 1 and np.load(files[0]).shape == (900, result["dim"])
    finally:
        server.stop()
        testkit.kill_job_processes(tmp_path / "project")


def test_a_cancelled_encode_job_resumes_over_rest_skipping_what_is_encoded(tmp_path, testkit):
    """Issue 17 item 3: POST /jobs/{id}/resume on a cancelled encode job over three recordings:
    the one finished before the cancel is not encoded again (its cache file is untouched), the
    one cut short continues from its last finished chunk, and all end cached."""
    import os

    from ethoforge.store import Project
    from ethoforge.video.synthetic import write_blob_clip

    with Project.create(tmp_path / "project") as project:
        for name, frames in (("first", 90), ("second", 900), ("third", 120)):
            project.import_video(write_blob_clip(tmp_path / f"{name}.mp4", n_frames=frames, seed=len(name)).path)
        hashes = {r.name: r.video_hash for r in project.recordings()}
    features = tmp_path / "project" / "features"

    def cached(name):
        return list(features.glob(f"*/{hashes[name]}.npy"))

    server = testkit.start_server(tmp_path / "project", worker=True)
    try:
        with server.client() as http:
            job = http.post("/encoding/jobs", json={"chunk_frames": 30}).json()
            testkit.wait_for(lambda: cached("first"), 60, "the first recording was not encoded")
            http.post(f"/jobs/{job['id']}/cancel")
            testkit.wait_for(lambda: http.get(f"/jobs/{job['id']}").json()["status"] not in ("pending", "training"),
                             30, "not stopped")
            stopped = http.get(f"/jobs/{job['id']}").json()
            assert stopped["status"] == "cancelled" and stopped["resumable"], (stopped["error"], stopped["log"])
            assert "kept in the feature cache" in stopped["log"]
            assert not cached("second") and not cached("third")  # cancelled in the middle of "second"
            first = cached("first")[0]
            before = first.stat().st_mtime_ns
            os.utime(first, ns=(before - 10**9, before - 10**9))  # a rewrite would give it a new mtime
            before = first.stat().st_mtime_ns

            resumed = http.post(f"/jobs/{job['id']}/resume")
            assert resumed.status_code == 200, resumed.text
            assert resumed.json()["status"] == "pending" and not resumed.json()["resumable"]
            testkit.wait_for(lambda: http.get(f"/jobs/{job['id']}").json()["status"] in
                             ("completed", "failed", "cancelled"), 120, "the resumed encode job did not finish")
            done = http.get(f"/jobs/{job['id']}").json()
            assert done["status"] == "completed", (done["error"], done["log"])
            assert "recordings already encoded are skipped" in done["log"]
            summary = {item["recording"]: item for item in done["result"]["recordings"]}
            assert summary["first"]["cached"] and not summary["second"]["cached"] and not summary["third"]["cached"]
            assert summary["second"]["resumed_from"] >= 30 and summary["third"]["resumed_from"] == 0
            again = http.post(f"/jobs/{job['id']}/resume")  # completed: nothing to resume
            assert again.status_code == 409 and "only failed jobs can be resumed" in again.json()["detail"]
        assert first.stat().st_mtime_ns == before
        assert all(cached(name) for name in hashes) and not list(features.rglob("chunk_*.npy"))
        assert np.load(cached("second")[0]).shape[0] == 900
    finally:
        server.stop()
        testkit.kill_job_processes(tmp_path / "project")
