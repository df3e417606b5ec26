"""`Project`: a project folder and its database, and every library call on them.

Each import is one database transaction: when anything fails (a bad row, a duplicate, a
write error) the database is left exactly as it was and no pose file is left behind.
Transactions that write hold the database's write lock from their start
(`ethoforge.store.engine.write_transaction`), so concurrent writers queue instead of failing.
Bouts are 0-based, half-open ``[start, stop)`` frames.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Mapping, Sequence

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ethoforge.atomic import atomic_path
from ethoforge.errors import ConfigError, ConflictError, InputError, NotFoundError, option
from ethoforge.labels import HUMAN_SOURCES, Bout, parse_behaviors, validate_bouts
from ethoforge.overlaps import OverlapRule, parse_overlap_rule, resolve_overlaps
from ethoforge.recording import Recording, content_hash, empty_poses, validate_poses
from ethoforge.store import folder as layout
from ethoforge.store.engine import (
    make_engine,
    sqlite_url,
    upgrade_to_head,
    write_transaction,
)
from ethoforge.store.info import DatasetInfo, LabelCommit, LabelImport, LabelSet, RecordingInfo
from ethoforge.store.jobs_repo import ACTIVE_STATUSES
from ethoforge.store.label_version import (
    ANY_VERSION,
    VERSION_FIELDS,
    FrameCoverage,
    duplicate_index,
    labels_version,
    labels_version_of_rows,
)
from ethoforge.store.models import (
    AnnotatedScopeRow,
    BoutRow,
    DatasetFolderRow,
    DatasetRow,
    JobRow,
    ModelRow,
    RecordingRow,
    utcnow,
)
from ethoforge.store.naming import match_recording_name, recording_name_from_path
from ethoforge.store.own_files import OwnFiles
from ethoforge.store.poses_file import read_poses, write_poses

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ethoforge.io.video import VideoInfo

RecordingRef = str | int
Progress = Callable[[int, int, str], object]
"""``progress(done, total, item)``; called after each item of a multi-item operation."""
AskFps = Callable[[Path, float], "float | None"]
"""``ask_fps(path, assumed)``: the frame rate of a pose file that does not say it (None: keep ``assumed``)."""


@dataclasses.dataclass
class ImportSummary:
    """What `Project.import_recordings` did: recordings imported, files skipped or failed (with why)."""

    imported: list[RecordingInfo] = dataclasses.field(default_factory=list)
    skipped: dict[str, Exception] = dataclasses.field(default_factory=dict)
    failed: dict[str, Exception] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready: ``imported`` (recording dicts), ``skipped`` and ``failed`` ({file: message}), ``frames``."""
        return {"imported": [r.to_dict() for r in self.imported],
                "skipped": {path: str(error) for path, error in self.skipped.items()},
                "failed": {path: str(error) for path, error in self.failed.items()},
                "frames": sum(r.n_frames for r in self.imported)}

def _collection_format(path: Path, format: str) -> str | None:
    """``calms21``/``mabe`` when ``path`` is (or is given as) a multi-recording pose file, else None."""
    from ethoforge.io.poses import COLLECTION_FORMATS, detect_pose_format

    if format == "auto":
        try:
            format = detect_pose_format(path)
        except InputError:
            return None  # the import itself reports the file
    return format if format in COLLECTION_FORMATS else None


_DATASET_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{0,63}$")
# label formats whose files name their recordings themselves (several per file)
_MULTI_RECORDING_LABELS = ("calms21", "mabe")


