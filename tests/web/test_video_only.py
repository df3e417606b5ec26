"""The web app on a project whose only recording is a video (no poses): the Label page
shows the decoded frame it names and commits a keyboard bout; the Datasets page's
"Encode" button runs an ``encode`` job to completion on the job page."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory, testkit):
    """Overrides tests/web/conftest.py: video-only recordings ``cage`` (frames spell their
    index) and ``blob`` (a moving blob, centres saved in ``blob_centres.npy``) in a dataset
    ``cage`` with the behavior ``rear``."""
    from ethoforge.store import Project
    from ethoforge.video.synthetic import write_blob_clip

    root = tmp_path_factory.mktemp("web-video-only")
    testkit.write_index_video(root / "cage.mp4", n_frames=90)
    clip = write_blob_clip(root / "blob.mp4", n_frames=40, width=128, height=96, seed=1)
    np.save(root / "blob_centres.npy", clip.centres)
    with Project.create(root / "project") as project:
        project.import_video(root / "cage.mp4")
        project.import_video(clip.path)
        project.create_dataset("cage", ["rear"], recordings=["cage", "blob"])
    return root / "project"


def _recording(api, name: str) -> dict:
    return next(r for r in api("recordings")["recordings"] if r["name"] == name)


def _spelled(page, testkit) -> tuple[int, int, int]:
    from PIL import Image

    snap = page.evaluate("""() => {
      const canvas = document.querySelector('#pose-canvas');
      return { shown: document.querySelector('#frame-display').dataset.frame, video: canvas.dataset.videoFrame,
               rect: canvas.dataset.videoRect, png: canvas.dataset.videoRect ? canvas.toDataURL('image/png') : null };
    }""")
    x, y, w, h = (round(float(v)) for v in snap["rect"].split(","))
    rgb = np.asarray(Image.open(io.BytesIO(base64.b64decode(snap["png"].split(",", 1)[1]))).convert("RGB"))
    return int(snap["shown"]), int(snap["video"]), testkit.index_of_image(rgb[y:y + h, x:x + w])


def test_label_a_video_only_recording(page, server, testkit):
    base, api = server
    rec = _recording(api, "cage")
    assert rec["has_video"] and not rec["has_poses"]
    [dataset] = api("datasets")["datasets"]
    page.goto(f"{base}/#/label?dataset={dataset['id']}&recording={rec['id']}")
    page.wait_for_selector("#page[data-ready='true']", state="attached")
    page.wait_for_selector("#pose-canvas[data-video-frame='0']")
    assert _spelled(page, testkit) == (0, 0, 0)
    page.focus("#editor")
    page.keyboard.press("1")  # start a 'rear' bout at frame 0
    for _ in range(12):
        page.keyboard.press("ArrowRight")
    page.wait_for_selector("#pose-canvas[data-video-frame='12']")
    assert _spelled(page, testkit) == (12, 12, 12)
    page.keyboard.press("1")  # ... and end it at frame 12: [0, 13)
    testkit.commit_labels(page)
    stored = api(f"recordings/{rec['id']}/labels")["bouts"]
    assert [(b["behavior"], b["start"], b["stop"]) for b in stored] == [("rear", 0, 13)]
    assert page.console_errors == []


def test_encode_button_runs_an_encode_job(page, server):
    base, api = server
    page.goto(f"{base}/#/datasets")
    page.click("#encode-videos")
    page.wait_for_selector("#encode-result", timeout=120_000)
    assert "cage: 90 frames" in page.inner_text("#encode-result") and "blob: 40 frames" in page.inner_text("#encode-result")
    [job] = api("jobs?kind=encode")["jobs"]
    assert job["status"] == "completed" and job["result"]["recordings"][0]["frames"] == 90
    assert page.console_errors == []


def test_a_cancelled_encode_job_offers_resume_and_finishes(page, server, project_dir):
    """Issue 17 item 3: the monitor of a cancelled encode job shows Resume (what it encoded is
    kept); clicking it queues the job again, which skips what is cached and completes."""
    from ethoforge.store import Project, jobs_repo

    base, api = server
    with Project.open(project_dir) as project:
        job = jobs_repo.insert_job(project, "encode", {"encoder": "motion", "recordings": ["cage"]}, None)
        jobs_repo.request_cancel(project, job.id)  # pending: cancelled at once
    page.goto(f"{base}/#/jobs/{job.id}")
    page.wait_for_selector("#job-status[data-status='cancelled']")
    page.wait_for_selector("#resume-job:not([hidden])")
    page.click("#resume-job")
    page.wait_for_selector("#job-status[data-status='completed']", timeout=120_000)
    done = api(f"jobs/{job.id}")
    assert done["status"] == "completed" and "recordings already encoded are skipped" in done["log"]
    assert page.is_hidden("#resume-job") and page.console_errors == []


def test_label_page_draws_the_auto_crop_around_the_animal(page, server, project_dir):
    base, api = server
    rec = _recording(api, "blob")
    [dataset] = api("datasets")["datasets"]
    page.goto("about:blank")
    page.goto(f"{base}/#/label?dataset={dataset['id']}&recording={rec['id']}")
    page.wait_for_selector("#pose-canvas[data-video-frame='0']")
    assert [o for o in page.eval_on_selector_all("#crop-select option", "os => os.map(o => o.value)")] == ["", "auto"]
    page.select_option("#crop-select", "auto")
    page.wait_for_selector("#pose-canvas[data-crop-box]", timeout=60_000)
    x0, y0, x1, y1 = (float(v) for v in page.get_attribute("#pose-canvas", "data-crop-box").split(","))
    cx, cy = np.load(project_dir.parent / "blob_centres.npy")[0]
    assert x0 <= cx <= x1 and y0 <= cy <= y1 and (x1 - x0) * (y1 - y0) < 0.5 * 128 * 96
    answer = api(f"recordings/{rec['id']}/crops?mode=auto&start=0&stop=40")
    assert len(answer["boxes"]) == 40 and answer["boxes"][0] == [round(v, 1) for v in (x0, y0, x1, y1)]
    assert page.console_errors == []
