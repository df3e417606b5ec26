"""The Label page on a recording with a video and two animals (generated: each video frame
spells its own index, see tests/conftest.py): the picture is the decoded frame the page says
it shows, and bouts made with the keyboard for the second animal are committed as its bouts."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory, testkit):
    """Overrides tests/web/conftest.py: the generated two-animal recording ``arena`` with its video."""
    return testkit.make_video_project(tmp_path_factory.mktemp("web-video") / "project")


def _open_arena(page, server) -> dict:
    base, api = server
    [rec] = api("recordings")["recordings"]
    [dataset] = api("datasets")["datasets"]
    page.goto("about:blank")  # a fresh page: the same hash route would keep the last editor's state
    page.goto(f"{base}/#/label?dataset={dataset['id']}&recording={rec['id']}")
    page.wait_for_selector("#page[data-ready='true']", state="attached")
    page.wait_for_selector("#frame-display[data-frame='0']")
    return rec


def _shown(page, testkit) -> tuple[int | None, int | None, int | None]:
    """``(frame the page names, video frame it says it drew, frame the pixels spell)``, read in
    one go between two animation frames, so the three belong to the same drawing."""
    from PIL import Image

    snap = page.evaluate("""() => {
      const canvas = document.querySelector('#pose-canvas');
      const shown = document.querySelector('#frame-display').dataset.frame;
      return { shown, video: canvas.dataset.videoFrame, rect: canvas.dataset.videoRect,
               png: canvas.dataset.videoRect ? canvas.toDataURL('image/png') : null };
    }""")
    if snap["png"] is None:
        return (int(snap["shown"]) if snap["shown"] else None), None, None
    x, y, w, h = (round(float(v)) for v in snap["rect"].split(","))
    rgb = np.asarray(Image.open(io.BytesIO(base64.b64decode(snap["png"].split(",", 1)[1]))).convert("RGB"))
    return int(snap["shown"]), int(snap["video"]), testkit.index_of_image(rgb[y:y + h, x:x + w])


def test_label_page_shows_the_decoded_video_frame_it_names(page, server, testkit):
    rec = _open_arena(page, server)
    assert _shown(page, testkit) == (0, 0, 0)
    page.focus("#editor")
    seen = []
    for _ in range(57):  # after every key press, whatever frame the page names is the one on screen
        page.keyboard.press("ArrowRight")
        seen.append(_shown(page, testkit))
    page.wait_for_selector("#frame-display[data-frame='57']")
    seen.append(_shown(page, testkit))
    assert all(shown == video == pixels for shown, video, pixels in seen), seen
    assert seen[-1] == (57, 57, 57)
    assert page.get_attribute("#pose-canvas", "data-video-src").endswith(f"/recordings/{rec['id']}/frames/57.jpg")
    page.keyboard.press("End")
    page.wait_for_selector("#frame-display[data-frame='119']")
    assert _shown(page, testkit) == (119, 119, 119)
    # steps of 4 back across a keyframe, then home
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    for _ in range(15):
        page.keyboard.press("ArrowLeft")
    page.wait_for_selector("#frame-display[data-frame='59']")
    assert _shown(page, testkit) == (59, 59, 59)
    page.keyboard.press("Home")
    page.wait_for_selector("#frame-display[data-frame='0']")
    assert _shown(page, testkit) == (0, 0, 0)
    assert page.console_errors == []


def test_each_animal_has_lanes_and_a_keyboard_bout_for_the_second_is_committed_as_its(page, server, shot, testkit):
    rec = _open_arena(page, server)
    _, api = server
    lanes = json.loads(page.get_attribute("#timeline", "data-lanes"))
    for animal in ("alpha", "beta"):
        assert [animal, "approach"] in lanes and [animal, "groom"] in lanes
    assert lanes.index(["alpha", "approach"]) < lanes.index(["beta", "approach"])  # the recording's order
    page.focus("#editor")
    assert page.inner_text("#agent-display") == "any"
    page.keyboard.press("a")
    page.keyboard.press("a")  # any → alpha → beta
    page.wait_for_function("() => document.querySelector('#agent-display').textContent === 'beta'")
    testkit.keyboard_bout(page, "2", 10, 19)  # groom [10, 20)
    page.wait_for_function("() => document.querySelector('#bout-display').textContent.includes('groom [10, 20) · beta')")
    testkit.commit_labels(page)
    stored = api(f"recordings/{rec['id']}/labels")["bouts"]
    assert [(b["behavior"], b["start"], b["stop"], b["agent"]) for b in stored] == [("groom", 10, 20, "beta")]
    # after the commit the page reloaded the stored bout: it is drawn in beta's groom lane only
    page.focus("#editor")
    page.keyboard.press("Home")
    page.wait_for_selector("#frame-display[data-frame='0']")
    pixels = page.evaluate("""() => {
      const t = document.querySelector('#editor-host').editorApi.timeline;
      const canvas = document.querySelector('#timeline');
      const r = window.devicePixelRatio || 1;
      const ctx = canvas.getContext('2d');
      return t.drawnLanes.map((lane, i) => {
        const p = ctx.getImageData(Math.round(t.xOf(15) * r), Math.round(t.laneCentre(i) * r), 1, 1).data;
        return { agent: lane.agent, behavior: lane.behavior, color: lane.color, rgb: [p[0], p[1], p[2]] };
      });
    }""")
    filled = [(p["agent"], p["behavior"]) for p in pixels if p["rgb"] == _rgb(p["color"])]
    assert filled == [("beta", "groom")], pixels
    shot(page, "label_two_animals")
    assert page.console_errors == []


def _rgb(color: str) -> list[int]:
    color = color.lstrip("#")
    return [int(color[i:i + 2], 16) for i in (0, 2, 4)]


def _open_in(page, base: str, rec: dict, dataset: dict) -> None:
    page.goto(f"{base}/#/label?dataset={dataset['id']}&recording={rec['id']}")
    page.wait_for_selector("#page[data-ready='true']", state="attached")


def test_unsaved_bouts_survive_a_crashed_tab_locally_and_on_the_server(browser, server, testkit):
    """A bout made and not committed is kept in the browser (localStorage) and on the server:
    after the tab's renderer crashes it is restored in a new tab, and a browser that never saw
    it (no local copy) restores it from the server. It goes only when the user discards it."""
    from playwright.sync_api import Error as PlaywrightError

    base, api = server
    [rec] = api("recordings")["recordings"]
    [dataset] = api("datasets")["datasets"]
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    _open_in(tab, base, rec, dataset)
    tab.wait_for_selector("#frame-display[data-frame='0']")
    testkit.keyboard_bout(tab, "1", 30, 39)  # approach [30, 40)
    tab.wait_for_function("() => document.querySelector('#bout-display').textContent.includes('approach [30, 40)')")

    def on_server():
        draft = api(f"recordings/{rec['id']}/draft?slot=label-d{dataset['id']}")["draft"]
        return draft and ("approach", 30, 40) in [(b["behavior"], b["start"], b["stop"]) for b in draft["bouts"]]

    testkit.wait_for(on_server, 30, "the draft did not reach the server")
    crashed = []
    tab.on("crash", lambda _page: crashed.append(True))
    # crash the tab's renderer (no unload handlers run): chrome://crash, as if typed in the address bar
    context.new_cdp_session(tab).send("Page.navigate", {"url": "chrome://crash", "transitionType": "typed"})
    for _ in range(300):
        try:
            tab.wait_for_timeout(100)
        except PlaywrightError as error:
            assert "crashed" in str(error)
            break
    assert crashed, "the tab did not crash"

    for where, restored in (("a new tab of the crashed browser", context.new_page()),
                            ("another browser", browser.new_context().new_page())):
        restored.set_default_timeout(15_000)
        _open_in(restored, base, rec, dataset)
        local = restored.evaluate(f"() => localStorage.getItem('ethoforge.draft.{rec['id']}.label-d{dataset['id']}')")
        assert (local is not None) == (where == "a new tab of the crashed browser"), where
        restored.wait_for_selector("#draft-banner:not([hidden])")
        assert "not committed" in restored.inner_text("#draft-banner"), where
        restored.wait_for_function(
            "() => document.querySelector('#bout-display').textContent.includes('approach [30, 40)')")
        assert (30, 40) not in [(b["start"], b["stop"]) for b in api(f"recordings/{rec['id']}/labels")["bouts"]]
    # discarding asks first; accepted, the draft is gone from the server and the browser
    restored.once("dialog", lambda dialog: dialog.accept())
    restored.click("#discard-draft")
    testkit.wait_for(lambda: api(f"recordings/{rec['id']}/drafts")["drafts"] == [], 30, "the draft was not discarded")
    restored.wait_for_selector("#draft-banner", state="hidden")
    assert restored.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('ethoforge.draft.'))") == []
    restored.context.close()
    context.close()




def _slots(api, rec: dict) -> dict[str, list[tuple[str, int, int]]]:
    """The recording's drafts on the server: slot -> its bouts ``(behavior, start, stop)``."""
    return {d["slot"]: sorted((b["behavior"], b["start"], b["stop"])
                              for b in api(f"recordings/{rec['id']}/draft?slot={d['slot']}")["draft"]["bouts"])
            for d in api(f"recordings/{rec['id']}/drafts")["drafts"]}


