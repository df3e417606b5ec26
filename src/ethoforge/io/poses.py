"""Load and save poses in any supported format: the one adapter that builds `Recording`s.

Formats (``POSE_FORMATS``): ``dlc`` (DeepLabCut CSV/H5, single- and multi-animal),
``sleap`` (analysis H5, ``.slp``), ``lightning_pose``, ``anipose`` and ``nwb`` (ndx-pose) go
through ``movement``; ``calms21`` (JSON / npy dict), ``mabe`` (MABe 2025 parquet) and
``simba`` (SimBA CSVs: their ``_x/_y/_p`` columns) are read by our own modules. Whatever dims the installed movement uses (plural before 0.17), the result
has singular dims (`ethoforge.recording.to_singular_dims`) and is checked by `validate_poses`.

Frames per second: the ``fps`` argument wins; otherwise the file's own rate (NWB) or the
format's fixed rate (CalMS21: 30); otherwise **30.0 is assumed** and the recording's
``metadata["fps_assumed"]`` is ``True`` so callers can warn (``--fps`` sets it).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Literal, Sequence

import numpy as np

from ethoforge.errors import InputError, option
from ethoforge.recording import Recording, content_hash, to_singular_dims, validate_poses

if TYPE_CHECKING:
    import xarray as xr

PoseFormat = Literal["dlc", "sleap", "lightning_pose", "anipose", "nwb", "calms21", "mabe"]
POSE_FORMATS: tuple[str, ...] = ("dlc", "sleap", "lightning_pose", "anipose", "nwb", "calms21", "mabe", "simba")
SAVE_FORMATS: tuple[str, ...] = ("dlc", "sleap", "nwb")
COLLECTION_FORMATS: tuple[str, ...] = ("calms21", "mabe")
DEFAULT_FPS = 30.0
MIN_FPS, MAX_FPS = 5.0, 1000.0
"""A file's own frame rate outside this range is refused unless ``fps`` is given (its
timestamps are then most likely frame counts or milliseconds, not seconds)."""

_SUFFIX_FORMATS = {".slp": "sleap", ".nwb": "nwb", ".json": "calms21", ".npy": "calms21", ".parquet": "mabe"}


# --------------------------------------------------------------------------- format detection


def detect_pose_format(path: str | Path) -> str:
    """Name the pose format of ``path`` from its suffix and, where needed, its header.

    ``.csv``: DeepLabCut when the first row starts with ``scorer`` (also after a pandas index
    column), Anipose when columns end in ``_x``/``_score``. ``.h5``: SLEAP analysis when it has
    ``tracks`` and ``node_names``, DeepLabCut when it is a pandas table. LightningPose CSVs look
    like single-animal DeepLabCut ones: pass ``format="lightning_pose"`` to label them so.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", path)
    if path.stat().st_size == 0:
        raise InputError("the file is empty", path, "line 1")
    suffix = path.suffix.lower()
    if suffix in _SUFFIX_FORMATS:
        return _SUFFIX_FORMATS[suffix]
    if suffix == ".csv":
        return _detect_csv(path)
    if suffix in (".h5", ".hdf5"):
        return _detect_h5(path)
    raise InputError(
        f"unknown pose file type {suffix!r}; expected one of .csv, .h5, .slp, .nwb, .json, .npy, "
        f".parquet, or pass {option('format')} (one of {list(POSE_FORMATS)})",
        path,
    )


def _detect_csv(path: Path) -> str:
    import csv

    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        first = next(csv.reader([handle.readline()]), [])
    cells = [c.strip() for c in first]
    if any(c.endswith("_x") for c in cells) and any(c.endswith(("_score", "_error")) for c in cells):
        return "anipose"
    from ethoforge.io.simba_poses import simba_keypoint_columns

    if simba_keypoint_columns(cells):  # before DeepLabCut: SimBA files may start with a 'scorer' index column
        return "simba"
    if cells[:1] == ["scorer"] or cells[1:2] == ["scorer"]:
        return "dlc"
    raise InputError(
        f"cannot tell the CSV format from its first row {cells[:4]}...; expected a DeepLabCut "
        f"'scorer' row, Anipose '<keypoint>_x' columns or SimBA '<bodypart>_x/_y/_p' columns "
        f"(or pass {option('format')})",
        path, "line 1",
    )


