"""Shared fixtures: the real data in ../shared/data, small generated data, and the pieces the
service tests (tests/server, tests/jobs, tests/web) share: a two-recording ethome5 project, a
free port, polling, a real server process and a generated video whose frames say their index.

Test modules cannot import a conftest under importlib mode, so the helpers reach them
through the `testkit` fixture.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
ETHOME5_PAIR = ("122332-122642", "122758-123309")  # the two shortest ethome5 recordings: 5,700 and 9,330 frames
FAST_ENV = {
    "ETHOFORGE_JOB_HEARTBEAT_S": "0.5",  # supervisor heartbeat and cancel check interval
    "ETHOFORGE_JOB_CANCEL_GRACE_S": "3",  # kill a job process 3 s after an ignored cancel
    "OMP_NUM_THREADS": "1",
}


TEST_DATA = REPO_ROOT / "tests" / "data"  # real files whose licences allow keeping them here (see its README)


def shared_data_root() -> Path:
    """``../shared/data`` beside the repository (override with ETHOFORGE_SHARED_DATA)."""
    return Path(os.environ.get("ETHOFORGE_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Real data that may not live in the repository (AGPL/GPL files, large sets): CI has it
    beside the clone; elsewhere the tests that need it skip."""
    root = shared_data_root()
    if not root.is_dir():
        pytest.skip(f"real data outside the repository not found at {root} (CI clones the repo with ../shared beside it)")
    return root


@pytest.fixture(scope="session")
def test_data() -> Path:
    """``tests/data``: real files kept in the repository with their licences."""
    return TEST_DATA


@pytest.fixture(scope="session")
def ethome5_dir() -> Path:
    """The five ethome5 recordings as published (MIT), kept in ``tests/data/ethome5``."""
    return TEST_DATA / "ethome5"


# --------------------------------------------------------------------------- projects


def make_ethome5_project(root: Path, ethome5_dir: Path, stems=ETHOME5_PAIR, dataset: str | None = "mice") -> Path:
    """A project at ``root`` with the ethome5 recordings named by ``stems``, their BORIS labels
    and (unless ``dataset`` is None) a dataset of them with the behavior ``interact``."""
    from ethoforge.store import Project

    with Project.create(root) as project:
        for stem in stems:
            [pose] = (ethome5_dir / "poses").glob(f"*{stem}*")
            [labels] = (ethome5_dir / "labels_boris").glob(f"*{stem}*")
            project.import_recording(pose)
            project.import_labels(labels, "boris")
        if dataset is not None:
            project.create_dataset(dataset, ["interact"], recordings=[r.name for r in project.recordings()])
    return root


@pytest.fixture(scope="session")
def ethome5_project(tmp_path_factory, ethome5_dir: Path) -> Path:
    """A template project (copy it before changing it): two ethome5 recordings, their BORIS
    labels and a dataset ``mice``."""
    return make_ethome5_project(tmp_path_factory.mktemp("ethome5-template") / "project", ethome5_dir)


def project_snapshot(project) -> tuple:
    """Every table's rows and the files in ``poses/`` of a `Project` or of the project folder
    ``project``: what a refused change must leave as it was."""
    from ethoforge.store import Project
    from ethoforge.store.engine import dump_database

    if not isinstance(project, Project):
        with Project.open(project) as opened:
            return project_snapshot(opened)
    return dump_database(project.engine), sorted(os.listdir(project.poses_dir))


def copy_project(template: Path, target: Path) -> Path:
    shutil.copytree(template, target)
    return target


TINY_MODELS: dict[str, dict] = {
    "conv_bilstm": {"conv_channels": [16], "lstm_hidden": 16},
    "cbas_head": {"branch_dim": 8, "lstm_hidden": 16},
}


def tiny_train_params(names: list[str], epochs: int = 1, family: str = "conv_bilstm", **overrides) -> dict:
    """A training config that takes seconds: small model (`TINY_MODELS` of ``family``), few samples, one
    recording per side."""
    params = {
        "family": family, "model": dict(TINY_MODELS.get(family, {})), "epochs": epochs,
        "samples_per_epoch": 512, "batch_size": 128, "window": 15, "patience": None, "warmup_epochs": 0,
        "calibrate": False, "num_threads": 1, "device": "cpu", "split": {"train": [names[1]], "val": [names[0]]},
    }
    params.update(overrides)
    return params


def load_benchmark(name: str):
    """The script ``benchmarks/<name>.py`` as a module (benchmarks are scripts, not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None, name
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], object], timeout: float, message: str, interval: float = 0.1):
    """Poll ``condition`` until it returns something truthy; fail the test after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s: {message}")
        time.sleep(interval)


