"""Sample data shipped inside the package (no network): the five ethome5 recordings.

Two mice (``adult``, ``juvenile``), 7 DeepLabCut keypoints each, 30 fps, with the per-frame
``interact`` labels of one annotator (BORIS subject ``adult``). © 2021 Ben Lansdell, MIT: see
``data/ethome5/LICENSE`` and ``ATTRIBUTION.md``. Built by ``scripts/build_sample_data.py``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

from ethoforge.errors import NotFoundError
from ethoforge.labels import Bout, frames_to_bouts
from ethoforge.recording import Recording, content_hash, validate_poses

SAMPLE_BEHAVIORS: tuple[str, ...] = ("interact",)
_SAMPLE_DIR = "data/ethome5"


def _data_dir() -> Path:
    return Path(str(resources.files(__name__).joinpath(_SAMPLE_DIR)))


def sample_names() -> list[str]:
    """Recording ids of the bundled sample, e.g. ``"e3v813a-20210610T120637-121213"``."""
    return sorted(p.stem for p in _data_dir().glob("*.npz"))


def sample_path(name: str) -> Path:
    """The ``.npz`` file of one sample recording."""
    path = _data_dir() / f"{name}.npz"
    if not path.is_file():
        raise NotFoundError(f"no sample recording {name!r}; available: {sample_names()}")
    return path


def load_sample_recording(name: str) -> tuple[Recording, list[Bout]]:
    """One sample recording (float32 poses) and its ``interact`` bouts ``[start, stop)``."""
    import xarray as xr

    path = sample_path(name)
    with np.load(path, allow_pickle=False) as data:
        position, confidence = data["position"], data["confidence"]
        individuals = [str(v) for v in data["individuals"]]
        keypoints = [str(v) for v in data["keypoints"]]
        space = [str(v) for v in data["space"]]
        fps = float(data["fps"])
        interact = data["interact"]
        agent = str(data["label_agent"])
        pose_source = str(data["pose_source"])
    poses = xr.Dataset(
        {
            "position": (("time", "space", "keypoint", "individual"), position),
            "confidence": (("time", "keypoint", "individual"), confidence),
        },
        coords={
            "time": np.arange(position.shape[0], dtype=np.int64),
            "space": space, "keypoint": keypoints, "individual": individuals,
        },
        attrs={"ds_type": "poses", "time_unit": "frames", "source_software": "DeepLabCut"},
    )
    validate_poses(poses, path)
    recording = Recording(
        name=name, poses=poses, fps=fps, source_path=path, content_hash=content_hash(path),
        source_format="sample", metadata={"dataset": "ethome5", "pose_source": pose_source,
                                          "fps_assumed": False, "n_frames": int(position.shape[0])},
    )
    bouts = frames_to_bouts(interact, list(SAMPLE_BEHAVIORS), name, agent=agent)
    return recording, bouts


def load_sample() -> list[tuple[Recording, list[Bout]]]:
    """The five ethome5 recordings with their ``interact`` bouts, in `sample_names` order."""
    return [load_sample_recording(name) for name in sample_names()]
