"""Error messages name options in the voice of their reader: Python, command line or REST."""

from __future__ import annotations

from ethoforge.errors import ConfigError, InputError, label, option, speak, voice


def test_option_renders_per_voice():
    message = f"pass {option('fps')}, {option('keypoints', ['nose', 'tail'])} or {option('keypoint_map')}"
    assert speak(message, "python") == "pass fps=, keypoints=['nose', 'tail'] or keypoint_map={old: new}"
    assert speak(message, "cli") == "pass --fps, --keypoints nose,tail or --map old:new"
    assert speak(message, "rest") == 'pass "fps", "keypoints": ["nose", "tail"] or "keypoint_map": {"old": "new"}'
    assert speak(f"{option('split.val')} / {option('min_bout_frames', 3)}", "cli") == "--val-recordings / --min-bout 3"


def test_str_follows_the_current_voice_and_restores_it():
    error = InputError(f"no fps: pass {option('fps')}", "a.csv", "line 1")
    assert str(error) == "a.csv, line 1: no fps: pass fps="
    with voice("cli"):
        assert str(error) == "a.csv, line 1: no fps: pass --fps"
        with voice("rest"):
            assert str(ConfigError(option("format"))) == '"format"'
        assert error.message("python") == "a.csv, line 1: no fps: pass fps="
    assert str(error) == "a.csv, line 1: no fps: pass fps="
    assert InputError(error.detail, "b.csv").message("cli") == "b.csv: no fps: pass --fps"  # re-raised detail keeps it


def test_a_label_is_the_bare_name_except_on_the_command_line():
    message = f"{label('batch_size')}: must be > 0"
    assert [speak(message, v) for v in ("python", "rest", "cli")] == [
        "batch_size: must be > 0", "batch_size: must be > 0", "--batch-size: must be > 0"]
