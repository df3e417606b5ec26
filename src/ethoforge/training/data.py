"""Training data: per-recording normalised features and per-frame targets, windows by index.

Splits: `ethoforge.training.split`.

Targets are int64 class indices per frame: ``0`` = background ``"none"``, ``i`` =
``behaviors[i - 1]``, ``-1`` = not annotated (ignored by losses and metrics). Windows are
never materialised for a whole recording: samplers draw centre frames and `gather_windows`
picks ``window`` rows around each centre from a zero-padded copy of the features.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import numpy as np

from ethoforge.bundles.normalise import Normalisation, NormalisationKind, fit_normalisation
from ethoforge.errors import InputError
from ethoforge.labels import Bout

if TYPE_CHECKING:
    import xarray as xr

    from ethoforge.recording import Recording

IGNORE = -1
BACKGROUND = "none"


@dataclass
class RecordingData:
    """One recording ready for training.

    Attributes
    ----------
    name
        Recording name.
    features
        ``(T, F)`` float32, normalised with the dataset's `Normalisation`, finite.
    targets
        ``(T,)`` int64 class indices, ``-1`` where not annotated.
    poses
        The pose dataset, kept for augmentations that recompute features (optional).
    """

    name: str
    features: np.ndarray
    targets: np.ndarray
    poses: "xr.Dataset | None" = None

    def __post_init__(self) -> None:
        if self.features.ndim != 2 or self.targets.shape != (self.features.shape[0],):
            raise InputError(
                f"features {self.features.shape} and targets {self.targets.shape} do not fit: "
                "expected (T, F) and (T,)", location=f"recording {self.name!r}",
            )

    @property
    def n_frames(self) -> int:
        return int(self.features.shape[0])


@dataclass
class TrainingData:
    """All recordings of a training run plus what a model bundle must remember about them.

    ``featurize(poses) -> (T, F) float32`` (normalised) recomputes features from poses; it is
    needed for augmentations and for streaming inference.
    """

    behaviors: list[str]
    recordings: list[RecordingData]
    feature_names: list[str]
    normalisation: Normalisation
    spec: Any = None
    individuals: list[str] = field(default_factory=list)
    keypoints: list[str] = field(default_factory=list)
    fps: float = 30.0
    featurize: Callable[["xr.Dataset"], np.ndarray] | None = None
    notes: list[str] = field(default_factory=list)  # e.g. recordings resampled to the model's frame rate

    @property
    def classes(self) -> list[str]:
        return [BACKGROUND, *self.behaviors]

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    def by_name(self, names: Sequence[str]) -> list[RecordingData]:
        index = {r.name: r for r in self.recordings}
        return [index[n] for n in names]

    def class_counts(self, names: Sequence[str] | None = None) -> np.ndarray:
        """Annotated frames per class over the named recordings (all when None)."""
        records = self.recordings if names is None else self.by_name(names)
        counts = np.zeros(len(self.classes), dtype=np.int64)
        for record in records:
            valid = record.targets[record.targets >= 0]
            counts += np.bincount(valid, minlength=len(self.classes))[: len(self.classes)]
        return counts


def frame_targets(
    bouts: Sequence[Bout],
    behaviors: Sequence[str],
    n_frames: int,
    scope: Sequence[tuple[int, int]] | None = None,
) -> np.ndarray:
    """Per-frame class indices ``(n_frames,)`` int64 from bouts.

    Frames inside a bout of ``behaviors[i]`` get ``i + 1``; other frames inside the annotated
    ``scope`` (list of ``[start, stop)``; None = the whole recording) get 0; frames outside
    the scope get -1. Where bouts of two behaviors overlap, the one listed first wins.
    Bouts of behaviors not in ``behaviors`` are ignored.
    """
    targets = np.zeros(n_frames, dtype=np.int64)
    if scope is not None:
        targets[:] = IGNORE
        for start, stop in scope:
            targets[max(0, start) : min(n_frames, stop)] = 0
    index = {name: i + 1 for i, name in enumerate(behaviors)}
    for bout in sorted(bouts, key=lambda b: -index.get(b.behavior, 0)):  # first-listed written last
        cls = index.get(bout.behavior)
        if cls is not None:
            targets[max(0, bout.start) : min(n_frames, bout.stop)] = cls
    return targets


def pad_features(features: np.ndarray, half: int) -> np.ndarray:
    """``features`` with ``half`` zero rows before and after (zero = the feature mean)."""
    return np.pad(features, ((half, half), (0, 0)))


def gather_windows(padded: np.ndarray, centres: np.ndarray, window: int) -> np.ndarray:
    """Windows ``(B, window, F)`` centred on ``centres`` from features padded by ``window // 2``."""
    index = np.asarray(centres)[:, None] + np.arange(window)[None, :]
    return padded[index]