class Project:
    """An EthoForge project folder: ``project.yaml``, ``ethoforge.db`` and ``poses/``.

    Create with `Project.create`, open with `Project.open`; close with `close` (or use it as
    a context manager).
    """

    def __init__(self, root: Path, engine: "Engine", config: dict, revision: str):
        self.root = root
        self.engine = engine
        self.config = config
        self.revision = revision
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    # ------------------------------------------------------------------ create / open

    @classmethod
    def create(cls, directory: str | Path) -> "Project":
        """Create a project in ``directory`` (made if missing) and return it open.

        Raises
        ------
        ConflictError
            If ``directory`` already holds a project.
        """
        root = Path(directory).expanduser().resolve()
        if (root / layout.PROJECT_FILE).exists():
            raise ConflictError(f"{root} already holds an EthoForge project; open it instead")
        if root.exists() and not root.is_dir():
            raise InputError("exists and is not a folder", root)
        root.mkdir(parents=True, exist_ok=True)
        (root / layout.POSES_DIR).mkdir(exist_ok=True)
        config = {"format_version": layout.FORMAT_VERSION, "created_at": utcnow().isoformat(timespec="seconds")}
        engine = make_engine(sqlite_url(root / layout.DATABASE_FILE))
        revision = upgrade_to_head(engine)
        layout.write_project_file(root, config)  # last: a folder without it is no project
        return cls(root, engine, config, revision)

    @classmethod
    def open(cls, directory: str | Path | None = None) -> "Project":
        """Open the project in ``directory``, or the nearest one at or above the cwd.

        Pending migrations are applied. ``project.yaml`` may name another database with
        ``database: <SQLAlchemy URL>`` (e.g. PostgreSQL shared by several machines).
        """
        root = layout.find_project_root(directory) if directory is None else Path(directory).expanduser().resolve()
        config = layout.read_project_file(root)
        url = config.get("database") or sqlite_url(root / layout.DATABASE_FILE)
        engine = make_engine(url)
        revision = upgrade_to_head(engine)
        (root / layout.POSES_DIR).mkdir(exist_ok=True)
        return cls(root, engine, config, revision)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> "Project":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Project({str(self.root)!r})"

    @property
    def poses_dir(self) -> Path:
        return self.root / layout.POSES_DIR

    @property
    def own_files(self) -> OwnFiles:
        """The project's own files, which imports and exports refuse (`ethoforge.store.own_files`)."""
        return OwnFiles.of(self.root, self.engine.url)

    @property
    def feature_cache_dir(self) -> Path:
        """Cached video features (`ethoforge.video.encode`): ``features/<encoder>/<video hash>.npy``."""
        return self.root / "features"

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        """A session in a write transaction (write lock taken first); read-only work uses ``_sessions()``."""
        with write_transaction(self._sessions) as session:
            yield session

    # ------------------------------------------------------------------ recordings

    def import_recording(
        self,
        path: str | Path,
        *,
        format: str = "auto",
        name: str | None = None,
        fps: float | None = None,
        individuals: Sequence[str] | None = None,
        keypoints: Sequence[str] | None = None,
        rename: dict[str, str] | None = None,
        video: str | Path | None = None,
        ask_fps: AskFps | None = None,
    ) -> RecordingInfo:
        """Import one pose file as a recording (poses copied to ``poses/<id>.nc``).

        ``name`` defaults to the file stem without tracker suffixes
        (`recording_name_from_path`); the other options go to `ethoforge.io.poses.load_poses`.
        ``video`` links a video file whose frames are the pose frames (frame count and fps
        must agree; checked before anything is stored). A video-only recording of the same
        name gets these poses.
        When neither the file nor ``fps`` gives the frame rate, ``ask_fps(path, assumed)`` may
        supply it (an interactive prompt); otherwise the assumed rate is kept and the returned
        info's ``warnings`` say so.

        Raises
        ------
        ConflictError
            The same file (content hash) or the same name is already in the project.
        InputError
            The file does not fit its format (names the file and the row/frame).
        """
        from ethoforge.io.poses import load_poses
        from ethoforge.io.video import probe_video

        path = Path(path)
        self.own_files.check(path)  # before anything opens it
        if not path.is_file():
            raise InputError("no such file", path)
        name = name or recording_name_from_path(path)
        digest = content_hash(path)
        if _collection_format(path, format) is not None:
            from ethoforge.io.poses import entry_hash

            digest = entry_hash(digest, name)  # one recording of a CalMS21/MABe file
        with self._sessions() as session:
            video_only = self._video_only_row(session, name) is not None
            self._check_new_recording(session, None if video_only else name, digest, path, fps=fps)
        video_info = probe_video(video) if video is not None else None
        recording = load_poses(
            path, format, fps=fps, name=name, individuals=individuals, keypoints=keypoints, rename=rename
        )
        if recording.metadata.get("fps_assumed") and ask_fps is not None:
            answer = ask_fps(path, recording.fps)
            if answer is not None:
                if not answer > 0:
                    raise InputError(f"fps must be a positive number, got {answer!r}", path)
                recording.fps = float(answer)
                recording.metadata["fps_assumed"] = False
        notes = list(recording.metadata.get("warnings", []))  # e.g. keypoints dropped as empty
        if video_info is None and not video_only:
            video_info, note = self._video_beside(path, recording)
            if note:
                notes.append(note)
        info = self.import_recording_object(recording, video=video_info)
        if recording.metadata.get("fps_assumed"):
            notes.append(f"{path.name}: the file does not say its frame rate, so {recording.fps:g} fps was ASSUMED for "
                         f"recording {info.name!r}; every time in seconds (label files, durations) depends on it. "
                         f"If it is wrong: ethoforge recordings set-fps {info.name} FPS")
        return dataclasses.replace(info, warnings=[*info.warnings, *notes]) if notes else info

    def import_recordings(
        self,
        paths: Iterable[str | Path],
        *,
        format: str = "auto",
        fps: float | None = None,
        individuals: Sequence[str] | None = None,
        keypoints: Sequence[str] | None = None,
        rename: dict[str, str] | None = None,
        skip_existing: bool = False,
        progress: Progress | None = None,
        ask_fps: AskFps | None = None,
    ) -> ImportSummary:
        """Import pose files and folders of them (see `find_pose_files`), one transaction each.

        A file that fails (bad content, or already in the project) does not stop the others:
        it is listed in ``failed`` with the reason. With ``skip_existing``, a file already
        imported — same content, or a recording of the same name — is listed in ``skipped``
        instead and nothing is read from it. A CalMS21 or MABe file holding several sequences
        gives one recording per sequence, named as the file names them (one transaction each;
        ``failed``/``skipped`` keys ``"<file> (<sequence>)"``).
        """
        files = find_pose_files(paths, format=format, own=self.own_files)
        summary = ImportSummary()
        options = dict(fps=fps, individuals=individuals, keypoints=keypoints, rename=rename)
        for done, path in enumerate(files, start=1):
            if _collection_format(path, format) is not None and self._import_sequences(
                    path, format, options, skip_existing, ask_fps, summary):
                if progress is not None:
                    progress(done, len(files), path.name)
                continue
            try:
                if skip_existing:
                    with self._sessions() as session:
                        name = recording_name_from_path(path)
                        video_only = self._video_only_row(session, name) is not None  # gets these poses
                        self._check_new_recording(session, None if video_only else name, content_hash(path), path)
                summary.imported.append(self.import_recording(
                    path, format=format, fps=fps, individuals=individuals, keypoints=keypoints, rename=rename,
                    ask_fps=ask_fps,
                ))
            except ConflictError as error:
                (summary.skipped if skip_existing else summary.failed)[str(path)] = error
            except (InputError, ConfigError, NotFoundError) as error:
                summary.failed[str(path)] = error
            if progress is not None:
                progress(done, len(files), path.name)
        return summary

    def _import_sequences(self, path: Path, format: str, options: dict, skip_existing: bool,
                          ask_fps: AskFps | None, summary: ImportSummary) -> bool:
        """Import every sequence of a multi-recording file into ``summary``; False when it holds just one
        (imported like any file, named after it)."""
        from ethoforge.io.poses import load_pose_collection

        try:
            recordings = load_pose_collection(path, format, **options)
        except (InputError, ConfigError) as error:
            summary.failed[str(path)] = error
            return True
        if len(recordings) == 1:
            return False
        if ask_fps is not None and any(r.metadata.get("fps_assumed") for r in recordings):
            answer = ask_fps(path, recordings[0].fps)
            if answer is not None:
                if not answer > 0:
                    summary.failed[str(path)] = InputError(f"fps must be a positive number, got {answer!r}", path)
                    return True
                for recording in recordings:
                    recording.fps, recording.metadata["fps_assumed"] = float(answer), False
        for recording in recordings:
            key = f"{path} ({recording.name})"
            try:
                info = self.import_recording_object(recording)
            except ConflictError as error:
                (summary.skipped if skip_existing else summary.failed)[key] = error
                continue
            except (InputError, ConfigError, NotFoundError) as error:
                summary.failed[key] = error
                continue
            notes = list(recording.metadata.get("warnings", []))
            if recording.metadata.get("fps_assumed"):
                notes.append(f"{path.name}: the file does not say its frame rate, so {recording.fps:g} fps was "
                             f"ASSUMED for recording {info.name!r}. If it is wrong: "
                             f"ethoforge recordings set-fps {info.name} FPS")
            summary.imported.append(dataclasses.replace(info, warnings=[*info.warnings, *notes]) if notes else info)
        return True

    def import_recording_object(
        self, recording: Recording, bouts: Iterable[Bout] | None = None, *, annotator: str | None = None,
        video: "VideoInfo | None" = None,
    ) -> RecordingInfo:
        """Store a `Recording` built in memory, with its ``bouts`` if given (then the whole
        recording is marked annotated) and ``video`` linked if given (see `import_video`);
        one transaction, poses to ``poses/<id>.nc``. A stored video-only recording of the
        same name gets these poses (frame count and fps must agree with its video)."""
        validate_poses(recording.poses, recording.source_path)
        if video is not None:
            check_video_fits(video, recording.n_frames, recording.fps, f"the poses of {recording.name!r}")
        video_hash = content_hash(video.path) if video is not None else None
        written: Path | None = None
        try:
            with self._transaction() as session:
                row = self._video_only_row(session, recording.name)
                if row is not None:
                    if video is not None:
                        raise ConflictError(f"recording {recording.name!r} already has the video {row.video_path}; "
                                            f"drop {option('video')}")
                    check_video_fits(_video_of(row), recording.n_frames, recording.fps,
                                     f"the poses {recording.source_path or recording.name}")
                    if abs(row.fps - recording.fps) > FPS_TOLERANCE * row.fps:  # its frames become the pose frames
                        self._check_unlabelled(session, row, recording)
                        row.n_frames, row.fps = recording.n_frames, float(recording.fps)
                    self._check_new_recording(session, None, recording.content_hash,
                                              recording.source_path)
                    row.content_hash = recording.content_hash
                    row.source_path = str(recording.source_path) if recording.source_path else None
                    row.individuals, row.keypoints = recording.individuals, recording.keypoints
                    row.source_format = recording.source_format
                else:
                    self._check_new_recording(session, recording.name, recording.content_hash,
                                              recording.source_path)
                    if video is not None and video_hash is not None:
                        self._check_new_video(session, video_hash, video.path)
                    row = RecordingRow(
                        name=recording.name,
                        source_path=str(recording.source_path) if recording.source_path else None,
                        content_hash=recording.content_hash,
                        fps=float(recording.fps),
                        n_frames=recording.n_frames,
                        individuals=recording.individuals,
                        keypoints=recording.keypoints,
                        source_format=recording.source_format,
                        poses_path="",
                        **_video_columns(video, video_hash),
                    )
                    session.add(row)
                session.flush()
                row.poses_path = f"{layout.POSES_DIR}/{row.id}.nc"
                written = self.root / row.poses_path
                write_poses(recording.poses, written, recording.metadata)
                n_bouts = 0
                if bouts is not None:
                    n_bouts = self._add_bouts(session, row, list(bouts), annotator=annotator, replace=False,
                                              source_path=recording.source_path, mark_scope=True)
                session.flush()
                info = _recording_info(row, n_bouts)
        except IntegrityError as error:
            if written is not None:
                written.unlink(missing_ok=True)
            raise ConflictError(f"recording {recording.name!r} conflicts with a stored one: {error.orig}") from None
        except BaseException:
            if written is not None:
                written.unlink(missing_ok=True)
            raise
        return info

    def _check_new_recording(self, session: Session, name: str | None, digest: str, path, *,
                             fps: float | None = None) -> None:
        """Raise `ConflictError` if ``digest`` (or ``name``, unless None) is already stored; when the
        same poses are stored at another rate than ``fps``, the message says how to change it."""
        same = session.scalars(
            select(RecordingRow).where((RecordingRow.content_hash == digest) | (RecordingRow.name == name))
        ).first()
        if same is None:
            return
        where = f" from {path}" if path else ""
        if same.content_hash == digest:
            if fps is not None and abs(fps - same.fps) > 1e-9:
                raise ConflictError(
                    f"these poses{where} are already imported as recording {same.name!r} (id {same.id}) at "
                    f"{same.fps:g} fps; importing again does not change it. To change its frame rate to {fps:g} "
                    f"(labels keep their times in seconds): ethoforge recordings set-fps {same.name} {fps:g}"
                )
            raise ConflictError(
                f"these poses{where} are already imported as recording {same.name!r} (id {same.id}); "
                "nothing was changed"
            )
        raise ConflictError(
            f"a recording named {name!r} already exists (id {same.id}, from {same.source_path}); "
            f"pick another name with {option('name')}"
        )

    def _check_new_video(self, session: Session, digest: str, path: Path) -> None:
        same = session.scalars(select(RecordingRow).where(
            (RecordingRow.video_hash == digest) | (RecordingRow.content_hash == digest))).first()
        if same is not None:
            raise ConflictError(f"the video {path} is already imported, in recording {same.name!r} (id {same.id}); "
                                "nothing was changed")

    def _video_beside(self, pose_path: Path, recording: Recording) -> "tuple[VideoInfo | None, str | None]":
        """The video beside a pose file, named like the recording or the file (``arena.mp4`` for
        ``arena.csv``), if it fits the poses and is not imported yet; else ``(None, why not)``
        (``(None, None)`` when there is no such file). It is linked, not copied, so the label
        page shows it wherever it lies."""
        from ethoforge.io.video import VIDEO_SUFFIXES, probe_video

        stems = dict.fromkeys([recording.name, pose_path.stem])
        candidates = [pose_path.with_name(stem + suffix) for stem in stems for suffix in VIDEO_SUFFIXES]
        found = next((c for c in candidates if c.is_file() and self.own_files.why(c) is None), None)
        if found is None:
            return None, None
        try:
            video = probe_video(found)
            check_video_fits(video, recording.n_frames, recording.fps, f"the poses of {recording.name!r}")
        except InputError as error:
            return None, f"{found.name} beside {pose_path.name} was not linked as its video: {error}"
        with self._sessions() as session:
            digest = content_hash(found)
            if session.scalars(select(RecordingRow.id).where(RecordingRow.video_hash == digest)).first() is not None:
                return None, f"{found.name} beside {pose_path.name} was not linked: another recording has that video"
        return video, None

    def _check_unlabelled(self, session: Session, row: RecordingRow, recording: Recording) -> None:
        """Raise `ConflictError` when the video-only ``row`` has labels, whose video frames
        poses at another rate would renumber."""
        labelled = session.scalar(select(func.count()).where(BoutRow.recording_id == row.id)) or \
            session.scalar(select(func.count()).where(AnnotatedScopeRow.recording_id == row.id))
        if labelled:
            raise ConflictError(
                f"recording {row.name!r} is labelled on its video's {row.n_frames:,} frames at {row.fps:g} fps; poses "
                f"at {recording.fps:g} fps ({recording.n_frames:,} frames) would renumber them, so nothing was "
                "changed. Import the poses as a recording of their own, or at the video's rate")

    def _video_only_row(self, session: Session, name: str) -> RecordingRow | None:
        return session.scalars(select(RecordingRow).where(
            RecordingRow.name == name, RecordingRow.poses_path == "")).first()

    def import_video(
        self, path: str | Path, *, name: str | None = None, recording: RecordingRef | None = None,
    ) -> RecordingInfo:
        """Import a video (not copied: its absolute path and SHA-256 are stored).

        It is linked to the pose recording ``recording`` (name or id) when given, else to the
        recording without a video whose name is ``name`` (default: the file stem without
        tracker suffixes); otherwise it becomes a new video-only recording of that name.
        A linked video must have the poses' frame count and fps. One transaction.

        Raises
        ------
        InputError
            Unreadable, truncated or variable-frame-rate video (names the file), or a video
            whose frame count or fps disagrees with the poses it is linked to.
        ConflictError
            The same video is already imported, or the recording already has a video.
        NotFoundError
            ``recording`` names no recording.
        """
        from ethoforge.io.video import probe_video

        path = Path(path).expanduser()
        self.own_files.check(path)  # before anything opens it
        path = path.resolve()
        video = probe_video(path)
        digest = content_hash(path)
        name = name or recording_name_from_path(path)
        with self._transaction() as session:
            self._check_new_video(session, digest, path)
            row: RecordingRow | None
            if recording is not None:
                row = self._recording_row(session, recording)
            else:
                row = session.scalars(select(RecordingRow).where(RecordingRow.name == name)).first()
            if row is not None:
                if row.video_path:
                    raise ConflictError(f"recording {row.name!r} already has the video {row.video_path}; "
                                        f"import {path.name} under another name with {option('name')}")
                check_video_fits(video, row.n_frames, row.fps, f"the poses of recording {row.name!r}")
                for key, value in _video_columns(video, digest).items():
                    setattr(row, key, value)
            else:
                row = RecordingRow(name=name, source_path=str(path), content_hash=digest, fps=video.fps,
                                   n_frames=video.n_frames, individuals=[], keypoints=[], source_format="video",
                                   poses_path="", **_video_columns(video, digest))
                session.add(row)
            session.flush()
            count = session.scalar(select(func.count()).where(BoutRow.recording_id == row.id))
            return _recording_info(row, count or 0)

    def import_videos(
        self, paths: Iterable[str | Path], *, skip_existing: bool = False, progress: Progress | None = None,
    ) -> list[RecordingInfo]:
        """Import video files and folders of them (see `find_video_files`), one transaction
        each (see `import_video`); stops at the first failing file. With ``skip_existing``,
        videos already imported (same content) are skipped."""
        files = find_video_files(paths, own=self.own_files)
        known = {r.video_hash for r in self.recordings()} if skip_existing else set()
        imported = []
        for done, path in enumerate(files, start=1):
            if not (skip_existing and content_hash(path) in known):
                imported.append(self.import_video(path))
            if progress is not None:
                progress(done, len(files), path.name)
        return imported

    def recordings(self) -> list[RecordingInfo]:
        """Every recording, in import order, with its number of human (manual/confirmed) bouts."""
        with self._sessions() as session:
            counts = dict(session.execute(
                select(BoutRow.recording_id, func.count()).where(BoutRow.source.in_(HUMAN_SOURCES))
                .group_by(BoutRow.recording_id)
            ).all())
            rows = session.scalars(select(RecordingRow).order_by(RecordingRow.id)).all()
            return [_recording_info(row, counts.get(row.id, 0)) for row in rows]

    def get_recording(self, ref: RecordingRef) -> RecordingInfo:
        """A recording by name (first) or id; `NotFoundError` lists the known names."""
        with self._sessions() as session:
            row = self._recording_row(session, ref)
            count = session.scalar(select(func.count()).where(
                BoutRow.recording_id == row.id, BoutRow.source.in_(HUMAN_SOURCES)))
            return _recording_info(row, count or 0)

    def load_recording(self, ref: RecordingRef) -> Recording:
        """The stored `Recording` (poses read from its netCDF file; `empty_poses` when video only)."""
        info = self.get_recording(ref)
        if info.has_poses:
            poses, metadata = read_poses(self.root / info.poses_path)
        else:
            poses, metadata = empty_poses(info.n_frames), {}
        return Recording(
            name=info.name,
            poses=poses,
            fps=info.fps,
            source_path=Path(info.source_path) if info.source_path else None,
            content_hash=info.content_hash,
            source_format=info.source_format,
            metadata=metadata,
            video_path=Path(info.video_path) if info.video_path else None,
            video_hash=info.video_hash,
            feature_cache=self.feature_cache_dir,
            video_fps=info.video_fps if info.has_video else None,
            video_frames=info.video_frames if info.has_video else None,
        )

    def _recording_row(self, session: Session, ref: RecordingRef) -> RecordingRow:
        row = None
        if isinstance(ref, str):
            row = session.scalars(select(RecordingRow).where(RecordingRow.name == ref)).first()
        if row is None and (isinstance(ref, int) or str(ref).isdigit()):
            row = session.get(RecordingRow, int(ref))
        if row is None:
            names = session.scalars(select(RecordingRow.name).order_by(RecordingRow.id).limit(11)).all()
            known = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "") if names else "none yet"
            raise NotFoundError(f"no recording {ref!r} in the project; recordings: {known}")
        return row

    # ------------------------------------------------------------------ labels

    def import_labels(
        self,
        path: str | Path,
        format: str,
        *,
        recording: RecordingRef | None = None,
        fps: float | None = None,
        annotator: str | None = None,
        replace: bool = False,
        behaviors: Sequence[str] | None = None,
        columns: Mapping[str, str] | None = None,
        overlap: str | OverlapRule | None = None,
        clip: bool = False,
        table: str | None = None,
    ) -> LabelImport:
        """Import a label file's bouts; return how many were added and what was resolved.

        The bouts go to ``recording`` when given, else to the recording whose name equals the
        file stem or is a prefix of it at a word edge (``rec1`` for ``rec1_reencode.csv``),
        else to the recordings the file names itself (CalMS21, MABe, BORIS media files).
        Times in seconds are converted with the recording's fps; ``fps`` must agree with it.
        The whole recording is marked as annotated (an annotated scope).

        ``annotator`` names who labelled; where the file names annotators itself (an
        ``annotator`` column) only that annotator's bouts are imported. ``behaviors`` keeps only
        these behaviors; ``columns`` maps a bout table's column names to ours (see
        `ethoforge.io.intervals`); ``overlap`` (``"priority:A,B"`` or ``"later-wins"``, see
        `ethoforge.overlaps`) resolves overlapping bouts of different behaviors; ``clip`` cuts
        bouts at the recording's last pose frame (and drops those that start after it);
        ``table`` names the NWB intervals table to read.

        Raises
        ------
        InputError
            Bad rows, bouts past the last pose frame, ``stop <= start``, overlaps of mutually
            exclusive behaviors, behaviors not in the recording's dataset, contradictory fps.
        NotFoundError
            No recording matches the file.
        ConflictError
            Bouts already stored (pass ``replace=True`` to replace the human labels).
        """
        from ethoforge.io.labels import LABEL_FORMATS, load_labels

        path = Path(path)
        if format not in LABEL_FORMATS:
            raise ConfigError(f"unknown label format {format!r}; expected one of {list(LABEL_FORMATS)}")
        self.own_files.check(path)  # before anything opens it
        if not path.is_file():
            raise InputError("no such file", path)
        recordings = {r.name: r for r in self.recordings()}
        target: RecordingInfo | None = None
        if recording is not None:
            target = self.get_recording(recording)
        elif format not in _MULTI_RECORDING_LABELS:
            matched = match_recording_name(path.stem, recordings, path)
            target = recordings[matched] if matched else None

        rule = parse_overlap_rule(overlap) if isinstance(overlap, str) else overlap
        groups: dict[str, list[Bout]] = {}
        if target is not None:
            _check_fps_agrees(fps, target, path)
            bouts = load_labels(path, format, fps=target.fps, recording=target.name,
                                n_frames=None if clip else target.n_frames, behaviors=behaviors, columns=columns,
                                table=table)
            groups[target.name] = bouts
        else:
            try:
                probe = load_labels(path, format, fps=fps, behaviors=behaviors, columns=columns, table=table)
            except InputError as error:
                if format in _MULTI_RECORDING_LABELS:
                    raise
                where = f" ({error.location})" if error.location else ""
                raise NotFoundError(
                    f"{path}: no recording in the project matches the file name {path.stem!r} (recordings: "
                    f"{_some(recordings)}); import its poses first or pass {option('recording', 'NAME')}. "
                    f"Reading the file for recording names failed too{where}: {error.detail}"
                ) from None
            if not probe:
                raise NotFoundError(
                    f"{path}: no recording in the project matches the file name {path.stem!r} (recordings: "
                    f"{_some(recordings)}) and the file names none; pass {option('recording', 'NAME')}"
                )
            names = {b.recording: _resolve_label_recording(b.recording, recordings, path) for b in probe}
            by_rate: dict[float, set[str]] = {}
            for name in names.values():
                _check_fps_agrees(fps, recordings[name], path)
                by_rate.setdefault(recordings[name].fps, set()).add(name)
            for rate, members in by_rate.items():  # seconds → frames at each recording's own fps
                for bout in load_labels(path, format, fps=rate, behaviors=behaviors, columns=columns, table=table):
                    if names.get(bout.recording) in members:
                        groups.setdefault(names[bout.recording], []).append(bout)
        bouts = [b for found in groups.values() for b in found]
        if annotator is not None and any(b.annotator for b in bouts):
            bouts = _of_annotator(bouts, annotator, path)
        clipped = dropped = 0
        if clip:
            bouts, clipped, dropped = _clip_bouts(bouts, {name: recordings[name].n_frames for name in groups})
        report = None
        if rule is not None:
            bouts, report = resolve_overlaps(bouts, rule)
        with self._transaction() as session:
            added = 0
            for name in groups:
                row = self._recording_row(session, name)
                added += self._add_bouts(session, row, [b for b in bouts if b.recording == name], annotator=annotator,
                                         replace=replace, source_path=path, mark_scope=True)
        return LabelImport(added, report, clipped, dropped)

    def add_bouts(
        self,
        recording: RecordingRef,
        bouts: Iterable[Bout],
        *,
        annotator: str | None = None,
        replace: bool = False,
        mark_scope: bool = False,
    ) -> int:
        """Validate and store bouts of one recording (one transaction); return how many.

        ``replace`` first drops the recording's human (manual/confirmed) bouts;
        ``mark_scope`` marks the whole recording as annotated.
        """
        with self._transaction() as session:
            row = self._recording_row(session, recording)
            return self._add_bouts(session, row, list(bouts), annotator=annotator, replace=replace,
                                   source_path=None, mark_scope=mark_scope)

    def _add_bouts(
        self,
        session: Session,
        row: RecordingRow,
        bouts: list[Bout],
        *,
        annotator: str | None,
        replace: bool,
        source_path: Path | None,
        mark_scope: bool,
    ) -> int:
        bouts = [b.with_(recording=row.name, annotator=b.annotator or annotator) for b in bouts]
        datasets = self._datasets_of(session, row.id)
        allowed = sorted({name for d in datasets for name in d.behaviors}) if datasets else None
        validate_bouts(bouts, n_frames=row.n_frames, behaviors=allowed, individuals=row.individuals,
                       source=source_path)
        existing_rows = session.scalars(select(BoutRow).where(BoutRow.recording_id == row.id)).all()
        if replace:
            session.execute(delete(BoutRow).where(
                BoutRow.recording_id == row.id, BoutRow.source.in_(HUMAN_SOURCES)
            ))
            existing_rows = [r for r in existing_rows if r.source not in HUMAN_SOURCES]
        existing = [_bout(r, row.name) for r in existing_rows]
        stored = {_bout_key(b) for b in existing}
        for bout in bouts:
            if _bout_key(bout) in stored:
                raise ConflictError(
                    f"{source_path or 'bouts'}: {bout.behavior!r} [{bout.start}, {bout.stop}) of recording "
                    f"{row.name!r} is already stored; to replace the recording's labels use {option('replace')}"
                )
        validate_bouts([b for b in existing + bouts if b.source in HUMAN_SOURCES], disjoint=True, source=source_path)
        for dataset in datasets:
            members = [b for b in existing + bouts if b.behavior in dataset.behaviors]
            validate_bouts(members, exclusive=True, source=source_path)
        session.add_all(
            BoutRow(recording_id=row.id, behavior=b.behavior, start=b.start, stop=b.stop, agent=b.agent,
                    target=b.target, source=b.source, annotator=b.annotator, score=b.score)
            for b in bouts
        )
        if mark_scope:
            self._mark_scope(session, row, annotator)
        session.flush()
        return len(bouts)

    def _mark_scope(self, session: Session, row: RecordingRow, annotator: str | None) -> None:
        exists = session.scalars(select(AnnotatedScopeRow).where(
            AnnotatedScopeRow.recording_id == row.id, AnnotatedScopeRow.behavior.is_(None),
            AnnotatedScopeRow.start == 0, AnnotatedScopeRow.stop == row.n_frames,
        )).first()
        if exists is None:
            session.add(AnnotatedScopeRow(recording_id=row.id, behavior=None, start=0, stop=row.n_frames,
                                          annotator=annotator))

    def get_bouts(
        self,
        recording: RecordingRef,
        behaviors: Sequence[str] | None = None,
        *,
        sources: Sequence[str] | None = None,
    ) -> list[Bout]:
        """Bouts of a recording ordered by start (optionally only some behaviors / sources)."""
        with self._sessions() as session:
            row = self._recording_row(session, recording)
            query = select(BoutRow).where(BoutRow.recording_id == row.id)
            if behaviors is not None:
                query = query.where(BoutRow.behavior.in_(list(behaviors)))
            if sources is not None:
                query = query.where(BoutRow.source.in_(list(sources)))
            rows = session.scalars(query.order_by(BoutRow.start, BoutRow.behavior, BoutRow.id)).all()
            return [_bout(r, row.name) for r in rows]

    def annotated_scopes(self, recording: RecordingRef) -> list[tuple[str | None, int, int]]:
        """``(behavior or None for all, start, stop)`` ranges a person looked at."""
        with self._sessions() as session:
            row = self._recording_row(session, recording)
            rows = session.scalars(select(AnnotatedScopeRow).where(AnnotatedScopeRow.recording_id == row.id)
                                   .order_by(AnnotatedScopeRow.start)).all()
            return [(r.behavior, r.start, r.stop) for r in rows]

    def human_bout_counts(self, recordings: Sequence[str]) -> dict[str, int]:
        """``{behavior: number of human (manual/confirmed) bouts}`` over the named recordings."""
        if not recordings:
            return {}
        with self._sessions() as session:
            rows = session.execute(
                select(BoutRow.behavior, func.count()).join(RecordingRow, RecordingRow.id == BoutRow.recording_id)
                .where(RecordingRow.name.in_(list(recordings)), BoutRow.source.in_(HUMAN_SOURCES))
                .group_by(BoutRow.behavior)).all()
        return {behavior: int(n) for behavior, n in rows}

    def label_counts(self, recording: RecordingRef) -> dict[str, dict[str, dict[str, int]]]:
        """``{behavior: {source: {"bouts": n, "frames": n}}}`` of one recording."""
        with self._sessions() as session:
            row = self._recording_row(session, recording)
            rows = session.execute(
                select(BoutRow.behavior, BoutRow.source, func.count(), func.sum(BoutRow.stop - BoutRow.start))
                .where(BoutRow.recording_id == row.id).group_by(BoutRow.behavior, BoutRow.source)
            ).all()
        counts: dict[str, dict[str, dict[str, int]]] = {}
        for behavior, source, n, frames in rows:
            counts.setdefault(behavior, {})[source] = {"bouts": int(n), "frames": int(frames or 0)}
        return counts

    # ------------------------------------------------------------------ versioned labels

    def labels(self, recording: RecordingRef, behaviors: Sequence[str] | None = None) -> LabelSet:
        """The recording's bouts ordered by start and the version of its human labels (one snapshot).

        ``behaviors`` filters the bouts listed, not the version (see `labels_version`).
        """
        with self._sessions() as session, session.begin():
            row = self._recording_row(session, recording)
            rows = session.execute(select(*_BOUT_COLUMNS).where(BoutRow.recording_id == row.id)
                                   .order_by(BoutRow.start, BoutRow.behavior, BoutRow.id)).all()
            version = labels_version(r for r in rows if r.source in HUMAN_SOURCES)
            name = row.name
        wanted = set(behaviors) if behaviors else None
        bouts = [Bout(name, r.behavior, r.start, r.stop, agent=r.agent, target=r.target, source=r.source,
                      annotator=r.annotator, score=r.score)
                 for r in rows if wanted is None or r.behavior in wanted]
        return LabelSet(name, bouts, version)

    def labels_json(self, recording: RecordingRef, behaviors: Sequence[str] | None = None) -> tuple[int, str, str]:
        """``(recording id, labels version, JSON array of the bouts)`` read together: what `labels`
        gives, already as JSON objects with the fields `BOUT_COLUMNS` (one snapshot).

        On SQLite the database writes the JSON, so listing 10,000 bouts takes milliseconds.
        """
        if self.engine.dialect.name != "sqlite":
            import json

            from ethoforge.labels import BOUT_COLUMNS

            listed = self.labels(recording, behaviors)
            bouts = [{column: getattr(b, column) for column in BOUT_COLUMNS} for b in listed.bouts]
            return self.get_recording(listed.recording).id, listed.version, json.dumps(bouts, separators=(",", ":"))
        wanted = list(behaviors) if behaviors else []
        listing = (
            "SELECT json_group_array(json_object('recording', ?, 'behavior', behavior, 'start', start, "
            "'stop', stop, 'agent', agent, 'target', target, 'source', source, 'annotator', annotator, "
            "'score', score)) FROM (SELECT * FROM bouts WHERE recording_id = ?"
            + (f" AND behavior IN ({', '.join('?' * len(wanted))})" if wanted else "") + " ORDER BY start, behavior, id)"
        )
        human = (f"SELECT {', '.join(VERSION_FIELDS)} FROM bouts WHERE recording_id = ? "
                 f"AND source IN ({', '.join('?' * len(HUMAN_SOURCES))})")
        with self._sessions() as session, session.begin():
            row = self._recording_row(session, recording)
            cursor = session.connection().connection.cursor()  # plain tuples: no per-row objects
            try:
                version = labels_version_of_rows(cursor.execute(human, (row.id, *HUMAN_SOURCES)).fetchall())
                bouts = cursor.execute(listing, (row.name, row.id, *wanted)).fetchone()[0]
            finally:
                cursor.close()
            return row.id, version, bouts

    def labels_version(self, recording: RecordingRef) -> str:
        """The version of the recording's human (manual and confirmed) bouts: a digest of them,
        so it changes with every commit that changes them and needs no counter."""
        with self._sessions() as session:
            row = self._recording_row(session, recording)
            return self._labels_version(session, row.id)

    def _labels_version(self, session: Session, recording_id: int) -> str:
        rows = session.execute(select(*_BOUT_COLUMNS).where(
            BoutRow.recording_id == recording_id, BoutRow.source.in_(HUMAN_SOURCES))).all()
        return labels_version(rows)

    def commit_labels(
        self,
        recording: RecordingRef,
        bouts: Sequence[Bout],
        *,
        expected_version: str,
        annotator: str | None = None,
        mark_annotated: bool = False,
        rejected: Sequence[Bout] = (),
    ) -> LabelCommit:
        """Replace the recording's human bouts by ``bouts`` if its labels are still at ``expected_version``.

        One write transaction: two editors cannot both commit against one version, and a
        crash leaves the old labels or the new ones. Only ``manual`` and ``confirmed`` bouts
        may be given (their ``recording`` field is ignored); ``annotator`` fills in bouts
        without one. Stored predictions that overlap a committed bout are removed (a person
        decided those frames); other predictions stay, except the ``rejected`` ones: stored
        predictions a person deleted (matched on behavior, agent, start and stop), which are
        removed in the same transaction. ``mark_annotated`` marks the whole recording as annotated.

        Raises
        ------
        ConflictError
            The labels changed since ``expected_version`` was read (`ANY_VERSION` ``"*"`` skips the check).
        InputError
            A bout that is not human, past the recording's end, of a behavior outside its
            datasets, overlapping a bout of another mutually exclusive behavior, or listed twice.
        """
        wrong = [b for b in bouts if b.source not in HUMAN_SOURCES]
        if wrong:
            raise InputError(f"only manual or confirmed bouts are stored, got source {wrong[0].source!r}")
        with self._transaction() as session:
            row = self._recording_row(session, recording)
            current = self._labels_version(session, row.id)
            if expected_version != ANY_VERSION and expected_version != current:
                raise ConflictError(
                    f"the labels of recording {row.name!r} changed since you read them (your version "
                    f"{expected_version}, now {current}); reload them, merge your changes and commit again"
                )
            bouts = [b.with_(recording=row.name, annotator=b.annotator or annotator) for b in bouts]
            datasets = self._datasets_of(session, row.id)
            allowed = sorted({name for d in datasets for name in d.behaviors}) if datasets else None
            twice = duplicate_index(bouts)
            if twice is not None:
                bout = bouts[twice]
                raise InputError(f"{bout.behavior!r} [{bout.start}, {bout.stop}) is listed twice",
                                 location=f"bout {twice + 1}")
            validate_bouts(bouts, n_frames=row.n_frames, behaviors=allowed, individuals=row.individuals,
                           disjoint=True, source=f"recording {row.name}")
            for dataset in datasets:
                validate_bouts([b for b in bouts if b.behavior in dataset.behaviors], exclusive=True,
                               source=f"recording {row.name}, dataset {dataset.name}")
            covered = FrameCoverage(bouts)
            superseded = [r.id for r in session.execute(select(BoutRow.id, BoutRow.start, BoutRow.stop).where(
                BoutRow.recording_id == row.id, BoutRow.source == "predicted")) if covered.overlaps(r.start, r.stop)]
            superseded += self._rejected_prediction_ids(session, row.id, rejected, exclude=set(superseded))
            session.execute(delete(BoutRow).where(BoutRow.recording_id == row.id, BoutRow.source.in_(HUMAN_SOURCES)))
            for start in range(0, len(superseded), 500):
                session.execute(delete(BoutRow).where(BoutRow.id.in_(superseded[start:start + 500])))
            _insert_bouts(session, row.id, bouts)
            if mark_annotated:
                self._mark_scope(session, row, annotator)
        return LabelCommit(stored=len(bouts), superseded=len(superseded), version=labels_version(bouts))

    @staticmethod
    def _rejected_prediction_ids(session: Session, recording_id: int, rejected: Sequence[Bout],
                                 exclude: set[int]) -> list[int]:
        """Ids of the stored predictions equal to a ``rejected`` bout (behavior, agent, start, stop)."""
        if not rejected:
            return []
        wanted = {(b.behavior, b.agent, b.start, b.stop) for b in rejected}
        rows = session.execute(select(BoutRow.id, BoutRow.behavior, BoutRow.agent, BoutRow.start, BoutRow.stop).where(
            BoutRow.recording_id == recording_id, BoutRow.source == "predicted")).all()
        return [r.id for r in rows if r.id not in exclude and (r.behavior, r.agent, r.start, r.stop) in wanted]

    def replace_predicted_bouts(
        self, recording: RecordingRef, bouts: Sequence[Bout], *, behaviors: Sequence[str] | None = None
    ) -> int:
        """Replace the recording's predicted bouts of ``behaviors`` (default: those of ``bouts``)
        by ``bouts``, leaving out those overlapping a human (manual/confirmed) bout; one write
        transaction. Return how many were stored (with ``source="predicted"``).

        Raises
        ------
        InputError
            A bout past the recording's end or with ``stop <= start``.
        """
        names = sorted({b.behavior for b in bouts}) if behaviors is None else list(behaviors)
        with self._transaction() as session:
            row = self._recording_row(session, recording)
            human = FrameCoverage(session.execute(select(BoutRow.start, BoutRow.stop).where(
                BoutRow.recording_id == row.id, BoutRow.source.in_(HUMAN_SOURCES))).all())
            kept = [b.with_(recording=row.name, source="predicted", annotator=None)
                    for b in bouts if not human.overlaps(b.start, b.stop)]
            validate_bouts(kept, n_frames=row.n_frames, source=f"predictions for recording {row.name}")
            session.execute(delete(BoutRow).where(BoutRow.recording_id == row.id, BoutRow.source == "predicted",
                                                  BoutRow.behavior.in_(names)))
            _insert_bouts(session, row.id, kept)
        return len(kept)

    def export_labels(
        self,
        recordings: RecordingRef | Sequence[RecordingRef] | None,
        path: str | Path,
        format: str,
        *,
        behaviors: Sequence[str] | None = None,
    ) -> list[Path]:
        """Write stored bouts with `ethoforge.io.labels.save_labels`; return the files written.

        One recording: ``path`` is the file. Several (or ``None`` for all): ``path`` is a
        folder receiving ``<recording><suffix>`` per recording. ``behaviors`` defaults to the
        recording's dataset behaviors, else the behaviors of its bouts.
        """
        from ethoforge.io.labels import LABEL_FORMATS, save_labels

        if format not in LABEL_FORMATS:
            raise ConfigError(f"unknown label format {format!r}; expected one of {list(LABEL_FORMATS)}")
        path = Path(path)
        refs: list[str | int]
        if isinstance(recordings, (str, int)):
            single, refs = True, [recordings]
        else:
            single, refs = False, [r.id for r in self.recordings()] if recordings is None else list(recordings)
        if not single:
            path.mkdir(parents=True, exist_ok=True)
        written = []
        for ref in refs:
            info = self.get_recording(ref)
            bouts = self.get_bouts(info.id, behaviors)
            names = list(behaviors) if behaviors else self._behaviors_for(info.id, bouts)
            target = path if single else path / f"{info.name}{_EXPORT_SUFFIX.get(format, '.csv')}"
            self.own_files.check(target)  # never written over
            with atomic_path(target) as temporary:
                save_labels(bouts, temporary, format, fps=info.fps, n_frames=info.n_frames, behaviors=names)
            written.append(target)
        return written

    def _behaviors_for(self, recording_id: int, bouts: list[Bout]) -> list[str]:
        with self._sessions() as session:
            datasets = self._datasets_of(session, recording_id)
        if datasets:
            return list(datasets[0].behaviors)
        return sorted({b.behavior for b in bouts})

    # ------------------------------------------------------------------ datasets

    def create_dataset(
        self,
        name: str,
        behaviors: str | Sequence[str],
        recordings: Sequence[RecordingRef] = (),
        folders: Sequence[str | Path] = (),
    ) -> DatasetInfo:
        """Create a dataset of 1-20 mutually exclusive behaviors (``"a;b;c"`` or a list).

        ``folders`` add every imported recording whose pose file lies in them (and are
        remembered). The recordings' stored bouts of these behaviors must not overlap.
        """
        _check_dataset_name(name)
        names = parse_behaviors(behaviors)
        with self._transaction() as session:
            if session.scalars(select(DatasetRow).where(DatasetRow.name == name)).first() is not None:
                raise ConflictError(f"a dataset named {name!r} already exists; pick another name")
            rows = {row.id: row for row in (self._recording_row(session, ref) for ref in recordings)}
            folder_paths = []
            for entry in folders:
                folder_path = Path(entry).expanduser().resolve()
                if not folder_path.is_dir():
                    raise InputError("not a folder", folder_path)
                inside = [r for r in session.scalars(select(RecordingRow)).all()
                          if r.source_path and Path(r.source_path).resolve().is_relative_to(folder_path)]
                if not inside:
                    raise InputError(
                        "no imported recording comes from this folder; run `ethoforge import poses "
                        f"{folder_path}` first", folder_path,
                    )
                rows.update((r.id, r) for r in inside)
                folder_paths.append(str(folder_path))
            _check_exclusive(rows.values(), names)
            dataset = DatasetRow(name=name, behaviors=names, recordings=list(rows.values()),
                                 folders=[DatasetFolderRow(folder=f) for f in folder_paths])
            session.add(dataset)
            session.flush()
            return _dataset_info(dataset)

    def datasets(self) -> list[DatasetInfo]:
        """Every dataset, oldest first."""
        with self._sessions() as session:
            return [_dataset_info(d) for d in session.scalars(select(DatasetRow).order_by(DatasetRow.id)).all()]

    def get_dataset(self, ref: str | int) -> DatasetInfo:
        """A dataset by name (or id)."""
        with self._sessions() as session:
            return _dataset_info(self._dataset_row(session, ref))

    def update_dataset(
        self,
        ref: str | int,
        *,
        name: str | None = None,
        behaviors: str | Sequence[str] | None = None,
        recordings: Sequence[RecordingRef] | None = None,
        add_recordings: Sequence[RecordingRef] = (),
        remove_recordings: Sequence[RecordingRef] = (),
    ) -> DatasetInfo:
        """Rename a dataset, change its behaviors or its recordings (``recordings`` replaces
        them, then ``add_recordings`` / ``remove_recordings`` apply); one transaction.

        Raises
        ------
        ConflictError
            The new name is taken, or a behavior dropped from the list still has stored human
            bouts on one of the dataset's recordings (and no other dataset of it allows it).
        InputError
            A bad name or behaviors, or stored bouts of the dataset's recordings that overlap
            across its (mutually exclusive) behaviors.
        NotFoundError
            No such dataset or recording.
        """
        with self._transaction() as session:
            row = self._dataset_row(session, ref)
            if name is not None and name != row.name:
                _check_dataset_name(name)
                if session.scalar(select(func.count()).where(DatasetRow.name == name)):
                    raise ConflictError(f"a dataset named {name!r} already exists; pick another name")
                row.name = name
            dropped: list[str] = []
            if behaviors is not None:
                new_behaviors = parse_behaviors(behaviors)
                dropped = [b for b in row.behaviors if b not in new_behaviors]
                row.behaviors = new_behaviors
            members = {r.id: r for r in row.recordings}
            if recordings is not None:
                members = {r.id: r for r in (self._recording_row(session, entry) for entry in recordings)}
            for entry in add_recordings:
                added = self._recording_row(session, entry)
                members[added.id] = added
            for entry in remove_recordings:
                members.pop(self._recording_row(session, entry).id, None)
            row.recordings = sorted(members.values(), key=lambda r: r.id)
            _check_exclusive(row.recordings, row.behaviors)
            if dropped:
                self._check_still_allowed(session, row, dropped)
            session.flush()
            return _dataset_info(row)

    def _check_still_allowed(self, session: Session, dataset: DatasetRow, dropped: Sequence[str]) -> None:
        """Refuse dropping behaviors whose stored human bouts on the dataset's recordings no other
        dataset of the recording allows (every later commit of their labels would fail)."""
        for recording in dataset.recordings:
            others = {b for d in self._datasets_of(session, recording.id) if d.id != dataset.id for b in d.behaviors}
            lost = [b for b in dropped if b not in others]
            if not lost:
                continue
            used = session.execute(
                select(BoutRow.behavior, func.count()).where(
                    BoutRow.recording_id == recording.id, BoutRow.behavior.in_(lost),
                    BoutRow.source.in_(HUMAN_SOURCES)).group_by(BoutRow.behavior).order_by(BoutRow.behavior)
            ).all()
            if used:
                counts = ", ".join(f"{n} bout(s) of {b!r}" for b, n in used)
                raise ConflictError(
                    f"dataset {dataset.name!r} cannot drop behavior(s) {[b for b, _ in used]}: recording "
                    f"{recording.name!r} has {counts} stored; delete or relabel those bouts first (or remove the "
                    "recording from the dataset); nothing was changed"
                )

    def delete_dataset(self, ref: str | int) -> None:
        """Delete a dataset (its recordings, labels and models stay; models lose their dataset link).

        Raises
        ------
        ConflictError
            A job of the dataset is pending or running; cancel it first.
        """
        with self._transaction() as session:
            row = self._dataset_row(session, ref)
            busy = session.scalars(select(JobRow.id).where(
                JobRow.dataset_id == row.id, JobRow.status.in_(("pending", *ACTIVE_STATUSES)))).all()
            if busy:
                raise ConflictError(f"dataset {row.name!r} has unfinished jobs {list(busy)}; cancel them first")
            session.delete(row)

    def _dataset_row(self, session: Session, ref: str | int) -> DatasetRow:
        row = session.scalars(select(DatasetRow).where(DatasetRow.name == str(ref))).first()
        if row is None and str(ref).isdigit():
            row = session.get(DatasetRow, int(ref))
        if row is None:
            names = session.scalars(select(DatasetRow.name).order_by(DatasetRow.id)).all()
            raise NotFoundError(f"no dataset {ref!r}; datasets: {', '.join(names) or 'none yet'}")
        return row

    def _datasets_of(self, session: Session, recording_id: int) -> list[DatasetRow]:
        return list(session.scalars(
            select(DatasetRow).where(DatasetRow.recordings.any(RecordingRow.id == recording_id))
            .order_by(DatasetRow.id)
        ).all())

    # ------------------------------------------------------------------ overview

    def summary(self) -> dict:
        """Counts for a quick look: recordings, frames, bouts per behavior, datasets, models, jobs."""
        with self._sessions() as session:
            n_recordings, n_frames, seconds = session.execute(select(
                func.count(RecordingRow.id), func.coalesce(func.sum(RecordingRow.n_frames), 0),
                func.coalesce(func.sum(RecordingRow.n_frames / RecordingRow.fps), 0.0),
            )).one()
            per_behavior = session.execute(
                select(BoutRow.behavior, func.count(), func.sum(BoutRow.stop - BoutRow.start))
                .group_by(BoutRow.behavior).order_by(BoutRow.behavior)
            ).all()
            jobs = Counter(dict(session.execute(select(JobRow.status, func.count()).group_by(JobRow.status)).all()))
            n_models = session.scalar(select(func.count(ModelRow.id))) or 0
            datasets = [
                {"name": d.name, "behaviors": d.behaviors, "recordings": len(d.recordings)}
                for d in session.scalars(select(DatasetRow).order_by(DatasetRow.id)).all()
            ]
        return {
            "project": str(self.root),
            "format_version": self.config.get("format_version"),
            "schema_revision": self.revision,
            "recordings": int(n_recordings),
            "frames": int(n_frames),
            "duration_s": round(float(seconds), 3),
            "bouts": int(sum(count for _, count, _ in per_behavior)),
            "behaviors": {b: {"bouts": int(c), "frames": int(f)} for b, c, f in per_behavior},
            "datasets": datasets,
            "models": int(n_models),
            "jobs": dict(jobs),
        }


