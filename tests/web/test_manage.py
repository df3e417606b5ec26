"""The Manage page in headless Chromium: rename a recording, set its frame rate, delete it (confirmed)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory, ethome5_project: Path, testkit) -> Path:
    """A copy of the two-recording ethome5 project (dataset ``mice``)."""
    return testkit.copy_project(ethome5_project, tmp_path_factory.mktemp("manage") / "project")


def _row(page, name: str) -> str:
    return f"#recordings-table tr[data-recording='{name}']"


def test_rename_set_fps_and_delete_from_the_manage_page(page, server, stems, shot):
    base, api = server
    first, second = api("recordings")["recordings"]
    before = api(f"recordings/{first['id']}/labels")["bouts"]
    page.goto(f"{base}/#/manage")
    page.wait_for_selector("#page[data-ready='true']", state="attached")
    row = _row(page, first["name"])
    page.fill(f"{row} input.rename", "pair1")
    page.fill(f"{row} input.fps", "25")
    page.click(f"{row} button.save")
    page.wait_for_selector(_row(page, "pair1"))
    assert "25 fps" in page.inner_text("#notice") and "10 bouts moved" in page.inner_text("#notice")
    renamed = api(f"recordings/{first['id']}")
    assert (renamed["name"], renamed["fps"]) == ("pair1", 25.0)
    after = api(f"recordings/{first['id']}/labels")["bouts"]
    assert [b["start"] for b in after] == [round(b["start"] * 25 / 30) for b in before]
    shot(page, "manage")
    # delete: the dialog names the labels that would be lost; dismissing it keeps the recording
    messages = []
    page.once("dialog", lambda dialog: (messages.append(dialog.message), dialog.dismiss()))
    page.click(f"{_row(page, second['name'])} button.delete")
    page.wait_for_function("() => true")
    assert messages and f"its {second['n_bouts']} bouts" in messages[0]
    assert len(api("recordings")["recordings"]) == 2
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f"{_row(page, second['name'])} button.delete")
    page.wait_for_selector(_row(page, second["name"]), state="detached")
    assert [r["name"] for r in api("recordings")["recordings"]] == ["pair1"]
    assert not page.console_errors
