"""API latency benchmark: list 10,000 bouts and commit 1,000 while a training job runs.

Starts the real server (``python -m ethoforge.server.run``, with its worker) over a fresh
project of two ethome5 recordings, stores 10,000 bouts on one recording, starts a training
job, and times ``GET /recordings/{id}/labels`` (10,000 bouts) and ``PUT`` of 1,000 bouts on
the other recording (each commit against the version the previous one returned). Prints
p50 / p99 / max in milliseconds, and whether the training job was running throughout.

Run: ``python benchmarks/bench_api.py [--requests 50] [--epochs 30]``.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
RECORDINGS = ("122332-122642", "122758-123309")


def _project(root: Path) -> Path:
    from ethoforge.store import Project

    with Project.create(root) as project:
        for stem in RECORDINGS:
            [pose] = (SHARED / "ethome5" / "poses").glob(f"*{stem}*")
            project.import_recording(pose)
        project.create_dataset("mice", ["interact"], recordings=[r.name for r in project.recordings()])
    return root


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bouts(n: int, n_frames: int, offset: int = 0) -> list[dict]:
    """``n`` distinct short bouts of ``interact`` spread over the recording."""
    step = max((n_frames - 10) // n, 1)
    return [{"behavior": "interact", "start": (i * step + offset) % (n_frames - 5),
             "stop": (i * step + offset) % (n_frames - 5) + 1 + i % 3, "agent": "adult"} for i in range(n)]


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return (f"p50 {statistics.median(ordered) * 1000:7.1f} ms   p99 {p99 * 1000:7.1f} ms   "
            f"max {ordered[-1] * 1000:7.1f} ms   (n={len(ordered)})")


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
            names = [r["name"] for r in recordings]
            params = {"family": "conv_bilstm", "epochs": args.epochs, "samples_per_epoch": 2048, "batch_size": 128,
                      "window": 31, "patience": None, "calibrate": False, "num_threads": 1, "device": "cpu",
                      "split": {"train": [names[1]], "val": [names[0]]}}
            job = http.post("/training/jobs", json={"dataset": "mice", "params": params}).json()
            for _ in range(600):
                if http.get(f"/jobs/{job['id']}").json()["status"] in ("training", "failed", "completed"):
                    break
                time.sleep(0.1)

            list_times = []
            for _ in range(args.requests):
                start = time.perf_counter()
                answer = http.get(f"/recordings/{listed['id']}/labels")
                list_times.append(time.perf_counter() - start)
                assert answer.status_code == 200 and len(answer.json()["bouts"]) == 10_000
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
            print(f"  GET  labels, 10,000 bouts:   {_percentiles(list_times)}")
            print(f"  PUT  labels,  1,000 bouts:   {_percentiles(commit_times)}")
            http.post(f"/jobs/{job['id']}/cancel")
        finally:
            server.terminate()
            server.wait(timeout=60)
            log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
