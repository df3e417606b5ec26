"""The ``encode`` job: `ethoforge.video.workflow.encode_recordings` under the job queue.

Params: ``encoder`` (default ``motion``), ``recordings`` (names; default every recording
with a video), ``chunk_frames``. Progress is in frames with an ETA; cancelling keeps the
finished chunks, so the job resumed (or a new one) continues where it stopped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ethoforge.errors import ConfigError

if TYPE_CHECKING:
    from ethoforge.jobs.runner import Reporter
    from ethoforge.store import Project
    from ethoforge.store.jobs_repo import JobInfo

_KNOWN = ("encoder", "recordings", "chunk_frames", "crop")


def check_encode_params(project: Project, params: dict[str, Any]) -> dict[str, Any]:
    """Validate an encode job's params before it is stored (names the bad field)."""
    from ethoforge.video.encoders import DEFAULT_ENCODER, get_encoder
    from ethoforge.video.workflow import recordings_to_encode

    unknown = sorted(set(params) - set(_KNOWN))
    if unknown:
        raise ConfigError(f"unknown encode job option(s) {unknown}; expected {list(_KNOWN)}")
    params.setdefault("encoder", DEFAULT_ENCODER)
    if not isinstance(params["encoder"], str):
        raise ConfigError("'encoder' must be an encoder name")
    get_encoder(params["encoder"])
    wanted = params.get("recordings")
    if wanted is not None and (not isinstance(wanted, list) or not all(isinstance(n, str) for n in wanted)):
        raise ConfigError("'recordings' must be a list of recording names")
    chunk = params.get("chunk_frames", 512)
    if not isinstance(chunk, int) or isinstance(chunk, bool) or not 1 <= chunk <= 100_000:
        raise ConfigError("'chunk_frames' must be a whole number from 1 to 100000")
    if params.get("crop", "none") not in ("none", "pose", "auto"):
        raise ConfigError("'crop' must be none, pose or auto")
    infos = recordings_to_encode(project, wanted or None)
    if not infos:
        raise ConfigError("no recording has a video to encode; import videos first (`ethoforge import videos`)")
    return params


def encode_body(project: Project, job: JobInfo, reporter: Reporter) -> dict[str, Any]:
    """Encode the job's recordings; the result lists one summary per recording."""
    from ethoforge.errors import Cancelled
    from ethoforge.video.encode import EncodingCancelled
    from ethoforge.video.workflow import encode_recordings

    params = job.params

    def progress(done: int, total: int, info: dict) -> bool:
        return reporter.step(done, total, info, status="training",
                             message=f"{info.get('recording', '')}: frame {done} of {total}")

    try:
        summaries = encode_recordings(project, params.get("recordings") or None, params.get("encoder", "motion"),
                                      chunk_frames=int(params.get("chunk_frames", 512)), progress=progress,
                                      crop=params.get("crop", "none"))
    except EncodingCancelled as stopped:  # the finished chunks stay in the cache for a resume
        raise Cancelled(str(stopped)) from None
    for item in summaries:
        reporter.log(f"{item['recording']}: {item['frames']} frames ({'cached' if item['cached'] else 'encoded'})")
    return {"encoder": params.get("encoder", "motion"), "recordings": summaries}