# ---------------------------------------------------------------------- helpers

_EXPORT_SUFFIX = {"calms21": ".json", "mabe": ".parquet", "nwb": ".nwb"}


def find_pose_files(paths: Iterable[str | Path], *, format: str = "auto", own: OwnFiles | None = None) -> list[Path]:
    """Expand files and folders into pose files (folders: every file, recursively, whose
    format `ethoforge.io.poses.detect_pose_format` recognises), in a stable order.

    With ``own`` (`Project.own_files`), the project's own files are refused when named and
    passed over unopened when a folder holds them (or when a folder is the project folder).

    Raises
    ------
    InputError
        A path that does not exist, one of the project's own files, or a folder without any pose file.
    """
    from ethoforge.io.poses import detect_pose_format

    def is_pose_file(candidate: Path) -> bool:
        try:
            detect_pose_format(candidate)
        except InputError:
            return False
        return True

    return _expand(paths, own, is_pose_file, "no pose file found in this folder (looked for DeepLabCut, SLEAP, "
                   "NWB, Anipose, CalMS21, MABe and SimBA files)")


def _expand(paths: Iterable[str | Path], own: OwnFiles | None, keep: Callable[[Path], bool],
            none_found: str) -> list[Path]:
    """Files as given and, for folders, the files below them that ``keep`` accepts (a folder with
    none raises `InputError` with ``none_found``); ``own`` as in `find_pose_files`."""
    files: list[Path] = []
    for entry in paths:
        entry = Path(entry)
        if own is not None:
            own.check(entry)
        if entry.is_file():
            files.append(entry)
        elif entry.is_dir():
            found = [candidate for candidate in _files_below(entry, own) if keep(candidate)]
            if not found:
                raise InputError(none_found, entry)
            files.extend(found)
        else:
            raise InputError("no such file or folder", entry)
    return files


