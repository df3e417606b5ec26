"""CalMS21 (Sun et al. 2021) poses and labels: the official JSON layout and its npy dict twin.

Layout::

    {"annotator-id_0": {"<sequence>": {
        "keypoints": [T][2 mice][2 (x, y)][7 keypoints],
        "scores": [T][2][7],
        "annotations": [T] ints,
        "metadata": {"vocab": {"attack": 0, "investigation": 1, "mount": 2, "other": 3}, ...}}}}

Mice are ``resident`` then ``intruder``; keypoints ``CALMS21_KEYPOINTS``; 30 fps. The ``.npy``
file is the same dict saved with ``np.save`` (read with ``allow_pickle=True``: only open files
you trust). Sequence keys such as ``task1/train/mouse001`` become recording names with ``/``
replaced by ``__`` (`recording_name`). Annotations are per-frame ints; ``other`` is background
and gives no bout; each run of one behavior is a bout ``[start, stop)`` of agent ``resident``
towards target ``intruder``, annotator = the top-level key.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

import numpy as np

from ethoforge.errors import InputError
from ethoforge.labels import Bout, frames_to_bouts, validate_bouts

if TYPE_CHECKING:
    import xarray as xr

CALMS21_KEYPOINTS: tuple[str, ...] = ("nose", "left_ear", "right_ear", "neck", "left_hip", "right_hip", "tail_base")
CALMS21_MICE: tuple[str, ...] = ("resident", "intruder")
CALMS21_VOCAB: dict[str, int] = {"attack": 0, "investigation": 1, "mount": 2, "other": 3}
CALMS21_FPS = 30.0
BACKGROUND = "other"
DEFAULT_ANNOTATOR = "annotator-id_0"


def recording_name(sequence_key: str) -> str:
    """Recording name for a CalMS21 sequence key (``/`` → ``__``)."""
    return sequence_key.replace("/", "__")


def read_calms21_file(path: str | Path) -> dict:
    """The raw nested dict of a CalMS21 ``.json`` or ``.npy`` file."""
    path = Path(path)
    if path.stat().st_size == 0:
        raise InputError("the file is empty; expected a CalMS21 JSON or npy dict", path, "line 1")
    if path.suffix.lower() == ".npy":
        try:
            raw = np.load(path, allow_pickle=True)
        except (OSError, ValueError, EOFError, pickle.UnpicklingError) as error:
            raise InputError(f"not a readable npy file: {error}", path) from None
        data = raw.item() if isinstance(raw, np.ndarray) and raw.dtype == object and raw.shape == () else raw
    else:
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
        except json.JSONDecodeError as error:
            raise InputError(f"invalid JSON: {error.msg}", path, f"line {error.lineno}, column {error.colno}") from None
    if not isinstance(data, dict) or not data or not all(isinstance(v, dict) for v in data.values()):
        raise InputError(
            "expected a dict {annotator: {sequence: {keypoints, scores, annotations, metadata}}}", path
        )
    return data


def _sequences(data: dict) -> Iterable[tuple[str, str, dict]]:
    for annotator, sequences in data.items():
        for key, sequence in sequences.items():
            yield str(annotator), str(key), sequence


def _pose_arrays(sequence: dict, path: Path, key: str) -> tuple[np.ndarray, np.ndarray]:
    where = f"sequence {key!r}"
    if not isinstance(sequence, dict) or "keypoints" not in sequence:
        raise InputError("no 'keypoints' entry; expected [T, 2 mice, 2 (x, y), 7 keypoints]", path, where)
    try:
        keypoints = np.asarray(sequence["keypoints"], dtype=np.float32)
    except (TypeError, ValueError):
        raise InputError("'keypoints' is not a rectangular array of numbers", path, where) from None
    expected = (len(CALMS21_MICE), 2, len(CALMS21_KEYPOINTS))
    if keypoints.ndim != 4 or keypoints.shape[1:] != expected or keypoints.shape[0] == 0:
        raise InputError(f"'keypoints' has shape {keypoints.shape}, expected (T, 2, 2, 7)", path, where)
    n_frames = keypoints.shape[0]
    if "scores" in sequence:
        try:
            scores = np.asarray(sequence["scores"], dtype=np.float32)
        except (TypeError, ValueError):
            raise InputError("'scores' is not a rectangular array of numbers", path, where) from None
        if scores.shape != (n_frames, expected[0], expected[2]):
            raise InputError(f"'scores' has shape {scores.shape}, expected ({n_frames}, 2, 7)", path, where)
    else:
        scores = np.full((n_frames, expected[0], expected[2]), np.nan, dtype=np.float32)
    position = keypoints.transpose(0, 2, 3, 1)  # (T, space, keypoint, mouse)
    confidence = scores.transpose(0, 2, 1)  # (T, keypoint, mouse)
    return position, confidence


def read_calms21_poses(path: str | Path) -> list[tuple[str, "xr.Dataset", float, dict]]:
    """Every sequence's poses: ``(name, movement dataset, fps=30, metadata)``.

    A sequence listed under several annotators is returned once.
    """
    from movement.io import load_poses

    path = Path(path)
    out, seen = [], set()
    for annotator, key, sequence in _sequences(read_calms21_file(path)):
        name = recording_name(key)
        if name in seen:
            continue
        seen.add(name)
        position, confidence = _pose_arrays(sequence, path, key)
        dataset = load_poses.from_numpy(
            position, confidence, individual_names=list(CALMS21_MICE),
            keypoint_names=list(CALMS21_KEYPOINTS), fps=None, source_software="CalMS21",
        )
        out.append((name, dataset, CALMS21_FPS, {"sequence": key, "annotator": annotator}))
    return out


def _vocab(sequence: dict) -> dict[str, int]:
    metadata = sequence.get("metadata") if isinstance(sequence, dict) else None
    vocab = metadata.get("vocab") if isinstance(metadata, dict) else None
    return {str(k): int(v) for k, v in vocab.items()} if isinstance(vocab, dict) and vocab else dict(CALMS21_VOCAB)


def load_calms21_labels(
    path: str | Path,
    *,
    fps: float | None = None,
    recording: str | None = None,
    n_frames: int | None = None,
) -> list[Bout]:
    """Bouts from the per-frame ``annotations`` of a CalMS21 file.

    Parameters
    ----------
    path
        ``.json`` or ``.npy`` CalMS21 file.
    fps
        Unused (the file counts frames); accepted for the label-format registry.
    recording
        Keep only this recording (a sequence name, see `recording_name`); a file with a single
        sequence is relabelled to it.
    n_frames
        When given, every kept sequence must have exactly this many frames.

    Returns
    -------
    list[Bout]
        ``[start, stop)`` runs of each behavior except ``other``; agent ``resident``, target
        ``intruder``, annotator the top-level key.
    """
    path = Path(path)
    entries = [
        (annotator, recording_name(key), key, sequence)
        for annotator, key, sequence in _sequences(read_calms21_file(path))
    ]
    names = sorted({entry[1] for entry in entries})
    if recording is not None:
        if recording in names:
            entries = [e for e in entries if e[1] == recording]
        elif len(names) == 1:
            entries = [(a, recording, k, s) for a, _, k, s in entries]
        else:
            raise InputError(f"recording {recording!r} is not in the file; it holds {names}", path)
    bouts: list[Bout] = []
    for annotator, name, key, sequence in entries:
        where = f"sequence {key!r}"
        if not isinstance(sequence, dict) or "annotations" not in sequence:
            raise InputError("no 'annotations' entry; expected one int per frame", path, where)
        try:
            annotations = np.asarray(sequence["annotations"], dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError("'annotations' holds values that are not numbers", path, where) from None
        if annotations.ndim != 1:
            raise InputError(f"'annotations' has shape {annotations.shape}, expected (T,)", path, where)
        vocab = _vocab(sequence)
        codes = {v: k for k, v in vocab.items()}
        bad = np.flatnonzero(~np.isin(annotations, list(codes)))
        if bad.size:
            raise InputError(
                f"annotation {annotations[bad[0]]:g} is not a code of the vocabulary {vocab}",
                path, f"{where}, frame {bad[0]}",
            )
        if n_frames is not None and annotations.size != n_frames:
            raise InputError(
                f"{annotations.size} annotated frames, but the recording has {n_frames}", path, where
            )
        behaviors = [b for b, _ in sorted(vocab.items(), key=lambda kv: kv[1]) if b != BACKGROUND]
        matrix = np.stack([annotations == vocab[b] for b in behaviors], axis=1) if behaviors else np.zeros((annotations.size, 0))
        for bout in frames_to_bouts(matrix, behaviors, name, agent=CALMS21_MICE[0]):
            bouts.append(bout.with_(target=CALMS21_MICE[1], annotator=annotator))
    return bouts


def _build_vocab(behaviors: Sequence[str]) -> dict[str, int]:
    if set(behaviors) <= set(CALMS21_VOCAB):
        return dict(CALMS21_VOCAB)
    named = [b for b in behaviors if b != BACKGROUND]
    vocab = {b: i for i, b in enumerate(named)}
    vocab[BACKGROUND] = len(named)
    return vocab


def save_calms21_labels(
    bouts: Iterable[Bout],
    path: str | Path,
    *,
    fps: float | None = None,
    n_frames: int | Mapping[str, int] | None = None,
    behaviors: Sequence[str] | None = None,
) -> None:
    """Write bouts as CalMS21 per-frame annotations (``.json``, or ``.npy`` by suffix).

    Parameters
    ----------
    bouts
        Mutually exclusive per recording and annotator (one int per frame cannot hold two).
    path
        Output file; written to a temporary name and renamed into place.
    fps
        Unused (frames are the unit); accepted for the label-format registry.
    n_frames
        Frames per recording (an int for all, or ``{recording: n}``); default: the last bout's
        stop. Frames after the last bout are written as ``other``.
    behaviors
        Behaviors to write (others are dropped). The vocabulary is CalMS21's when they are a
        subset of it, else ``{behavior: i}`` in this order with ``other`` last.
    """
    path = Path(path)
    bouts = list(bouts)
    if behaviors is not None:
        bouts = [b for b in bouts if b.behavior in behaviors]
    names = list(behaviors) if behaviors is not None else sorted({b.behavior for b in bouts})
    vocab = _build_vocab(names)
    groups: dict[tuple[str, str], list[Bout]] = {}
    for bout in bouts:
        groups.setdefault((bout.annotator or DEFAULT_ANNOTATOR, bout.recording), []).append(bout)
    data: dict[str, dict] = {}
    for (annotator, rec), group in groups.items():
        length = n_frames.get(rec) if isinstance(n_frames, Mapping) else n_frames
        length = int(length) if length is not None else max(b.stop for b in group)
        validate_bouts(
            [b.with_(agent=None) for b in group], n_frames=length, exclusive=True, source=path
        )
        frames = np.full(length, vocab[BACKGROUND], dtype=np.int64)
        for bout in group:
            frames[bout.start : bout.stop] = vocab[bout.behavior]
        data.setdefault(annotator, {})[rec] = {
            "annotations": frames.tolist(),
            "metadata": {"vocab": vocab, "annotator-id": annotator},
        }
    _atomic_write(path, data)


def _atomic_write(path: Path, data: dict) -> None:
    from ethoforge.atomic import atomic_path

    with atomic_path(path) as temporary, open(temporary, "wb") as out:
        if path.suffix.lower() == ".npy":
            np.save(out, np.array(data, dtype=object), allow_pickle=True)
        else:
            out.write(json.dumps(data).encode("utf-8"))


def save_calms21_poses(recordings: Sequence, path: str | Path, *, annotator: str = DEFAULT_ANNOTATOR) -> None:
    """Write recordings (2 mice × 7 CalMS21 keypoints) as a CalMS21 file without annotations.

    Mainly for fixtures and exchange; keypoints/individuals are taken by name.
    """
    data: dict[str, dict] = {annotator: {}}
    for recording in recordings:
        poses = recording.poses.sel(individual=list(CALMS21_MICE), keypoint=list(CALMS21_KEYPOINTS))
        keypoints = poses["position"].transpose("time", "individual", "space", "keypoint").values
        scores = poses["confidence"].transpose("time", "individual", "keypoint").values
        data[annotator][recording.name] = {
            "keypoints": keypoints.tolist(),
            "scores": scores.tolist(),
            "annotations": [CALMS21_VOCAB[BACKGROUND]] * recording.n_frames,
            "metadata": {"vocab": dict(CALMS21_VOCAB)},
        }
    _atomic_write(Path(path), data)
