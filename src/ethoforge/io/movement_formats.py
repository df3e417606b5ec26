"""Pose formats read and written through ``movement``: DeepLabCut, SLEAP, LightningPose, Anipose, NWB.

Readers return a movement dataset (whatever dim names the installed movement uses) plus the
fps the file carries (``None`` when it carries none); `ethoforge.io.poses` normalises the dims
and builds the `Recording`. Writers take a dataset with our singular dims.

DeepLabCut CSVs are parsed here rather than by movement so that errors name the line and
column, and so that CSVs re-saved by pandas (an extra leading index column) load too; the
parsed table is handed to ``movement.io.load_poses.from_dlc_style_df``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ethoforge.errors import InputError

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

_DLC_LEVELS = ("scorer", "individuals", "bodyparts", "coords")
_DLC_COORDS = {"x", "y", "z", "likelihood"}


# --------------------------------------------------------------------------- DeepLabCut CSV


def _dlc_csv_header(path: Path) -> tuple[list[list[str]], int, int]:
    """Parse the header rows of a DeepLabCut CSV.

    Returns the header rows (cells after the index columns), the number of header lines and
    the number of index columns in data rows.
    """
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        head = [handle.readline() for _ in range(6)]
    if not any(line.strip() for line in head):
        raise InputError("the file is empty; expected a DeepLabCut CSV", path, "line 1")
    rows = list(csv.reader(io.StringIO("".join(head))))
    # Label column: 0 in DeepLabCut's own files, 1 when pandas re-saved it with its own index.
    first = rows[0]
    if first and first[0].strip() == "scorer":
        label_col = 0
    elif len(first) > 1 and first[1].strip() == "scorer":
        label_col = 1
    else:
        raise InputError(
            f"first header cell is {first[0] if first else ''!r}; a DeepLabCut CSV starts with a "
            "'scorer' row, then ('individuals'), 'bodyparts' and 'coords' rows",
            path, "line 1",
        )
    labels = []
    for line_number, row in enumerate(rows, start=1):
        label = row[label_col].strip() if len(row) > label_col else ""
        labels.append(label)
        if label == "coords":
            break
    else:
        raise InputError(
            f"no 'coords' header row in the first lines (found {labels}); expected "
            "'scorer', ('individuals'), 'bodyparts', 'coords'",
            path, f"line {len(rows)}",
        )
    expected = ["scorer", "bodyparts", "coords"] if len(labels) == 3 else list(_DLC_LEVELS)
    if labels != expected:
        bad = next(i for i, (a, b) in enumerate(zip(labels, expected)) if a != b)
        raise InputError(
            f"header row {bad + 1} is labelled {labels[bad]!r}, expected {expected[bad]!r} "
            f"(header rows must be {expected})",
            path, f"line {bad + 1}",
        )
    n_header = len(labels)
    coords_row = rows[n_header - 1]
    n_index = next((i for i, cell in enumerate(coords_row) if i > label_col and cell.strip()), None)
    if n_index is None:
        raise InputError("the 'coords' header row names no coordinates", path, f"line {n_header}")
    header = [[cell.strip() for cell in row[n_index:]] for row in rows[:n_header]]
    width = len(header[-1])
    for number, row in enumerate(header, start=1):
        if len(row) != width:
            raise InputError(
                f"header row has {len(row)} columns after the index, the 'coords' row has {width}",
                path, f"line {number}",
            )
    unknown = sorted(set(header[-1]) - _DLC_COORDS)
    if unknown:
        raise InputError(
            f"unknown coordinate name(s) {unknown}; expected x, y, (z,) likelihood",
            path, f"line {n_header}",
        )
    return header, n_header, n_index


def _truncation_check(path: Path, n_fields: int, n_header: int) -> None:
    """Raise when the last line of the file holds fewer cells than the header (cut short)."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        handle.seek(max(0, size - 65536))
        tail = handle.read().decode("utf-8", errors="replace")
    lines = [line for line in tail.splitlines() if line.strip()]
    if not lines:
        return
    last = next(csv.reader([lines[-1]]))
    if len(last) < n_fields:
        with open(path, "rb") as handle:
            n_lines = sum(1 for line in handle if line.strip())
        if n_lines > n_header:
            raise InputError(
                f"the last row has {len(last)} cells, expected {n_fields}: the file looks truncated",
                path, f"line {n_lines}",
            )


