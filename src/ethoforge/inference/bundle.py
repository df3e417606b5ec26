"""Load a model bundle and predict with it (the files themselves: `ethoforge.bundles.files`).

`load_bundle` reads ``bundle.json``; `ModelBundle` rebuilds the model lazily, computes
features from pose slices and runs the model over whole recordings in chunks.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

import numpy as np

from ethoforge.bundles.files import read_meta, softmax, spec_from_json
from ethoforge.bundles.normalise import Normalisation
from ethoforge.errors import InputError, option
from ethoforge.features.resample import resample_poses, resample_rows, same_rate
from ethoforge.models.chunked import (
    DEFAULT_CHUNK_FRAMES,
    Progress,
    resolve_device,
    run_chunked,
    run_torch_chunked,
)
from ethoforge.recording import Recording

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["GBDT_CHUNK_FRAMES", "MIN_FEATURE_MARGIN", "ModelBundle", "load_bundle", "softmax"]

MIN_FEATURE_MARGIN = 16
GBDT_CHUNK_FRAMES = 1024  # window features of ~1k frames stay in cache; measured fastest


# --------------------------------------------------------------------------- loading


def load_bundle(path: str | Path, *, model_factory: Callable[[int, int, dict], Any] | None = None) -> "ModelBundle":
    """Load a model bundle folder.

    ``model_factory`` rebuilds a torch model trained with a custom factory (see
    `ethoforge.training.train`); by default ``ethoforge.models.build_model``.

    Raises
    ------
    NotFoundError
        When ``path`` holds no ``bundle.json``.
    """
    path = Path(path)
    meta = read_meta(path)
    if meta.get("kind", "classifier") != "classifier":
        from ethoforge.errors import ConfigError

        raise ConfigError(f"{path} is an {meta['kind']}, not a behavior classifier: it gives embeddings "
                          "(`ethoforge embed`), not behaviors")
    return ModelBundle(path, meta, model_factory)


class ModelBundle:
    """A loaded model bundle: its description (``meta``) and a lazily built model."""

    def __init__(self, path: Path, meta: dict, model_factory: Callable | None = None) -> None:
        self.path = Path(path)
        self.meta = meta
        self._factory = model_factory
        self._model: Any = None
        self._spec: Any = None
        self.normalisation = Normalisation.from_dict(meta["normalisation"])

    # description --------------------------------------------------------------
    @property
    def classes(self) -> list[str]:
        return list(self.meta["classes"])

    @property
    def behaviors(self) -> list[str]:
        return list(self.meta["behaviors"])

    @property
    def family(self) -> str:
        return str(self.meta["family"])

    @property
    def window(self) -> int:
        return int(self.meta["window"])

    @property
    def chunk_context(self) -> int:
        """Frames of context each side of an inference chunk: half the training window."""
        return self.window // 2

    @property
    def temperature(self) -> float:
        return float(self.meta["calibration"]["temperature"])

    @property
    def fps(self) -> float:
        """The frame rate the model was trained at (its windows count frames of this rate)."""
        return float(self.meta["fps"])

    @staticmethod
    def recording_rate(recording_or_poses: "Recording | xr.Dataset") -> float | None:
        """The frame rate of a `Recording` (or of poses whose ``attrs`` say), else None."""
        rate = getattr(recording_or_poses, "fps", None)
        if rate is None and hasattr(recording_or_poses, "attrs"):
            rate = recording_or_poses.attrs.get("fps")
        return float(rate) if rate else None

    def rate_note(self, recording_or_poses: "Recording | xr.Dataset") -> str | None:
        """A note when the recording's frame rate is not the model's (it is then resampled), else None."""
        rate = self.recording_rate(recording_or_poses)
        if rate is None or same_rate(rate, self.fps):
            return None
        name = getattr(recording_or_poses, "name", "the recording")
        return (f"{name} is at {rate:g} fps and the model at {self.fps:g} fps: its poses were resampled to "
                f"{self.fps:g} fps for the model and the predictions brought back to its {rate:g} fps frames")

    @property
    def keypoints(self) -> list[str]:
        return list(self.meta["keypoints"])

    @property
    def individuals(self) -> list[str]:
        return list(self.meta["individuals"])

    @property
    def spec(self) -> Any:
        if self._spec is None:
            self._spec = spec_from_json(self.meta["feature_spec"])
            if self.meta.get("embedding"):  # pose features + a pretrained embedder's (ethoforge.ssl.features)
                from ethoforge.ssl.features import with_embedding

                self._spec = with_embedding(self._spec, str(self.path / self.meta["embedding"]["path"]))
        return self._spec

    def model(self, device: str = "cpu") -> Any:
        """The model: a torch ``nn.Module`` in eval mode on ``device``, or the gbdt classifier."""
        if self._model is None:
            if self.family == "gbdt":
                from ethoforge.models import GbdtClassifier

                self._model = GbdtClassifier.load(self.path / self.meta["weights"])
            else:
                import torch

                if self._factory is not None:
                    model = self._factory(len(self.meta["feature_names"]), len(self.classes), self.meta["model_config"])
                else:
                    from ethoforge.models import build_model
                    from ethoforge.models.config import check_family

                    model = build_model(check_family(self.family), len(self.meta["feature_names"]), len(self.classes),
                                        self.meta["model_config"])
                state = torch.load(self.path / self.meta["weights"], map_location="cpu", weights_only=True)
                model.load_state_dict(state)
                self._model = model.eval()
        if self.family != "gbdt":
            self._model = self._model.to(device)
        return self._model

    # prediction ---------------------------------------------------------------
    def prepare_poses(self, recording_or_poses: "Recording | xr.Dataset",
                      keypoint_map: Mapping[str, str] | None = None) -> "xr.Dataset":
        """The poses renamed by ``keypoint_map`` ``{old: new}`` and reduced to the bundle's layout.

        Raises
        ------
        InputError
            Listing the keypoints or individuals the bundle needs that the poses lack.
        """
        if isinstance(recording_or_poses, Recording):
            poses, source = recording_or_poses.poses, recording_or_poses.source_path
        else:
            poses, source = recording_or_poses, None
        if keypoint_map:
            present = [str(k) for k in poses["keypoint"].values]
            poses = poses.assign_coords(keypoint=[keypoint_map.get(k, k) for k in present])
        have_kp = {str(k) for k in poses["keypoint"].values}
        have_ind = {str(i) for i in poses["individual"].values}
        missing_kp = [k for k in self.keypoints if k not in have_kp]
        missing_ind = [i for i in self.individuals if i not in have_ind]
        if missing_kp or missing_ind:
            parts = []
            if missing_kp:
                parts.append(f"keypoint(s) {missing_kp} (has {sorted(have_kp)}; "
                             f"map names with {option('keypoint_map')})")
            if missing_ind:
                parts.append(f"individual(s) {missing_ind} (has {sorted(have_ind)}; rename them when loading poses)")
            raise InputError(f"the model needs {' and '.join(parts)}", source)
        return poses.sel(keypoint=self.keypoints, individual=self.individuals)

    def feature_margin(self) -> int:
        """Pose frames added on each side of a chunk so its features equal whole-recording ones.

        The spec's ``context_frames`` (finite differences, window statistics) plus ``max_gap``
        (gap interpolation reaches that far); with ``max_gap=None`` long gaps may differ.
        """
        spec = self.spec
        context = int(getattr(spec, "context_frames", 0) or 0)
        max_gap = getattr(spec, "max_gap", None) or 0
        return max(MIN_FEATURE_MARGIN, context + int(max_gap) + 2)

    def features_of(self, poses: "xr.Dataset", start: int, stop: int) -> np.ndarray:
        """Normalised features of frames ``[start, stop)`` computed from a pose slice with margin."""
        from ethoforge.features import compute_features

        margin = self.feature_margin()
        first, last = max(0, start - margin), min(int(poses.sizes["time"]), stop + margin)
        piece = poses.isel(time=slice(first, last))
        spec = self.spec
        matrix = spec.compute(piece) if hasattr(spec, "compute") else compute_features(piece, spec)
        values = matrix.values[start - first : stop - first]
        return self.normalisation.apply(values)

    def predict_logits(
        self,
        recording_or_poses: "Recording | xr.Dataset",
        *,
        device: str = "auto",
        chunk_frames: int | None = None,
        progress: Progress | None = None,
        keypoint_map: Mapping[str, str] | None = None,
        threads: int | None = None,
    ) -> np.ndarray:
        """Uncalibrated logits ``(T, C)`` float32 over the whole recording (see `predict_proba`)."""
        from ethoforge.video.features import with_video_features

        if isinstance(recording_or_poses, Recording):  # its cached video features when the model uses them
            recording_or_poses = with_video_features(recording_or_poses, self.spec)
        poses = self.prepare_poses(recording_or_poses, keypoint_map)
        rate = self.recording_rate(recording_or_poses)
        if rate is not None and not same_rate(rate, self.fps):  # run at the model's rate, answer at the recording's
            n_recorded = int(poses.sizes["time"])
            logits = self.predict_logits(resample_poses(poses, rate, self.fps), device=device, chunk_frames=chunk_frames,
                                         progress=progress, threads=threads)
            return resample_rows(logits, n_recorded, self.fps, rate)
        device = resolve_device(device)
        model = self.model(device)
        n_frames = int(poses.sizes["time"])

        def get_features(a: int, b: int) -> np.ndarray:
            return self.features_of(poses, a, b)

        if self.family != "gbdt":
            return run_torch_chunked(model, n_frames, get_features, context=self.chunk_context,
                                     chunk_frames=chunk_frames or DEFAULT_CHUNK_FRAMES, device=device,
                                     threads=threads, progress=progress)
        # `threads` chunks at once (features and booster), each booster call on one thread.
        single = copy.copy(model)
        single.config = model.config.model_copy(update={"num_threads": 1})

        def forward(batch: np.ndarray) -> np.ndarray:
            flat = batch.reshape(-1, batch.shape[-1])
            prob = np.clip(single.predict_proba(flat), 1e-7, 1.0)
            return np.log(prob).reshape(*batch.shape[:2], -1)
        return run_chunked(n_frames, get_features, forward, context=0, chunk_frames=chunk_frames or GBDT_CHUNK_FRAMES,
                           batch_chunks=1, workers=threads or model.config.num_threads or os.cpu_count() or 1,
                           progress=progress)

    def predict_proba(
        self,
        recording_or_poses: "Recording | xr.Dataset",
        *,
        device: str = "auto",
        chunk_frames: int | None = None,
        progress: Progress | None = None,
        keypoint_map: Mapping[str, str] | None = None,
        threads: int | None = None,
    ) -> np.ndarray:
        """Calibrated class probabilities ``(T, C)`` float32 for every frame of a recording.

        A recording at another frame rate than the model's (`fps`) is resampled to the
        model's rate and the probabilities brought back to its own frames (`rate_note` says
        so). Runs over the whole recording in chunks of ``chunk_frames`` with ``window // 2``
        frames of context on each side (cropped), computing each chunk's features from a
        pose slice with margin, so memory stays flat for long recordings.

        Parameters
        ----------
        recording_or_poses
            A `Recording` or a pose dataset with singular dims.
        device
            ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"``.
        chunk_frames
            Frames per chunk (None: `GBDT_CHUNK_FRAMES` for gbdt, else `DEFAULT_CHUNK_FRAMES`).
        progress
            ``progress(done_frames, total_frames, {})``; returning False raises `Cancelled`.
        keypoint_map
            ``{name in the recording: name in the model}`` for another keypoint layout.
        threads
            Chunks computed at once on CPU (None: ``torch.get_num_threads()`` for torch
            families, the gbdt config's ``num_threads`` or every core for gbdt).

        Raises
        ------
        InputError
            When the recording lacks keypoints or individuals the model needs (all listed).
        """
        logits = self.predict_logits(recording_or_poses, device=device, chunk_frames=chunk_frames,
                                     progress=progress, keypoint_map=keypoint_map, threads=threads)
        return softmax(logits / self.temperature)