def _detect_h5(path: Path) -> str:
    import h5py

    try:
        with h5py.File(path, "r") as handle:
            keys = set(handle.keys())
            if {"tracks", "node_names"} <= keys:
                return "sleap"
            if any("pandas_type" in handle[k].attrs for k in keys):
                return "dlc"
    except OSError as error:
        raise InputError(f"not a readable HDF5 file: {error}", path) from None
    raise InputError(
        f"HDF5 file with keys {sorted(keys)} is neither a SLEAP analysis file ('tracks', "
        f"'node_names') nor a DeepLabCut table (pass {option('format')})",
        path,
    )


def _resolve_format(path: Path, format: str) -> str:
    if format == "auto":
        return detect_pose_format(path)
    if format not in POSE_FORMATS:
        raise InputError(f"unknown pose format {format!r} ({option('format')}); expected 'auto' or one of "
                         f"{list(POSE_FORMATS)}", path)
    if not path.is_file():
        raise InputError("no such file", path)
    if path.stat().st_size == 0:
        raise InputError("the file is empty", path, "line 1")
    return format


# --------------------------------------------------------------------------- loading


def _reader(fmt: str) -> Callable[..., tuple["xr.Dataset", float | None]]:
    from ethoforge.io import movement_formats as mf

    if fmt == "simba":
        from ethoforge.io.simba_poses import read_simba_poses

        return read_simba_poses
    return {
        "dlc": mf.read_dlc, "sleap": mf.read_sleap, "lightning_pose": mf.read_lightning_pose,
        "anipose": mf.read_anipose, "nwb": mf.read_nwb,
    }[fmt]


def _read_collection(path: Path, fmt: str) -> list[tuple[str, "xr.Dataset", float | None, dict]]:
    if fmt == "calms21":
        from ethoforge.io.calms21 import read_calms21_poses

        return _guarded(read_calms21_poses, path, fmt)
    from ethoforge.io.mabe import read_mabe_poses

    return _guarded(read_mabe_poses, path, fmt)


def _guarded(read: Callable, path: Path, fmt: str):
    """``read(path)``, with any unforeseen failure of a reader on a file that does not fit its
    format turned into an `InputError` naming the file (bad input is never an internal error)."""
    from ethoforge.errors import EthoForgeError

    try:
        return read(path)
    except (EthoForgeError, MemoryError):
        raise
    except Exception as error:  # noqa: BLE001  (third-party readers raise anything on malformed files)
        raise InputError(f"cannot read this file as {fmt} poses: {type(error).__name__}: {error}", path) from None


