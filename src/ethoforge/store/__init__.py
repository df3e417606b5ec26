"""The project store: a folder with a SQLite database (SQLAlchemy + Alembic) and pose files.

Use `Project.create` / `Project.open`; see `ethoforge.store.project` for the library calls.
"""

from ethoforge.store.info import DatasetInfo, RecordingInfo
from ethoforge.store.project import Project, find_pose_files, find_video_files

__all__ = ["DatasetInfo", "Project", "RecordingInfo", "find_pose_files", "find_video_files"]
