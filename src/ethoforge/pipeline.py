"""The high-level Python API the CLI, jobs and server call: train, evaluate, demo.

Each function takes in-memory `Recording`s and `Bout`s (the io package reads files) and
leaves a model bundle or returns plain dicts.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import numpy as np

from ethoforge.errors import ConfigError
from ethoforge.labels import Bout, parse_behaviors

if TYPE_CHECKING:
    from ethoforge.bundles.normalise import Normalisation, NormalisationKind
    from ethoforge.recording import Recording
    from ethoforge.training.config import TrainConfig
    from ethoforge.training.loop import TrainResult

Progress = Callable[[int, int, dict], "bool | None"]
ALL_SOCIAL_KEYPOINTS_UP_TO = 8
HUMAN_REFERENCE_F1 = 0.798  # second annotator vs the ethome5 labels, pooled frame F1 for 'interact'


def feature_spec_for(recording: "Recording", config: "TrainConfig") -> Any:
    """The default `FeatureSpec` for a recording's layout and fps, updated by ``config.features``.

    The ``gbdt`` family gets window statistics (`FeatureSpec.for_gbdt` sizes) unless
    ``config.features`` sets ``window_sizes``. With several animals and at most
    `ALL_SOCIAL_KEYPOINTS_UP_TO` keypoints, distances between every pair of keypoints of
    two animals are features (measured on ethome5: pooled F1 0.70 → 0.76 for gbdt).
    """
    return feature_spec_for_layout(recording.individuals, recording.keypoints, recording.fps, config)


def feature_spec_for_layout(individuals: Sequence[str], keypoints: Sequence[str], fps: float | None,
                            config: "TrainConfig") -> Any:
    """`feature_spec_for` from a layout alone (no poses needed): checks ``config.features``
    against the recordings' names before a job is queued.

    Raises
    ------
    ConfigError
        A feature option that does not fit the layout (e.g. a keypoint it does not have).
    """
    from ethoforge.features import FeatureSpec
    from ethoforge.features.spec import GBDT_WINDOW_SIZES
    from ethoforge.video.features import resolve_video_options

    options = resolve_video_options(config.features)
    if len(individuals) > 1 and len(keypoints) <= ALL_SOCIAL_KEYPOINTS_UP_TO:
        options.setdefault("social_keypoints", list(keypoints))
    if config.family == "gbdt":
        options.setdefault("window_sizes", list(GBDT_WINDOW_SIZES))
    return FeatureSpec(individuals=[str(i) for i in individuals], keypoints=[str(k) for k in keypoints], fps=fps,
                       **options)


def train_from_recordings(
    recordings: Sequence["Recording"],
    bouts_by_recording: Mapping[str, Sequence[Bout]],
    behaviors: Sequence[str] | str,
    config: "TrainConfig | dict | None",
    out_dir: str | Path,
    progress: Progress | None = None,
    *,
    scopes: Mapping[str, Sequence[tuple[int, int]]] | None = None,
    on_features: Callable[[int, int, str], bool | None] | None = None,
) -> "TrainResult":
    """Compute features, check the split, train and write a model bundle to ``out_dir``
    (``on_features(done, total, name)`` after each recording's features; False stops).

    The model's frame rate is the one most recordings share; the others are resampled to it
    (poses linearly, labels to the nearest frame) and the bundle's ``notes`` say so.

    Parameters
    ----------
    recordings
        Recordings with the same individuals and keypoints.
    bouts_by_recording
        Bouts per recording name; a recording listed here is annotated (everywhere, unless
        ``scopes`` says otherwise).
    behaviors
        Behavior names (``"a;b"`` or a list); class ``i`` is ``behaviors[i - 1]``.
    config
        A `TrainConfig` or a dict of its options.
    out_dir
        The model bundle folder.
    progress
        ``progress(step, total, metrics)`` per epoch; returning False cancels.
    scopes
        Annotated ``[start, stop)`` ranges per recording.

    Raises
    ------
    ConfigError
        Before any features are computed, on a bad config or split.
    """
    from ethoforge.training.config import make_config
    from ethoforge.training.data import build_training_data, frame_targets
    from ethoforge.training.loop import train
    from ethoforge.training.split import choose_split
    from ethoforge.video.features import with_video_features

    config = make_config(config)  # validated once: `train` takes it as it is
    behaviors = parse_behaviors(behaviors)
    if not recordings:
        raise ConfigError("no recordings to train on")
    targets = {
        r.name: frame_targets(bouts_by_recording.get(r.name, []), behaviors, r.n_frames, (scopes or {}).get(r.name))
        for r in recordings if r.name in bouts_by_recording or (scopes or {}).get(r.name) is not None
    }
    recordings = [with_video_features(r, feature_spec_for(r, config)) for r in recordings]
    notes = resampling_notes(recordings, config)
    recordings, targets = _at_one_rate(recordings, targets)  # video features resampled with the poses
    spec = feature_spec_for(recordings[0], config)
    assert config.normalisation is not None  # TrainConfig's validator resolves None to the family's default
    normalisation: NormalisationKind | Normalisation = config.normalisation
    if config.init_from:  # a pretrained encoder fixes the inputs: its feature spec and normalisation
        from ethoforge.ssl.finetune import embedder_of

        embedder = embedder_of(config)
        spec, normalisation = embedder.spec, embedder.normalisation
    if config.embedding:  # --features pose+embedding:MODEL
        from ethoforge.models.chunked import resolve_device
        from ethoforge.ssl.features import with_embedding

        spec = with_embedding(spec, config.embedding, resolve_device(config.device))
    gap = max(config.window, 2 * spec.context_frames + 1)  # no window or window statistic spans a boundary
    split = choose_split({r.name: r.n_frames for r in recordings}, targets, behaviors, config.split, gap)
    data = build_training_data(recordings, targets, behaviors, spec, normalise_on=split["train"],
                               keep_poses=bool(config.augment), normalisation=normalisation,
                               blocks=split.get("blocks"), on_features=on_features)
    data.notes = notes
    return train(config, data, out_dir, progress, split=split)


def resampling_notes(recordings: Sequence["Recording"], config: "TrainConfig") -> list[str]:
    """What training on ``recordings`` with ``config`` resamples, in words (for the report, the
    bundle and the warnings): video features onto their pose frames when the video is at
    another rate, then each recording not at the model's rate (the one most share) to it."""
    from ethoforge.features.resample import common_rate, rate_notes
    from ethoforge.video.features import resolve_video_options, video_rate_note

    notes = []
    if resolve_video_options(dict(config.features)).get("video_encoder"):
        notes = [note for note in map(video_rate_note, recordings) if note]
    rates = {r.name: float(r.fps) for r in recordings}
    return notes + rate_notes(rates, common_rate(list(rates.values())))


def _at_one_rate(recordings: Sequence["Recording"], targets: dict[str, np.ndarray]
                 ) -> tuple[list["Recording"], dict[str, np.ndarray]]:
    """Recordings (and their targets) resampled to the rate most of them share, the model's rate."""
    import dataclasses

    from ethoforge.features.resample import common_rate, resample_poses, resample_rows, same_rate

    fps = common_rate([float(r.fps) for r in recordings])
    if all(same_rate(r.fps, fps) for r in recordings):
        return list(recordings), targets
    out, targets = [], dict(targets)
    for recording in recordings:
        if same_rate(recording.fps, fps):
            out.append(recording)
            continue
        poses = resample_poses(recording.poses, recording.fps, fps)
        if recording.name in targets:
            targets[recording.name] = resample_rows(targets[recording.name], int(poses.sizes["time"]), recording.fps,
                                                    fps, nearest=True)
        out.append(dataclasses.replace(recording, poses=poses, fps=fps))
    return out, targets


def evaluate_bundle(
    bundle_path: str | Path,
    recordings: Sequence["Recording"],
    bouts_by_recording: Mapping[str, Sequence[Bout]],
    *,
    scopes: Mapping[str, Sequence[tuple[int, int]]] | None = None,
    device: str = "auto",
) -> dict:
    """Score a model bundle on labelled recordings (whole-recording chunked inference).

    Returns
    -------
    dict
        The pooled frame metrics (``macro_f1``, ``per_class`` ``{name: {precision, recall, f1,
        support}}``, ...) plus ``per_recording`` ``{name: macro_f1}`` and ``n_frames``.
    """
    from ethoforge.inference.bundle import load_bundle
    from ethoforge.training.data import frame_targets
    from ethoforge.training.loop import frame_scores

    bundle = load_bundle(bundle_path)
    y_true, y_pred, per_recording = [], [], {}
    for recording in recordings:
        target = frame_targets(bouts_by_recording.get(recording.name, []), bundle.behaviors, recording.n_frames,
                               (scopes or {}).get(recording.name))
        predicted = bundle.predict_proba(recording, device=device).argmax(axis=1)
        per_recording[recording.name] = frame_scores(target, predicted, bundle.classes)["macro_f1"]
        y_true.append(target)
        y_pred.append(predicted)
    scores = frame_scores(np.concatenate(y_true), np.concatenate(y_pred), bundle.classes)
    scores["per_recording"] = per_recording
    scores["n_frames"] = int(sum(len(t) for t in y_true))
    return scores


def run_demo(out_dir: str | Path, progress: Progress | None = None, *, config: "TrainConfig | dict | None" = None,
             samples: Sequence[tuple["Recording", list[Bout]]] | None = None) -> dict:
    """Train on four bundled ethome5 recordings, evaluate on the fifth, beside the human reference.

    The first three recordings train, the fourth validates (early stopping, calibration) and
    the fifth (``…T123521-124106``) is the test split: the bundle's ``performance_report.yaml``
    and confusion matrix are those of that held-out recording, and ``f1_interact`` is the
    report's number.

    Returns
    -------
    dict
        ``bundle``, ``train``/``val``/``test`` recording names, ``f1_interact`` on the held-out
        recording, ``human_reference_f1`` (0.798, pooled over the five), ``macro_f1``,
        ``train_seconds``.
    """
    from ethoforge.training.config import make_config

    if samples is None:
        from ethoforge.datasets import load_sample

        samples = load_sample()
    recordings = [r for r, _ in samples]
    bouts = {r.name: b for r, b in samples}
    names = [r.name for r in recordings]
    base = make_config(config).model_dump() if config is not None else {}
    base["split"] = {"train": names[:3], "val": [names[3]], "test": [names[4]]}
    config = make_config(base)
    tic = time.monotonic()
    result = train_from_recordings(recordings[:5], bouts, ["interact"], config, out_dir, progress)
    seconds = time.monotonic() - tic
    scores = result.metrics["test"]
    return {
        "bundle": str(result.bundle_dir),
        "train": names[:3], "val": [names[3]], "test": [names[4]],
        "f1_interact": scores["per_class"]["interact"]["f1"],
        "human_reference_f1": HUMAN_REFERENCE_F1,
        "macro_f1": scores["macro_f1"],
        "train_seconds": seconds,
        "family": config.family,
    }
