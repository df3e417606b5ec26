"""``ethoforge encode``: video features of recordings, cached per video and encoder."""

from __future__ import annotations

from typing import Annotated

import typer

from ethoforge.cli._common import (
    JsonOption,
    ProjectOption,
    emit_json,
    open_project,
    progress_bar,
    stdout,
)


def encode(
    recordings: Annotated[list[str] | None, typer.Argument(help="Recordings (names or ids); default: every one with a video.")] = None,
    encoder: Annotated[str, typer.Option(help="Frame encoder: motion (default, no weights), efficientnet_lite0, ...")] = "motion",
    crop: Annotated[str, typer.Option(help="none (whole frames), pose (around confident keypoints) or auto (largest moving blobs); for pixel encoders.")] = "none",
    chunk_frames: Annotated[int, typer.Option(help="Frames decoded and encoded at a time (memory stays flat).", min=1)] = 512,
    project: ProjectOption = None,
    json: JsonOption = False,
) -> None:
    """Encode recordings' videos with a frame encoder (cached; an interrupted run resumes)."""
    from ethoforge.video.workflow import encode_recordings

    with open_project(project) as opened, progress_bar("encoding", enabled=not json, eta=True) as update:
        summaries = encode_recordings(opened, recordings or None, encoder, chunk_frames=chunk_frames, crop=crop,
                                      progress=lambda done, total, info: update(done, total, info.get("recording", "")))
    if json:
        emit_json({"encoded": summaries})
        return
    console = stdout()
    for item in summaries:
        how = "cached" if item["cached"] else f"{item['frames_per_s']} frames/s"
        console.print(f"{item['recording']}: {item['frames']:,} frames × {item['dim']} ({item['encoder']}), {how}")


def register(app: typer.Typer) -> None:
    app.command("encode")(encode)