def _files_below(folder: Path, own: OwnFiles | None) -> list[Path]:
    """Every file below ``folder`` (symlinked folders not followed, hidden files and the
    project's own files left out), sorted."""
    import os

    found = []
    for top, folders, names in os.walk(folder):
        here = Path(top)
        folders[:] = [f for f in folders if own is None or own.why(here / f) is None]
        found += [here / n for n in names if not n.startswith(".") and (here / n).is_file()
                  and (own is None or own.why(here / n) is None)]
    return sorted(found)


def find_video_files(paths: Iterable[str | Path], *, own: OwnFiles | None = None) -> list[Path]:
    """Expand files and folders into video files (folders: every file, recursively, with a
    suffix in `ethoforge.io.video.VIDEO_SUFFIXES`), in a stable order; ``own`` as in
    `find_pose_files`.

    Raises
    ------
    InputError
        A path that does not exist, one of the project's own files, or a folder without any video.
    """
    from ethoforge.io.video import VIDEO_SUFFIXES

    return _expand(paths, own, lambda candidate: candidate.suffix.lower() in VIDEO_SUFFIXES,
                   f"no video found in this folder (looked for {', '.join(VIDEO_SUFFIXES)})")


FPS_TOLERANCE = 1e-3
"""Relative difference up to which a video's and poses' frame rates agree."""