def read_dlc_csv_frame(path: str | Path) -> "pd.DataFrame":
    """Read a DeepLabCut CSV into a DataFrame with DeepLabCut's multi-level columns."""
    import pandas as pd

    path = Path(path)
    header, n_header, n_index = _dlc_csv_header(path)
    n_fields = n_index + len(header[-1])
    _truncation_check(path, n_fields, n_header)
    try:
        data = pd.read_csv(
            path, skiprows=n_header, header=None, engine="c", low_memory=False,
            skip_blank_lines=True,
        )
    except pd.errors.EmptyDataError:
        raise InputError("the file has a header but no data rows", path, f"line {n_header + 1}") from None
    except pd.errors.ParserError as error:
        raise InputError(f"cannot parse the rows: {error}", path) from None
    if data.shape[1] != n_fields:
        raise InputError(
            f"data rows have {data.shape[1]} columns, the header has {n_fields}", path, f"line {n_header + 1}"
        )
    values = data.iloc[:, n_index:]
    numeric = values.apply(pd.to_numeric, errors="coerce")
    bad = numeric.isna() & values.notna()
    if bad.to_numpy().any():
        row, column = np.argwhere(bad.to_numpy())[0]
        names = [header[level][column] for level in range(n_header - 1)] + [header[-1][column]]
        raise InputError(
            f"cell {values.iat[row, column]!r} in column {'/'.join(names[1:])} is not a number",
            path, f"line {n_header + row + 1}",
        )
    levels = list(_DLC_LEVELS) if n_header == 4 else ["scorer", "bodyparts", "coords"]
    columns = pd.MultiIndex.from_arrays(header, names=levels)
    return _full_grid(pd.DataFrame(numeric.to_numpy(dtype=float), columns=columns), path)


def _full_grid(frame: "pd.DataFrame", path: Path) -> "pd.DataFrame":
    """Columns as the full individuals × bodyparts × coords grid movement reshapes into.

    Multi-animal files with "unique" bodyparts (an individual ``single`` holding other
    bodyparts) are not a full grid: missing combinations become NaN columns.
    """
    import pandas as pd

    names = list(frame.columns.names)
    levels = [lvl for lvl in ("individuals", "bodyparts", "coords") if lvl in names]
    scorer = frame.columns.get_level_values("scorer")[0]  # pandas re-saves mangle it ("name.1")
    frame = frame.copy()
    frame.columns = pd.MultiIndex.from_arrays(
        [[scorer] * frame.shape[1]] + [frame.columns.get_level_values(lvl) for lvl in levels],
        names=["scorer", *levels],
    )
    if frame.columns.duplicated().any():
        duplicate = frame.columns[frame.columns.duplicated()][0]
        raise InputError(f"column {'/'.join(map(str, duplicate[1:]))} appears twice", path, "header")
    uniques = [[scorer]] + [frame.columns.get_level_values(lvl).unique().tolist() for lvl in levels]
    grid = pd.MultiIndex.from_product(uniques, names=["scorer", *levels])
    return frame if frame.columns.equals(grid) else frame.reindex(columns=grid)


def read_dlc(path: str | Path, fps: float | None = None) -> tuple["xr.Dataset", float | None]:
    """DeepLabCut CSV or H5 (single- or multi-animal) → movement dataset; DLC files carry no fps."""
    from movement.io import load_poses

    path = Path(path)
    if path.suffix.lower() == ".csv":
        frame = read_dlc_csv_frame(path)
    else:
        import pandas as pd

        try:
            frame = pd.read_hdf(path)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise InputError(f"not a DeepLabCut H5 table: {error}", path) from None
        if not isinstance(frame.columns, pd.MultiIndex) or "coords" not in frame.columns.names:
            raise InputError(
                f"column levels {list(frame.columns.names)}; expected {list(_DLC_LEVELS)}", path, "header"
            )
        frame = _full_grid(frame, path)
    if len(frame) == 0:
        raise InputError("the file holds no frames", path)
    return load_poses.from_dlc_style_df(frame, fps=None, source_software="DeepLabCut"), None


