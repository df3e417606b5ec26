"""Labeling-page responsiveness: frame steps per second while → is held on a 10,000-frame recording.

Starts the real ``ethoforge serve`` (no worker) on a free loopback port over a fresh project of
two recordings: the 10,080-frame ethome5 recording 120637-121213 (poses only, drawn on a
canvas) and a generated 10,000-frame two-animal recording with a video (each frame decoded by
the server). Debian's headless Chromium, driven by Playwright, opens the Label page of each and
holds → : keydown events with ``repeat`` set, as a held key sends them. Two ways:

* **burst** — key repeats as fast as the browser takes them;
* **paced** — one repeat every 1/``--rate`` s, like a keyboard's auto-repeat.

The page itself records (``performance.now()``) every key event and every change of the frame
it displays (``#frame-display[data-frame]``, set only once that frame is drawn). Printed per
recording and mode: key events per second handled, frame steps per second (frames advanced
from the first key until the display shows the last frame), frames drawn per second, the
longest time the display stood still, and how long the display took to catch up after the
last key. Nothing is asserted; the issue's target is ≥ 30 frame steps per second.

Run: ``python benchmarks/bench_web.py [--steps 300] [--rate 30] [--video-size 640x480]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
LONG_STEM = "120637-121213"  # the 10,080-frame ethome5 recording
VIDEO_FRAMES = 10_000

INSTRUMENT = """() => {
  const out = document.querySelector('#frame-display');
  const bench = { keys: [], shown: [] };
  document.addEventListener('keydown', (e) => { if (e.key === 'ArrowRight') bench.keys.push(performance.now()); }, true);
  new MutationObserver(() => bench.shown.push([performance.now(), Number(out.dataset.frame)]))
    .observe(out, { attributes: true, attributeFilter: ['data-frame'] });
  window.__bench = bench;
}"""


def _testkit():
    """The shared test helpers of tests/conftest.py (project, server and video makers)."""
    spec = importlib.util.spec_from_file_location("ethoforge_testkit", REPO / "tests" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


def _project(kit, root: Path, video_size: tuple[int, int]) -> Path:
    """Two recordings: the long ethome5 one (no video) and ``arena`` (10,000 frames with a video)."""
    from ethoforge.store import Project

    kit.make_ethome5_project(root, kit.shared_data_root() / "ethome5", (LONG_STEM,), dataset=None)
    inputs = root / "inputs"
    inputs.mkdir()
    pose_file = kit.write_two_animal_poses(inputs / "arena.csv", VIDEO_FRAMES)
    kit.write_index_video(inputs / "arena.mp4", VIDEO_FRAMES, *video_size)
    with Project.open(root) as project:
        project.import_recording(pose_file, fps=30.0)
        project.create_dataset("bench", ["interact"], recordings=[r.name for r in project.recordings()])
    return root


def _hold_right(page, steps: int, rate: float | None) -> dict:
    """Hold → for ``steps`` key repeats (``rate`` per second, or as fast as possible) from frame 0."""
    page.evaluate(INSTRUMENT)
    tic = time.perf_counter()
    for i in range(steps):
        if rate:
            delay = tic + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        page.keyboard.down("ArrowRight")  # a key already down: Playwright sends it with repeat = true
    page.keyboard.up("ArrowRight")
    page.wait_for_selector(f"#frame-display[data-frame='{steps}']", state="attached", timeout=120_000)
    bench = page.evaluate("() => window.__bench")
    drawn = page.get_attribute("#pose-canvas", "data-frame")
    keys, shown = bench["keys"], bench["shown"]
    t0, t_last_key = keys[0], keys[-1]
    t_done = next(t for t, frame in shown if frame == steps)
    times = [t0] + [t for t, _ in shown if t <= t_done]
    seconds = (t_done - t0) / 1000
    return {
        "keys_per_s": (len(keys) - 1) / max((t_last_key - t0) / 1000, 1e-9),
        "steps_per_s": steps / seconds,
        "drawn_per_s": len({frame for t, frame in shown if t <= t_done}) / seconds,
        "longest_still_ms": max(b - a for a, b in zip(times, times[1:], strict=False)),
        "catch_up_ms": t_done - t_last_key,
        "ok": drawn == str(steps) and len(keys) == steps,
    }


def _open(page, base: str, dataset: int, recording: dict) -> None:
    page.goto("about:blank")
    page.goto(f"{base}/#/label?dataset={dataset}&recording={recording['id']}")
    page.wait_for_selector("#page[data-ready='true']", state="attached", timeout=60_000)
    page.wait_for_selector("#frame-display[data-frame='0']", state="attached", timeout=60_000)
    page.focus("#editor")


def main(argv: list[str] | None = None) -> int:
    import httpx
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="key repeats per run")
    parser.add_argument("--rate", type=float, default=30.0, help="key repeats per second in the paced run")
    parser.add_argument("--video-size", default="640x480", help="WIDTHxHEIGHT of the generated video")
    args = parser.parse_args(argv)
    video_size = tuple(int(v) for v in args.video_size.lower().split("x"))
    if not Path(CHROMIUM).exists():
        print(f"no Chromium at {CHROMIUM} (apt-get install chromium)", file=sys.stderr)
        return 1

    kit = _testkit()
    with tempfile.TemporaryDirectory() as folder:
        tic = time.perf_counter()
        root = _project(kit, Path(folder) / "project", video_size)
        print(f"project made in {time.perf_counter() - tic:.0f} s")
        server = kit.start_server(root, cli=True)  # no worker: nothing to train
        try:
            recordings = httpx.get(f"{server.api}/recordings", timeout=60).json()["recordings"]
            [dataset] = httpx.get(f"{server.api}/datasets", timeout=60).json()["datasets"]
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 860})
                errors: list[str] = []
                page.on("pageerror", lambda error: errors.append(str(error)))
                print(f"EthoForge Label page, holding → for {args.steps} steps "
                      f"({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}); target ≥ 30 steps/s")
                print(f"  {'recording':<34} {'mode':<9} {'keys/s':>7} {'steps/s':>8} {'drawn/s':>8} "
                      f"{'still max':>10} {'catch-up':>9}  frame drawn")
                for recording in recordings:
                    video = "video" if recording["name"] == "arena" else "no video"
                    label = f"{recording['name'][-22:]} ({recording['n_frames']}, {video})"
                    for mode, rate in (("burst", None), (f"{args.rate:g}/s", args.rate)):
                        _open(page, server.url, dataset["id"], recording)
                        r = _hold_right(page, args.steps, rate)
                        print(f"  {label:<34} {mode:<9} {r['keys_per_s']:7.0f} {r['steps_per_s']:8.1f} "
                              f"{r['drawn_per_s']:8.1f} {r['longest_still_ms']:8.0f} ms {r['catch_up_ms']:6.0f} ms  "
                              f"{'exact' if r['ok'] else 'WRONG'}")
                if errors:
                    print(f"page errors: {errors}")
                browser.close()
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