def _fresh(tab, url: str) -> None:
    """Open ``url`` in a freshly loaded page (a hash change alone could find the last page still ready)."""
    tab.goto("about:blank")
    tab.goto(url)
    tab.wait_for_selector("#page[data-ready='true']", state="attached")


def test_drafts_on_label_review_and_another_dataset_never_replace_each_other(browser, server, testkit):
    """Uncommitted work on Label, on Review & Correct and on Label under a second dataset of the same
    recording are three drafts: each page restores its own, names the others with a link, and a
    commit under the second dataset (other behaviors) keeps the first dataset's stored bouts."""
    base, api = server
    [rec] = api("recordings")["recordings"]
    [arena] = api("datasets")["datasets"]
    stored_before = api(f"recordings/{rec['id']}/labels")["bouts"]
    solo = api("datasets", "POST", {"name": "solo", "behaviors": ["sniff"], "recordings": [rec["name"]]})
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    tab.on("dialog", lambda dialog: dialog.dismiss())  # nothing may ask here; a question fails the checks below
    try:
        _fresh(tab, f"{base}/#/label?dataset={arena['id']}&recording={rec['id']}")
        tab.wait_for_selector("#frame-display[data-frame='0']")
        testkit.keyboard_bout(tab, "1", 30, 39)  # Label / arena: approach [30, 40)
        tab.wait_for_function("() => document.querySelector('#bout-display').textContent.includes('approach [30, 40)')")
        label_slot, review_slot, solo_slot = f"label-d{arena['id']}", f"review-d{arena['id']}", f"label-d{solo['id']}"
        testkit.wait_for(lambda: label_slot in _slots(api, rec), 30, "the Label draft did not reach the server")

        _fresh(tab, f"{base}/#/review?dataset={arena['id']}&recording={rec['id']}")
        tab.click("#open-predictions")
        tab.wait_for_selector("#frame-display[data-frame='0']")
        assert tab.is_hidden("#draft-banner")  # the Label draft is not this page's ...
        assert "on Label of dataset arena" in tab.inner_text("#other-drafts")  # ... but it is named here
        testkit.keyboard_bout(tab, "2", 60, 69)  # Review / arena: groom [60, 70)
        tab.wait_for_function("() => document.querySelector('#bout-display').textContent.includes('groom [60, 70)')")
        testkit.wait_for(lambda: review_slot in _slots(api, rec), 30, "the Review draft did not reach the server")

        _fresh(tab, f"{base}/#/label?dataset={solo['id']}&recording={rec['id']}")
        tab.wait_for_selector("#frame-display[data-frame='0']")
        assert tab.is_hidden("#draft-banner")
        others = tab.inner_text("#other-drafts")
        assert "on Label of dataset arena" in others and "on Review & Correct of dataset arena" in others, others
        testkit.keyboard_bout(tab, "1", 80, 84)  # Label / solo: sniff [80, 85)
        tab.wait_for_function("() => document.querySelector('#bout-display').textContent.includes('sniff [80, 85)')")
        testkit.wait_for(lambda: solo_slot in _slots(api, rec), 30, "the second dataset's draft did not reach the server")
        arena_before = [(b["behavior"], b["start"], b["stop"]) for b in stored_before]  # each draft holds them too
        assert _slots(api, rec) == {label_slot: sorted([*arena_before, ("approach", 30, 40)]),
                                    review_slot: sorted([*arena_before, ("groom", 60, 70)]),
                                    solo_slot: [("sniff", 80, 85)]}

        # each page restores its own draft, from the browser and the server
        _fresh(tab, f"{base}/#/label?dataset={arena['id']}&recording={rec['id']}")
        tab.wait_for_selector("#draft-banner:not([hidden])")
        tab.wait_for_function("() => document.querySelector('#bout-display').textContent.includes('approach [30, 40)')")
        assert tab.evaluate("() => document.querySelector('#editor-host').editorApi.model.toDraft()"
                            ".map(b => [b.behavior, b.start, b.stop])").count(["groom", 60, 70]) == 0
        tab.click(f"#other-drafts a[data-slot='{review_slot}']")
        tab.click("#open-predictions")  # there only once the link has opened Review & Correct
        tab.wait_for_selector("#draft-banner:not([hidden])")
        tab.focus("#editor")
        tab.keyboard.press("Home")
        for _ in range(60):
            tab.keyboard.press("ArrowRight")
        tab.wait_for_function("() => document.querySelector('#bout-display').textContent.includes('groom [60, 70)')")

        # committing under solo stores the sniff bout and keeps arena's stored bouts; only solo's draft goes
        _fresh(tab, f"{base}/#/label?dataset={solo['id']}&recording={rec['id']}")
        tab.wait_for_selector("#draft-banner:not([hidden])")
        tab.focus("#editor")
        testkit.commit_labels(tab)
        stored = api(f"recordings/{rec['id']}/labels")["bouts"]
        key = lambda b: (b["behavior"], b["start"], b["stop"], b["agent"])  # noqa: E731
        assert sorted(map(key, stored)) == sorted([*map(key, stored_before), ("sniff", 80, 85, None)])
        assert stored_before, "the earlier test's committed bout should be there to keep"
        assert set(_slots(api, rec)) == {label_slot, review_slot}
    finally:
        for slot in (f"label-d{arena['id']}", f"review-d{arena['id']}", f"label-d{solo['id']}"):
            api(f"recordings/{rec['id']}/draft?slot={slot}", "DELETE")
        api(f"datasets/{solo['id']}", "DELETE")
        context.close()