def load_poses(
    path: str | Path,
    format: str = "auto",
    *,
    fps: float | None = None,
    name: str | None = None,
    individuals: Sequence[str] | None = None,
    keypoints: Sequence[str] | None = None,
    rename: dict[str, str] | None = None,
) -> Recording:
    """Load one recording's poses from a file.

    Parameters
    ----------
    path
        Pose file.
    format
        ``"auto"`` (from suffix and header, see `detect_pose_format`) or one of ``POSE_FORMATS``.
    fps
        Frames per second; overrides the file's. Default: the file's, else 30 (assumed, see
        ``metadata["fps_assumed"]``).
    name
        Recording name (default: the file stem). For files holding several recordings
        (CalMS21, MABe with video ids) it picks which one; required when there are several.
    individuals, keypoints
        Keep only these (in this order); unknown names raise `InputError` listing the known.
    rename
        ``{"old": "new"}`` for individual or keypoint names, applied after selection.

    Returns
    -------
    Recording
        Singular-dim poses, ``time`` = 0-based frame index.
    """
    path = Path(path)
    fmt = _resolve_format(path, format)
    if fmt in COLLECTION_FORMATS:
        entries = _read_collection(path, fmt)
        names = [entry[0] for entry in entries]
        if name is not None and name in names:
            entries = [entries[names.index(name)]]
        elif len(entries) > 1:
            hint = (f"{option('name')} {name!r} is not one of them: name one of them" if name is not None
                    else f"pass {option('name')} to pick one")
            raise InputError(
                f"the file holds {len(entries)} recordings {names[:10]}{'...' if len(names) > 10 else ''}; "
                f"{hint}, or import the file without {option('name')} to get one recording per sequence",
                path,
            )
        entry_name, dataset, file_fps, metadata = entries[0]
        return _make_recording(
            dataset, path=path, fmt=fmt, file_fps=file_fps, fps=fps, name=name or entry_name,
            individuals=individuals, keypoints=keypoints, rename=rename, metadata=metadata,
            digest=entry_hash(content_hash(path), entry_name),
        )
    dataset, file_fps = _guarded(_reader(fmt), path, fmt)
    return _make_recording(
        dataset, path=path, fmt=fmt, file_fps=file_fps, fps=fps, name=name or recording_name_from_path(path),
        individuals=individuals, keypoints=keypoints, rename=rename, metadata={},
    )


def load_pose_collection(
    path: str | Path,
    format: str = "auto",
    *,
    fps: float | None = None,
    individuals: Sequence[str] | None = None,
    keypoints: Sequence[str] | None = None,
    rename: dict[str, str] | None = None,
) -> list[Recording]:
    """Load every recording of a multi-recording file (CalMS21 JSON/npy, MABe parquet).

    Single-recording formats give a one-element list. Options as in `load_poses`.
    """
    path = Path(path)
    fmt = _resolve_format(path, format)
    if fmt not in COLLECTION_FORMATS:
        return [load_poses(path, fmt, fps=fps, individuals=individuals, keypoints=keypoints, rename=rename)]
    digest = content_hash(path)
    return [
        _make_recording(
            dataset, path=path, fmt=fmt, file_fps=file_fps, fps=fps, name=entry_name,
            individuals=individuals, keypoints=keypoints, rename=rename, metadata=metadata,
            digest=entry_hash(digest, entry_name),
        )
        for entry_name, dataset, file_fps, metadata in _read_collection(path, fmt)
    ]


def entry_hash(file_digest: str, entry: str) -> str:
    """Content hash of one recording of a multi-recording file: SHA-256 (hex) of the file's hash and the
    recording's name, so each sequence of a CalMS21/MABe file is its own recording in a project."""
    return hashlib.sha256(f"{file_digest}/{entry}".encode()).hexdigest()


# Suffixes trackers and conversions append to the video name in a pose file's stem:
# DeepLabCut "<video>DLC_<net>_<project>shuffle1_100000[_el][_filtered]" and, before DeepLabCut 2.1,
# "<video>DeepCut_resnet50_<project>shuffle1_1030000"; SLEAP "<video>.predictions" / ".analysis";
# files marked DERIVED in the shared data.
_POSE_SUFFIXES = (
    re.compile(r"(DLC|DeepCut)_[A-Za-z0-9]+.*$"),
    re.compile(r"_DERIVED(_.*)?$"),
    re.compile(r"\.(predictions|analysis)$"),
)


def recording_name_from_path(path: str | Path) -> str:
    """The recording name for a pose file: its stem without tracker suffixes.

    ``e3v813a-...T122332-122642DLC_dlcrnetms5_..._filtered.csv`` → ``e3v813a-...T122332-122642``;
    ``12_01_A_190507144429DeepCut_resnet50_...csv`` → ``12_01_A_190507144429``. A stem that
    would be left empty is kept whole.
    """
    stem = Path(path).stem
    for pattern in _POSE_SUFFIXES:
        cleaned = pattern.sub("", stem)
        if cleaned:
            stem = cleaned
    return stem


