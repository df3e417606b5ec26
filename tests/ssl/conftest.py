"""Generated recordings with a known answer for the pretext tasks.

Two animals (nose, neck, tail) walk side by side on concentric circles at a constant angular
speed, so a partner shifted ahead in time is ahead on the circle, and a faster playback is a
faster walk: a small encoder can learn ``shift`` and ``warp`` almost perfectly.
"""

from __future__ import annotations

import numpy as np
import pytest

KEYPOINTS = ["nose", "neck", "tail"]


def make_recording(position: np.ndarray, name: str = "synthetic", fps: float = 30.0, individuals=None):
    """A `Recording` from ``position (T, I, K, 2)`` (confidence 1 everywhere)."""
    import xarray as xr

    from ethoforge.recording import Recording

    n_frames, n_ind, n_kp, _ = position.shape
    individuals = individuals or [f"m{i}" for i in range(n_ind)]
    poses = xr.Dataset(
        {
            "position": (("time", "space", "keypoint", "individual"), position.transpose(0, 3, 2, 1)),
            "confidence": (("time", "keypoint", "individual"), np.ones((n_frames, n_kp, n_ind), np.float32)),
        },
        coords={"time": np.arange(n_frames), "space": ["x", "y"], "keypoint": KEYPOINTS[:n_kp],
                "individual": individuals},
        attrs={"fps": fps},
    )
    return Recording(name, poses, fps)


def circling(n_frames: int = 2000, n_individuals: int = 2, omega: float = 0.05, seed: int = 0) -> np.ndarray:
    """``(T, I, 3, 2)``: animal ``i`` on a circle of radius ``100 + 40 i``, heading along it, tiny noise."""
    rng = np.random.default_rng(seed)
    angle = omega * np.arange(n_frames) + rng.uniform(0, 2 * np.pi)
    out = np.empty((n_frames, n_individuals, 3, 2), np.float32)
    for i in range(n_individuals):
        radius = 100.0 + 40.0 * i
        centre = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=-1) + 300.0
        tangent = np.stack([-np.sin(angle), np.cos(angle)], axis=-1)
        for k, offset in enumerate((8.0, 0.0, -8.0)):  # nose, neck, tail along the heading
            out[:, i, k] = centre + offset * tangent
    return out + rng.normal(0, 0.05, out.shape).astype(np.float32)


@pytest.fixture
def circling_recordings():
    return [make_recording(circling(seed=s), name=f"circle{s}") for s in range(2)]


@pytest.fixture
def one_animal_recording():
    return make_recording(circling(n_frames=400, n_individuals=1), name="alone")


ETHOME5_PAIR = ("e3v813a-20210610T122332-122642", "e3v813a-20210610T122758-123309")  # 5,700 and 9,330 frames
TINY_PRETRAIN = ("--window", "24", "--emb-dim", "16", "--heads", "2", "--hidden", "16", "--epochs", "1",
                 "--train-sample", "0.002", "--batch-size", "16", "--eval-samples", "16", "--device", "cpu")


@pytest.fixture(scope="session")
def ssl_project(tmp_path_factory, ethome5_dir):
    """A project with two ethome5 recordings (dataset ``mice``, BORIS labels) and a tiny embedder ``emb``
    pretrained by ``ethoforge pretrain`` (shared by the CLI, fine-tuning and discovery tests)."""
    import json
    from types import SimpleNamespace

    from typer.testing import CliRunner

    from ethoforge.cli import app
    from ethoforge.store import Project

    root = tmp_path_factory.mktemp("ssl") / "project"
    with Project.create(root) as project:
        for name in ETHOME5_PAIR:
            project.import_recording(next((ethome5_dir / "poses").glob(f"{name}*.csv")), fps=30)
            project.import_labels(ethome5_dir / "labels_boris" / f"{name}_reencode.csv", "boris")
        project.create_dataset("mice", "interact", recordings=list(ETHOME5_PAIR))
    result = CliRunner().invoke(app, ["pretrain", "--dataset", "mice", *TINY_PRETRAIN, "--name", "emb",
                                      "--project", str(root), "--json"])
    assert result.exit_code == 0, result.output
    return SimpleNamespace(root=root, pretrained=json.loads(result.stdout), tiny=TINY_PRETRAIN, recordings=ETHOME5_PAIR)