def read_lightning_pose(path: str | Path, fps: float | None = None) -> tuple["xr.Dataset", float | None]:
    """LightningPose CSV (single-animal DeepLabCut layout) → movement dataset."""
    from movement.io import load_poses

    frame = read_dlc_csv_frame(path)
    return load_poses.from_dlc_style_df(frame, fps=None, source_software="LightningPose"), None


# --------------------------------------------------------------------------- other movement formats


def read_sleap(path: str | Path, fps: float | None = None) -> tuple["xr.Dataset", float | None]:
    """SLEAP labels (``.slp``) or analysis HDF5 → movement dataset (SLEAP files carry no fps).

    ``.slp``: one individual per track; a file without tracks (untracked inference output)
    gets one individual per instance slot, ``instance_0``, ``instance_1``, … (the most
    instances any frame holds), filled in each frame's order with user instances preferred
    over the predictions they replace. Analysis HDF5: either axis layout, see `_analysis_axes`.
    """
    path = Path(path)
    try:
        if path.suffix.lower() == ".slp":
            return _read_slp(path), None
        return _read_sleap_analysis(path), None
    except InputError:
        raise
    except (OSError, ValueError, KeyError, IndexError) as error:
        raise InputError(f"cannot read as a SLEAP file: {error}", path) from None


def _read_slp(path: Path) -> "xr.Dataset":
    import sleap_io
    from movement.io import load_poses

    labels = sleap_io.load_slp(str(path), open_videos=False)  # frames come from the file, not the video
    if len(labels.videos) != 1 or len(labels.skeletons) != 1:
        raise InputError(
            f"the file holds {len(labels.videos)} videos and {len(labels.skeletons)} skeletons; a recording "
            "is one video with one skeleton (export each video's predictions on its own from SLEAP)", path,
        )
    untracked = [lf.frame_idx for lf in labels.labeled_frames for inst in lf.instances if inst.track is None]
    if labels.tracks and untracked:
        raise InputError(
            f"{len(untracked)} instance(s) have no track while others do (first in frame {min(untracked)}); "
            "assign every instance a track in SLEAP, or remove all tracks to import instance slots", path,
        )
    array = labels.numpy(untracked=not labels.tracks, return_confidence=True)  # (frames, slots, nodes, 3)
    if array.shape[1] == 0:
        raise InputError("the file holds no instances", path)
    names = [track.name for track in labels.tracks] or [f"instance_{i}" for i in range(array.shape[1])]
    return load_poses.from_numpy(
        position_array=array[..., :2].transpose(0, 3, 2, 1),
        confidence_array=array[..., 2].transpose(0, 2, 1),
        individual_names=names,
        keypoint_names=[node.name for node in labels.skeletons[0].nodes],
        fps=None,
        source_software="SLEAP",
    )


_MATLAB_AXES = {"tracks": ("track", "xy", "node", "frame"), "point_scores": ("track", "node", "frame")}
_STANDARD_AXES = {"tracks": ("frame", "track", "node", "xy"), "point_scores": ("frame", "track", "node")}


