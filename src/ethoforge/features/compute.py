"""`compute_features`: poses → ``(T, F)`` float32 feature matrix, as a `FeatureSpec` says.

Steps: select individuals and keypoints by name → mask low confidence → interpolate short
gaps → body centre and heading (from the keypoints present) → feature groups → remaining NaN → 0 → window statistics.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ethoforge.errors import InputError
from ethoforge.features.cleaning import fill_nan, interpolate_gaps, mask_low_confidence
from ethoforge.features.egocentric import (
    body_centre,
    egocentric_positions,
    heading,
    rotate_into,
)
from ethoforge.features.motion import angular_rate, magnitude, time_derivative
from ethoforge.features.social import pair_features, partner_positions
from ethoforge.features.spec import FeatureMatrix, FeatureSpec
from ethoforge.features.windows import STATS, window_statistics

if TYPE_CHECKING:
    import xarray as xr


def select_layout(poses: xr.Dataset, spec: FeatureSpec) -> tuple[np.ndarray, np.ndarray | None]:
    """Position ``(T, I, K, 2)`` float32 and confidence ``(T, I, K)`` in the spec's name order.

    Raises
    ------
    InputError
        Listing the individuals or keypoints of the spec that ``poses`` lacks.
    """
    have_kp = [str(k) for k in poses["keypoint"].values]
    have_ind = [str(i) for i in poses["individual"].values]
    missing_kp = [k for k in spec.keypoints if k not in have_kp]
    missing_ind = [i for i in spec.individuals if i not in have_ind]
    if missing_kp or missing_ind:
        parts = []
        if missing_kp:
            parts.append(f"keypoint(s) {missing_kp} (the poses have {have_kp})")
        if missing_ind:
            parts.append(f"individual(s) {missing_ind} (the poses have {have_ind})")
        raise InputError(f"the feature spec needs {' and '.join(parts)}; rename them when loading the poses",
                         poses.attrs.get("source_file"))
    kp = np.array([have_kp.index(k) for k in spec.keypoints])
    ind = np.array([have_ind.index(i) for i in spec.individuals])
    position = np.asarray(poses["position"].transpose("time", "individual", "keypoint", "space").values)
    position = position[:, ind][:, :, kp].astype(np.float32, copy=False)
    confidence = None
    if "confidence" in poses:
        confidence = np.asarray(poses["confidence"].transpose("time", "individual", "keypoint").values)
        confidence = confidence[:, ind][:, :, kp]
    return position, confidence


def compute_features(poses: xr.Dataset, spec: FeatureSpec) -> FeatureMatrix:
    """Per-frame features of ``poses`` (singular dims), window statistics appended if asked.

    Parameters
    ----------
    poses
        movement dataset: ``position (time, space, keypoint, individual)``, optional
        ``confidence (time, keypoint, individual)``.
    spec
        What to compute; keypoints and individuals are matched by name.

    Returns
    -------
    FeatureMatrix
        ``values (T, F)`` float32 with no NaN, and the column names.
    """
    blocks: list[np.ndarray] = []
    names: list[str] = []
    if spec.pose:
        position, confidence = select_layout(poses, spec)
        fps = float(spec.fps or poses.attrs.get("fps") or 1.0)
        blocks, names = frame_features(position, confidence, spec, fps)
    if spec.video_encoder:
        blocks.append(video_block(poses, spec))
        names += [f"video.{spec.video_encoder}.{i}" for i in range(spec.video_dim)]
    n_frames = int(poses.sizes["time"])
    values = fill_nan(np.concatenate(blocks, axis=1) if blocks else np.zeros((n_frames, 0), np.float32))
    if spec.window_sizes:
        return compute_window_features(values, names, spec.window_sizes, spec.window_stats)
    return FeatureMatrix(values, names)


def video_block(poses: xr.Dataset, spec: FeatureSpec) -> np.ndarray:
    """The ``video_features (time, video_feature)`` variable of ``poses`` as ``(T, D)`` float32.

    Raises
    ------
    InputError
        The variable is missing, or comes from another encoder (weights hash) or size than
        the spec's.
    """
    source = poses.attrs.get("source_file")
    if "video_features" not in poses:
        raise InputError(f"no video features with the poses; encode the video with {spec.video_encoder!r} "
                         "(`ethoforge encode`) and load it through the project", source)
    variable = poses["video_features"]
    made_by = variable.attrs.get("encoder"), variable.attrs.get("encoder_hash")
    if made_by != (spec.video_encoder, spec.video_encoder_hash) or variable.shape[1] != spec.video_dim:
        raise InputError(
            f"the video features come from encoder {made_by[0]!r} (weights {str(made_by[1])[:12]}, "
            f"{variable.shape[1]} values) but the model needs {spec.video_encoder!r} (weights "
            f"{str(spec.video_encoder_hash)[:12]}, {spec.video_dim} values); encode with --encoder {spec.video_encoder}",
            source)
    return np.asarray(variable.values, dtype=np.float32)


def frame_features(
    position: np.ndarray, confidence: np.ndarray | None, spec: FeatureSpec, fps: float
) -> tuple[list[np.ndarray], list[str]]:
    """Feature blocks ``(T, n)`` and names from ``position (T, I, K, 2)`` in the spec's order."""
    n_frames, n_ind, n_kp, _ = position.shape
    kp_index = {k: i for i, k in enumerate(spec.keypoints)}
    groups = set(spec.groups)
    observed = ~(np.isnan(position[..., 0]) | np.isnan(position[..., 1]))
    if confidence is not None:
        observed &= ~(confidence < spec.confidence_threshold)
    clean = mask_low_confidence(position, confidence, spec.confidence_threshold)
    clean = interpolate_gaps(clean, spec.max_gap)
    centre = body_centre(clean, kp_index[spec.centre] if spec.centre is not None else None)
    back, front = (kp_index[k] for k in spec.axis)
    if n_kp > 1:
        unit = heading(clean, back, front, centre)
    else:
        unit = np.tile(np.array([1.0, 0.0], np.float32), (n_frames, n_ind, 1))

    blocks: list[np.ndarray] = []
    names: list[str] = []
    ind_kp = [f"{i}.{k}" for i in spec.individuals for k in spec.keypoints]

    def add(block: np.ndarray, block_names: list[str]) -> None:
        blocks.append(block.reshape(n_frames, -1))
        names.extend(block_names)

    if "position_egocentric" in groups:
        add(egocentric_positions(clean, centre, unit), [f"{n}.ego_{a}" for n in ind_kp for a in "xy"])
    need_velocity = groups & {"velocity", "speed", "acceleration"}
    if need_velocity:
        velocity = time_derivative(clean, fps)  # (T, I, K, 2) px/s, image frame
        if "velocity" in groups:
            centre_velocity = time_derivative(centre, fps)
            frame = "ego" if spec.velocity_frame == "egocentric" else "allo"
            if frame == "ego":
                shown, shown_centre = rotate_into(velocity, unit), rotate_into(centre_velocity, unit)
            else:
                shown, shown_centre = velocity, centre_velocity
            add(shown, [f"{n}.vel_{frame}_{a}" for n in ind_kp for a in "xy"])
            add(shown_centre, [f"{i}.centre.vel_{frame}_{a}" for i in spec.individuals for a in "xy"])
        if "speed" in groups:
            add(magnitude(velocity), [f"{n}.speed" for n in ind_kp])
            add(magnitude(time_derivative(centre, fps)), [f"{i}.centre.speed" for i in spec.individuals])
        if "acceleration" in groups:
            add(magnitude(time_derivative(velocity, fps)), [f"{n}.acc" for n in ind_kp])
    if "body" in groups:
        length = magnitude(clean[:, :, front] - clean[:, :, back])
        add(length, [f"{i}.body_length" for i in spec.individuals])
        add(angular_rate(unit, fps), [f"{i}.turn_rate" for i in spec.individuals])
    if "social" in groups and n_ind > 1:
        social_blocks, social_names = pair_features(
            clean, centre, unit, spec.individuals, spec.keypoints,
            [kp_index[k] for k in spec.social], fps,
        )
        for block, count in zip(social_blocks, _block_sizes(social_blocks)):
            blocks.append(block.astype(np.float32, copy=False).reshape(n_frames, count))
        names += social_names
    if "partner_egocentric" in groups and n_ind > 1:
        block, block_names = partner_positions(clean, centre, unit, spec.individuals, spec.keypoints)
        add(block, block_names)
    if "visibility" in groups:
        visible = observed[:, :, 0].astype(np.float32)
        for k in range(1, n_kp):
            visible += observed[:, :, k]
        add(visible / np.float32(n_kp), [f"{i}.visible_fraction" for i in spec.individuals])
    blocks = [b.astype(np.float32, copy=False) for b in blocks]
    return blocks, names


def _block_sizes(blocks: Sequence[np.ndarray]) -> list[int]:
    return [int(np.prod(b.shape[1:])) for b in blocks]


def compute_window_features(
    values: np.ndarray,
    names: Sequence[str],
    sizes: Sequence[int],
    stats: Sequence[str] = STATS,
) -> FeatureMatrix:
    """The per-frame ``values (T, F)`` followed by their centred rolling statistics.

    Parameters
    ----------
    values, names
        Per-frame features (no NaN) and their names.
    sizes
        Odd window sizes in frames (e.g. 5, 11, 31).
    stats
        Any of ``"mean"``, ``"std"``, ``"min"``, ``"max"``.
    """
    values = np.asarray(values, dtype=np.float32)
    n, f = values.shape
    out = np.empty((n, f * (1 + len(sizes) * len(stats))), np.float32)
    out[:, :f] = values
    _, window_names = window_statistics(values, names, sizes, stats, out=out[:, f:])
    return FeatureMatrix(out, [*names, *window_names])