def _processes(project_dir: Path, *modules: bytes) -> list[tuple[int, list[bytes], str]]:
    """``(pid, argv, state)`` of live processes running one of ``modules`` on this project."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().split(") ", 1)[1][0]
        except (OSError, IndexError):
            continue
        if str(project_dir.resolve()).encode() in command and any(module in command for module in modules):
            found.append((int(entry.name), command, state))
    return found


def job_processes(project_dir: Path, job_id: int) -> list[int]:
    """Pids of live ``ethoforge.jobs.runner`` processes of a job."""
    return [pid for pid, command, state in _processes(project_dir, b"ethoforge.jobs.runner")
            if str(job_id).encode() in command and state != "Z"]


def kill_job_processes(project_dir: Path) -> None:
    """Kill job and worker processes of this project still alive (a test that failed midway)."""
    for pid, _command, _state in _processes(project_dir, b"ethoforge.jobs.runner", b"ethoforge.jobs.worker"):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@dataclass
class LiveServer:
    """A running server process (``python -m ethoforge.server.run`` or ``ethoforge serve``)."""

    project_dir: Path
    port: int
    proc: subprocess.Popen
    log: Path
    token: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api(self) -> str:
        return f"{self.url}/api/v1"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1"

    def client(self, **kwargs):
        import httpx

        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return httpx.Client(base_url=self.api, headers=headers, timeout=60, **kwargs)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _up(server: LiveServer) -> bool:
    import urllib.error
    import urllib.request

    if server.proc.poll() is not None:
        pytest.fail(f"the server exited with {server.proc.returncode}:\n{server.log.read_text()[-3000:]}")
    try:
        with urllib.request.urlopen(f"{server.api}/health", timeout=2) as answer:
            return answer.status == 200
    except (urllib.error.URLError, ConnectionError):
        return False


def start_server(project_dir: Path, *args: str, worker: bool = False, port: int | None = None,
                 cli: bool = False) -> LiveServer:
    """Start a server on a free loopback port and wait until it answers.

    ``cli`` runs the installed ``ethoforge serve`` (as a user would) instead of
    ``python -m ethoforge.server.run``; both take the same options.
    """
    port = port or free_port()
    log = project_dir.parent / f"server-{port}-{time.monotonic_ns()}.log"
    if cli:
        command = [str(Path(sys.executable).with_name("ethoforge")), "serve", str(project_dir)]
    else:
        command = [sys.executable, "-m", "ethoforge.server.run", str(project_dir), "--log-level", "warning"]
    command += ["--port", str(port), *args]
    if not worker:
        command.append("--no-worker")
    with open(log, "wb") as output:
        proc = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env={**os.environ, **FAST_ENV})
    server = LiveServer(project_dir, port, proc, log)
    try:
        wait_for(lambda: _up(server), 60, f"server did not start: {log}")
    except BaseException:
        server.stop(signal.SIGKILL)
        raise
    token_file = project_dir / "server_token"
    if token_file.is_file():
        server.token = token_file.read_text().strip()
    return server


# --------------------------------------------------------------------------- a video that says its frame index

VIDEO_BITS = 8


def index_image(index: int, width: int = 64, height: int = 48) -> np.ndarray:
    """An RGB frame whose top half spells ``index`` in binary: ``VIDEO_BITS`` columns, white
    for 1 and black for 0, lowest bit on the left; the bottom half is grey."""
    image = np.full((height, width, 3), 128, dtype=np.uint8)
    edges = np.linspace(0, width, VIDEO_BITS + 1).astype(int)
    for bit in range(VIDEO_BITS):
        image[: height // 2, edges[bit]:edges[bit + 1]] = 255 if (index >> bit) & 1 else 0
    return image


def index_of_image(rgb: np.ndarray) -> int:
    """The index an `index_image` spells, read back from a decoded (any size) RGB frame."""
    height, width = rgb.shape[:2]
    row = rgb[height // 4]
    return sum(1 << bit for bit in range(VIDEO_BITS) if row[int((bit + 0.5) * width / VIDEO_BITS)].mean() > 128)


def write_index_video(path: Path, n_frames: int = 120, width: int = 64, height: int = 48, fps: int = 30) -> Path:
    """An H.264 video whose frame ``i`` is ``index_image(i)``: keyframes every 25 frames and
    B-frames, so decode order differs from frame order and a seek lands on a keyframe."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"g": "25", "bf": "2", "crf": "18"}
        for index in range(n_frames):
            frame = av.VideoFrame.from_ndarray(index_image(index, width, height), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def write_two_animal_poses(path: Path, n_frames: int = 120, fps: float = 30.0) -> Path:
    """A DeepLabCut file of two animals (``alpha``, ``beta``) with three keypoints each, in
    the pixel frame of a 64x48 `write_index_video`: both walk along the grey bottom half."""
    import xarray as xr

    from ethoforge.io.poses import save_poses
    from ethoforge.recording import Recording

    t = np.arange(n_frames)[:, None]
    offsets = np.array([0.0, 3.0, 6.0])[None, :]
    position = np.empty((n_frames, 2, 3, 2))  # time, space, keypoint, individual
    position[:, 0, :, 0] = 4 + (t * 0.3) % 40 + offsets
    position[:, 1, :, 0] = 32
    position[:, 0, :, 1] = 50 - (t * 0.2) % 40 + offsets
    position[:, 1, :, 1] = 42
    poses = xr.Dataset(
        {"position": (("time", "space", "keypoint", "individual"), position),
         "confidence": (("time", "keypoint", "individual"), np.full((n_frames, 3, 2), 0.9))},
        coords={"time": np.arange(n_frames), "space": ["x", "y"], "keypoint": ["nose", "body", "tail"],
                "individual": ["alpha", "beta"]},
    )
    return save_poses(Recording(path.stem, poses, fps=fps), path, "dlc")


def write_calms21_file(path: Path, lengths: dict[str, int]) -> Path:
    """A CalMS21 JSON file with one sequence per ``lengths`` item (sequence key: frames): the two
    mice (7 CalMS21 keypoints along their heading) walk on concentric circles, no annotations."""
    import xarray as xr

    from ethoforge.io.calms21 import CALMS21_KEYPOINTS, CALMS21_MICE, save_calms21_poses
    from ethoforge.recording import Recording

    recordings = []
    for seed, (key, n_frames) in enumerate(lengths.items()):
        rng = np.random.default_rng(seed)
        angle = 0.05 * np.arange(n_frames) + rng.uniform(0, 2 * np.pi)
        heading = np.stack([-np.sin(angle), np.cos(angle)])  # (space, time)
        position = np.empty((n_frames, 2, 7, 2))  # time, space, keypoint, individual
        for mouse, radius in enumerate((100.0, 140.0)):
            centre = 300 + radius * np.stack([np.cos(angle), np.sin(angle)])
            for k in range(7):
                position[:, :, k, mouse] = (centre + (3 - k) * 4.0 * heading).T + rng.normal(0, 0.5, (n_frames, 2))
        poses = xr.Dataset(
            {"position": (("time", "space", "keypoint", "individual"), position),
             "confidence": (("time", "keypoint", "individual"), np.full((n_frames, 7, 2), 0.9))},
            coords={"time": np.arange(n_frames), "space": ["x", "y"], "keypoint": list(CALMS21_KEYPOINTS),
                    "individual": list(CALMS21_MICE)},
        )
        recordings.append(Recording(key, poses, fps=30.0))
    save_calms21_poses(recordings, path)
    return path


def make_video_project(root: Path, n_frames: int = 120) -> Path:
    """A project with one two-animal recording ``arena`` whose video (``inputs/arena.mp4``,
    beside the imported pose file, which is how a recording gets its video) shows each
    frame's index, and a dataset ``arena`` with the behaviors ``approach`` and ``groom``."""
    from ethoforge.store import Project

    inputs = root / "inputs"
    inputs.mkdir(parents=True)
    pose_file = write_two_animal_poses(inputs / "arena.csv", n_frames)
    write_index_video(inputs / "arena.mp4", n_frames)
    with Project.create(root) as project:
        project.import_recording(pose_file, fps=30.0)
        project.create_dataset("arena", ["approach", "groom"], recordings=["arena"])
    return root


# --------------------------------------------------------------------------- blob clips (behavior ``run``)


def blob_poses(centres: np.ndarray):
    """Poses of one ``mouse`` on a blob clip: a nose and a tail 5 px either side of the blob's
    centre ``(n_frames, 2)`` along its heading."""
    import xarray as xr

    heading = np.vstack([centres[1:] - centres[:-1], [[1.0, 0.0]]])
    heading /= np.maximum(np.linalg.norm(heading, axis=1, keepdims=True), 1e-6)
    position = np.stack([centres + 5 * heading, centres - 5 * heading], axis=-1)[..., None]
    return xr.Dataset({"position": (("time", "space", "keypoint", "individual"), position)},
                      coords={"time": np.arange(len(centres)), "space": ["x", "y"], "keypoint": ["nose", "tail"],
                              "individual": ["mouse"]})


def make_blob_project(root: Path, n_frames: int, *, poses: bool = False) -> tuple[Path, dict[str, np.ndarray]]:
    """A project at ``root/project`` and its per-frame ``run`` truths: recordings ``c0``..``c2``,
    blob clips (``ethoforge.video.synthetic``, seeds 0-2, written to ``root``) with their true
    ``run`` bouts (whole recordings annotated), dataset ``blobs`` (``run``), encoded with
    ``motion``; with ``poses``, each recording also has `blob_poses` linked to its video."""
    from ethoforge.labels import frames_to_bouts
    from ethoforge.recording import Recording
    from ethoforge.store import Project
    from ethoforge.video.synthetic import write_blob_clip
    from ethoforge.video.workflow import encode_recordings

    truths = {}
    with Project.create(root / "project") as project:
        for seed in range(3):
            name = f"c{seed}"
            clip = write_blob_clip(root / f"{name}.mp4", n_frames=n_frames, seed=seed)
            if poses:
                project.import_recording_object(Recording(name, blob_poses(clip.centres), fps=30.0))
            info = project.import_video(clip.path)
            assert info.has_video and info.has_poses == poses and info.name == name
            truths[name] = clip.running
        project.create_dataset("blobs", ["run"], recordings=list(truths))
        for name, running in truths.items():
            project.add_bouts(name, frames_to_bouts(running, ["run"], name), mark_scope=True)
        summaries = encode_recordings(project, encoder="motion", chunk_frames=128)
    assert [s["cached"] for s in summaries] == [False] * 3
    return root / "project", truths


# --------------------------------------------------------------------------- jobs over the WebSocket


async def _follow_job(url: str, on_first: Callable[[], None] | None, timeout: float) -> list[dict]:
    import websockets

    messages = []
    async with websockets.connect(url) as socket:
        while True:
            try:
                raw = await asyncio.wait_for(socket.recv(), timeout)
            except websockets.exceptions.ConnectionClosedOK:
                break
            messages.append(json.loads(raw))
            if len(messages) == 1 and on_first is not None:
                on_first()
    return messages


def follow_job(url: str, on_first: Callable[[], None] | None = None, timeout: float = 240) -> list[dict]:
    """Every message of a job's WebSocket (``url``) until the server closes it, each wait for the
    next one at most ``timeout`` s; ``on_first`` runs once the first (``state``) message is in, so
    nothing the job does afterwards can be missed."""
    return asyncio.run(_follow_job(url, on_first, timeout))


def keyboard_bout(page, key: str, first: int, last: int) -> None:
    """In the label editor, from frame 0, a bout of the behavior on ``key`` from ``first`` to
    ``last`` (inclusive), made with the keyboard as a person would."""
    page.focus("#editor")
    page.keyboard.press("Home")
    for _ in range(first):
        page.keyboard.press("ArrowRight")
    page.keyboard.press(key)
    for _ in range(last - first):
        page.keyboard.press("ArrowRight")
    page.keyboard.press(key)


def commit_labels(page, *, key: str = "Control+s", click: str | None = None) -> None:
    """Commit the label editor's bouts (by ``key``, or by clicking ``click``) and wait until the
    server has stored them: the editor host counts the commits it has finished."""
    before = int(page.get_attribute("#editor-host", "data-commits") or 0)
    if click:
        page.click(click)
    else:
        page.keyboard.press(key)
    page.wait_for_selector(f"#editor-host[data-commits='{before + 1}']", state="attached")


@pytest.fixture(scope="session")
def testkit() -> SimpleNamespace:
    """The helpers above, for test modules (which cannot import a conftest)."""
    return SimpleNamespace(
        free_port=free_port, wait_for=wait_for, copy_project=copy_project, project_snapshot=project_snapshot, start_server=start_server,
        kill_job_processes=kill_job_processes, job_processes=job_processes, tiny_train_params=tiny_train_params,
        make_ethome5_project=make_ethome5_project, make_video_project=make_video_project,
        write_two_animal_poses=write_two_animal_poses, write_calms21_file=write_calms21_file, keyboard_bout=keyboard_bout, commit_labels=commit_labels,
        follow_job=follow_job, blob_poses=blob_poses, make_blob_project=make_blob_project,
        index_image=index_image, index_of_image=index_of_image, write_index_video=write_index_video,
        load_benchmark=load_benchmark, FAST_ENV=FAST_ENV,
    )
