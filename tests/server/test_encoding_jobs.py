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
