"""At 1280×800 the pages fit: the header stays reachable under a banner, the Review toolbar stays
in view while the editor has focus, and 12 behaviors × 3 lanes per animal scroll inside the
timeline while the picture stays in view."""

from __future__ import annotations

import pytest

BEHAVIORS = [f"b{i:02d}" for i in range(12)]
VIEW = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def served(project_dir, testkit):
    live = testkit.start_server(project_dir)
    with live.client() as client:
        rec = next(r for r in client.get("/recordings").json()["recordings"] if r["n_frames"] < 6000)
        rec = client.get(f"/recordings/{rec['id']}").json()
        dataset = client.post("/datasets", json={"name": "many", "behaviors": BEHAVIORS, "recordings": [rec["name"]]}).json()
        agents = [None, *rec["individuals"]]
        bouts = [{"behavior": b, "agent": a, "start": (i * len(agents) + j) * 10, "stop": (i * len(agents) + j) * 10 + 5}
                 for i, b in enumerate(BEHAVIORS) for j, a in enumerate(agents)]
        version = client.get(f"/recordings/{rec['id']}/labels").json()["version"]
        answer = client.put(f"/recordings/{rec['id']}/labels", json={"bouts": bouts, "version": version, "annotator": "t"})
        assert answer.status_code == 200, answer.text
    yield live, rec, dataset
    live.stop()


def _box(page, selector: str) -> dict:
    return page.eval_on_selector(selector, "e => { const r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom}; }")


def _in_view(page, selector: str) -> bool:
    box = _box(page, selector)
    return box["top"] >= 0 and box["bottom"] <= VIEW["height"]


def test_lanes_scroll_inside_the_timeline_and_the_picture_stays_in_view(browser, served):
    live, rec, dataset = served
    page = browser.new_page(viewport=VIEW)
    page.goto(f"{live.url}/#/label?dataset={dataset['id']}&recording={rec['id']}")
    page.wait_for_selector("#frame-display[data-frame='0']")
    lanes = page.eval_on_selector("#timeline", "e => JSON.parse(e.dataset.lanes).length")
    assert lanes >= 12 * 3
    scroller = page.eval_on_selector("#timeline-scroll", "e => [e.scrollHeight, e.clientHeight]")
    assert scroller[0] > scroller[1]  # the lanes scroll inside the timeline ...
    page.eval_on_selector("#timeline-scroll", "e => { e.scrollTop = e.scrollHeight; }")
    assert _in_view(page, "#pose-canvas") and _in_view(page, "#timeline-scroll")  # ... with the picture in view
    assert page.evaluate("() => document.documentElement.scrollHeight") <= VIEW["height"] + 80
    page.close()


def test_review_toolbar_and_navigation_stay_in_view(browser, served):
    live, rec, dataset = served
    page = browser.new_page(viewport=VIEW)
    page.goto(f"{live.url}/#/review?dataset={dataset['id']}&recording={rec['id']}")
    page.wait_for_selector("#page[data-ready='true']", state="attached")
    page.click("#open-predictions")
    page.wait_for_selector("#frame-display[data-frame='0']")
    page.focus("#editor")
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    for selector in ("#model-select", "#prelabel", "#confidence-filter", "nav"):
        assert _in_view(page, selector), selector
    assert page.evaluate("() => document.activeElement.id") == "editor"
    # an error banner does not push the navigation (or the toolbar) out of view
    page.evaluate("() => { const b = document.querySelector('#error-banner'); b.querySelector('.text').textContent = "
                  "'a long error message '.repeat(20); b.hidden = false; }")
    page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    assert _in_view(page, "nav") and _in_view(page, "#error-banner") and _in_view(page, "#prelabel")
    nav_bottom = _box(page, "#error-banner")["bottom"]
    assert _box(page, "#page-toolbar")["top"] >= nav_bottom - 1  # the toolbar sits under the banner, not behind it
    page.close()


def test_the_monitor_names_gbdt_rounds_and_feature_stages(browser, served):
    """What the job monitor's step line says for a gbdt job's progress (the module the page uses)."""
    live, _, _ = served
    page = browser.new_page(viewport=VIEW)
    page.goto(f"{live.url}/#/jobs")
    page.wait_for_selector("#page[data-ready='true']", state="attached")
    said = page.evaluate("""async () => {
        const { stepLabel } = await import('./js/pages/monitor.js');
        return [
          stepLabel({ epoch: 1, metrics: { trial: 1, round: 120, rounds: 300, val_loss: 0.2137 } }, 2),
          stepLabel({ epoch: 1, metrics: { trial: 0, epoch: 0, boosting_rounds: 87, val_macro_f1: 0.71 } }, 1),
          stepLabel({ epoch: 3, epochs: 20, trial: 0 }, 1),
        ];
    }""")
    assert said == ["trial 2/2 · round 120/300 · val loss 0.214", "87 boosting rounds kept · val F1 0.710", "epoch 3/20"]
    page.close()
