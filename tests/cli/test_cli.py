"""The ``ethoforge`` command line on the real ethome5 files, and on a corpus of bad inputs.

Every bad input must give exit code 1, a message naming the file, the row/frame and what was
expected, no traceback, and leave the project (every table's rows and ``poses/``) unchanged.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ethoforge.cli import app
from ethoforge.io.labels import load_labels
from ethoforge.store import Project

REC_A = "e3v813a-20210610T122332-122642"  # 5,700 frames, 10 BORIS bouts
REC_B = "e3v813a-20210610T122758-123309"  # 9,330 frames
REC_C = "e3v813a-20210610T120637-121213"  # 10,080 frames, 15 bouts, 1,090 interact frames
runner = CliRunner()


def cli(*args: str | Path):
    return runner.invoke(app, [str(a) for a in args])


def ok(*args: str | Path):
    result = cli(*args)
    assert result.exit_code == 0, result.output
    return result


def as_json(*args: str | Path) -> dict:
    return json.loads(ok(*args, "--json").stdout)


def pose_file(ethome5_dir: Path, recording: str) -> Path:
    return next((ethome5_dir / "poses").glob(f"{recording}*.csv"))


# ------------------------------------------------------------------ the real ethome5 files

@pytest.fixture(scope="module")
def ethome_project(tmp_path_factory, ethome5_dir):
    root = tmp_path_factory.mktemp("ethome") / "project"
    ok("init", root)
    ok("import", "poses", ethome5_dir / "poses", "--fps", "30", "--project", root)
    ok("import", "labels", *sorted((ethome5_dir / "labels_boris").glob("*.csv")), "--format", "boris",
       "--project", root)
    return root


def test_ethome5_import_counts(ethome_project):
    summary = as_json("summary", "--project", ethome_project)
    assert (summary["recordings"], summary["frames"], summary["bouts"]) == (5, 45_749, 94)
    recordings = as_json("recordings", "list", "--project", ethome_project)["recordings"]
    assert [r["n_bouts"] for r in recordings] == [15, 29, 10, 8, 32]
    assert recordings[2]["name"] == REC_A and recordings[2]["n_frames"] == 5_700
    assert recordings[0]["individuals"] == ["adult", "juvenile"] and len(recordings[0]["keypoints"]) == 7


def test_dataset_create_list_show(ethome_project, ethome5_dir):
    created = as_json("dataset", "create", "social", "--behaviors", "interact", "--recordings", REC_A, "4",
                      "--project", ethome_project)
    assert created["recordings"] == [REC_A, REC_B] and created["behaviors"] == ["interact"]
    listed = as_json("dataset", "list", "--project", ethome_project)["datasets"]
    assert [d["name"] for d in listed] == ["social"]
    assert as_json("dataset", "show", "social", "--project", ethome_project)["recordings"] == [REC_A, REC_B]
    assert "interact" in ok("dataset", "show", "social", "--project", ethome_project).stdout
    by_folder = as_json("dataset", "create", "all5", "--behaviors", "interact", "--folders",
                        ethome5_dir / "poses", "--project", ethome_project)
    assert len(by_folder["recordings"]) == 5 and by_folder["folders"] == [str((ethome5_dir / "poses").resolve())]


def test_frame_labels_match_by_prefix_and_replace(ethome_project, ethome5_dir):
    frames_file = ethome5_dir / "labels_frames" / f"{REC_C}_DERIVED_frame_labels.csv"
    result = ok("import", "labels", frames_file, "--format", "frames", "--replace", "--annotator", "ethome",
                "--project", ethome_project)
    assert "15 bouts" in result.stdout
    with Project.open(ethome_project) as project:
        bouts = project.get_bouts(REC_C)
        assert len(bouts) == 15 and {b.annotator for b in bouts} == {"ethome"}
        assert sum(b.length for b in bouts) == 1_090  # SOURCES.md: 1,090 interact frames
        assert project.annotated_scopes(REC_C) == [(None, 0, 10_080)]


def test_export_labels_round_trip(ethome_project, tmp_path, ethome5_dir):
    with Project.open(ethome_project) as project:
        stored = project.get_bouts(REC_A)
    for format in ("intervals", "boris"):
        out = tmp_path / f"{REC_A}.{format}.csv"
        ok("export", "labels", "--recording", REC_A, "--format", format, "--out", out, "--project", ethome_project)
        read = load_labels(out, format, fps=30, recording=REC_A)
        assert [(b.behavior, b.start, b.stop, b.agent) for b in read] == \
               [(b.behavior, b.start, b.stop, b.agent) for b in stored]
    # back into a fresh project: the same bouts
    fresh = tmp_path / "fresh"
    ok("init", fresh)
    ok("import", "poses", pose_file(ethome5_dir, REC_A), "--project", fresh)
    ok("import", "labels", tmp_path / f"{REC_A}.intervals.csv", "--format", "intervals", "--project", fresh)
    with Project.open(fresh) as project:
        assert project.get_bouts(REC_A) == stored


def test_the_project_own_files_are_refused_as_input_and_output(ethome_project, testkit):
    before = testkit.project_snapshot(ethome_project)
    for args in (("import", "poses", ethome_project / "ethoforge.db", "--format", "dlc"),
                 ("import", "poses", ethome_project / "poses"),
                 ("import", "labels", ethome_project / "ethoforge.db-wal", "--format", "boris", "--recording", REC_A),
                 ("export", "labels", "--recording", REC_A, "--format", "boris", "--out", ethome_project / "ethoforge.db")):
        result = cli(*args, "--project", ethome_project)
        assert result.exit_code == 1, (args, result.output)
        assert "one of the project's own files" in result.output, result.output
    assert testkit.project_snapshot(ethome_project) == before
    # the project folder itself is a folder like any other: its own files are passed over unopened
    result = cli("import", "poses", ethome_project, "--project", ethome_project)
    assert result.exit_code == 1 and "no pose file found in this folder" in result.output, result.output


def test_subprocess_import_and_error_without_traceback(tmp_path, ethome5_dir, testkit):
    exe = [str(Path(sys.executable).parent / "ethoforge")]  # the installed console script
    root = tmp_path / "p"
    env = {**os.environ, "FORCE_COLOR": "1", "COLUMNS": "200"}
    done = subprocess.run([*exe, "init", str(root)], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([*exe, "import", "poses", str(pose_file(ethome5_dir, REC_A)), "--json"],
                          capture_output=True, text=True, cwd=root, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["frames"] == 5_700  # stdout is exactly one JSON object
    assert "30 fps was ASSUMED" in " ".join(done.stderr.split()) and "recordings set-fps" in done.stderr
    before = testkit.project_snapshot(root)
    done = subprocess.run([*exe, "import", "poses", str(pose_file(ethome5_dir, REC_A))],
                          capture_output=True, text=True, cwd=root, env=env)
    assert done.returncode == 1
    assert "already imported as recording" in done.stderr and "\x1b[31m" in done.stderr  # red
    assert "Traceback" not in done.stderr + done.stdout
    assert testkit.project_snapshot(root) == before


def test_sample_command_imports_the_bundled_recordings(tmp_path):
    summary = as_json("init", tmp_path / "demo", "--sample")
    assert (summary["recordings"], summary["frames"], summary["bouts"]) == (5, 45_749, 94)
    assert summary["datasets"] == [{"name": "ethome5", "behaviors": ["interact"], "recordings": 5}]
    assert as_json("sample", "--project", tmp_path / "demo")["recordings"] == 5  # twice: nothing added


def test_no_project_here_says_how_to_make_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("summary")
    assert result.exit_code == 1 and "ethoforge init" in result.stderr


# ------------------------------------------------------------------ the bad-input corpus

@pytest.fixture(scope="module")
def corpus_project(tmp_path_factory, ethome5_dir):
    """REC_A (5,700 frames) in dataset 'social' (interact; chase); REC_B in no dataset."""
    root = tmp_path_factory.mktemp("corpus") / "project"
    ok("init", root)
    ok("import", "poses", pose_file(ethome5_dir, REC_A), pose_file(ethome5_dir, REC_B), "--project", root)
    ok("dataset", "create", "social", "--behaviors", "interact;chase", "--recordings", REC_A, "--project", root)
    ok("import", "labels", ethome5_dir / "labels_boris" / f"{REC_A}_reencode.csv", "--format", "boris",
       "--project", root)
    return root


def _dlc_lines(ethome5_dir: Path, n_rows: int = 30) -> list[str]:
    return pose_file(ethome5_dir, REC_A).read_text().splitlines()[: 4 + n_rows]


def _boris_lines(ethome5_dir: Path) -> list[str]:
    return (ethome5_dir / "labels_boris" / f"{REC_A}_reencode.csv").read_text().splitlines()


def _blank_xy(line: str) -> str:
    cells = line.split(",")
    return ",".join(c if i == 0 or (i - 1) % 3 == 2 else "" for i, c in enumerate(cells))


def _non_numeric(line: str) -> str:
    cells = line.split(",")
    cells[1] = "abc"
    return ",".join(cells)


def _boris_fps(lines: list[str], fps: str) -> list[str]:
    header = lines.index(next(line for line in lines if line.startswith("Time,")))
    return lines[: header + 1] + [line.replace(",30.0,", f",{fps},") for line in lines[header + 1:]]


# (case id, file name, builder(ethome5_dir) -> text, extra CLI args, regexes the message must match)
POSE_CASES = [
    ("truncated", "truncated.csv", lambda d: "\n".join(_dlc_lines(d))[:-30], [],
     [r"truncated\.csv, line 34", r"expected 43", r"truncated"]),
    ("missing_header_rows", "noheader.csv", lambda d: "\n".join(_dlc_lines(d)[:1] + _dlc_lines(d)[4:]), [],
     [r"noheader\.csv, line \d+", r"expected 'scorer'.*'bodyparts', 'coords'"]),
    ("wrong_header_row", "wrongheader.csv",
     lambda d: "\n".join(_dlc_lines(d)[:2] + ["bodyparts,oops"] + _dlc_lines(d)[3:]), [],
     [r"wrongheader\.csv, line 3", r"header row has 1 columns.*42"]),
    ("non_numeric_cell", "nonnumeric.csv",
     lambda d: "\n".join(_dlc_lines(d)[:10] + [_non_numeric(_dlc_lines(d)[10])] + _dlc_lines(d)[11:]), [],
     [r"nonnumeric\.csv, line 11", r"'abc'.*adult/nose/x.*not a number"]),
    ("empty_file", "empty.csv", lambda d: "", [], [r"empty\.csv, line 1", r"empty"]),
    ("nan_only_keypoints", "allnan.csv",
     lambda d: "\n".join(_dlc_lines(d)[:4] + [_blank_xy(line) for line in _dlc_lines(d)[4:]]), [],
     [r"allnan\.csv", r"every keypoint is NaN"]),
    ("duplicate_import", f"{REC_A}_copy.csv", lambda d: pose_file(d, REC_A).read_text(), [],
     [rf"{REC_A}_copy\.csv are already imported as recording '{REC_A}'"]),
]

LABEL_HEADER = "recording,behavior,start,stop,agent\n"
LABEL_CASES = [
    ("past_last_pose_frame", f"{REC_A}_past.csv",
     lambda d: LABEL_HEADER + f"{REC_A},interact,10,20,adult\n{REC_A},interact,5690,5701,adult\n",
     ["--format", "intervals"], [rf"{REC_A}_past\.csv, line 3", r"past the last pose frame \(5699"]),
    ("stop_not_after_start", f"{REC_A}_stop.csv",
     lambda d: LABEL_HEADER + f"{REC_A},interact,100,100,adult\n", ["--format", "intervals"],
     [rf"{REC_A}_stop\.csv, line 2", r"stop frame 100 must be after start frame 100"]),
    ("overlapping_exclusive_behaviors", f"{REC_A}_overlap.csv",
     lambda d: LABEL_HEADER + f"{REC_A},chase,5000,5100,adult\n{REC_A},interact,5050,5060,adult\n",
     ["--format", "intervals"],
     [rf"{REC_A}_overlap\.csv, frame 5050", r"overlaps 'chase' \[5000, 5100\).*mutually exclusive"]),
    ("unknown_behavior", f"{REC_A}_unknown.csv",
     lambda d: LABEL_HEADER + f"{REC_A},groom,0,10,adult\n", ["--format", "intervals"],
     [rf"{REC_A}_unknown\.csv, bout 1 \(groom \[0, 10\)\)", r"unknown behavior 'groom'; expected one of \['chase', 'interact'\]"]),
    ("non_numeric_frame", f"{REC_A}_text.csv",
     lambda d: LABEL_HEADER + f"{REC_A},interact,ten,20,adult\n", ["--format", "intervals"],
     [rf"{REC_A}_text\.csv, line 2", r"'ten'"]),
    ("missing_label_columns", f"{REC_A}_columns.csv",
     lambda d: "who,what\nadult,interact\n", ["--format", "intervals"],
     [rf"{REC_A}_columns\.csv", r"start"]),
    ("fps_contradicts_file", f"{REC_A}_fps25.csv", lambda d: "\n".join(_boris_fps(_boris_lines(d), "25.0")),
     ["--format", "boris"], [rf"{REC_A}_fps25\.csv",
                             r"fps contradictory: the file says 25 fps but 30 fps was given \(--fps or the recording.s rate\)"]),
    ("fps_option_contradicts_recording", f"{REC_A}_reencode.csv", lambda d: "\n".join(_boris_lines(d)),
     ["--format", "boris", "--fps", "25"],
     [rf"{REC_A}_reencode\.csv", rf"--fps 25 was given but recording '{REC_A}' has 30 fps"]),
    ("fps_missing", "unknown_session.csv",
     lambda d: "\n".join(_boris_fps(_boris_lines(d), "")).replace(REC_A, "another_video"), ["--format", "boris"],
     [r"^error: \S*unknown_session\.csv: no recording in the project matches the file name 'unknown_session' "
      r"\(recordings: e3v813a.*\); import its poses first or pass --recording NAME\. Reading the file for "
      r"recording names failed too \(line \d+\): the file holds times in seconds but no fps: pass --fps"]),
    ("boris_unmatched_start", f"{REC_A}_unmatched.csv", lambda d: "\n".join(_boris_lines(d)[:-1]),
     ["--format", "boris"], [rf"{REC_A}_unmatched\.csv, line \d+", r"START"]),
    ("no_matching_recording", "someone_else.csv", lambda d: "behavior,start,stop\ninteract,0,10\n",
     ["--format", "intervals"], [r"someone_else\.csv", r"no recording in the project matches 'someone_else'.*--recording"]),
    ("labels_already_imported", f"{REC_A}_again.csv", lambda d: "\n".join(_boris_lines(d)), ["--format", "boris"],
     [rf"{REC_A}_again\.csv", r"already stored.*--replace"]),
]


def _assert_refused(root: Path, args: list, patterns: list[str], testkit) -> None:
    """``ethoforge *args --project root`` exits 1 with one error line that matches every pattern,
    no traceback, nothing on stdout, and the project as it was."""
    import re

    before = testkit.project_snapshot(root)
    result = cli(*args, "--project", root)
    assert result.exit_code == 1, result.output
    message = result.stderr
    assert message.startswith("error: ") and message.count("\n") == 1, message
    for pattern in patterns:
        assert re.search(pattern, message), f"{pattern!r} not in {message!r}"
    assert "Traceback" not in result.output and result.stdout == ""
    assert testkit.project_snapshot(root) == before


@pytest.mark.parametrize("case, name, build, args, patterns", POSE_CASES, ids=[c[0] for c in POSE_CASES])
def test_bad_pose_file(corpus_project, ethome5_dir, tmp_path, case, name, build, args, patterns, testkit):
    path = tmp_path / name
    path.write_text(build(ethome5_dir))
    _assert_refused(corpus_project, ["import", "poses", path, *args], patterns, testkit)


@pytest.mark.parametrize("case, name, build, args, patterns", LABEL_CASES, ids=[c[0] for c in LABEL_CASES])
def test_bad_label_file(corpus_project, ethome5_dir, tmp_path, case, name, build, args, patterns, testkit):
    path = tmp_path / name
    path.write_text(build(ethome5_dir))
    _assert_refused(corpus_project, ["import", "labels", path, *args], patterns, testkit)


@pytest.mark.parametrize("behaviors, pattern", [
    ("", r"at least 1 behavior, got none"),
    (";".join(f"b{i}" for i in range(21)), r"at most 20 behaviors, got 21"),
    ("a;b;a", r"'a' is listed twice"),
])
def test_bad_dataset(corpus_project, behaviors, pattern, testkit):
    _assert_refused(corpus_project, ["dataset", "create", "other", "--behaviors", behaviors, "--recordings", REC_B],
                    [pattern], testkit)


def test_bad_options(corpus_project, testkit):
    _assert_refused(corpus_project, ["import", "labels", "x.csv", "--format", "excel"],
                    [r"unknown label format 'excel'; expected one of"], testkit)
    _assert_refused(corpus_project, ["import", "poses", "x.csv", "--rename", "nose"], [r"--rename expects old:new"],
                    testkit)


# ------------------------------------------------------------------ messages in the user's language

def test_errors_name_cli_flags_and_json_failure_is_one_object(tmp_path):
    root = tmp_path / "project"
    ok("init", root)
    odd = tmp_path / "odd.csv"
    odd.write_text("a,b\n1,2\n")
    result = cli("import", "poses", odd, "--project", root)
    text = " ".join(result.output.split())
    assert result.exit_code == 1 and "(or pass --format)" in text and "format=" not in text
    result = cli("import", "poses", odd, "--project", root, "--json")
    assert result.exit_code == 1 and result.stderr == ""
    assert json.loads(result.stdout) == {
        "error": "InputError", "path": str(odd), "location": "line 1",
        "detail": f"{odd}, line 1: cannot tell the CSV format from its first row ['a', 'b']...; expected a "
                  "DeepLabCut 'scorer' row, Anipose '<keypoint>_x' columns or SimBA '<bodypart>_x/_y/_p' columns "
                  "(or pass --format)",
    }
    assert json.loads(cli("dataset", "show", "nope", "--project", root, "--json").stdout) == {
        "error": "NotFoundError", "detail": "no dataset 'nope'; datasets: none yet"}


def test_sturman_bout_table_imports_through_columns_with_overlaps_resolved(tmp_path, shared_data):
    """The real case: three annotators' from/to/type tables in seconds, whose rearing bouts overlap."""
    import pandas as pd

    oft = shared_data / "sturman_oft"
    root = tmp_path / "project"
    ok("init", root)
    ok("import", "poses", next(oft.glob("8_01_A*DeepCut*.csv")), "--fps", "25", "--project", root)
    name = "8_01_A_190507134142"  # the old-style DeepLabCut suffix stripped
    ok("dataset", "create", "rearing", "--behaviors", "Supported;Unsupported;Grooming", "--recordings", name,
       "--project", root)
    args = ("import", "labels", oft / f"{name}.csv", "--format", "intervals", "--annotator", "Jin",
            "--columns", "from=start_s,to=stop_s,type=behavior,Experimenter=annotator",
            "--behaviors", "Supported;Unsupported;Grooming", "--clip", "--project", root)
    refused = cli(*args)
    assert refused.exit_code == 1 and "mutually exclusive" in refused.stderr
    done = as_json(*args, "--overlap", "priority:Supported,Unsupported,Grooming")
    table = pd.read_csv(oft / f"{name}.csv")
    jin = table[(table.Experimenter == "Jin") & table.type.isin(["Supported", "Unsupported", "Grooming"])]
    inside = jin[jin["from"] * 25 < 1998]  # the pose file holds the first 1,998 frames only
    result = done["files"][str(oft / f"{name}.csv")]
    # Jin: Supported 74.481-76.106 s and Unsupported 75.981-77.669 s share frames [1900, 1903)
    assert result["overlaps"]["overlaps"] == 1 and result["overlaps"]["frames"] == 3
    assert result["overlaps"]["kept"] == {"Supported": 3} and result["overlaps"]["trimmed"] == 1
    assert result["bouts"] == len(inside) and result["dropped"] == len(jin) - len(inside) > 100
    printed = cli(*args, "--overlap", "priority:Supported,Unsupported,Grooming", "--replace")
    assert "1 overlaps (3 frames) resolved by priority:Supported,Unsupported,Grooming" in " ".join(printed.stdout.split())


def test_recordings_list_shows_whole_names(ethome_project):
    table = cli("recordings", "list", "--project", ethome_project)
    assert table.exit_code == 0 and "…" not in table.stdout
    assert all(name in table.stdout for name in (REC_A, REC_B, REC_C))


def test_serve_and_worker_take_the_project_as_argument_or_with_p(tmp_path):
    for command in ("serve", "worker"):
        for args in ([tmp_path / "nowhere"], ["-p", tmp_path / "nowhere"], ["--project", tmp_path / "nowhere"]):
            result = cli(command, *args)
            assert result.exit_code == 1 and "no EthoForge project" in result.output, (command, args, result.output)


def test_demo_writes_into_a_git_ignored_folder():
    import inspect

    from ethoforge.cli.demo import demo

    repo = Path(__file__).resolve().parents[2]
    if not (repo / ".git").exists():
        pytest.skip("not a git checkout")
    default = inspect.signature(demo).parameters["out"].default
    done = subprocess.run(["git", "check-ignore", "-q", str(default)], cwd=repo, check=False)
    assert done.returncode == 0, f"{default} is not ignored by .gitignore"
