"""Write per-frame embeddings of a recording: parquet and NetCDF, streamed piece by piece.

``<out>/<recording>.embeddings.parquet``: columns ``recording``, ``frame`` (0-based) and
``emb_000`` … one row per frame. ``<out>/<recording>.embeddings.nc``: variable ``embedding``
``(frame, dim)`` float32 with coordinate ``frame`` and attributes ``recording``, ``embedder``,
``fps``. Both files are written while pieces arrive (memory stays flat) to temporary names and
renamed when complete, so a failure leaves no partial output.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ethoforge.atomic import atomic_path
from ethoforge.errors import ConfigError

if TYPE_CHECKING:
    import h5netcdf
    import pyarrow.parquet as pq
    from numpy.typing import NDArray

    from ethoforge.recording import Recording
    from ethoforge.ssl.embedder import Embedder

EMBEDDING_FORMATS: tuple[str, ...] = ("parquet", "netcdf")
_SUFFIX = {"parquet": ".embeddings.parquet", "netcdf": ".embeddings.nc"}


def embedding_columns(dim: int) -> list[str]:
    """``emb_000``, ``emb_001``, … for ``dim`` dimensions."""
    return [f"emb_{i:03d}" for i in range(dim)]


def write_embeddings(
    embedder: Embedder,
    recording: Recording,
    out_dir: str | Path,
    *,
    formats: Sequence[str] = EMBEDDING_FORMATS,
    piece_frames: int = 65_536,
    device: str = "auto",
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Path]:
    """Embed ``recording`` and write it in ``formats``; return ``{format: path}``.

    Raises
    ------
    ConfigError
        An unknown format.
    InputError
        The recording lacks individuals or keypoints the embedder needs.
    """
    unknown = [f for f in formats if f not in EMBEDDING_FORMATS]
    if unknown:
        raise ConfigError(f"--formats: unknown {unknown}; expected some of {', '.join(EMBEDDING_FORMATS)}")
    out_dir = Path(out_dir)
    targets = {f: out_dir / f"{recording.name}{_SUFFIX[f]}" for f in formats}
    dim, n_frames = embedder.embedding_dim, recording.n_frames
    with contextlib.ExitStack() as stack:
        temporary = {f: stack.enter_context(atomic_path(path)) for f, path in targets.items()}
        writers: list[_ParquetWriter | _NetcdfWriter] = []
        if "parquet" in temporary:
            writers.append(stack.enter_context(_ParquetWriter(temporary["parquet"], recording.name, dim)))
        if "netcdf" in temporary:
            writers.append(stack.enter_context(
                _NetcdfWriter(temporary["netcdf"], recording, dim, str(embedder.path))))
        for start, piece in embedder.embed_pieces(recording, piece_frames, device=device):
            for writer in writers:
                writer.write(start, piece)
            if progress is not None:
                progress(start + len(piece), n_frames)
        for writer in writers:
            writer.close()
    return targets


class _ParquetWriter:
    def __init__(self, path: Path, recording: str, dim: int) -> None:
        import pyarrow as pa

        self.path, self.recording = path, recording
        self.columns = embedding_columns(dim)
        self.schema = pa.schema([("recording", pa.string()), ("frame", pa.int64()),
                                 *[(c, pa.float32()) for c in self.columns]])
        self.writer: pq.ParquetWriter | None = None

    def __enter__(self) -> _ParquetWriter:
        import pyarrow.parquet as pq

        self.writer = pq.ParquetWriter(self.path, self.schema)
        return self

    def write(self, start: int, piece: NDArray[np.float32]) -> None:
        import pyarrow as pa

        if self.writer is None:
            raise RuntimeError("_ParquetWriter.write called outside its with block")
        arrays = [pa.array([self.recording] * len(piece), pa.string()),
                  pa.array(np.arange(start, start + len(piece), dtype=np.int64)),
                  *[pa.array(piece[:, i]) for i in range(piece.shape[1])]]
        self.writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def __exit__(self, *exc: object) -> None:
        self.close()


class _NetcdfWriter:
    def __init__(self, path: Path, recording: Recording, dim: int, embedder: str) -> None:
        self.path, self.recording, self.dim, self.embedder = path, recording, dim, embedder
        self.file: h5netcdf.File | None = None

    def __enter__(self) -> _NetcdfWriter:
        import h5netcdf

        n_frames = self.recording.n_frames
        self.file = file = h5netcdf.File(self.path, "w")
        file.dimensions = {"frame": n_frames, "dim": self.dim}
        frame = file.create_variable("frame", ("frame",), dtype="i8")
        frame[:] = np.arange(n_frames, dtype=np.int64)
        file.create_variable("dim", ("dim",), dtype="i4")[:] = np.arange(self.dim, dtype=np.int32)
        self.variable = file.create_variable("embedding", ("frame", "dim"), dtype="f4",
                                             chunks=(min(n_frames, 4096), self.dim))
        file.attrs.update(recording=self.recording.name, embedder=self.embedder, fps=float(self.recording.fps))
        return self

    def write(self, start: int, piece: NDArray[np.float32]) -> None:
        self.variable[start : start + len(piece)] = piece

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None

    def __exit__(self, *exc: object) -> None:
        self.close()