def check_video_fits(video: "VideoInfo", n_frames: int, fps: float, what: str) -> None:
    """Raise `InputError` (naming the video) unless it fits ``n_frames`` pose frames at ``fps``:
    at the same rate, the same frame count (frame ``i`` is pose frame ``i``); at another rate,
    the same duration within one frame of the slower rate (video features are then resampled
    onto the pose frames, `ethoforge.video.features`)."""
    if abs(video.fps - fps) <= FPS_TOLERANCE * video.fps:
        if video.n_frames != n_frames:
            raise InputError(
                f"frame counts disagree: the video has {video.n_frames:,} frames but {what} have {n_frames:,}; "
                f"frame i of the video must be pose frame i (pick the right video with {option('video')}, or trim "
                "one of them)",
                video.path)
        return
    video_s, pose_s = video.n_frames / video.fps, n_frames / fps
    allowed = 1.0 / min(video.fps, fps)
    if abs(video_s - pose_s) > allowed:
        raise InputError(
            f"durations disagree: the video has {video.n_frames:,} frames at {video.fps:g} fps ({video_s:.2f} s) but "
            f"{what} have {n_frames:,} frames at {fps:g} fps ({pose_s:.2f} s), {abs(video_s - pose_s):.2f} s apart "
            f"(at most {allowed:.3f} s, one frame, when the rates differ); when the pose file's rate is wrong, "
            f"import the poses again with {option('fps', video.fps)}", video.path)


