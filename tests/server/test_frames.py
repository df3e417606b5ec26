"""Video frames by index (``GET /recordings/{id}/frames/{i}.jpg``) from a generated video whose
frames spell their own index, so each answer can be checked against the frame asked for."""

from __future__ import annotations

import io

import numpy as np
import pytest


@pytest.fixture(scope="module")
def video_server(tmp_path_factory, testkit):
    """A server over a project with ``arena`` (120 frames, video beside its pose file),
    ``short`` (100 pose frames, a video of only 60) and ``fast`` (118 pose frames at 60 fps,
    its video 59 frames at 30 fps)."""
    from ethoforge.store import Project

    root = testkit.make_video_project(tmp_path_factory.mktemp("frames") / "project")
    inputs = root / "inputs"
    # the pose file of `short` holds other values than arena's (a different file for the store)
    from ethoforge.io.poses import load_poses, save_poses

    short = load_poses(inputs / "arena.csv")
    short.poses = short.poses.isel(time=slice(0, 100))
    short.poses["position"] = short.poses["position"] + 1.0
    save_poses(short, inputs / "short.csv")
    testkit.write_index_video(inputs / "short.mp4", n_frames=60)
    testkit.write_two_animal_poses(inputs / "fast.csv", n_frames=118, fps=60.0)
    testkit.write_index_video(inputs / "fast_video.mp4", n_frames=59, fps=30)
    with Project.open(root) as project:
        project.import_recording(inputs / "short.csv", fps=30.0)
        project.import_recording(inputs / "fast.csv", fps=60.0, video=inputs / "fast_video.mp4")
    server = testkit.start_server(root)
    try:
        with server.client() as http:
            ids = {r["name"]: r["id"] for r in http.get("/recordings").json()["recordings"]}
            yield server, http, ids
    finally:
        server.stop()


def _decoded(answer, testkit) -> int:
    from PIL import Image

    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "image/jpeg"
    return testkit.index_of_image(np.asarray(Image.open(io.BytesIO(answer.content)).convert("RGB")))


def test_each_frame_served_is_the_frame_asked_for(video_server, testkit):
    _server, http, ids = video_server
    arena = ids["arena"]
    details = http.get(f"/recordings/{arena}").json()
    assert details["has_video"] is True and details["layout"]["n_frames"] == 120
    # out of order on purpose: backwards, across keyframes (every 25 frames), to the ends
    for index in (0, 57, 119, 58, 3, 25, 24, 100, 0, 119):
        assert _decoded(http.get(f"/recordings/{arena}/frames/{index}.jpg"), testkit) == index, index


def test_poses_at_twice_the_video_rate_show_the_video_frame_at_that_time(video_server, testkit):
    """Issue 17 item 4: label frames are pose frames; frame i of ``fast`` (60 fps) shows video
    frame i / 2 (30 fps), the nearest in time, and its crop boxes come per pose frame."""
    _server, http, ids = video_server
    fast = ids["fast"]
    for index, shown in ((0, 0), (1, 0), (100, 50), (102, 51), (116, 58), (117, 58)):
        assert _decoded(http.get(f"/recordings/{fast}/frames/{index}.jpg"), testkit) == shown, index
    assert http.get(f"/recordings/{fast}/frames/118.jpg").status_code == 404
    boxes = http.get(f"/recordings/{fast}/crops", params={"mode": "pose"}).json()["boxes"]
    assert len(boxes) == 118


def test_stepping_frame_by_frame_is_exact(video_server, testkit):
    """Every frame in order (speed is measured by benchmarks/bench_web.py, not here)."""
    _server, http, ids = video_server
    decoded = [_decoded(http.get(f"/recordings/{ids['arena']}/frames/{i}.jpg"), testkit) for i in range(120)]
    assert decoded == list(range(120))


@pytest.mark.parametrize("name, index, words", [
    ("arena", 120, "recording 'arena' has frames 0-119"),
    ("arena", 10**6, "recording 'arena' has frames 0-119"),
    ("short", 60, "the video short.mp4 has frames 0-59"),  # a pose frame the video does not have
    ("short", 99, "the video short.mp4 has frames 0-59"),
])
def test_frames_past_the_end_are_404_with_a_message(video_server, name, index, words):
    _server, http, ids = video_server
    answer = http.get(f"/recordings/{ids[name]}/frames/{index}.jpg")
    assert answer.status_code == 404
    assert words in answer.json()["detail"]


def test_a_recording_without_a_video_says_so(video_server, testkit):
    _server, http, ids = video_server
    (video := video_server[0].project_dir / "inputs" / "short.mp4").rename(video.with_suffix(".gone"))
    try:
        assert http.get(f"/recordings/{ids['short']}").json()["has_video"] is False
        answer = http.get(f"/recordings/{ids['short']}/frames/0.jpg")
        assert answer.status_code == 404 and "has no video" in answer.json()["detail"]
    finally:
        video.with_suffix(".gone").rename(video)
    assert _decoded(http.get(f"/recordings/{ids['short']}/frames/59.jpg"), testkit) == 59