def _make_recording(
    dataset: "xr.Dataset",
    *,
    path: Path | None,
    fmt: str,
    file_fps: float | None,
    fps: float | None,
    name: str,
    individuals: Sequence[str] | None,
    keypoints: Sequence[str] | None,
    rename: dict[str, str] | None,
    metadata: dict,
    digest: str | None = None,
) -> Recording:
    """Normalise, select, rename and validate a movement dataset into a `Recording`."""
    poses = normalise_poses(dataset, source=path)
    poses = select_poses(poses, individuals=individuals, keypoints=keypoints, source=path)
    if rename:
        poses = rename_poses(poses, rename, source=path)
    validate_poses(poses, path)
    poses, dropped = drop_empty_keypoints(poses, path)
    if fps is None and file_fps is not None and not MIN_FPS <= file_fps <= MAX_FPS:
        raise InputError(
            f"the file gives {file_fps:g} frames per second, outside the plausible {MIN_FPS:g}-{MAX_FPS:g}; "
            f"its timestamps are probably not in seconds: pass {option('fps')} with the video's frame rate",
            path,
        )
    fps_assumed = fps is None and file_fps is None
    resolved = float(fps if fps is not None else file_fps if file_fps is not None else DEFAULT_FPS)
    meta = dict(metadata)
    meta.update(fps_assumed=fps_assumed, n_frames=int(poses.sizes["time"]))
    if dropped:
        meta["warnings"] = [*meta.get("warnings", []), (
            f"{path.name if path else name}: keypoint(s) {dropped} are NaN in every frame for every "
            "individual and were dropped"
        )]
    if file_fps is not None:
        meta["file_fps"] = float(file_fps)
    if path is not None and digest is None:
        digest = content_hash(path)
    return Recording(
        name=name, poses=poses, fps=resolved, source_path=path, content_hash=digest or "",
        source_format=fmt, metadata=meta,
    )


def normalise_poses(dataset: "xr.Dataset", source: str | Path | None = None) -> "xr.Dataset":
    """Singular dims, string names, only ``position``/``confidence``, plain attrs.

    Works on datasets from any movement version (plural or singular dims).
    """
    poses = to_singular_dims(dataset)
    missing = [dim for dim in ("space", "keypoint", "individual") if dim not in poses.dims]
    if missing:
        raise InputError(f"pose dataset lacks dim(s) {missing}; found {list(poses.dims)}", source)
    keep = [v for v in ("position", "confidence") if v in poses.data_vars]
    poses = poses[keep]
    poses = poses.assign_coords(
        individual=[str(v) for v in poses["individual"].values],
        keypoint=[str(v) for v in poses["keypoint"].values],
        space=[str(v) for v in poses["space"].values],
    )
    if "confidence" not in poses:
        poses["confidence"] = (("time", "keypoint", "individual"), np.full(
            (poses.sizes["time"], poses.sizes["keypoint"], poses.sizes["individual"]), np.nan,
            dtype=poses["position"].dtype,
        ))
    software = dataset.attrs.get("source_software")
    poses.attrs = {"ds_type": "poses", "time_unit": "frames"}
    if software:
        poses.attrs["source_software"] = str(software)
    return poses


def select_poses(
    poses: "xr.Dataset",
    *,
    individuals: Sequence[str] | None = None,
    keypoints: Sequence[str] | None = None,
    source: str | Path | None = None,
) -> "xr.Dataset":
    """Keep only the named individuals / keypoints, in the order given."""
    for dim, wanted in (("individual", individuals), ("keypoint", keypoints)):
        if wanted is None:
            continue
        wanted = [wanted] if isinstance(wanted, str) else list(wanted)
        available = [str(v) for v in poses[dim].values]
        unknown = [w for w in wanted if w not in available]
        if unknown:
            raise InputError(f"unknown {dim}(s) {unknown}; the file has {available}", source)
        if not wanted:
            raise InputError(f"no {dim}s selected; the file has {available}", source)
        poses = poses.sel({dim: wanted})
    return poses