def _video_columns(video: "VideoInfo | None", digest: str | None) -> dict:
    if video is None:
        return {}
    meta = video.to_dict()
    return {"video_path": meta.pop("path"), "video_hash": digest, "video_meta": meta}


def _video_of(row: RecordingRow) -> "VideoInfo":
    from ethoforge.io.video import VideoInfo

    meta = row.video_meta or {}
    return VideoInfo(path=Path(row.video_path or ""), n_frames=int(meta.get("n_frames") or row.n_frames),
                     fps=float(meta.get("fps") or row.fps),
                     width=int(meta.get("width", 0)), height=int(meta.get("height", 0)), codec=str(meta.get("codec", "")))


def _check_fps_agrees(fps: float | None, recording: RecordingInfo, path: Path) -> None:
    if fps is not None and abs(fps - recording.fps) > 1e-6:
        raise InputError(
            f"fps contradictory: {option('fps', fps)} was given but recording {recording.name!r} has "
            f"{recording.fps:g} fps; drop {option('fps')} (labels use the recording's fps)", path,
        )


def _resolve_label_recording(name: str, recordings: dict[str, RecordingInfo], path: Path) -> str:
    matched = match_recording_name(name, recordings, path)
    if matched is None:
        raise NotFoundError(
            f"{path}: no recording in the project matches {name!r} (named by the file or its file name; recordings: "
            f"{_some(recordings)}); import its poses first or pass {option('recording', 'NAME')}"
        )
    return matched


