"""Import the bundled ethome5 sample (5 recordings, two mice, ``interact``) into a project."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ethoforge.store.project import Progress, Project

SAMPLE_DATASET = "ethome5"


def import_sample(project: "Project", *, dataset: str = SAMPLE_DATASET, progress: "Progress | None" = None) -> dict:
    """Import the sample recordings with their labels and a dataset of them; return `summary`.

    Recordings already in the project (same content) are skipped, so running it twice is safe.
    """
    from ethoforge.datasets import load_sample

    pairs = load_sample()
    stored = {r.content_hash: r.name for r in project.recordings()}
    names = []
    for done, (recording, bouts) in enumerate(pairs, start=1):
        if recording.content_hash in stored:
            names.append(stored[recording.content_hash])
        else:
            names.append(project.import_recording_object(recording, bouts).name)
        if progress is not None:
            progress(done, len(pairs), recording.name)
    if dataset not in {d.name for d in project.datasets()}:
        behaviors = sorted({b.behavior for _, bouts in pairs for b in bouts})
        project.create_dataset(dataset, behaviors, recordings=names)
    return project.summary()
