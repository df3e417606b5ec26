"""API latency benchmark: list 10,000 bouts idle and while a training job runs; commit 1,000;
refuse an oversized bout list.

Starts the real server (``python -m ethoforge.server.run``, with its worker) over a fresh
project of two ethome5 recordings (``tests/data/ethome5``), stores 10,000 bouts on one
recording and times ``GET /recordings/{id}/labels`` (10,000 bouts) with no job running; then
starts a training job and times the same GET and ``PUT`` of 1,000 bouts on the other recording
(each commit against the version the previous one returned); last, times the refusal (422) of
a commit of 200,001 bouts, one over the limit. Prints p50 / p99 / max in milliseconds, and
whether the training job was running throughout. Targets (issue 12): p99 < 250 ms idle and
< 600 ms while a model trains on 2 cores; the refusal < 1 s.

Run: ``python benchmarks/bench_api.py [--requests 50] [--epochs 30]``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ETHOME5 = Path(__file__).resolve().parents[1] / "tests" / "data" / "ethome5"
RECORDINGS = ("122332-122642", "122758-123309")
LANES = (("adult", None), ("juvenile", None), ("adult", "juvenile"), ("juvenile", "adult"))


def _project(root: Path) -> Path:
    from ethoforge.store import Project

    with Project.create(root) as project:
        for stem in RECORDINGS:
            [pose] = (ETHOME5 / "poses").glob(f"*{stem}*")
            project.import_recording(pose)
        project.create_dataset("mice", ["interact"], recordings=[r.name for r in project.recordings()])
    return root


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bouts(n: int, n_frames: int, offset: int = 0) -> list[dict]:
    """``n`` short bouts of ``interact`` spread over the recording in four (agent, target) lanes;
    bouts of one lane never overlap (the API refuses overlapping bouts of one behavior and animal)."""
    per_lane = -(-n // len(LANES))
    step = max((n_frames - 5) // per_lane, 1)
    bouts = []
    for i in range(n):
        agent, target = LANES[i % len(LANES)]
        length = min(1 + i % 3, step)
        start = (i // len(LANES)) * step + offset % (step - length + 1)
        bouts.append({"behavior": "interact", "start": start, "stop": start + length, "agent": agent,
                      "target": target})
    return bouts


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return (f"p50 {statistics.median(ordered) * 1000:7.1f} ms   p99 {p99 * 1000:7.1f} ms   "
            f"max {ordered[-1] * 1000:7.1f} ms   (n={len(ordered)})")


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the process ``pid`` has used so far (Linux; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _time_listing(http, recording_id: int, requests: int, pid: int) -> tuple[list[float], list[float]]:
    """Wall seconds of each of ``requests`` GETs of the recording's 10,000 bouts, and the server's CPU seconds."""
    times, cpu = [], []
    for _ in range(requests):
        used = _cpu_s(pid)
        start = time.perf_counter()
        answer = http.get(f"/recordings/{recording_id}/labels")
        times.append(time.perf_counter() - start)
        cpu.append(_cpu_s(pid) - used)
        assert answer.status_code == 200 and len(answer.json()["bouts"]) == 10_000
    return times, cpu


def main(argv: list[str] | None = None) -> int:
    import httpx

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50, help="timed requests of each kind")
    parser.add_argument("--epochs", type=int, default=30, help="epochs of the background training job")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        root = _project(Path(folder) / "project")
        port = _free_port()
        log = open(Path(folder) / "server.log", "wb")  # noqa: SIM115  (closed in finally)
        server = subprocess.Popen([sys.executable, "-m", "ethoforge.server.run", str(root), "--port", str(port),
                                  "--log-level", "warning"], stdout=log, stderr=subprocess.STDOUT,
                                 env={**os.environ, "OMP_NUM_THREADS": "1"})
        api = f"http://127.0.0.1:{port}/api/v1"
        try:
            http = httpx.Client(base_url=api, timeout=120)
            for _ in range(600):
                try:
                    if http.get("/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            recordings = http.get("/recordings").json()["recordings"]
            listed, committed = recordings[1], recordings[0]
            seed = http.put(f"/recordings/{listed['id']}/labels",
                            json={"bouts": _bouts(10_000, listed["n_frames"]), "version": "*"})
            assert seed.status_code == 200, seed.text
            seed = http.put(f"/recordings/{committed['id']}/labels",  # the validation side needs labels too
                            json={"bouts": _bouts(1_000, committed["n_frames"]), "version": "*"})
            assert seed.status_code == 200, seed.text
            idle_times, idle_cpu = _time_listing(http, listed["id"], args.requests, server.pid)
            names = [r["name"] for r in recordings]
            params = {"family": "conv_bilstm", "epochs": args.epochs, "samples_per_epoch": 2048, "batch_size": 128,
                      "window": 31, "patience": None, "calibrate": False, "num_threads": 1, "device": "cpu",
                      "split": {"train": [names[1]], "val": [names[0]]}}
            job = http.post("/training/jobs", json={"dataset": "mice", "params": params}).json()
            for _ in range(600):
                if http.get(f"/jobs/{job['id']}").json()["status"] in ("training", "failed", "completed"):
                    break
                time.sleep(0.1)

            list_times, list_cpu = _time_listing(http, listed["id"], args.requests, server.pid)
            commit_times = []
            version = seed.headers["ETag"]
            for i in range(args.requests):
                body = {"bouts": _bouts(1_000, committed["n_frames"], offset=i + 1)}
                start = time.perf_counter()
                answer = http.put(f"/recordings/{committed['id']}/labels", json=body, headers={"If-Match": version})
                commit_times.append(time.perf_counter() - start)
                assert answer.status_code == 200, answer.text
                version = answer.headers["ETag"]
            status = http.get(f"/jobs/{job['id']}").json()
            print(f"EthoForge API latency ({os.cpu_count()} CPUs), training job {job['id']} "
                  f"{status['status']} at epoch {status['progress'].get('epoch')} of {args.epochs} when timing ended")
            if status["error"]:
                print(f"  (the training job failed: {status['error'][:300]})")
            http.post(f"/jobs/{job['id']}/cancel")
            oversized = json.dumps({"bouts": _bouts(200_001, 10**7), "version": "*"}).encode()  # encoded untimed
            refusals, refusal_cpu = [], []
            for _ in range(3):
                used = _cpu_s(server.pid)
                start = time.perf_counter()
                answer = http.put(f"/recordings/{committed['id']}/labels", content=oversized,
                                  headers={"Content-Type": "application/json"})
                refusals.append(time.perf_counter() - start)
                refusal_cpu.append(_cpu_s(server.pid) - used)
                assert answer.status_code == 422 and "200000" in answer.text, answer.text[:300]
            print(f"  GET  labels, 10,000 bouts, idle:            {_percentiles(idle_times)}")
            print(f"  GET  labels, 10,000 bouts, while training:  {_percentiles(list_times)}")
            print(f"  PUT  labels,  1,000 bouts, while training:  {_percentiles(commit_times)}")
            print(f"  PUT  labels, 200,001 bouts refused (422):   {_percentiles(refusals)}  "
                  f"({len(oversized) / 1e6:.1f} MB body)")
            print("  server CPU per request (what a request costs when the machine is not shared): "
                  f"GET idle p50 {statistics.median(idle_cpu) * 1000:.0f} ms, while training p50 "
                  f"{statistics.median(list_cpu) * 1000:.0f} ms; refusal p50 {statistics.median(refusal_cpu) * 1000:.0f} ms")
            print(f"  load average over the run: {os.getloadavg()[0]:.1f} (figures above are wall time on this machine)")
        finally:
            server.terminate()
            server.wait(timeout=60)
            log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
