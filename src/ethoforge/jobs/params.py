"""Job parameters, checked before a job is queued (bad ones raise `ConfigError`).

- ``train``: the options of `ethoforge.training.TrainConfig` (``family``, ``epochs``...)
  plus ``recordings`` (a subset of the dataset's; default all), ``model_name`` and
  ``activate`` (make the new model the dataset's active one).
- ``infer`` / ``prelabel``: ``model_id`` (required), ``recordings`` (names or ids; default
  the dataset's, else every recording), ``device`` (``auto``/``cpu``/``cuda``), ``min_bout``
  (frames, default 1), ``smoothing`` (frames, default 1), ``merge_gap`` (frames, default 0),
  ``formats`` (of `ethoforge.inference.export.EXPORT_FORMATS`; default all).
- ``encode``: see `ethoforge.video.job`; ``pretrain``: see `ethoforge.ssl.job`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ethoforge.errors import ConfigError

if TYPE_CHECKING:
    from ethoforge.store import Project

TRAIN_EXTRAS: tuple[str, ...] = ("recordings", "model_name", "activate")
INFER_KEYS: tuple[str, ...] = ("model_id", "recordings", "device", "min_bout", "smoothing", "merge_gap", "formats")


def split_train_params(params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Train params as ``(TrainConfig options, extras)`` (`TRAIN_EXTRAS`), not validated."""
    options = {k: v for k, v in params.items() if k not in TRAIN_EXTRAS}
    extra = {k: v for k, v in params.items() if k in TRAIN_EXTRAS}
    return options, extra


def train_options(params: dict[str, Any], layout: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """`split_train_params`, the options validated before the job is queued (the model
    family's options in ``model``, and with ``layout``, a recording whose individuals,
    keypoints and fps the feature options must fit)."""
    from ethoforge.models.config import check_window
    from ethoforge.training.config import make_config

    options, extra = split_train_params(params)
    config = make_config(options)  # raises ConfigError naming the bad option
    check_window(config.family, config.model, config.window)  # also resolves the family's options
    if layout is not None:
        from ethoforge.pipeline import feature_spec_for_layout

        feature_spec_for_layout(layout.individuals, layout.keypoints, layout.fps, config)
    return options, extra


def check_params(project: Project, kind: str, params: Any, dataset_id: int | None) -> dict[str, Any]:
    """Validate ``params`` of a job of ``kind``; return them as a plain dict.

    Raises
    ------
    ConfigError
        Unknown kind, unknown or invalid option, missing dataset or model, recordings that
        are not in the project (or not in the dataset).
    """
    if not isinstance(params, dict):
        raise ConfigError(f"job params must be a JSON object, got {type(params).__name__}")
    params = dict(params)
    if kind == "train":
        return _check_train(project, params, dataset_id)
    if kind in ("infer", "prelabel"):
        return _check_infer(project, params)
    if kind == "encode":
        from ethoforge.video.job import check_encode_params

        return check_encode_params(project, params)
    if kind == "pretrain":
        from ethoforge.ssl.job import check_pretrain_params

        return check_pretrain_params(project, params, dataset_id)
    raise ConfigError(f"unknown job kind {kind!r}; expected one of 'train', 'infer', 'prelabel', 'encode', 'pretrain'")


def _check_train(project: Project, params: dict[str, Any], dataset_id: int | None) -> dict[str, Any]:
    if dataset_id is None:
        raise ConfigError("a training job needs a dataset")
    if params.get("resume"):
        raise ConfigError("'resume' is set by resume_job from the job's last checkpoint; do not pass it")
    train_options(params)
    dataset = project.get_dataset(dataset_id)
    if not dataset.recordings:
        raise ConfigError(f"dataset {dataset.name!r} has no recordings to train on")
    train_options(params, project.get_recording(dataset.recordings[0]))
    wanted = params.get("recordings")
    if wanted is not None:
        if not isinstance(wanted, list) or not wanted or not all(isinstance(n, str) for n in wanted):
            raise ConfigError("'recordings' must be a non-empty list of recording names")
        missing = [n for n in wanted if n not in dataset.recordings]
        if missing:
            raise ConfigError(f"recordings {missing} are not in dataset {dataset.name!r}")
    if "activate" in params and not isinstance(params["activate"], bool):
        raise ConfigError("'activate' must be true or false")
    if "model_name" in params and not (isinstance(params["model_name"], str) and 0 < len(params["model_name"]) <= 128):
        raise ConfigError("'model_name' must be a string of 1-128 characters")
    return params


def _check_infer(project: Project, params: dict[str, Any]) -> dict[str, Any]:
    from ethoforge.errors import NotFoundError
    from ethoforge.store import registry

    unknown = sorted(set(params) - set(INFER_KEYS))
    if unknown:
        raise ConfigError(f"unknown inference options {unknown}; expected some of {list(INFER_KEYS)}")
    model_id = params.get("model_id")
    if isinstance(model_id, bool) or not isinstance(model_id, int):
        raise ConfigError("inference needs 'model_id', the id of a registered model")
    try:
        registry.get_model(project, model_id)
    except NotFoundError as error:
        raise ConfigError(*error.args) from None
    recordings = params.get("recordings")
    if recordings is not None:
        if not isinstance(recordings, list) or not recordings:
            raise ConfigError("'recordings' must be a non-empty list of recording names or ids")
        for ref in recordings:
            try:
                project.get_recording(ref)
            except NotFoundError as error:
                raise ConfigError(*error.args) from None
    if params.get("device", "auto") not in ("auto", "cpu", "cuda"):
        raise ConfigError(f"device must be 'auto', 'cpu' or 'cuda', got {params['device']!r}")
    for key, least, default in (("min_bout", 1, 1), ("smoothing", 1, 1), ("merge_gap", 0, 0)):
        value = params.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ConfigError(f"{key} must be an integer >= {least} (frames), got {value!r}")
    formats = params.get("formats")
    if formats is not None:
        from ethoforge.inference.export import EXPORT_FORMATS

        if not isinstance(formats, list) or not formats or any(f not in EXPORT_FORMATS for f in formats):
            raise ConfigError(f"formats must be a non-empty list of {list(EXPORT_FORMATS)}, got {formats!r}")
    return params