def build_training_data(
    recordings: Sequence["Recording"],
    targets: Mapping[str, np.ndarray],
    behaviors: Sequence[str],
    spec: Any,
    *,
    normalise_on: Sequence[str] | None = None,
    keep_poses: bool = False,
    normalisation: NormalisationKind | Normalisation = "robust",
    blocks: Mapping[str, Sequence] | None = None,
    on_features: Callable[[int, int, str], bool | None] | None = None,
) -> TrainingData:
    """Compute the features of every recording and pair them with their targets.

    Parameters
    ----------
    recordings
        Recordings (same individuals and keypoints, mapped by name by the feature spec).
    targets
        Per-frame class indices per recording name (`frame_targets`); a recording missing
        here is not annotated (targets all -1).
    behaviors
        Behavior names; class ``i`` is ``behaviors[i - 1]``.
    spec
        A `ethoforge.features.FeatureSpec`.
    normalise_on
        Names of the recordings the normalisation is fitted on (default: all).
    keep_poses
        Keep the poses in each `RecordingData` (for augmentations).
    normalisation
        ``"robust"``, ``"zscore"`` or ``"none"`` (see `ethoforge.bundles.normalise`).
    blocks
        ``{block name: (recording, start, stop)}`` of a split by time blocks: each block
        becomes one `RecordingData` (features computed on the whole recording, then cut);
        ``normalise_on`` then names blocks.
    on_features
        ``on_features(done, total, recording name)`` after each recording's features;
        returning False stops with `ethoforge.errors.Cancelled`.
    """
    from ethoforge.errors import Cancelled

    features = {}
    names: list[str] = []
    for done, recording in enumerate(recordings, 1):
        matrix = _compute(recording.poses, spec)
        features[recording.name] = matrix.values
        names = list(matrix.names)
        if on_features is not None and on_features(done, len(recordings), recording.name) is False:
            raise Cancelled(f"stopped after computing the features of {done} of {len(recordings)} recordings")
    by_name = {r.name: r for r in recordings}
    parts = ({name: (str(rec), int(a), int(b)) for name, (rec, a, b) in blocks.items()} if blocks
             else {r.name: (r.name, 0, r.n_frames) for r in recordings})
    fit = list(normalise_on) if normalise_on is not None else list(parts)
    if isinstance(normalisation, Normalisation):  # fixed (a pretrained embedder's inputs)
        norm = normalisation
    else:
        norm = fit_normalisation([features[parts[n][0]][parts[n][1] : parts[n][2]] for n in fit], normalisation)
    records = []
    for name, (source, start, stop) in parts.items():
        recording = by_name[source]
        target = targets.get(source)
        if target is None:
            target = np.full(recording.n_frames, IGNORE, dtype=np.int64)
        poses = None
        if keep_poses:
            poses = recording.poses if (start, stop) == (0, recording.n_frames) else \
                recording.poses.isel(time=slice(start, stop))
        records.append(RecordingData(
            name, norm.apply(features[source][start:stop]), np.asarray(target, dtype=np.int64)[start:stop], poses,
        ))
    first = recordings[0]

    def featurize(poses: "xr.Dataset") -> np.ndarray:
        return norm.apply(_compute(poses, spec).values)

    return TrainingData(
        behaviors=list(behaviors), recordings=records, feature_names=names, normalisation=norm, spec=spec,
        individuals=list(getattr(spec, "individuals", first.individuals)),
        keypoints=list(getattr(spec, "keypoints", first.keypoints)), fps=float(first.fps), featurize=featurize,
    )


def _compute(poses: "xr.Dataset", spec: Any):
    from ethoforge.features import compute_features

    if hasattr(spec, "compute"):  # a feature source beyond poses (ethoforge.ssl.features.PoseAndEmbedding)
        return spec.compute(poses)
    return compute_features(poses, spec)