def _analysis_axes(handle, path: Path) -> dict[str, tuple[str, ...]]:
    """Axis names of ``tracks`` and ``point_scores`` in a SLEAP analysis file.

    SLEAP writes the "matlab" layout, ``tracks`` as tracks × 2 × nodes × frames; sleap-io
    can also write "standard", frames × tracks × nodes × 2. Each dataset's ``dims``
    attribute says which where present (sleap-io); otherwise the shapes are checked against
    ``track_occupancy`` (frames × tracks) and the node names.
    """
    import json

    declared = {name: tuple(json.loads(handle[name].attrs["dims"])) for name in _MATLAB_AXES
                if name in handle and "dims" in handle[name].attrs}
    if "tracks" in declared:
        return {**_MATLAB_AXES, **declared} if declared["tracks"] == _MATLAB_AXES["tracks"] else {**_STANDARD_AXES, **declared}
    shape = handle["tracks"].shape
    n_frames, n_tracks = handle["track_occupancy"].shape if "track_occupancy" in handle else (None, None)
    n_nodes = len(handle["node_names"])
    sizes = {"frame": n_frames, "track": n_tracks, "node": n_nodes, "xy": 2}
    fits = [axes for axes in (_MATLAB_AXES, _STANDARD_AXES) if len(shape) == 4 and all(
        sizes[name] in (None, size) for name, size in zip(axes["tracks"], shape))]
    if not fits:
        raise InputError(
            f"'tracks' has shape {shape}; expected tracks × 2 × nodes × frames (SLEAP) or frames × tracks × "
            f"nodes × 2 (sleap-io 'standard') with {n_nodes} nodes", path,
        )
    return fits[0]  # both fit only when the sizes coincide: SLEAP's own layout first


def _read_sleap_analysis(path: Path) -> "xr.Dataset":
    import h5py
    from movement.io import load_poses

    with h5py.File(path, "r") as handle:
        axes = _analysis_axes(handle, path)
        tracks = handle["tracks"][:].transpose([axes["tracks"].index(a) for a in ("frame", "xy", "node", "track")])
        scores = np.full((tracks.shape[0], tracks.shape[2], tracks.shape[3]), np.nan, np.float32)
        if "point_scores" in handle:
            order = [axes["point_scores"].index(a) for a in ("frame", "node", "track")]
            scores = handle["point_scores"][:].transpose(order)
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in handle["track_names"][:]] \
            if "track_names" in handle else []
        nodes = [n.decode() if isinstance(n, bytes) else str(n) for n in handle["node_names"][:]]
    return load_poses.from_numpy(
        position_array=tracks.astype(np.float32),
        confidence_array=scores.astype(np.float32),
        individual_names=names if len(names) == tracks.shape[3] else None,
        keypoint_names=nodes,
        fps=None,
        source_software="SLEAP",
    )


def read_anipose(path: str | Path, fps: float | None = None) -> tuple["xr.Dataset", float | None]:
    """Anipose triangulated CSV (3-D, one individual) → movement dataset."""
    from movement.io import load_poses

    path = Path(path)
    try:
        dataset = load_poses.from_anipose_file(path, fps=None, individual_name="individual_0")
    except (OSError, ValueError, KeyError) as error:
        raise InputError(f"cannot read as an Anipose CSV: {error}", path) from None
    return dataset, None


