"""BORIS exports: the five real ethome5 files, the layouts BORIS writes, round trips, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ethoforge.errors import InputError
from ethoforge.io.boris import load_boris, recording_from_media, save_boris
from ethoforge.io.frame_table import load_frame_table
from ethoforge.labels import Bout, bouts_to_frames

# recording -> (pose frames, interact frames, BORIS bouts), from shared/data/SOURCES.md
ETHOME5 = {
    "e3v813a-20210610T120637-121213": (10080, 1090, 15),
    "e3v813a-20210610T121558-122141": (10290, 2066, 29),
    "e3v813a-20210610T122332-122642": (5700, 665, 10),
    "e3v813a-20210610T122758-123309": (9330, 271, 8),
    "e3v813a-20210610T123521-124106": (10349, 1456, 32),
}

OLD_HEADER = "Time,Media file path,Total length,FPS,Subject,Behavior,Behavioral category,Comment,Status"


def _old_export(tmp_path: Path, rows: list[str], fps: str = "30.0", name: str = "obs.csv") -> Path:
    """A BORIS < 8 tabular events export: metadata lines, header on line 16, then ``rows``."""
    metadata = ["Observation id,obs,,,,,,,"] + [",,,,,,,,"] * 13 + [",,,,,,,,"]
    lines = metadata + [OLD_HEADER]
    for row in rows:
        time, subject, behavior, status = row.split()
        lines.append(f"{time},/videos/clip_01.mp4,60.000,{fps},{subject},{behavior},,,{status}")
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def ethome5_boris(ethome5_dir: Path) -> dict[str, list[Bout]]:
    files = sorted((ethome5_dir / "labels_boris").glob("*.csv"))
    assert len(files) == 5
    return {path.stem: load_boris(path) for path in files}


def test_ethome5_bout_counts(ethome5_boris):
    counts = {name.removesuffix("_reencode"): len(bouts) for name, bouts in ethome5_boris.items()}
    assert counts == {name: expected[2] for name, expected in ETHOME5.items()}
    assert sum(counts.values()) == 94


def test_ethome5_fields(ethome5_boris):
    for stem, bouts in ethome5_boris.items():
        # recording = media file stem, kept as is ("_reencode" included)
        assert {b.recording for b in bouts} == {stem}
        assert {b.behavior for b in bouts} == {"interact"}
        assert {b.agent for b in bouts} == {"adult"}
        assert all(b.target is None and b.source == "manual" for b in bouts)
        assert all(b.stop > b.start for b in bouts)
        assert [b.start for b in bouts] == sorted(b.start for b in bouts)
    first = ethome5_boris["e3v813a-20210610T120637-121213_reencode"][0]
    # 17.075 s * 30 = 512.25 -> 512; 22.100 s * 30 = 663
    assert (first.start, first.stop) == (512, 663)


@pytest.mark.parametrize("rounding", ["nearest", "floor"])
def test_ethome5_agrees_with_frame_labels(ethome5_dir, rounding):
    differing = {}
    for name, (n_frames, interact_frames, _) in ETHOME5.items():
        frame_file = ethome5_dir / "labels_frames" / f"{name}_DERIVED_frame_labels.csv"
        reference = load_frame_table(frame_file, recording=name, n_frames=n_frames)
        expected = bouts_to_frames(reference, ["interact"], n_frames)[:, 0]
        assert expected.sum() == interact_frames
        boris_file = ethome5_dir / "labels_boris" / f"{name}_reencode.csv"
        bouts = load_boris(boris_file, n_frames=n_frames, rounding=rounding)
        got = bouts_to_frames(bouts, ["interact"], n_frames)[:, 0]
        assert float((got == expected).mean()) >= 0.995, name
        differing[name] = int((got != expected).sum())
    if rounding == "nearest":
        assert 0 < sum(differing.values()) < 0.005 * 45749  # differences at bout edges only
    else:
        # the per-frame labels were made with int(t * 30): equal but for 258.400 s, which that
        # float product puts at 7751.99999 (frame 7751) and floor with tolerance at frame 7752
        assert sum(differing.values()) == 1
        assert differing["e3v813a-20210610T123521-124106"] == 1


def test_given_fps_must_agree(ethome5_dir):
    path = ethome5_dir / "labels_boris" / "e3v813a-20210610T122332-122642_reencode.csv"
    assert load_boris(path, fps=30.0) == load_boris(path)
    with pytest.raises(InputError, match="fps contradictory") as info:
        load_boris(path, fps=25.0)
    assert path.name in str(info.value) and "line 17" in str(info.value)


def test_recording_override_and_point_events(tmp_path):
    path = _old_export(tmp_path, ["1.0 m1 sniff START", "1.5 m1 rear POINT", "2.0 m1 sniff STOP"])
    bouts = load_boris(path, recording="session_7")
    assert [(b.recording, b.behavior, b.start, b.stop) for b in bouts] == [
        ("session_7", "sniff", 30, 60), ("session_7", "rear", 45, 46),
    ]
    assert load_boris(path)[0].recording == "clip_01"  # media stem without the video extension


def test_pairs_per_subject_and_no_focal_subject(tmp_path):
    rows = ["1.0 m1 sniff START", "1.1 m2 sniff START", "2.0 m1 sniff STOP", "3.0 m2 sniff STOP"]
    path = _old_export(tmp_path, rows)
    bouts = load_boris(path)
    assert {(b.agent, b.start, b.stop) for b in bouts} == {("m1", 30, 60), ("m2", 33, 90)}
    text = path.read_text().replace(",m1,", ",,").replace(",m2,", ",,")
    path.write_text(text)
    with pytest.raises(InputError, match="line 18.*no STOP yet"):
        load_boris(path)  # both now belong to no subject: the second START overlaps the first


def test_fps_missing_or_given(tmp_path):
    path = _old_export(tmp_path, ["1.0 m1 sniff START", "2.0 m1 sniff STOP"], fps="NA")
    with pytest.raises(InputError, match="pass fps=") as info:
        load_boris(path)
    assert "obs.csv" in str(info.value) and "line 17" in str(info.value)
    assert [(b.start, b.stop) for b in load_boris(path, fps=25)] == [(25, 50)]


def test_short_state_is_one_frame_and_halves_round_up(tmp_path):
    # 0.05 s * 30 = 1.5 -> 2; 0.06 s * 30 = 1.8 -> 2, widened to one frame
    path = _old_export(tmp_path, ["0.05 m1 a START", "0.06 m1 a STOP", "0.15 m1 b START", "0.25 m1 b STOP"])
    bouts = load_boris(path)
    assert [(b.behavior, b.start, b.stop) for b in bouts] == [("a", 2, 3), ("b", 5, 8)]


def test_boris8_tabular_events(tmp_path):
    header = ("Observation id\tObservation date\tDescription\tObservation duration\tObservation type\t"
              "Source\tTime offset (s)\tMedia duration (s)\tFPS\tSubject\tBehavior\tBehavioral category\t"
              "Modifier #1\tBehavior type\tTime\tMedia file name\tImage index\tImage file path\tComment")
    rows = [
        ("o1\t2024-01-01\t\t60\tMedia file(s)\tplayer #1:C:\\data\\mouse 3.MP4\t0\t60.000\t25.000\t"
         "resident\tgroom\tcare\tfast\tSTART\t2.000\tC:\\data\\mouse 3.MP4\t50\tNA\t"),
        ("o1\t2024-01-01\t\t60\tMedia file(s)\tplayer #1:C:\\data\\mouse 3.MP4\t0\t60.000\t25.000\t"
         "resident\tgroom\tcare\tslow\tSTART\t3.000\tC:\\data\\mouse 3.MP4\t75\tNA\t"),
        ("o1\t2024-01-01\t\t60\tMedia file(s)\tplayer #1:C:\\data\\mouse 3.MP4\t0\t60.000\t25.000\t"
         "resident\tgroom\tcare\tfast\tSTOP\t4.000\tC:\\data\\mouse 3.MP4\t100\tNA\t"),
        ("o1\t2024-01-01\t\t60\tMedia file(s)\tplayer #1:C:\\data\\mouse 3.MP4\t0\t60.000\t25.000\t"
         "resident\tgroom\tcare\tslow\tSTOP\t5.000\tC:\\data\\mouse 3.MP4\t125\tNA\t"),
    ]
    path = tmp_path / "events.tsv"
    path.write_text("\n".join([header, *rows]) + "\n")
    bouts = load_boris(path)
    # modifiers pair separately: [50, 100) and [75, 125)
    assert [(b.recording, b.agent, b.start, b.stop) for b in bouts] == [
        ("mouse 3", "resident", 50, 100), ("mouse 3", "resident", 75, 125),
    ]


def test_aggregated_events(tmp_path):
    header = ("Observation id,Observation date,Description,Observation type,Source,Time offset (s),"
              "Media duration (s),FPS (frame/s),Subject,Behavior,Behavioral category,Behavior type,"
              "Start (s),Stop (s),Duration (s),Media file name,Comment start,Comment stop")
    rows = [
        "o1,2024,,MEDIA,player #1:/v/a.avi,0,100,30,No focal subject,walk,loco,STATE,1.0,2.5,1.5,/v/a.avi,,",
        "o1,2024,,MEDIA,player #1:/v/a.avi,0,100,30,m2,jump,loco,POINT,4.0,NA,,/v/a.avi,,",
    ]
    path = tmp_path / "aggregated.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    bouts = load_boris(path)
    assert [(b.recording, b.behavior, b.agent, b.start, b.stop) for b in bouts] == [
        ("a", "walk", None, 30, 75), ("a", "jump", "m2", 120, 121),
    ]


@pytest.mark.parametrize("fps", [30.0, 29.97, 120.0, 7.5])
def test_round_trip(tmp_path, fps):
    rng = np.random.default_rng(0)
    edges = np.sort(rng.choice(np.arange(1, 5000), size=40, replace=False))
    bouts = [Bout("rec", "a" if i % 4 else "b", int(s), int(e), agent="m1" if i % 3 else None)
             for i, (s, e) in enumerate(zip(edges[::2], edges[1::2]))]
    path = tmp_path / "rec.csv"
    save_boris(bouts, path, fps=fps, n_frames=6000)
    back = load_boris(path, n_frames=6000)
    def key(b):
        return (b.start, b.behavior, b.agent or "")
    assert sorted(back, key=key) == sorted(bouts, key=key)
    assert load_boris(path, fps=fps) == back


def test_round_trip_touching_bouts(tmp_path):
    bouts = [Bout("r", "a", 0, 10), Bout("r", "a", 10, 20), Bout("r", "b", 5, 10)]
    path = tmp_path / "r.csv"
    save_boris(bouts, path, fps=30)
    assert sorted(load_boris(path), key=lambda b: (b.start, b.behavior)) == sorted(
        bouts, key=lambda b: (b.start, b.behavior))


def test_save_errors(tmp_path):
    with pytest.raises(InputError, match="fps"):
        save_boris([Bout("r", "a", 0, 10)], tmp_path / "x.csv")
    with pytest.raises(InputError, match="overlap"):
        save_boris([Bout("r", "a", 0, 10), Bout("r", "a", 5, 15)], tmp_path / "x.csv", fps=30)
    with pytest.raises(InputError, match="one recording"):
        save_boris([Bout("r", "a", 0, 10), Bout("s", "a", 5, 15)], tmp_path / "x.csv", fps=30)


def test_recording_from_media():
    assert recording_from_media("/a/b/e3v813a-20210610T122332-122642_reencode.avi") == (
        "e3v813a-20210610T122332-122642_reencode")
    assert recording_from_media("C:\\videos\\mouse.1.MP4") == "mouse.1"
    assert recording_from_media("player #1:/x/y.mov") == "y"
    assert recording_from_media("session.v2") == "session.v2"
    assert recording_from_media("NA") is None


# ---- bad input: each error names the file and the line -----------------------------------

def _assert_error(path: Path, pattern: str, line: int, **kwargs) -> None:
    with pytest.raises(InputError, match=pattern) as info:
        load_boris(path, **kwargs)
    assert path.name in str(info.value)
    assert f"line {line}" in str(info.value)


def test_unmatched_start(tmp_path):
    path = _old_export(tmp_path, ["1.0 m1 sniff START", "2.0 m1 sniff STOP", "3.0 m1 groom START"])
    _assert_error(path, "'groom' has no matching STOP", 19)


def test_stop_without_start(tmp_path):
    path = _old_export(tmp_path, ["1.0 m1 sniff START", "2.0 m1 sniff STOP", "3.0 m1 sniff STOP"])
    _assert_error(path, "STOP of 'sniff' without a START", 19)


def test_contradictory_fps_in_generated_file(tmp_path):
    path = _old_export(tmp_path, ["1.0 m1 sniff START", "2.0 m1 sniff STOP"], fps="25.0")
    _assert_error(path, "fps contradictory", 17, fps=30)


def test_bad_status_time_and_truncation(tmp_path):
    _assert_error(_old_export(tmp_path, ["1.0 m1 sniff BEGIN"], name="a.csv"), "expected START, STOP", 17)
    _assert_error(_old_export(tmp_path, ["x1.0 m1 sniff START", "2 m1 sniff STOP"], name="b.csv"),
                  "not a number", 17)
    path = _old_export(tmp_path, ["1.0 m1 sniff START", "2.0 m1 sniff STOP"], name="c.csv")
    path.write_text(path.read_text()[:-25])  # cut the last row in the middle
    _assert_error(path, "truncated", 18)


def test_past_the_recording(tmp_path):
    path = _old_export(tmp_path, ["1.0 m1 sniff START", "20.0 m1 sniff STOP"])
    _assert_error(path, "past the last pose frame", 18, n_frames=300)


def test_missing_header_and_empty(tmp_path):
    path = tmp_path / "noheader.csv"
    path.write_text("1.0,/v/a.avi,60,30,m1,sniff,,,START\n")
    _assert_error(path, "no BORIS header", 1)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    _assert_error(empty, "empty", 1)


def test_stop_before_start(tmp_path):
    path = _old_export(tmp_path, ["5.0 m1 sniff START", "2.0 m1 sniff STOP"])
    _assert_error(path, "stops at 2.0 s, before it starts at 5.0 s", 17)