def _of_annotator(bouts: list[Bout], annotator: str, path: Path) -> list[Bout]:
    """The bouts of one annotator of a file that names several."""
    kept = [b for b in bouts if b.annotator in (annotator, None)]
    if not any(b.annotator == annotator for b in kept):
        present = sorted({b.annotator for b in bouts if b.annotator})
        raise InputError(f"no bouts of annotator {annotator!r} ({option('annotator')}); the file's annotators are "
                         f"{present}", path)
    return kept


def _clip_bouts(bouts: list[Bout], n_frames: Mapping[str, int]) -> tuple[list[Bout], int, int]:
    """Bouts cut at their recording's last frame: ``(bouts, how many were cut, how many dropped)``."""
    kept, cut, dropped = [], 0, 0
    for bout in bouts:
        end = n_frames.get(bout.recording, bout.stop)
        if bout.start >= end:
            dropped += 1
        elif bout.stop > end:
            kept.append(bout.with_(stop=end))
            cut += 1
        else:
            kept.append(bout)
    return kept, cut, dropped


def _some(names: Iterable[str], limit: int = 10) -> str:
    """Up to ``limit`` names, comma-separated, ``...`` when there are more; ``none yet`` when empty."""
    names = list(names)
    return ", ".join(names[:limit]) + (", ..." if len(names) > limit else "") if names else "none yet"