def read_nwb(path: str | Path, fps: float | None = None) -> tuple["xr.Dataset", float | None]:
    """NWB (ndx-pose 0.1 to 0.4) → movement dataset, with the frame rate the file gives.

    Every ``PoseEstimation`` in the ``behavior`` processing module is one individual; one
    named ``PoseEstimation_<name>`` (as `write_nwb` writes) is individual ``<name>``, the
    plain ``PoseEstimation`` (as movement writes) is named after the file's identifier.
    Frame rate: see `_nwb_rate`. Errors name the file's ndx-pose version.
    """
    import pynwb
    import xarray as xr
    from movement.io import load_poses

    path = Path(path)
    version = _ndx_pose_version(path)
    try:
        with pynwb.NWBHDF5IO(path, mode="r") as nwb_io:
            nwbfile = nwb_io.read()
            module = nwbfile.processing.get("behavior")
            if module is None:
                raise InputError(
                    f"no 'behavior' processing module (found {list(nwbfile.processing)}); "
                    f"expected ndx-pose PoseEstimation data there ({version})", path,
                )
            keys = [k for k, v in module.data_interfaces.items() if type(v).__name__ == "PoseEstimation"]
            if not keys:
                raise InputError(f"no ndx-pose PoseEstimation in the 'behavior' module ({version})", path)
            empty = [k for k in keys if not module[k].pose_estimation_series]
            if empty:
                raise InputError(
                    f"PoseEstimation {empty} holds no PoseEstimationSeries ({version}): the file has "
                    "no keypoint positions to import", path,
                )
            parts = []
            for key in keys:
                part = load_poses.from_nwb_file(nwbfile, pose_estimation_key=key)
                plural = "individuals" in part.dims
                dim = "individuals" if plural else "individual"
                kp_dim = "keypoints" if plural else "keypoint"
                skeleton = getattr(module[key], "skeleton", None)  # ndx-pose >= 0.2; 0.1.x: nodes on the estimation
                node_list = skeleton.nodes if skeleton is not None else getattr(module[key], "nodes", None)
                nodes = [str(n) for n in node_list[:]] if node_list is not None else []
                if sorted(nodes) == sorted(str(k) for k in part[kp_dim].values):
                    part = part.sel({kp_dim: nodes})  # NWB stores series by name: restore skeleton order
                if key.startswith("PoseEstimation_"):
                    part = part.assign_coords({dim: [key.removeprefix("PoseEstimation_")]})
                parts.append(part)
            file_fps = _nwb_rate(module[keys[0]], path)
            dataset = parts[0] if len(parts) == 1 else xr.concat(parts, dim=dim, join="outer")
            dataset.attrs.update(parts[0].attrs)
    except InputError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InputError(f"cannot read as an NWB pose file ({version}): {error}", path) from None
    return dataset, file_fps


def _ndx_pose_version(path: Path) -> str:
    """``"ndx-pose 0.1.1"`` from the file's cached extension specs (``"ndx-pose version unknown"``)."""
    import h5py

    try:
        with h5py.File(path, "r") as handle:
            versions = sorted(handle["specifications/ndx-pose"].keys())
    except (OSError, KeyError):
        return "ndx-pose version unknown"
    return f"ndx-pose {', '.join(versions)}" if versions else "ndx-pose version unknown"


def _nwb_rate(estimation, path: Path) -> float | None:
    """Frames per second of a PoseEstimation's first series.

    Its ``rate`` when set. Otherwise its timestamps, unless they count frames (0, 1, 2, … in
    "seconds", as DLC2NWB writes): then the rate of the video the file links
    (``original_videos``, looked up as given and beside the NWB file) or of a video beside
    it named like the recording; failing that, 1 (what the timestamps say), which
    `ethoforge.io.poses` refuses as implausible, asking for ``--fps``.
    """
    series = next(iter(estimation.pose_estimation_series.values()))
    if series.rate:
        return float(series.rate)
    timestamps = np.asarray(series.timestamps[:] if series.timestamps is not None else [], dtype=float)
    if len(timestamps) < 2:
        return None
    counts_frames = np.array_equal(timestamps - timestamps[0], np.arange(len(timestamps))) and timestamps[0] in (0, 1)
    if counts_frames:
        videos = [str(v) for v in (getattr(estimation, "original_videos", None) or [])]
        video_fps = _linked_video_fps(videos, path)
        if video_fps is not None:
            return video_fps
    return round(float(np.nanmedian(1.0 / np.diff(timestamps))), 6)


def _linked_video_fps(videos: list[str], path: Path) -> float | None:
    """The fps of the first video found among ``videos`` (as given, then by name beside
    ``path``) or beside ``path`` named like the recording; None without one (or without PyAV).

    Only files with a video suffix (the link's target too) are opened: the names come from
    inside the file, and must never make the importer open a database or any other file.
    """
    from ethoforge.store.naming import recording_name_from_path

    try:
        from ethoforge.io.video import VIDEO_SUFFIXES, nice_rate, video_info
    except ImportError:  # PyAV is the server extra
        return None
    candidates = [Path(v) for v in videos if Path(v).is_absolute()]  # relative: beside the file, not the cwd
    candidates += [path.parent / Path(v.replace("\\", "/")).name for v in videos]
    candidates += [path.with_name(recording_name_from_path(path) + suffix) for suffix in VIDEO_SUFFIXES]
    for candidate in candidates:
        try:
            if candidate.is_file() and all(p.suffix.lower() in VIDEO_SUFFIXES for p in (candidate, candidate.resolve())):
                return nice_rate(video_info(candidate)[1])
        except (OSError, InputError, ImportError):
            continue
    return None


