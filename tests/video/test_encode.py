"""The feature cache: chunked encoding, cache hits, invalidation by content and settings,
cancel and resume (the resumed result equals an uninterrupted one), and bad input."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from typer.testing import CliRunner

from ethoforge.cli import app
from ethoforge.errors import InputError
from ethoforge.recording import content_hash
from ethoforge.store import Project
from ethoforge.video.encode import EncodingCancelled, cache_path, encode_video
from ethoforge.video.encoders import get_encoder
from ethoforge.video.synthetic import write_blob_clip


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return write_blob_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", n_frames=100, seed=5).path


def test_cache_hit_and_invalidation_by_settings(clip, tmp_path):
    digest = content_hash(clip)
    first = encode_video(clip, get_encoder("motion"), tmp_path, digest, chunk_frames=32)
    assert not first.cached and (first.n_frames, first.dim) == (100, get_encoder("motion").info.dim)
    stamp = first.path.stat().st_mtime_ns
    again = encode_video(clip, get_encoder("motion"), tmp_path, digest, chunk_frames=32)
    assert again.cached and again.path == first.path and again.path.stat().st_mtime_ns == stamp
    values = np.load(first.path)
    assert values.dtype == np.float16 and np.isfinite(values).all()
    other = encode_video(clip, get_encoder("motion", grid=3), tmp_path, digest, chunk_frames=32)
    assert not other.cached and other.path != first.path  # other settings, other cache entry
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({first.path.parent.name, other.path.parent.name})


def test_chunking_does_not_change_the_features(clip, tmp_path):
    digest = content_hash(clip)
    whole = np.load(encode_video(clip, get_encoder("motion"), tmp_path / "a", digest, chunk_frames=1000).path)
    chunked = np.load(encode_video(clip, get_encoder("motion"), tmp_path / "b", digest, chunk_frames=17).path)
    np.testing.assert_array_equal(whole, chunked)


def test_cancel_then_resume_equals_one_run(clip, tmp_path):
    digest = content_hash(clip)
    seen = []

    def stop_after_two(done, total, info):
        seen.append((done, total, info["eta_s"] is not None))
        return len(seen) < 2

    with pytest.raises(EncodingCancelled, match="stopped at frame 64 of 100"):
        encode_video(clip, get_encoder("motion"), tmp_path / "c", digest, chunk_frames=32, progress=stop_after_two)
    final = cache_path(tmp_path / "c", get_encoder("motion"), digest)
    assert not final.exists() and len(list(final.with_suffix(".partial").glob("chunk_*.npy"))) == 2
    resumed = encode_video(clip, get_encoder("motion"), tmp_path / "c", digest, chunk_frames=32)
    assert resumed.resumed_from == 64 and not final.with_suffix(".partial").exists()
    once = encode_video(clip, get_encoder("motion"), tmp_path / "d", digest, chunk_frames=32)
    np.testing.assert_array_equal(np.load(resumed.path), np.load(once.path))


def test_video_changed_since_import_is_refused(tmp_path):
    from ethoforge.video.workflow import encode_recordings

    with Project.create(tmp_path / "p") as project:
        video = write_blob_clip(tmp_path / "moved.mp4", n_frames=20).path
        project.import_video(video)
        write_blob_clip(video, n_frames=20, seed=9)  # another video under the same name
        with pytest.raises(InputError, match="moved.mp4: the video of recording 'moved' changed since it was imported"):
            encode_recordings(project)
        assert not project.feature_cache_dir.exists() or not any(project.feature_cache_dir.rglob("*.npy"))


def test_cli_encode_json_and_unknown_encoder(tmp_path):
    runner = CliRunner()
    project = tmp_path / "p"
    runner.invoke(app, ["init", str(project)])
    write_blob_clip(tmp_path / "a.mp4", n_frames=40)
    assert runner.invoke(app, ["import", "videos", str(tmp_path / "a.mp4"), "--project", str(project)]).exit_code == 0
    bad = runner.invoke(app, ["encode", "--encoder", "nope", "--project", str(project)])
    assert bad.exit_code == 1 and "unknown encoder 'nope' (--encoder)" in bad.output
    assert not (project / "features").exists()
    first = runner.invoke(app, ["encode", "--project", str(project), "--json"])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)["encoded"]
    assert [(s["recording"], s["frames"], s["cached"]) for s in summary] == [("a", 40, False)]
    second = json.loads(runner.invoke(app, ["encode", "a", "--project", str(project), "--json"]).stdout)
    assert second["encoded"][0]["cached"] is True
    assert len([p for p in (project / "features").rglob("*.npy")]) == 1 and not os.listdir(project / "poses")