_BOUT_COLUMNS = (BoutRow.id, BoutRow.behavior, BoutRow.start, BoutRow.stop, BoutRow.agent, BoutRow.target,
                 BoutRow.source, BoutRow.annotator, BoutRow.score)


def _insert_bouts(session: Session, recording_id: int, bouts: Sequence[Bout]) -> None:
    """Insert bouts with one Core executemany (no per-row ORM work: commits of many bouts stay fast)."""
    if not bouts:
        return
    now = utcnow()
    session.execute(insert(BoutRow.metadata.tables["bouts"]), [
        {"recording_id": recording_id, "behavior": b.behavior, "start": b.start, "stop": b.stop, "agent": b.agent,
         "target": b.target, "source": b.source, "annotator": b.annotator, "score": b.score, "created_at": now}
        for b in bouts
    ])


def _check_dataset_name(name: str) -> None:
    if not _DATASET_NAME.match(name or ""):
        raise InputError(
            f"dataset name {name!r} must be one word of letters, digits, '_' or '-' starting "
            "with a letter (at most 64 characters)"
        )


def _check_exclusive(recordings: Iterable[RecordingRow], behaviors: Sequence[str]) -> None:
    """Stored bouts of ``behaviors`` (mutually exclusive in a dataset) must not overlap per agent."""
    for row in recordings:
        members = [b for b in (_bout(r, row.name) for r in row.bouts) if b.behavior in behaviors]
        validate_bouts(members, exclusive=True, source=f"recording {row.name}")


def _bout(row: BoutRow, recording: str) -> Bout:
    return Bout(recording=recording, behavior=row.behavior, start=row.start, stop=row.stop, agent=row.agent,
                target=row.target, source=row.source, annotator=row.annotator, score=row.score)  # type: ignore[arg-type]


def _bout_key(bout: Bout) -> tuple:
    return (bout.behavior, bout.start, bout.stop, bout.agent, bout.target, bout.source)


def _recording_info(row: RecordingRow, n_bouts: int = 0) -> RecordingInfo:
    return RecordingInfo(
        id=row.id, name=row.name, fps=row.fps, n_frames=row.n_frames, individuals=list(row.individuals),
        keypoints=list(row.keypoints), source_format=row.source_format, source_path=row.source_path,
        content_hash=row.content_hash, poses_path=row.poses_path, created_at=row.created_at, n_bouts=n_bouts,
        video_path=row.video_path, video_hash=row.video_hash, video_meta=dict(row.video_meta) if row.video_meta else None,
    )


def _dataset_info(row: DatasetRow) -> DatasetInfo:
    return DatasetInfo(
        id=row.id, name=row.name, behaviors=list(row.behaviors), recordings=[r.name for r in row.recordings],
        folders=[f.folder for f in row.folders], created_at=row.created_at,
    )