# --------------------------------------------------------------------------- writers


def to_movement(poses: "xr.Dataset", fps: float | None = None) -> "xr.Dataset":
    """A movement dataset (the installed version's dim names) from our singular-dim poses."""
    from movement.io import load_poses

    return load_poses.from_numpy(
        position_array=poses["position"].transpose("time", "space", "keypoint", "individual").values,
        confidence_array=poses["confidence"].transpose("time", "keypoint", "individual").values
        if "confidence" in poses else None,
        individual_names=[str(v) for v in poses["individual"].values],
        keypoint_names=[str(v) for v in poses["keypoint"].values],
        fps=fps,
        source_software="EthoForge",
    )


def write_dlc(poses: "xr.Dataset", path: str | Path) -> None:
    """DeepLabCut CSV or H5 (by suffix), all individuals in one multi-animal file."""
    from movement.io import save_poses

    dataset = to_movement(poses)
    if poses.sizes["individual"] == 1:
        frame = save_poses.to_dlc_style_df(dataset, split_individuals=True)
        frame = next(iter(frame.values()))
    else:
        frame = save_poses.to_dlc_style_df(dataset, split_individuals=False)
    path = Path(path)
    if path.suffix.lower() == ".csv":
        frame.to_csv(path)
    else:
        frame.to_hdf(path, key="df_with_missing", mode="w")


def write_sleap(poses: "xr.Dataset", path: str | Path) -> None:
    """SLEAP analysis H5."""
    from movement.io import save_poses

    save_poses.to_sleap_analysis_file(to_movement(poses), path)


def write_nwb(poses: "xr.Dataset", path: str | Path, *, fps: float, name: str) -> None:
    """NWB with ndx-pose: one ``PoseEstimation_<individual>`` per individual in one file.

    movement writes one file per individual; a recording is one file here, so each
    individual gets its own PoseEstimation (and Skeleton) inside the ``behavior`` module.
    """
    from datetime import datetime, timezone

    import ndx_pose
    import pynwb

    nwbfile = pynwb.NWBFile(
        session_description=f"poses of {name} written by EthoForge",
        identifier=name,
        session_start_time=datetime(1970, 1, 1, tzinfo=timezone.utc),
    )
    module = nwbfile.create_processing_module(name="behavior", description="processed behavioral data")
    keypoints = [str(v) for v in poses["keypoint"].values]
    skeletons, estimations = [], []
    for individual in [str(v) for v in poses["individual"].values]:
        one = poses.sel(individual=individual)
        series = [
            ndx_pose.PoseEstimationSeries(
                name=keypoint,
                data=one["position"].sel(keypoint=keypoint).transpose("time", "space").values,
                confidence=one["confidence"].sel(keypoint=keypoint).values
                if "confidence" in poses else np.full(poses.sizes["time"], np.nan),
                unit="pixels",
                reference_frame="(0,0) is the top-left corner of the video frame",
                rate=float(fps),
                starting_time=0.0,
            )
            for keypoint in keypoints
        ]
        skeleton = ndx_pose.Skeleton(name=f"skeleton_{individual}", nodes=keypoints)
        skeletons.append(skeleton)
        estimations.append(ndx_pose.PoseEstimation(
            name=f"PoseEstimation_{individual}",
            pose_estimation_series=series,
            skeleton=skeleton,
            description=f"poses of {individual}",
            source_software="EthoForge",
        ))
    module.add(ndx_pose.Skeletons(skeletons=skeletons))
    for estimation in estimations:
        module.add(estimation)
    with pynwb.NWBHDF5IO(Path(path), mode="w") as nwb_io:
        nwb_io.write(nwbfile)
