"""Video-only recordings over the real server: import by REST (``format: video``), listing,
details, the (empty) poses a label page draws over the frames, and the frames themselves."""

from __future__ import annotations

import io

import numpy as np


def test_video_only_recording_through_rest(tmp_path, testkit):
    from PIL import Image

    from ethoforge.store import Project

    inputs = tmp_path / "inputs"
    inputs.mkdir()
    testkit.write_index_video(inputs / "cage.mp4", n_frames=40)
    Project.create(tmp_path / "project").close()
    server = testkit.start_server(tmp_path / "project", "--allow", str(inputs))
    try:
        with server.client() as http:
            bad = http.post("/recordings", json={"path": str(inputs / "cage.mp4"), "format": "video", "fps": 30})
            assert bad.status_code in (400, 422) and "fps" in bad.text
            answer = http.post("/recordings", json={"path": str(inputs), "format": "video"})
            assert answer.status_code == 201, answer.text
            listed = http.get("/recordings").json()["recordings"]
            assert [(r["name"], r["has_video"], r["has_poses"], r["video_file"]) for r in listed] == [
                ("cage", True, False, "cage.mp4")]
            assert "video_path" not in listed[0]
            rid = listed[0]["id"]
            details = http.get(f"/recordings/{rid}").json()
            assert details["has_video"] and details["video"]["width"] == 64 and details["layout"]["keypoints"] == []
            poses = http.get(f"/recordings/{rid}/poses", params={"start": 0, "stop": 10}).json()
            assert poses["individuals"] == [] and len(poses["position"]) == 10
            frame = http.get(f"/recordings/{rid}/frames/17.jpg")
            assert frame.status_code == 200
            rgb = np.asarray(Image.open(io.BytesIO(frame.content)).convert("RGB"))
            assert testkit.index_of_image(rgb) == 17
    finally:
        server.stop()
