"""Pretraining from the web app in headless Chromium against a real server, worker and PyTorch:
the Models page's form starts a ``pretrain`` job, the monitor follows it to the embedder's
report, and the registry lists the embedder by kind; a bad config is refused on the page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

TINY = {"window": 24, "emb_dim": 16, "heads": 2, "hidden": 16, "batch_size": 16, "eval_samples": 16,
        "train_sample": 0.002, "device": "cpu", "num_threads": 1}


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory, ethome5_project: Path, testkit) -> Path:
    """A copy of the two-recording ethome5 project (dataset ``mice``)."""
    return testkit.copy_project(ethome5_project, tmp_path_factory.mktemp("pretrain") / "project")


def test_pretrain_an_embedder_from_the_models_page(page, server):
    base, api = server
    short = next(r["name"] for r in api("recordings")["recordings"] if "122332-122642" in r["name"])
    page.goto(f"{base}/#/models")
    page.wait_for_selector("#page[data-ready='true']", state="attached")
    assert page.input_value("#pretrain-preset") == "small" and page.input_value("#pretrain-epochs") == "10"
    assert page.is_checked("#pretrain-tasks input[value='cons']")
    page.select_option("#pretrain-source", "mice")
    page.check(f"#pretrain-recordings input[data-recording='{short}']")
    page.fill("#pretrain-epochs", "2")
    page.uncheck("#pretrain-tasks input[value='cons']")
    page.fill("#pretrain-name", "web-emb")
    # a bad config: the server's message on the page, no job stored, the page stays
    page.fill("#pretrain-extra", json.dumps({**TINY, "emb_dim": 30, "heads": 4}))
    page.click("#start-pretraining")
    page.wait_for_selector("#error-banner:not([hidden])")
    assert "emb_dim (30) must be divisible by heads (4)" in page.inner_text("#error-banner")
    assert api("jobs")["jobs"] == [] and "#/models" in page.url

    page.fill("#pretrain-extra", json.dumps(TINY))
    page.click("#start-pretraining")
    page.wait_for_url("**/#/jobs/*")
    job_id = int(page.url.rsplit("/", 1)[1].split("?")[0])
    job = api(f"jobs/{job_id}")
    assert job["kind"] == "pretrain" and job["dataset_id"] == 1
    params = job["params"]
    assert params["tasks"] == ["order", "shift", "warp", "mask"] and params["recordings"] == [short]
    assert (params["epochs"], params["preset"], params["model_name"], params["emb_dim"]) == (2, "small", "web-emb", 16)
    assert page.inner_text("h2").startswith("Pretraining job")
    page.wait_for_function("() => document.querySelector('#job-status')?.textContent === 'completed'", timeout=180_000)
    page.wait_for_selector("#per-task tr[data-task='warp']")  # the embedder's report under the monitor
    page.wait_for_function("() => document.querySelector('#job-chart')?.dataset.epochs === '2'")
    assert page.get_attribute("#job-tasks", "data-epoch") == "2"
    live = page.eval_on_selector_all("#task-metrics tr[data-task]", "rows => rows.map(r => r.dataset.task)")
    assert live == ["order", "shift", "warp", "mask"]
    accuracy = [float(a) for a in page.eval_on_selector_all("#task-metrics td.accuracy", "cells => cells.map(c => c.textContent)")]
    assert len(accuracy) == 4 and all(-1e9 < a <= 1 for a in accuracy)  # mask's is an R², may be < 0
    page.wait_for_function("() => [...document.querySelectorAll('#report-images img')].some(i => i.complete && i.naturalWidth > 0 && i.alt === 'plot_pretrain')")
    [embedder] = api("models?kind=embedder")["models"]
    assert embedder["name"] == "web-emb" and api(f"jobs/{job_id}")["result"]["model_id"] == embedder["id"]

    page.goto(f"{base}/#/models")
    row = f"#models-table tr[data-model='{embedder['id']}']"
    page.wait_for_selector(row)
    assert page.inner_text(f"{row} td.kind") == "embedder"
    assert page.console_errors == []