def test_a_video_beside_its_pose_file_outside_the_project_is_shown_or_the_page_says_why(browser, tmp_path, testkit):
    from ethoforge.store import Project

    outside = tmp_path / "lab-disk"
    outside.mkdir()
    for name, n_frames in (("cage1", 60), ("cage2", 61)):
        testkit.write_two_animal_poses(outside / f"{name}.csv", n_frames)
        testkit.write_index_video(outside / f"{name}.mp4", n_frames)
    project_dir = tmp_path / "project"
    with Project.create(project_dir) as project:
        for name in ("cage1", "cage2"):
            project.import_recording(outside / f"{name}.csv", fps=30.0)  # the video beside it is linked, not copied
        project.create_dataset("cages", ["groom"], recordings=["cage1", "cage2"])
    (outside / "cage2.mp4").rename(outside / "moved.mp4")  # a video moved away after import
    live = testkit.start_server(project_dir)  # no --allow: the lab disk is outside the allowed roots
    try:
        with live.client() as client:
            recordings = {r["name"]: r for r in client.get("/recordings").json()["recordings"]}
            cage1, cage2 = (client.get(f"/recordings/{recordings[n]['id']}").json() for n in ("cage1", "cage2"))
        assert cage1["has_video"] and cage1["video_note"] is None
        assert not cage2["has_video"] and "no longer where it was imported from" in cage2["video_note"]
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{live.url}/#/label?dataset=1&recording={cage1['id']}")
        page.wait_for_selector("#pose-canvas[data-video-frame='0']")  # the decoded video frame is drawn
        assert page.query_selector("#video-note") is None
        page.goto("about:blank")
        page.goto(f"{live.url}/#/label?dataset=1&recording={cage2['id']}")
        page.wait_for_selector("#frame-display[data-frame='0']")
        assert "cage2.mp4 is no longer where it was imported from" in page.inner_text("#video-note")
        page.close()
    finally:
        live.stop()
