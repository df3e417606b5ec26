"""The server goes away while someone labels: the page says it is reconnecting, backs off
(a few requests per second at most), keeps the draft, and resumes on its own."""

from __future__ import annotations

import time



def _draft_bouts(client, rec_id: int, slot: str) -> list[tuple[str, int, int]]:
    answer = client.get(f"/recordings/{rec_id}/draft", params={"slot": slot}).json()
    return sorted((b["behavior"], b["start"], b["stop"]) for b in ((answer or {}).get("draft") or {}).get("bouts", []))


def test_server_away_backs_off_keeps_the_draft_and_resumes(browser, project_dir, testkit):
    live = testkit.start_server(project_dir)
    port = live.port
    try:
        with live.client() as client:
            [rec] = [r for r in client.get("/recordings").json()["recordings"] if r["n_frames"] < 6000]
            dataset = client.post("/datasets", json={"name": "away", "behaviors": ["interact"],
                                                     "recordings": [rec["name"]]}).json()
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.set_default_timeout(20_000)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        requests: list[float] = []
        page.on("request", lambda request: requests.append(time.monotonic()))
        page.goto(f"{live.url}/#/label?dataset={dataset['id']}&recording={rec['id']}")
        page.wait_for_selector("#frame-display[data-frame='0']")
        slot = f"label-d{dataset['id']}"
        testkit.keyboard_bout(page, "1", 2, 6)
        with live.client() as client:
            testkit.wait_for(lambda: ("interact", 2, 7) in _draft_bouts(client, rec["id"], slot), 20, "first draft saved")
            n_before = len(_draft_bouts(client, rec["id"], slot))
        live.stop()
        # edits go on while the server is away; the second bout cannot reach the server yet
        testkit.keyboard_bout(page, "1", 20, 25)
        page.wait_for_selector("#connection-bar:not([hidden])")
        assert "Reconnecting" in page.inner_text("#connection-bar")
        start = time.monotonic()
        for _ in range(40):  # keep stepping through frames while it is away: no request storm
            page.keyboard.press("ArrowRight")
        time.sleep(6)
        window = [t for t in requests if t >= start]
        rate = len(window) / (time.monotonic() - start)
        assert rate <= 3, f"{len(window)} requests in {time.monotonic() - start:.1f} s while the server was away"
        local = page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('ethoforge.draft.'))"
                              ".map(k => JSON.parse(localStorage.getItem(k)).bouts.length)")
        assert local == [n_before + 1]  # the draft, with the bout made while away, is kept in the browser
        live = testkit.start_server(project_dir, port=port)  # back on the same address
        page.wait_for_selector("#connection-bar", state="hidden", timeout=30_000)
        with live.client() as client:  # the unsent draft reached the server on its own
            testkit.wait_for(lambda: ("interact", 20, 26) in _draft_bouts(client, rec["id"], slot),
                             20, "the draft resent after reconnecting")
        testkit.commit_labels(page, click="#commit")
        with live.client() as client:
            stored = {(b["behavior"], b["start"], b["stop"]) for b in client.get(f"/recordings/{rec['id']}/labels").json()["bouts"]}
        assert {("interact", 2, 7), ("interact", 20, 26)} <= stored
        assert errors == []
        context.close()
    finally:
        live.stop()
