"""The web app in headless Chromium against a real server and project: the whole loop.

The tests run in order and share one project: create a dataset, label with the keyboard
and commit, train and watch the monitor, pre-label and correct, models and inference.
"""

from __future__ import annotations

import itertools

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _wait_ready(page) -> None:
    page.wait_for_selector("#page[data-ready='true']", state="attached")


def _recording(api, stem: str) -> dict:
    return next(r for r in api("recordings")["recordings"] if stem in r["name"])


def _solo_dataset(api, names: list[str]) -> int:
    """Id of a dataset ``solo`` of ``names`` with the one behavior ``interact`` (made once)."""
    found = [d for d in api("datasets")["datasets"] if d["name"] == "solo"]
    if found:
        return found[0]["id"]
    return api("datasets", "POST", {"name": "solo", "behaviors": ["interact"], "recordings": names})["id"]


def _text(page, selector: str, text: str) -> None:
    """Wait until the element's text holds ``text`` (the page redraws in requestAnimationFrame)."""
    page.wait_for_function("([s, t]) => (document.querySelector(s)?.textContent || '').includes(t)",
                           arg=[selector, text], timeout=5000)


def _frame(page) -> int:
    return int(page.get_attribute("#frame-display", "data-frame"))


def test_create_dataset(page, server, shot):
    base, api = server
    page.goto(f"{base}/#/datasets")
    _wait_ready(page)
    page.click("#new-dataset")
    page.fill("#dataset-name", "two words")
    page.fill("#dataset-behaviors", "interact")
    page.click("#create-dataset")
    assert "one word" in page.inner_text("#dataset-error")  # refused in the page, nothing sent
    page.fill("#dataset-name", "mice")
    page.click("#create-dataset")
    assert "needs recordings" in page.inner_text("#dataset-error")  # none ticked: refused in the page
    for box in page.query_selector_all("#dataset-dialog input[name=recording]"):
        box.check()
    shot(page, "create_dataset")
    page.click("#create-dataset")
    page.wait_for_selector(".card[data-dataset='mice']")
    [dataset] = api("datasets")["datasets"]
    assert dataset["name"] == "mice" and dataset["behaviors"] == ["interact"]
    assert len(dataset["recordings"]) == 2
    # an API error reaches the user in words: the same name again
    page.click("#new-dataset")
    page.fill("#dataset-name", "mice")
    page.fill("#dataset-behaviors", "interact")
    page.check("#dataset-dialog input[name=recording] >> nth=0")
    page.click("#create-dataset")
    page.wait_for_selector("#error-banner:not([hidden])")
    assert "already exists" in page.inner_text("#error-banner")
    page.keyboard.press("Escape")


def test_dataset_card_is_the_hub_counts_warns_and_manages(page, server, stems):
    base, api = server
    rec = _recording(api, stems[1])
    created = api("datasets", "POST", {"name": "scratch", "behaviors": ["interact", "other"], "recordings": [rec["name"]]})
    human = [b for b in api(f"recordings/{rec['id']}/labels")["bouts"] if b["source"] in ("manual", "confirmed")]
    page.goto(f"{base}/#/datasets")
    _wait_ready(page)
    card = ".card[data-dataset='scratch']"
    page.wait_for_selector(card)
    n_interact = sum(b["behavior"] == "interact" for b in human)
    assert page.get_attribute(f"{card} .chip[data-behavior='interact']", "data-bouts") == str(n_interact)
    assert page.get_attribute(f"{card} .chip[data-behavior='other']", "data-bouts") == "0"
    assert "Fewer than 100 labelled bouts for interact, other" in page.inner_text(f"{card} .warning")
    labels = [b.inner_text() for b in page.query_selector_all(f"{card} .actions button")]
    assert labels == ["Label", "Review & Correct", "Train", "Infer", "Models", "Manage"]
    page.click(f"{card} button.manage")
    page.fill(".manage-dialog .manage-name", "scratch2")
    page.fill(".manage-dialog .manage-behaviors", "interact")
    page.click(".manage-dialog .manage-save")
    page.wait_for_selector(".card[data-dataset='scratch2']")
    assert api(f"datasets/{created['id']}")["behaviors"] == ["interact"]
    card = ".card[data-dataset='scratch2']"
    page.click(f"{card} button.manage")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click(".manage-dialog .manage-delete")
    assert any(d["name"] == "scratch2" for d in api("datasets")["datasets"])
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(".manage-dialog .manage-delete")
    page.wait_for_selector(card, state="detached")
    assert all(d["name"] != "scratch2" for d in api("datasets")["datasets"])
    assert any(r["name"] == rec["name"] for r in api("recordings")["recordings"])  # recordings stay