def rename_poses(poses: "xr.Dataset", rename: dict[str, str], source: str | Path | None = None) -> "xr.Dataset":
    """Rename individuals and/or keypoints: ``{"old": "new"}``; every old name must exist."""
    individuals = [str(v) for v in poses["individual"].values]
    keypoints = [str(v) for v in poses["keypoint"].values]
    unknown = [old for old in rename if old not in individuals and old not in keypoints]
    if unknown:
        raise InputError(
            f"cannot rename {unknown}: not an individual {individuals} or keypoint {keypoints}", source
        )
    new_individuals = [rename.get(n, n) for n in individuals]
    new_keypoints = [rename.get(n, n) for n in keypoints]
    for dim, names in (("individual", new_individuals), ("keypoint", new_keypoints)):
        if len(set(names)) != len(names):
            raise InputError(f"renaming gives duplicate {dim} names {names}", source)
    return poses.assign_coords(individual=new_individuals, keypoint=new_keypoints)


def drop_empty_keypoints(poses: "xr.Dataset", source: str | Path | None) -> tuple["xr.Dataset", list[str]]:
    """Drop keypoints that are NaN in every frame for every individual; return the poses and
    the dropped names (callers warn with them).

    Raises
    ------
    InputError
        Every keypoint is empty: the file holds no positions at all.
    """
    finite = np.isfinite(poses["position"].values).any(axis=(0, 1, 3))
    names = [str(k) for k in poses["keypoint"].values]
    empty = [k for k, ok in zip(names, finite) if not ok]
    if not empty:
        return poses, []
    if len(empty) == len(names):
        raise InputError(
            f"every keypoint {names} is NaN in every frame for every individual: no positions to import",
            source,
        )
    return poses.sel(keypoint=[k for k, ok in zip(names, finite) if ok]), empty


# --------------------------------------------------------------------------- saving


def save_poses(recording: Recording, path: str | Path, format: str = "auto") -> Path:
    """Write a recording's poses as DeepLabCut (``.csv``/``.h5``), SLEAP analysis (``.h5``) or NWB.

    ``format="auto"``: ``.csv`` → dlc, ``.nwb`` → nwb, ``*.analysis.h5`` → sleap, other
    ``.h5`` → dlc. The file is written to a temporary name and renamed into place.

    Returns
    -------
    Path
        The written file.
    """
    from ethoforge.io import movement_formats as mf

    path = Path(path)
    suffix = path.suffix.lower()
    if format == "auto":
        if suffix == ".csv":
            format = "dlc"
        elif suffix == ".nwb":
            format = "nwb"
        elif suffix in (".h5", ".hdf5"):
            format = "sleap" if path.name.lower().endswith(".analysis.h5") else "dlc"
        else:
            raise InputError(f"cannot tell the format from suffix {suffix!r}; pass one of {list(SAVE_FORMATS)}", path)
    expected = {"dlc": (".csv", ".h5"), "sleap": (".h5",), "nwb": (".nwb",)}
    if format not in expected:
        raise InputError(f"cannot save poses as {format!r}; expected one of {list(SAVE_FORMATS)}", path)
    if suffix not in expected[format]:
        raise InputError(f"a {format} file must end in {' or '.join(expected[format])}, got {suffix!r}", path)
    from ethoforge.atomic import atomic_path

    with atomic_path(path) as temporary:  # does not exist yet: writers refuse or append to existing files
        if format == "dlc":
            mf.write_dlc(recording.poses, temporary)
        elif format == "sleap":
            mf.write_sleap(recording.poses, temporary)
        else:
            mf.write_nwb(recording.poses, temporary, fps=recording.fps, name=recording.name)
    return path
