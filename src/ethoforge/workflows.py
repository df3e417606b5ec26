"""Project-level workflows the CLI calls: train, evaluate, infer over many recordings, demo.

Each function joins the project store (`ethoforge.store`), the model registry and the
pipeline (`ethoforge.pipeline`) so that a command line stays one call. Options arrive as
plain values and are checked (`ConfigError`) before any recording is loaded.

Human labels are the bouts whose ``source`` is ``manual`` or ``confirmed``; predicted bouts
never train or score a model.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ethoforge.errors import (
    Cancelled,
    ConfigError,
    EthoForgeError,
    InputError,
    NotFoundError,
    label,
    option,
)
from ethoforge.labels import HUMAN_SOURCES, Bout, parse_behaviors

if TYPE_CHECKING:
    from ethoforge.recording import Recording
    from ethoforge.store import Project
    from ethoforge.store.registry import ModelInfo
    from ethoforge.training.config import TrainConfig
    from ethoforge.training.loop import TrainResult

TRAINING_DIR = "training"  # PROJECT/training/<run>/: a bundle while it trains (then moved to models/)
BUNDLE_DIR = "bundle"  # <run>/bundle: the bundle of a run; its checkpoints in <run>/.bundle.partial/
INFERENCE_DIR = "inference"  # PROJECT/inference/model_<id>/: default output folder of `infer_many`
EpochProgress = Callable[[int, int, dict], "bool | None"]
ItemProgress = Callable[[int, int, str], "bool | None"]
"""``progress(done, total, item)`` after each item; returning False stops the work (`Cancelled`)."""


# --------------------------------------------------------------------------- option parsing


def parse_per_behavior(text: str | None, option: str, cast: Callable[[str], Any] = float) -> Any:
    """``"5"`` → ``5`` (every behavior); ``"a=5,b=3"`` → ``{"a": 5, "b": 3}``; None stays None.

    ``cast`` converts each value (``float`` or ``int``); ``option`` names the flag in errors.

    Raises
    ------
    ConfigError
        On a value ``cast`` rejects or a pair without ``=``.
    """
    if text is None:
        return None
    text = text.strip()
    try:
        if "=" not in text:
            return cast(text)
        mapping = {}
        for pair in (p.strip() for p in text.split(",") if p.strip()):
            name, sep, value = pair.partition("=")
            if not sep or not name.strip():
                raise ValueError(pair)
            mapping[name.strip()] = cast(value.strip())
        return mapping
    except ValueError:
        kind = "an integer" if cast is int else "a number"
        raise ConfigError(
            f"{option} expects {kind} or name=value pairs separated by commas (e.g. 'attack=2,none=1'), got {text!r}"
        ) from None


def _check_names(mapping: Any, known: Sequence[str], option: str) -> None:
    if isinstance(mapping, Mapping):
        unknown = [name for name in mapping if name not in known]
        if unknown:
            raise ConfigError(f"{option} names unknown behavior(s) {unknown}; expected some of {list(known)}")


# --------------------------------------------------------------------------- training


@dataclass(frozen=True)
class TrainingSet:
    """Recordings of a project with their human bouts, ready for `train_from_recordings`."""

    recordings: list[Recording]
    bouts: dict[str, list[Bout]]
    behaviors: list[str]
    scopes: dict[str, list[tuple[int, int]]] | None
    dataset: str | None = None


def _resolve_training_refs(
    project: Project, recordings: Sequence[str] | None, behaviors: str | Sequence[str] | None, dataset: str | None
) -> tuple[list[str], list[str], str | None]:
    dataset_name = None
    if dataset is not None:
        info = project.get_dataset(dataset)
        dataset_name = info.name
        recordings = list(recordings) if recordings else list(info.recordings)
        behaviors = behaviors if behaviors else list(info.behaviors)
        outside = [r for r in recordings if project.get_recording(r).name not in info.recordings]
        if outside:
            raise ConfigError(f"recording(s) {outside} are not in dataset {info.name!r}; its recordings are "
                              f"{info.recordings}")
    if not recordings:
        raise ConfigError(f"no recordings to train on; pass {option('recordings', ['NAME', '...'])} or "
                          f"{option('dataset', 'NAME')}")
    if not behaviors:
        raise ConfigError('no behaviors; pass --behaviors "a;b" or --dataset NAME')
    names = [project.get_recording(r).name for r in recordings]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"recording(s) {duplicates} are listed more than once")
    return names, parse_behaviors(behaviors), dataset_name


def load_training_set(
    project: Project,
    recordings: Sequence[str] | None = None,
    behaviors: str | Sequence[str] | None = None,
    *,
    dataset: str | None = None,
    progress: ItemProgress | None = None,
) -> TrainingSet:
    """The recordings, human bouts and annotated scopes to train or score on.

    Parameters
    ----------
    recordings
        Recording names or ids (default: the dataset's).
    behaviors
        ``"a;b"`` or a list (default: the dataset's).
    dataset
        A dataset name or id whose recordings and behaviors are the defaults.
    progress
        ``progress(done, total, name)`` after each recording's poses are read; False stops.

    Raises
    ------
    Cancelled
        ``progress`` returned False.
    ConfigError
        No recordings or behaviors, a recording outside the dataset, or a recording without
        any labels (neither bouts nor an annotated scope).
    NotFoundError
        Unknown recording or dataset.
    """
    names, behavior_list, dataset_name = _resolve_training_refs(project, recordings, behaviors, dataset)
    return _load_labelled(project, names, behavior_list, dataset_name, progress, every_behavior=True)


def _load_labelled(project: Project, names: Sequence[str], behaviors: list[str],
                   dataset: str | None = None, progress: ItemProgress | None = None, *,
                   every_behavior: bool = False) -> TrainingSet:
    """``every_behavior`` (training): each behavior needs a labelled bout in some recording."""
    bouts = {name: project.get_bouts(name, behaviors, sources=HUMAN_SOURCES) for name in names}
    scopes = {name: [(start, stop) for behavior, start, stop in project.annotated_scopes(name)
                     if behavior is None or behavior in behaviors] for name in names}
    unlabelled = [name for name in names if not bouts[name] and not scopes[name]]
    if unlabelled:
        raise ConfigError(f"recording(s) {unlabelled} have no labels of {behaviors} ({_labelled_behaviors(project, unlabelled)}); "
                          "import labels for them (`ethoforge import labels`) or leave them out")
    missing = [b for b in behaviors if not any(bout.behavior == b for found in bouts.values() for bout in found)]
    if every_behavior and missing:
        where = f"dataset {dataset!r}" if dataset else f"recordings {list(names)}"
        raise ConfigError(
            f"behavior(s) {missing} of {where} have no labelled bouts ({_labelled_behaviors(project, names)}); "
            "import labels of them, or train on the behaviors that are labelled "
            f"({option('behaviors')} or a dataset of them)"
        )
    # recordings without a scope (bouts only) count as annotated everywhere (`frame_targets`)
    used = {name: ranges for name, ranges in scopes.items() if ranges} or None
    loaded = []
    for done, name in enumerate(names, start=1):
        loaded.append(project.load_recording(name))
        _report(progress, done, len(names), name)
    return TrainingSet(loaded, bouts, behaviors, used, dataset)


def _labelled_behaviors(project: Project, names: Sequence[str]) -> str:
    """``"their labelled behaviors: a (12 bouts), b (3 bouts)"``, or that they have none."""
    counts: dict[str, int] = {}
    for name in names:
        for behavior, sources in project.label_counts(name).items():
            bouts = sum(sources.get(source, {}).get("bouts", 0) for source in HUMAN_SOURCES)
            if bouts:
                counts[behavior] = counts.get(behavior, 0) + bouts
    if not counts:
        return "they have no labelled bouts of any behavior"
    listed = ", ".join(f"{behavior} ({n} bouts)" for behavior, n in sorted(counts.items()))
    return f"their labelled behaviors: {listed}"


def _report(progress: ItemProgress | None, done: int, total: int, item: str) -> None:
    if progress is not None and progress(done, total, item) is False:
        raise Cancelled(f"stopped after {done} of {total} ({item})")


def build_train_config(options: Mapping[str, Any], behaviors: Sequence[str] | None = None) -> TrainConfig:
    """A validated `TrainConfig` from options, with friendlier checks of the CLI-level ones.

    ``options`` are `TrainConfig` fields; ``class_weights`` may also be a ``"a=2,b=1"`` string
    and ``model`` a JSON object as text.
    ``behaviors`` (when known) lets class-weight names be checked before any work.

    Raises
    ------
    ConfigError
        Unknown model family, bad class weights, any invalid `TrainConfig` value, or a bad
        option of the family (``model``; `ethoforge.models.config.check_window`).
    """
    from ethoforge.models.config import check_window
    from ethoforge.training.config import FAMILIES, make_config

    options = dict(options)
    family = options.get("family")
    if family is not None and family not in FAMILIES:
        raise ConfigError(f"unknown model {family!r}; expected one of {list(FAMILIES)}")
    if isinstance(options.get("model"), str):
        import json

        try:
            options["model"] = json.loads(options["model"])
        except ValueError as error:
            raise ConfigError(f"{label('model')} must be a JSON object, got {options['model']!r} ({error})") from None
        if not isinstance(options["model"], dict):
            raise ConfigError(f"{label('model')} must be a JSON object, got {options['model']!r}")
    weights = options.get("class_weights")
    if isinstance(weights, str):
        weights = parse_per_behavior(weights, label("class_weights"), float)
        if not isinstance(weights, Mapping):
            raise ConfigError(f"{label('class_weights')} expects name=weight pairs (e.g. 'attack=2,none=1'), got "
                              f"{weights!r}")
        options["class_weights"] = dict(weights)
    config = make_config(options)
    check_window(config.family, config.model, config.window)  # the family's own options, before any work
    if config.class_weights and behaviors is not None:
        _check_names(config.class_weights, ["none", *behaviors], label("class_weights"))
    return config


@dataclass
class TrainedModel:
    """A model trained in a project and registered: its registry entry and the training result."""

    model: ModelInfo
    bundle: Path
    result: TrainResult
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready summary: ``model_id``, ``model_name``, ``bundle``, ``metrics`` (``val``, maybe ``test``)..."""
        from ethoforge.evaluation.report import to_plain

        metrics = self.result.metrics
        return to_plain({
            "model_id": self.model.id,
            "model_name": self.model.name,
            "dataset": self.model.dataset,
            "family": self.model.family,
            "bundle": str(self.bundle),
            "macro_f1": metrics.get("val", {}).get("macro_f1"),
            "metrics": metrics,
            "split": self.result.split,
            "best_trial": self.result.best_trial,
            "best_epoch": self.result.best_epoch,
            "temperature": self.result.temperature,
            "epochs_run": len(self.result.history),
            "warnings": list(self.warnings),
        })


def train_in_project(
    project: Project,
    options: Mapping[str, Any],
    *,
    recordings: Sequence[str] | None = None,
    behaviors: str | Sequence[str] | None = None,
    dataset: str | None = None,
    progress: EpochProgress | None = None,
    name: str | None = None,
    activate: bool = False,
    run_dir: Path | None = None,
    loading: ItemProgress | None = None,
    should_stop: Callable[[], bool] | None = None,
    warn: Callable[[str], None] | None = None,
    features: ItemProgress | None = None,
) -> TrainedModel:
    """Train on project recordings and register the model: the one training workflow of the
    CLI, the job worker and the Python API.

    The config and the choice of recordings are checked first (once); the bundle is written
    to ``<run_dir>/bundle`` and moved into the registry (``PROJECT/models/<id>/``) when
    training succeeds. A failed or interrupted run keeps its checkpoints in
    ``<run_dir>/.bundle.partial/`` (pass ``resume`` to continue).

    Parameters
    ----------
    options
        `TrainConfig` options (see `build_train_config`).
    recordings, behaviors, dataset
        What to train on (see `load_training_set`).
    progress
        ``progress(step, total, metrics)`` per epoch; returning False cancels.
    name
        The model's registry name (default ``<dataset>-<family>-<id>``).
    activate
        Make it the active model of its dataset.
    run_dir
        The run's work folder (default a new ``PROJECT/training/<run>/``, removed at the end
        unless it holds checkpoints).
    loading
        ``loading(done, total, name)`` after each recording is read; False stops.
    should_stop
        Asked once training is done; True stops before the model is registered.
    warn
        Called, before training, with each warning (an option the model family ignores, a
        recording resampled to the model's frame rate); also in the result's ``warnings``.
    features
        ``features(done, total, name)`` after each recording's features are computed; False stops.

    Raises
    ------
    Cancelled
        ``loading`` or ``features`` returned False, or ``should_stop`` True (nothing registered).
    """
    from ethoforge.pipeline import resampling_notes, train_from_recordings
    from ethoforge.store import registry

    if recordings:  # recordings named for validation or test train too: no need to list them twice
        held_out = [*((options.get("split") or {}).get("val") or []), *((options.get("split") or {}).get("test") or [])]
        recordings = [*recordings, *(r for r in held_out if r not in recordings)]
    names, behavior_list, dataset_name = _resolve_training_refs(project, recordings, behaviors, dataset)
    config = build_train_config(options, behavior_list)
    warnings = family_warnings(config.family, options)
    for message in warnings:
        if warn is not None:
            warn(message)
    training = _load_labelled(project, names, behavior_list, dataset_name, loading, every_behavior=True)
    for message in resampling_notes(training.recordings, config):
        warnings.append(message)
        if warn is not None:
            warn(message)
    own_dir = run_dir is None
    if run_dir is None:
        run_dir = project.root / TRAINING_DIR / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        result = train_from_recordings(training.recordings, training.bouts, training.behaviors, config,
                                       run_dir / BUNDLE_DIR, progress, scopes=training.scopes,
                                       on_features=features)
        if should_stop is not None and should_stop():
            raise Cancelled("stopped after training, before the model was registered")
        plain = result.config.model_dump(mode="json")
        plain.pop("resume", None)
        info = registry.register_model(project, training.dataset, result.bundle_dir, result.config.family,
                                       metrics=registry_metrics(result), config=plain, name=name)
        if activate and info.dataset_id is not None:
            info = registry.activate_model(project, info.id)
    finally:
        if own_dir:
            _remove_if_empty(run_dir)
    return TrainedModel(info, project.root / info.path, result, warnings)


def family_warnings(family: str, options: Mapping[str, Any]) -> list[str]:
    """One warning per option in ``options`` that ``family`` ignores (e.g. ``lr`` for gbdt)."""
    from ethoforge.errors import option, speak
    from ethoforge.training.config import ignored_options

    return [speak(f"{option(name)} does nothing for the {family} family (LightGBM on window features: set its "
                  f"options with {option('model')}, or choose another family); it was ignored")
            for name in ignored_options(family, [k for k, v in options.items() if v is not None])]


def registry_metrics(result: TrainResult) -> dict[str, Any]:
    """The metrics a model is registered with: ``val``/``test`` scores, ``split`` (its ``kind``
    and the names on each side), ``best_trial``, ``best_epoch``, ``temperature``."""
    return _plain({**result.metrics, "split": result.split,
                   "best_trial": result.best_trial, "best_epoch": result.best_epoch,
                   "temperature": result.temperature})


def _plain(value: Any) -> Any:
    from ethoforge.evaluation.report import to_plain

    return to_plain(value)


def _remove_if_empty(run_dir: Path) -> None:
    """Drop a training run folder unless it holds checkpoints (kept for ``resume``)."""
    if not run_dir.exists():
        return
    if not any(p.suffix == ".pt" for p in run_dir.rglob("*")):
        shutil.rmtree(run_dir, ignore_errors=True)


# --------------------------------------------------------------------------- models

AVERAGES = {
    "macro_f1": "mean F1 over the behaviors, background 'none' excluded",
    "macro_f1_with_background": "mean F1 over every class, background 'none' included",
    "weighted_f1": "F1 of every class, background included, weighted by its annotated frames",
}
"""What each averaged F1 of `ethoforge.evaluation.frame_metrics` covers (shown by ``evaluate``)."""


def resolve_model(project: Project | None, model: str | int | Path) -> tuple[Path, ModelInfo | None]:
    """A model's bundle folder: ``model`` is a bundle path, or a registry id or name.

    Raises
    ------
    NotFoundError
        Neither a bundle folder nor (with a project) a registered model.
    """
    path = Path(str(model)).expanduser()
    if (path / "bundle.json").is_file():
        return path.resolve(), None
    if project is None:
        raise NotFoundError(f"{model!r} is not a model bundle folder, and there is no project to look it up in "
                            "(pass --project DIR, or a bundle path)")
    from ethoforge.store import registry

    info = registry.get_model(project, model if isinstance(model, int) else str(model))
    return project.root / info.path, info


def seen_in_training(split: Mapping[str, Any] | None, names: Sequence[str]) -> list[str]:
    """Warnings for the ``names`` the model was trained or validated on (its scores there flatter it).

    ``split`` is the bundle's ``{"kind", "train": [...], "val": [...], "test": [...]}``
    (time blocks map to their recordings); one message per recording found in ``train`` or ``val``.
    """
    sides = {"train": "trained", "val": "validated (early stopping, calibration)"}
    blocks: Mapping[str, Sequence[Any]] = (split or {}).get("blocks") or {}
    recorded = {side: [blocks[n][0] if n in blocks else n for n in (split or {}).get(side, [])] for side in sides}
    warnings = []
    for name in dict.fromkeys(names):
        used = [sides[side] for side in sides if name in recorded[side]]
        if used:
            warnings.append(f"the model was {' and '.join(used)} on {name}; its scores there are optimistic, "
                            "not a measure of how it does on new recordings")
    return warnings


def evaluate_in_project(
    project: Project,
    model: str | int,
    recordings: Sequence[str] | None = None,
    *,
    device: str = "auto",
) -> dict:
    """Score a model (registry id/name or bundle path) on labelled project recordings.

    ``recordings`` default to the model's test split. The returned dict is
    `ethoforge.pipeline.evaluate_bundle`'s (``macro_f1``, ``per_class`` with precision,
    recall, f1 and support, ``per_recording``, ``n_frames``) plus ``model``, ``bundle``,
    ``recordings``, ``averages`` (what each average covers) and ``warnings`` (recordings the
    model was trained or validated on; see `seen_in_training`).

    Raises
    ------
    ConfigError
        No recordings given and none held out, or recordings without labels.
    """
    from ethoforge.inference.bundle import load_bundle
    from ethoforge.pipeline import evaluate_bundle

    bundle_path, info = resolve_model(project, model)
    bundle = load_bundle(bundle_path)
    if not recordings:
        recordings = list((bundle.meta.get("split") or {}).get("test") or [])
        if not recordings:
            raise ConfigError(f"the model has no held-out test recordings; pass {option('recordings', ['NAME', '...'])}")
    names = [project.get_recording(r).name for r in recordings]
    training = _load_labelled(project, names, bundle.behaviors)
    scores = evaluate_bundle(bundle_path, training.recordings, training.bouts, scopes=training.scopes, device=device)
    return _plain({"model": info.name if info else str(bundle_path), "model_id": info.id if info else None,
                   "bundle": str(bundle_path), "recordings": names, **scores, "averages": AVERAGES,
                   "warnings": seen_in_training(bundle.meta.get("split"), names)})


# --------------------------------------------------------------------------- inference


@dataclass
class InferenceRun:
    """What `infer_many` wrote: ``outputs[recording][kind] = path``; ``failed[source] = message``."""

    out_dir: Path
    outputs: dict[str, dict[str, Path]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    bouts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    """E.g. recordings the model was trained or validated on (`seen_in_training`)."""
    predicted: dict[str, list[Bout]] = field(default_factory=dict, repr=False)
    """The bouts written for each recording (not in `to_dict`)."""
    behaviors: list[str] = field(default_factory=list)
    """The model's behaviors (not in `to_dict`)."""

    def to_dict(self) -> dict:
        """JSON-ready: ``out_dir``, ``outputs``, ``failed``, ``bouts`` (count per recording), ``warnings``."""
        return {"out_dir": str(self.out_dir),
                "outputs": {name: {kind: str(path) for kind, path in files.items()}
                            for name, files in self.outputs.items()},
                "failed": dict(self.failed), "bouts": dict(self.bouts), "warnings": list(self.warnings)}


def _load_source(source: str | Path | Recording, project: Project | None, fps: float | None) -> Recording:
    from ethoforge.recording import Recording

    if isinstance(source, Recording):
        return source
    if project is not None and not isinstance(source, Path):
        try:  # a recording's name first: never a file of that name in the current folder
            return project.load_recording(source)
        except NotFoundError:
            pass
    path = Path(source).expanduser()
    if project is not None:
        project.own_files.check(path, given_as="--recordings")
    if path.is_file():
        from ethoforge.io.poses import load_poses

        return load_poses(path, fps=fps)
    if project is None:
        raise InputError("no such file (and no project to look a recording name up in)", path)
    raise NotFoundError(f"{str(source)!r} is neither a file nor a recording of the project")


def infer_many(
    model: str | int | Path,
    sources: Sequence[str | Path | Recording],
    out_dir: str | Path | None = None,
    *,
    project: Project | None = None,
    thresholds: float | Mapping[str, float] | None = None,
    min_bout: int | Mapping[str, int] = 1,
    smoothing: int = 1,
    merge_gap: int | Mapping[str, int] = 0,
    device: str = "auto",
    fps: float | None = None,
    formats: Sequence[str] | None = None,
    keypoint_map: Mapping[str, str] | None = None,
    progress: ItemProgress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> InferenceRun:
    """Run a model over many recordings; a source that fails is recorded and skipped.

    Parameters
    ----------
    model
        A bundle folder, or a registry id/name (needs ``project``).
    sources
        Pose file paths, project recording names/ids, or `Recording` objects.
    out_dir
        Output folder (default ``PROJECT/inference/model_<id>`` or ``./inference``); each
        recording gets the files of `ethoforge.inference.export.write_inference_outputs`.
    thresholds
        Probability threshold for every behavior, or per behavior ``{name: p}``.
    min_bout, smoothing, merge_gap
        Post-processing in frames (see `ethoforge.inference.postprocess.probabilities_to_bouts`).
    device
        ``auto`` / ``cpu`` / ``cuda``.
    fps
        Frames per second of pose files that do not say (default: the file's, else 30).
    formats
        Output kinds (default all of ``EXPORT_FORMATS``).
    keypoint_map
        ``{old: new}`` keypoint names of the poses to the model's.
    progress
        ``progress(done, total, name)`` after each source; returning False stops.
    should_stop
        Asked between chunks of a recording's prediction; True stops.

    Raises
    ------
    Cancelled
        ``progress`` returned False or ``should_stop`` True (the outputs written so far stay).
    ConfigError
        Bad post-processing options, checked before any recording is read.
    """
    from ethoforge.inference.bundle import load_bundle
    from ethoforge.inference.export import EXPORT_FORMATS, write_inference_outputs
    from ethoforge.inference.postprocess import probabilities_to_bouts
    from ethoforge.recording import Recording
    from ethoforge.video.features import video_rate_note

    if not sources:
        raise ConfigError(f"no recordings to run the model on; pass {option('recordings', ['NAME|PATH', '...'])}")
    if device not in ("auto", "cpu", "cuda"):
        raise ConfigError(f"{label('device')} must be auto, cpu or cuda, got {device!r}")
    bundle_path, info = resolve_model(project, model)
    bundle = load_bundle(bundle_path)
    per_behavior: Mapping[str, float] | None = (
        {name: float(thresholds) for name in bundle.behaviors} if isinstance(thresholds, (int, float))
        else thresholds
    )
    for flag, value, low, high in ((label("thresholds"), per_behavior, 0.0, 1.0),
                                   (label("min_bout"), min_bout, 1, None), (label("merge_gap"), merge_gap, 0, None)):
        _check_names(value, bundle.behaviors, flag)
        values = value.values() if isinstance(value, Mapping) else [] if value is None else [value]
        bad = [v for v in values if v < low or (high is not None and v > high)]
        if bad:
            span = f"between {low} and {high}" if high is not None else f">= {low}"
            raise ConfigError(f"{flag} values must be {span}, got {bad}")
    if smoothing < 1:
        raise ConfigError(f"{label('smoothing')} must be >= 1 frame, got {smoothing}")
    formats = list(formats or EXPORT_FORMATS)
    if out_dir is None:
        out_dir = (project.root / INFERENCE_DIR / f"model_{info.id}") if (project and info) else Path(INFERENCE_DIR)
    run = InferenceRun(Path(out_dir), behaviors=list(bundle.behaviors))
    chunk_progress = None if should_stop is None else (lambda *_: not should_stop())
    for done, source in enumerate(sources, start=1):
        shown = source.name if isinstance(source, Recording) else str(source)
        try:
            recording = _load_source(source, project, fps)
            name = recording.name
            if name in run.outputs:  # two files with the same stem: keep both
                name = f"{name}_{done}"
            proba = bundle.predict_proba(recording, device=device, progress=chunk_progress, keypoint_map=keypoint_map)
            labels, bouts = probabilities_to_bouts(proba, bundle.classes, name, thresholds=per_behavior,
                                                   min_bout_frames=min_bout, smoothing_frames=smoothing,
                                                   merge_gap_frames=merge_gap)
            run.outputs[name] = write_inference_outputs(run.out_dir, name, proba, bundle.classes, recording.fps,
                                                        bouts, formats=formats, labels=labels)
            run.bouts[name] = len(bouts)
            run.predicted[name] = bouts
            run.warnings += seen_in_training(bundle.meta.get("split"), [recording.name])
            notes = [bundle.rate_note(recording), video_rate_note(recording) if bundle.spec.video_encoder else None]
            run.warnings += [note for note in notes if note]
        except Cancelled:
            raise
        except Exception as error:  # noqa: BLE001 - one bad file must not stop the others
            message = str(error) if isinstance(error, EthoForgeError) else f"{type(error).__name__}: {error}"
            run.failed[shown] = message
        _report(progress, done, len(sources), shown)
    return run


# --------------------------------------------------------------------------- demo


def demo(out_dir: str | Path, progress: EpochProgress | None = None, *,
         config: TrainConfig | dict | None = None) -> dict:
    """`ethoforge.pipeline.run_demo` into ``out_dir/model`` plus inference outputs on the held-out recording.

    Returns
    -------
    dict
        run_demo's dict (``f1_interact``, ``human_reference_f1``, ``bundle``...) plus
        ``report`` (the bundle's ``performance_report.yaml``), ``ethogram`` and ``outputs``
        (the held-out recording's inference files, in ``out_dir/inference``).
    """
    from ethoforge.datasets import load_sample
    from ethoforge.pipeline import run_demo

    out_dir = Path(out_dir).expanduser().resolve()
    samples = load_sample()
    result = run_demo(out_dir / "model", progress, config=config, samples=samples)
    held_out = [recording for recording, _ in samples if recording.name in set(result["test"])]
    run = infer_many(result["bundle"], held_out, out_dir / "inference")
    if run.failed:
        raise EthoForgeError(f"inference on the held-out recording failed: {run.failed}")
    outputs = run.to_dict()["outputs"]
    report = Path(result["bundle"]) / "performance_report.yaml"
    return _plain({
        **result,
        "report": str(report) if report.is_file() else None,
        "ethogram": next((files.get("ethogram") for files in outputs.values()), None),
        "outputs": outputs,
    })