def test_label_bout_with_keyboard_and_commit(page, server, stems, shot, testkit):
    base, api = server
    rec = _recording(api, stems[1])
    page.goto(f"{base}/#/label?dataset=1&recording={rec['id']}")
    _wait_ready(page)
    page.wait_for_selector("#frame-display[data-frame='0']")
    stored_before = api(f"recordings/{rec['id']}/labels")["bouts"]
    # a gap of at least 40 unlabelled frames between stored bouts: label 10 frames inside it
    edges = sorted((b["start"], b["stop"]) for b in stored_before)
    start = next(stop + 10 for (_, stop), (nxt, _) in itertools.pairwise(edges) if nxt - stop >= 40)
    page.focus("#editor")
    page.keyboard.press("ArrowUp")  # step 2
    _text(page, "#step-display", "2")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("End")
    page.wait_for_selector(f"#frame-display[data-frame='{rec['n_frames'] - 1}']")
    page.keyboard.press("Home")
    for _ in range(5):
        page.keyboard.press("ArrowUp")
    _text(page, "#step-display", "32")
    for _ in range(start // 32):
        page.keyboard.press("ArrowRight")
    page.wait_for_selector(f"#frame-display[data-frame='{start // 32 * 32}']")
    for _ in range(5):
        page.keyboard.press("ArrowDown")
    for _ in range(start % 32):
        page.keyboard.press("ArrowRight")
    page.wait_for_selector(f"#frame-display[data-frame='{start}']")
    assert _frame(page) == start
    page.keyboard.press("1")
    for _ in range(9):
        page.keyboard.press("ArrowRight")
    page.wait_for_selector(f"#frame-display[data-frame='{start + 9}']")
    page.keyboard.press("1")  # end frame start + 9 → bout [start, start + 10)
    _text(page, "#bout-display", f"interact [{start}, {start + 10})")
    # Backspace undoes it, a second bout is made again, Delete removes the bout under the playhead
    page.keyboard.press("Backspace")
    _text(page, "#bout-display", "no bout")
    page.keyboard.press("1")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("1")
    page.keyboard.press("Delete")
    _text(page, "#bout-display", "no bout")
    page.keyboard.press("ArrowLeft")  # back to `start + 9`: make [start, start + 10) again
    page.keyboard.press("1")
    for _ in range(9):
        page.keyboard.press("ArrowLeft")
    page.keyboard.press("1")
    _text(page, "#bout-display", f"interact [{start}, {start + 10})")
    page.keyboard.press("+")  # zoom in
    # the draft survives a reload
    page.reload()
    _wait_ready(page)
    page.wait_for_selector("#draft-banner:not([hidden])")
    assert "not committed" in page.inner_text("#draft-banner")
    page.wait_for_selector(f"#frame-display[data-frame='{start}']")  # the restored playhead, drawn
    shot(page, "label")
    page.focus("#editor")
    testkit.commit_labels(page)
    stored = api(f"recordings/{rec['id']}/labels")["bouts"]
    added = [b for b in stored if b["start"] == start and b["stop"] == start + 10]
    assert len(stored) == len(stored_before) + 1 and added and added[0]["source"] == "manual"
    assert api(f"recordings/{rec['id']}/drafts")["drafts"] == []  # cleared after the commit


def test_holding_right_arrow_steps_every_frame_on_a_10000_frame_recording(page, server, stems):
    """Held → (key repeats) lands exactly on the frame it should and draws it; how many steps
    per second the page keeps up with is measured by benchmarks/bench_web.py, not here."""
    base, api = server
    rec = _recording(api, stems[0])
    assert rec["n_frames"] >= 10_000
    page.goto(f"{base}/#/label?dataset=1&recording={rec['id']}")
    _wait_ready(page)
    page.wait_for_selector("#frame-display[data-frame='0']")
    page.focus("#editor")
    n = 300
    for _ in range(n):
        page.keyboard.down("ArrowRight")  # already down: sent as a repeat, as a held key is
    page.keyboard.up("ArrowRight")
    page.wait_for_selector(f"#frame-display[data-frame='{n}']", timeout=60_000)
    assert page.get_attribute("#pose-canvas", "data-frame") == str(n)
    assert page.console_errors == []


def test_train_and_monitor_to_completed(page, server, stems, shot):
    base, api = server
    train, val = (_recording(api, stem)["name"] for stem in stems)
    page.goto(f"{base}/#/train?dataset=1")
    _wait_ready(page)
    assert page.input_value("#opt-sampling") == "balanced" and page.input_value("#opt-window") == "31"
    page.select_option("#opt-family", "conv_bilstm")
    for name, value in (("window", "15"), ("batch_size", "128"), ("epochs", "2"), ("samples_per_epoch", "512")):
        page.fill(f"#opt-{name}", value)
    page.fill("#opt-extra", '{"patience": null, "warmup_epochs": 0, "calibrate": false, "num_threads": 1}')
    page.check(f"#split-recordings input[data-recording='{val}'][value='val']")  # validation chosen by name
    page.fill("#opt-seed", "7")
    page.select_option("#opt-device", "cpu")
    shot(page, "train")
    page.click("#start-training")
    page.wait_for_url("**/#/jobs/*")
    first_job = int(page.url.rsplit("/", 1)[1].split("?")[0])
    params = api(f"jobs/{first_job}")["params"]
    assert params["seed"] == 7 and params["device"] == "cpu"
    assert params["split"]["train"] == [train] and params["split"]["val"] == [val] and params["split"]["test"] == []
    assert params["split"]["mode"] == "auto" and params["lr"] == 0.002  # the form's split choice; torch options sent
    _text(page, "#job-status", "")
    page.wait_for_function("() => document.querySelector('#job-status')?.textContent === 'completed'", timeout=120_000)
    page.wait_for_selector("#per-behavior td")
    assert page.inner_text("#report-split dd[data-split='train']") == train  # the report names each split's recordings
    assert page.inner_text("#report-split dd[data-split='val']") == val
    assert page.inner_text("#report-split dd[data-split='kind']") == "by recording"
    page.wait_for_function("() => document.querySelector('#job-chart')?.dataset.epochs === '2'")
    assert page.get_attribute("#job-progress", "value") == "1"
    assert "interact" in page.inner_text("#per-behavior")
    page.wait_for_function("() => [...document.querySelectorAll('#report-images img')].some(i => i.complete && i.naturalWidth > 0 && i.alt.includes('confusion'))")
    assert page.is_disabled("#cancel-job")
    shot(page, "monitor")
    [model] = api("models")["models"]
    assert model["dataset"] == "mice"
    # a second, long job: the monitor's Cancel (asks first) stops it while it trains; no model is kept
    page.goto(f"{base}/#/train?dataset=1")
    _wait_ready(page)
    page.select_option("#opt-family", "conv_bilstm")
    for name, value in (("window", "15"), ("batch_size", "128"), ("epochs", "500"), ("samples_per_epoch", "512")):
        page.fill(f"#opt-{name}", value)
    page.fill("#opt-extra", '{"patience": null, "warmup_epochs": 0, "calibrate": false, "num_threads": 1, '
              f'"device": "cpu", "split": {{"train": ["{train}"], "val": ["{val}"]}}}}')
    page.uncheck("#opt-activate")
    page.click("#start-training")
    page.wait_for_url("**/#/jobs/*")
    job_id = int(page.url.rsplit("/", 1)[1].split("?")[0])
    page.wait_for_function("() => document.querySelector('#job-status')?.textContent === 'training'", timeout=120_000)
    assert not page.is_disabled("#cancel-job")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#cancel-job")
    page.wait_for_function("() => document.querySelector('#job-status')?.textContent === 'cancelled'", timeout=60_000)
    assert page.get_attribute("#job-status", "class") == "badge cancelled"
    assert page.is_disabled("#cancel-job")
    job = api(f"jobs/{job_id}")
    assert job["status"] == "cancelled", job
    assert [m["id"] for m in api("models")["models"]] == [model["id"]]


def _playhead(page) -> int:
    return page.evaluate("() => document.querySelector('#editor-host').editorApi.state.playhead")


def _step_by(page, delta: int) -> None:
    """Move the playhead by ``delta`` frames with ← / → and ↑ / ↓ (a binary number of steps), step 1 after."""
    for _ in range(13):
        page.keyboard.press("ArrowDown")  # step 1
    arrow, n = ("ArrowRight", delta) if delta >= 0 else ("ArrowLeft", -delta)
    while n:
        if n & 1:
            page.keyboard.press(arrow)
        n >>= 1
        page.keyboard.press("ArrowUp")
    for _ in range(13):
        page.keyboard.press("ArrowDown")


def _tab_to(page, start: int) -> None:
    """Tab from bout to bout until the playhead is on ``start`` (a bout trimmed by a neighbour stays a stop)."""
    for _ in range(6):
        page.keyboard.press("Tab")
        if _playhead(page) == start:
            break
    page.wait_for_selector(f"#frame-display[data-frame='{start}']")


def _prelabel(page, server, stem: str) -> tuple[dict, list[tuple[int, int]]]:
    """The recording ``stem`` as nobody labelled it yet (its human labels dropped), pre-labelled
    by the model on the review page (the dataset gets a second behavior, ``other``, to relabel
    to): the recording and its predicted bouts' ``(start, stop)`` in order."""
    base, api = server
    rec = _recording(api, stem)
    labels = api(f"recordings/{rec['id']}/labels")
    api(f"recordings/{rec['id']}/labels", "PUT", {"bouts": [], "version": labels["version"]})
    [model] = api("models")["models"]
    api("datasets/1", "PATCH", {"behaviors": ["interact", "other"]})
    page.goto(f"{base}/#/review?dataset=1&recording={rec['id']}&model={model['id']}")
    _wait_ready(page)
    page.click("#prelabel")
    page.wait_for_selector("#editor", timeout=90_000)
    predicted = [b for b in api(f"recordings/{rec['id']}/labels")["bouts"] if b["source"] == "predicted"]
    return rec, sorted((b["start"], b["stop"]) for b in predicted)


def test_review_and_correct_stores_only_touched_bouts(page, server, stems, shot, testkit):
    api = server[1]
    rec, p = _prelabel(page, server, stems[0])
    assert len(p) >= 6, p
    assert p[4][1] - p[4][0] >= 3  # keeps a frame when the next bout's start moves 2 frames into it
    page.focus("#editor")
    page.keyboard.press("Tab")  # first predicted bout
    page.wait_for_selector(f"#frame-display[data-frame='{p[0][0]}']")
    page.keyboard.press("Enter")  # confirm it
    _text(page, "#bout-display", "prediction you confirmed")
    page.keyboard.press("Tab")  # the second: extend its start by one frame with [
    page.wait_for_selector(f"#frame-display[data-frame='{p[1][0]}']")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("[")
    _text(page, "#bout-display", f"interact [{p[1][0] - 1}, {p[1][1]})")
    # the third: relabel with a number key, then ] at a frame inside the fourth: its end moves
    # there and the fourth gives way (starts after it)
    _tab_to(page, p[2][0])
    page.keyboard.press("2")
    _text(page, "#bout-display", f"other [{p[2][0]}, {p[2][1]}) · prediction you changed")
    _step_by(page, p[3][0] + 1 - p[2][0])
    page.wait_for_selector(f"#frame-display[data-frame='{p[3][0] + 1}']")
    _text(page, "#bout-display", f"interact [{p[3][0]}, {p[3][1]})")  # under the playhead: the fourth ...
    assert page.get_attribute("#bout-display", "data-selected") == f"other [{p[2][0]}, {p[2][1]})"  # ... selected: the third
    page.keyboard.press("]")
    _text(page, "#bout-display", f"other [{p[2][0]}, {p[3][0] + 2}) · prediction you changed")
    # the sixth: [ at a frame two before the fifth's end: its start moves there, the fifth gives way
    _tab_to(page, p[5][0])
    _step_by(page, p[4][1] - 2 - p[5][0])
    page.wait_for_selector(f"#frame-display[data-frame='{p[4][1] - 2}']")
    page.keyboard.press("[")
    _text(page, "#bout-display", f"interact [{p[4][1] - 2}, {p[5][1]}) · prediction you changed")
    bouts = page.evaluate("() => document.querySelector('#editor-host').editorApi.model.bouts"
                          ".map(b => [b.behavior, b.start, b.stop])")
    if p[3][1] > p[3][0] + 2:
        assert ["interact", p[3][0] + 2, p[3][1]] in bouts  # the fourth, trimmed
    assert ["interact", p[4][0], p[4][1] - 2] in bouts  # the fifth, trimmed
    # the confidence filter hides confident predictions
    shown = int(page.get_attribute("#editor", "data-bouts"))
    page.fill("#confidence-filter", "0")
    page.dispatch_event("#confidence-filter", "input")
    page.wait_for_function(f"() => Number(document.querySelector('#editor').dataset.bouts) < {shown}")
    assert int(page.get_attribute("#editor", "data-bouts")) == 4  # the four touched bouts stay visible
    page.fill("#confidence-filter", "1")
    page.dispatch_event("#confidence-filter", "input")
    page.wait_for_selector("#uncertain-stretches li")  # refreshed once the pre-label job finished
    shot(page, "review")
    testkit.commit_labels(page, click="#commit")
    human = [b for b in api(f"recordings/{rec['id']}/labels")["bouts"] if b["source"] in ("manual", "confirmed")]
    assert sorted((b["source"], b["behavior"], b["start"], b["stop"]) for b in human) == sorted([
        ("confirmed", "interact", *p[0]), ("manual", "interact", p[1][0] - 1, p[1][1]),
        ("manual", "other", p[2][0], p[3][0] + 2), ("manual", "interact", p[4][1] - 2, p[5][1])])
    # the most-uncertain list ranks the pre-labelled recording
    page.reload()
    _wait_ready(page)
    page.wait_for_selector("#uncertain-stretches li")
    _drop_other(api)


def _drop_other(api) -> None:
    """Delete the stored human bouts of 'other', then drop 'other' from dataset 1 (a behavior that
    stored bouts still use may not be dropped: every later commit of their recording would fail)."""
    names = set(api("datasets/1")["recordings"])
    for recording in (r for r in api("recordings")["recordings"] if r["name"] in names):
        listed = api(f"recordings/{recording['id']}/labels")
        keep = [b for b in listed["bouts"] if b["source"] in ("manual", "confirmed") and b["behavior"] != "other"]
        api(f"recordings/{recording['id']}/labels", "PUT", {"bouts": keep, "version": listed["version"]})
    api("datasets/1", "PATCH", {"behaviors": ["interact"]})


def _editor_bouts(page) -> list[tuple[str, int, int, bool]]:
    """``(behavior, start, stop, pending)`` of every bout in the editor, sorted."""
    return sorted(map(tuple, page.evaluate(
        "() => document.querySelector('#editor-host').editorApi.model.bouts"
        ".map(b => [b.behavior, b.start, b.stop, b.origin === 'predicted' && !b.changed && !b.confirmed])")))


def test_review_undo_redo_any_edit_and_deleted_predictions_stay_deleted(page, server, stems, testkit):
    api = server[1]
    rec, p = _prelabel(page, server, stems[1])
    assert len(p) >= 4, p
    assert p[3][0] >= 3 and p[3][1] - p[3][0] >= 3 and p[3][0] - 3 >= p[2][1]
    page.focus("#editor")
    page.keyboard.press("Tab")
    page.wait_for_selector(f"#frame-display[data-frame='{p[0][0]}']")
    page.keyboard.press("Delete")  # edit 1: delete the first prediction
    _text(page, "#bout-display", "no bout under the playhead")
    _tab_to(page, p[1][0])
    page.keyboard.press("Enter")  # edit 2: confirm the second
    _text(page, "#bout-display", "prediction you confirmed")
    _tab_to(page, p[2][0])
    page.keyboard.press("Delete")  # edit 3: delete the third
    after_three = _editor_bouts(page)
    page.keyboard.press("Control+z")  # undoes edit 3 (the third is back), not an older one
    _text(page, "#bout-display", f"interact [{p[2][0]}, {p[2][1]})")
    assert ("interact", *p[2], True) in _editor_bouts(page) and ("interact", *p[0], True) not in _editor_bouts(page)
    page.keyboard.press("Backspace")  # undoes edit 2: the second is pending again
    assert ("interact", *p[1], True) in _editor_bouts(page)
    page.keyboard.press("Control+Shift+z")  # redo edit 2
    assert ("interact", *p[1], False) in _editor_bouts(page)
    page.keyboard.press("Control+Shift+z")  # redo edit 3
    assert _editor_bouts(page) == after_three
    # edit 4: draw an `other` bout over the start of the fourth prediction: the page says what it cut
    _tab_to(page, p[3][0])
    _step_by(page, -2)
    page.keyboard.press("2")
    _step_by(page, 3)
    page.keyboard.press("2")
    _text(page, "#cut-display", f"interact [{p[3][0]}, {p[3][1]}) → [{p[3][0] + 2}, {p[3][1]})")
    page.keyboard.press("Control+z")  # the drawn bout goes and the fourth is whole again
    assert ("interact", *p[3], True) in _editor_bouts(page)
    assert all(b[0] != "other" for b in _editor_bouts(page))
    testkit.commit_labels(page, click="#commit")
    stored = api(f"recordings/{rec['id']}/labels")["bouts"]
    kept = sorted((b["source"], b["start"], b["stop"]) for b in stored)
    assert ("confirmed", *p[1]) in kept
    assert ("predicted", *p[0]) not in kept and ("predicted", *p[2]) not in kept  # deleted stays deleted
    assert ("predicted", *p[3]) in kept  # untouched predictions stay predictions
    assert [b for b in stored if b["source"] in ("manual", "confirmed")] == [b for b in stored if b["source"] == "confirmed"]
    assert next(r for r in api("recordings")["recordings"] if r["id"] == rec["id"])["n_bouts"] == 1  # human bouts only
    page.reload()
    _wait_ready(page)
    page.click("#open-predictions")
    page.wait_for_selector("#editor")
    assert all((b[1], b[2]) not in (p[0], p[2]) for b in _editor_bouts(page))
    _drop_other(api)
    assert page.console_errors == []


def test_review_offers_models_of_other_datasets_with_the_same_behaviors(page, server, stems):
    base, api = server
    rec = _recording(api, stems[1])
    [model] = api("models")["models"]
    same = api("datasets", "POST", {"name": "cohort2", "behaviors": ["interact"], "recordings": [rec["name"]]})
    other = api("datasets", "POST", {"name": "grooming", "behaviors": ["groom"], "recordings": [rec["name"]]})
    try:
        page.goto(f"{base}/#/review?dataset={same['id']}&recording={rec['id']}")
        _wait_ready(page)
        options = page.eval_on_selector_all("#model-select option", "els => els.map(e => [e.value, e.textContent])")
        assert options == [[str(model["id"]), f"{model['name']} (from dataset mice)"]]
        assert not page.is_disabled("#prelabel")
        page.goto(f"{base}/#/review?dataset={other['id']}&recording={rec['id']}")
        _wait_ready(page)
        assert page.eval_on_selector_all("#model-select option", "els => els.length") == 0  # other behaviors: none
    finally:
        api(f"datasets/{same['id']}", "DELETE")
        api(f"datasets/{other['id']}", "DELETE")


def test_models_and_inference(page, server, stems, shot):
    base, api = server
    val = _recording(api, stems[1])
    page.goto(f"{base}/#/models")
    _wait_ready(page)
    page.wait_for_selector("#models-table .badge.active")  # trained with "make active" ticked
    assert page.is_disabled("#models-table button.activate")
    page.click("#models-table button.details")
    page.wait_for_selector("#model-details #per-behavior td")
    shot(page, "models")
    page.goto(f"{base}/#/inference")
    _wait_ready(page)
    page.check(f"#infer-form input[value='{val['name']}']")
    page.click("#run-inference")
    page.wait_for_selector(".result table.bouts", timeout=90_000)
    page.wait_for_function("() => { const i = document.querySelector('.result img.ethogram'); return i && i.complete && i.naturalWidth > 0; }")
    links = page.eval_on_selector_all(".result a[download]", "els => els.map(e => e.href)")
    assert {link.rsplit("/", 1)[1] for link in links} == {"csv", "boris", "nwb", "frames"}
    import urllib.request
    for link in links:
        with urllib.request.urlopen(link, timeout=60) as response:
            assert response.status == 200 and len(response.read()) > 0
    shot(page, "inference")
    page.goto(f"{base}/#/datasets")
    _wait_ready(page)
    page.wait_for_selector(".card .metrics")
    shot(page, "datasets")
    # delete asks first: dismissed keeps the model, accepted removes it
    page.goto(f"{base}/#/models")
    _wait_ready(page)
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("#models-table button.delete")
    assert len(api("models")["models"]) == 1
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#models-table button.delete")
    page.wait_for_function("() => !document.querySelector('#models-table button.delete')")
    assert api("models")["models"] == []
    assert page.console_errors == []


def test_monitor_draws_each_trial_apart_and_names_trial_and_epoch(page, server, stems, testkit):
    base, api = server
    names = [_recording(api, stems[1])["name"], _recording(api, stems[0])["name"]]
    params = testkit.tiny_train_params(names, epochs=2, trials=2, activate=False)
    job = api("training/jobs", "POST", {"dataset": _solo_dataset(api, names), "params": params})
    job_id = job.get("id", job.get("job_id"))
    page.goto(f"{base}/#/jobs/{job_id}")
    page.wait_for_function("() => document.querySelector('#job-status')?.textContent === 'completed'", timeout=120_000)
    page.wait_for_function("() => document.querySelector('#job-chart')?.dataset.trials === '2'")
    # two trials of two epochs: two separate lines over epochs 0, 1 (not one line of four points)
    assert page.get_attribute("#job-chart", "data-lines") == "[[0,1],[0,1]]"
    assert page.inner_text("#job-step") == "trial 2/2 · epoch 2/2"
    assert page.console_errors == []


def test_a_queued_job_says_what_it_waits_for_and_a_finished_one_shows_no_eta(page, server, stems, testkit):
    base, api = server
    names = [_recording(api, stems[1])["name"], _recording(api, stems[0])["name"]]
    [model] = api("models")["models"]
    long = api("training/jobs", "POST", {"dataset": _solo_dataset(api, names),
                                         "params": testkit.tiny_train_params(names, epochs=500, activate=False)})
    long_id = long.get("id", long.get("job_id"))
    testkit.wait_for(lambda: api(f"jobs/{long_id}")["status"] == "training", 120, "the long job to train")
    page.goto(f"{base}/#/datasets")  # the dataset card shows its running job
    _text(page, ".card[data-dataset='solo'] .job-line", f"job #{long_id} training")
    infer = api("inference/jobs", "POST", {"model_id": model["id"], "kind": "infer", "recordings": [names[0]]})
    infer_id = infer.get("id", infer.get("job_id"))
    page.goto(f"{base}/#/jobs/{infer_id}")
    page.wait_for_function("() => document.querySelector('#job-status')?.textContent === 'queued'")
    _text(page, "#job-queue", f"queued: 1st in line, waiting for job #{long_id} (training")
    api(f"jobs/{long_id}/cancel", "POST")
    page.wait_for_function("() => document.querySelector('#job-status')?.textContent === 'completed'", timeout=120_000)
    assert page.get_attribute("#job-progress", "value") == "1"
    assert page.inner_text("#job-eta") == "done" and page.inner_text("#job-queue") == ""
    assert page.is_hidden("#cancel-job")
    page.goto(f"{base}/#/jobs")
    row = page.locator("#jobs-table tr", has=page.locator(f"a[href='#/jobs/{infer_id}']"))
    assert "completed" in row.text_content() and "100 %" in row.text_content()
    assert page.console_errors == []


def test_resume_button_queues_a_failed_job_again(page, server, project_dir):
    """Issue 12 item 5: a failed job's monitor offers Resume (hidden otherwise); it queues the job again."""
    from ethoforge.store import Project, jobs_repo

    base, api = server
    with Project.open(project_dir) as project:
        job = jobs_repo.insert_job(project, "infer", {"model_id": 999_999}, None)  # fails again once it runs
        assert jobs_repo.claim_job(project, job.id, "gone:1:w")
        jobs_repo.set_status(project, job.id, "failed", error="the worker was stopped while the job ran")
    page.goto(f"{base}/#/jobs/{job.id}")
    page.wait_for_selector("#resume-job:not([hidden])")
    page.click("#resume-job")
    resumed = "resumed: restarting from the beginning"
    page.wait_for_function("(t) => (document.querySelector('#job-log')?.textContent || '').includes(t)",
                           arg=resumed, timeout=15_000)
    assert resumed in api(f"jobs/{job.id}")["log"]
    assert page.console_errors == []



def test_train_form_splits_by_time_blocks_when_asked(page, server):
    """Issue 14 item 4: the form's Split select reaches the job, and the report says which split was used."""
    base, api = server
    page.goto(f"{base}/#/train?dataset=1")
    _wait_ready(page)
    assert page.input_value("#opt-family") == "gbdt"  # the form's default family is the command line's
    page.select_option("#opt-family", "conv_bilstm")
    page.select_option("#opt-split_mode", "blocks")
    for name, value in (("window", "15"), ("batch_size", "128"), ("epochs", "1"), ("samples_per_epoch", "256")):
        page.fill(f"#opt-{name}", value)
    page.fill("#opt-extra", '{"patience": null, "warmup_epochs": 0, "calibrate": false, "num_threads": 1}')
    page.uncheck("#opt-activate")
    page.click("#start-training")
    page.wait_for_url("**/#/jobs/*")
    job_id = int(page.url.rsplit("/", 1)[1].split("?")[0])
    assert api(f"jobs/{job_id}")["params"]["split"]["mode"] == "blocks"
    page.wait_for_function("() => ['completed', 'failed'].includes(document.querySelector('#job-status')?.textContent)",
                           timeout=600_000)
    assert api(f"jobs/{job_id}")["status"] == "completed", api(f"jobs/{job_id}")["log"]
    page.wait_for_selector("#report-split dd[data-split='kind']")
    assert page.inner_text("#report-split dd[data-split='kind']").startswith("by time blocks")
    assert "[" in page.inner_text("#report-split dd[data-split='val']")  # blocks are named recording[start:stop]
