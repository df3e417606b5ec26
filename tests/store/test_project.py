"""Project library calls on small generated recordings whose right answers are known."""

from __future__ import annotations

import os

import numpy as np
import pytest
import xarray as xr

from ethoforge.errors import ConflictError, InputError, NotFoundError
from ethoforge.labels import Bout
from ethoforge.recording import Recording
from ethoforge.store import Project


def make_recording(name: str, n_frames: int = 100, seed: int = 0, fps: float = 30.0) -> Recording:
    """Two mice, three keypoints, random walk positions (pixels)."""
    rng = np.random.default_rng(seed)
    position = 500 + np.cumsum(rng.normal(0, 2, (n_frames, 2, 3, 2)), axis=0)
    poses = xr.Dataset(
        {"position": (("time", "space", "keypoint", "individual"), position),
         "confidence": (("time", "keypoint", "individual"), rng.uniform(0.5, 1, (n_frames, 3, 2)))},
        coords={"time": np.arange(n_frames), "space": ["x", "y"], "keypoint": ["nose", "neck", "tail"],
                "individual": ["resident", "intruder"]},
    )
    return Recording(name=name, poses=poses, fps=fps, source_format="synthetic")


def test_import_and_load_recording_round_trip(project):
    original = make_recording("r1", n_frames=50)
    info = project.import_recording_object(original)
    assert (info.id, info.name, info.n_frames, info.fps) == (1, "r1", 50, 30.0)
    assert info.individuals == ["resident", "intruder"] and info.keypoints == ["nose", "neck", "tail"]
    assert info.poses_path == "poses/1.nc" and os.listdir(project.poses_dir) == ["1.nc"]
    loaded = project.load_recording("r1")
    np.testing.assert_array_equal(loaded.poses["position"].values, original.poses["position"].values)
    assert loaded.poses["position"].dims == ("time", "space", "keypoint", "individual")
    assert loaded.content_hash == original.content_hash
    assert project.get_recording(1).name == project.get_recording("r1").name == "r1"


def test_duplicate_content_or_name_conflicts_and_changes_nothing(project, testkit):
    project.import_recording_object(make_recording("r1", seed=1))
    before = testkit.project_snapshot(project)
    with pytest.raises(ConflictError, match="already imported as recording 'r1'"):
        project.import_recording_object(make_recording("other", seed=1))
    with pytest.raises(ConflictError, match="named 'r1' already exists"):
        project.import_recording_object(make_recording("r1", seed=2))
    assert testkit.project_snapshot(project) == before


def test_unknown_recording_lists_the_known_ones(project):
    project.import_recording_object(make_recording("r1"))
    with pytest.raises(NotFoundError, match="no recording 'r9'.*r1"):
        project.get_recording("r9")


def test_bouts_stored_and_returned_in_order(project):
    project.import_recording_object(make_recording("r1", n_frames=100))
    added = project.add_bouts("r1", [Bout("r1", "b", 50, 60), Bout("r1", "a", 0, 10, agent="resident", score=0.5)],
                              annotator="ann", mark_scope=True)
    assert added == 2
    bouts = project.get_bouts("r1")
    assert [(b.behavior, b.start, b.stop) for b in bouts] == [("a", 0, 10), ("b", 50, 60)]
    assert bouts[0].agent == "resident" and bouts[0].score == 0.5 and bouts[0].annotator == "ann"
    assert project.get_bouts("r1", ["b"])[0].start == 50
    assert project.annotated_scopes("r1") == [(None, 0, 100)]


@pytest.mark.parametrize("bout, message", [
    (Bout("r1", "a", 95, 101), "stop frame 101 is past the last pose frame \\(99"),  # stop == n_frames is fine
    (Bout("r1", "a", 10, 10), "stop frame 10 must be after start frame 10"),
    (Bout("r1", "a", -1, 3), "negative"),
    (Bout("r1", "dance", 0, 5), "unknown behavior 'dance'; expected one of \\['a', 'b'\\]"),
    (Bout("r1", "b", 15, 25), "'b' \\[15, 25\\) overlaps 'a' \\[10, 20\\).*mutually exclusive"),
    (Bout("r1", "a", 15, 25), "overlaps 'a' \\[10, 20\\).*refused, not merged.*one bout \\[10, 25\\)"),
    (Bout("r1", "a", 50, 60, agent="rex"), "agent 'rex' is not an individual.*\\['resident', 'intruder'\\]"),
    (Bout("r1", "a", 50, 60, agent="resident", target="ghost"), "target 'ghost' is not an individual"),
    (Bout("r1", "a", True, 60), "start must be a whole frame number, got True"),
    (Bout("r1", "None", 50, 60), "reserved: 'none' is the background class"),
])
def test_bad_bouts_are_refused_and_change_nothing(project, bout, message, testkit):
    project.import_recording_object(make_recording("r1", n_frames=100))
    project.create_dataset("ds", "a;b", recordings=["r1"])
    project.add_bouts("r1", [Bout("r1", "a", 10, 20), Bout("r1", "a", 95, 100)])  # last frame is 99
    before = testkit.project_snapshot(project)
    with pytest.raises(InputError, match=message):
        project.add_bouts("r1", [Bout("r1", "a", 30, 40), bout])
    assert testkit.project_snapshot(project) == before


def test_same_bouts_twice_conflict_unless_replaced(project):
    project.import_recording_object(make_recording("r1"))
    project.add_bouts("r1", [Bout("r1", "a", 0, 10)])
    with pytest.raises(ConflictError, match="already stored.*replace="):
        project.add_bouts("r1", [Bout("r1", "a", 0, 10)])
    project.add_bouts("r1", [Bout("r1", "a", 0, 10), Bout("r1", "a", 20, 30)], replace=True)
    assert [(b.start, b.stop) for b in project.get_bouts("r1")] == [(0, 10), (20, 30)]


def test_failed_import_with_bouts_leaves_no_rows_and_no_pose_file(project, testkit):
    before = testkit.project_snapshot(project)
    with pytest.raises(InputError, match="past the last pose frame"):
        project.import_recording_object(make_recording("r1", n_frames=20), [Bout("r1", "a", 0, 21)])
    assert testkit.project_snapshot(project) == before
    assert not [p for p in project.poses_dir.iterdir()]


def test_datasets_create_list_show_and_validate(project, tmp_path, testkit):
    project.import_recording_object(make_recording("r1", seed=1))
    project.import_recording_object(make_recording("r2", seed=2))
    info = project.create_dataset("social", "attack; mount", recordings=["r1", 2])
    assert (info.name, info.behaviors, info.recordings) == ("social", ["attack", "mount"], ["r1", "r2"])
    assert [d.name for d in project.datasets()] == ["social"]
    assert project.get_dataset("social").recordings == ["r1", "r2"]
    before = testkit.project_snapshot(project)
    with pytest.raises(InputError, match="at least 1 behavior"):
        project.create_dataset("empty", "")
    with pytest.raises(InputError, match="at most 20 behaviors, got 21"):
        project.create_dataset("big", [f"b{i}" for i in range(21)])
    with pytest.raises(InputError, match="one word"):
        project.create_dataset("two words", "a")
    with pytest.raises(ConflictError, match="already exists"):
        project.create_dataset("social", "a")
    with pytest.raises(NotFoundError, match="no recording 'r3'"):
        project.create_dataset("third", "a", recordings=["r3"])
    with pytest.raises(InputError, match="no imported recording comes from this folder"):
        project.create_dataset("third", "a", folders=[tmp_path])
    assert testkit.project_snapshot(project) == before


def test_dataset_refuses_recordings_whose_bouts_overlap(project):
    project.import_recording_object(make_recording("r1"))
    project.add_bouts("r1", [Bout("r1", "a", 0, 10), Bout("r1", "b", 5, 15)])  # no dataset yet: allowed
    with pytest.raises(InputError, match="overlaps"):
        project.create_dataset("ds", "a;b", recordings=["r1"])
    assert project.create_dataset("ds", "a;c", recordings=["r1"]).recordings == ["r1"]


def test_summary_counts(project):
    project.import_recording_object(make_recording("r1", n_frames=60), [Bout("r1", "a", 0, 10), Bout("r1", "a", 20, 25)])
    project.import_recording_object(make_recording("r2", n_frames=90, seed=3))
    project.create_dataset("ds", "a", recordings=["r1", "r2"])
    summary = project.summary()
    assert (summary["recordings"], summary["frames"], summary["bouts"]) == (2, 150, 2)
    assert summary["duration_s"] == 5.0
    assert summary["behaviors"] == {"a": {"bouts": 2, "frames": 15}}
    assert summary["datasets"] == [{"name": "ds", "behaviors": ["a"], "recordings": 2}]


def test_labels_version_changes_only_with_the_human_bouts(project):
    project.import_recording_object(make_recording("r1", n_frames=100))
    empty = project.labels_version("r1")
    project.add_bouts("r1", [Bout("r1", "a", 0, 10)])
    labelled = project.labels_version("r1")
    assert labelled != empty
    project.replace_predicted_bouts("r1", [Bout("r1", "a", 50, 60, source="predicted", score=0.9)])
    labels = project.labels("r1")
    assert labels.version == project.labels_version(1) == labelled  # predictions do not change it
    assert [(b.source, b.start) for b in labels.bouts] == [("manual", 0), ("predicted", 50)]
    assert project.labels("r1", ["b"]).bouts == [] and project.labels("r1", ["b"]).version == labelled


def test_commit_labels_checks_the_version_and_supersedes_overlapping_predictions(project, testkit):
    project.import_recording_object(make_recording("r1", n_frames=100))
    project.add_bouts("r1", [Bout("r1", "a", 0, 10)])
    project.replace_predicted_bouts("r1", [Bout("r1", "a", 20, 30, source="predicted"),
                                           Bout("r1", "a", 40, 50, source="predicted")])
    version = project.labels_version("r1")
    # [30, 40) only touches the predictions at their half-open edges: both stay
    commit = project.commit_labels("r1", [Bout("", "a", 30, 40), Bout("", "b", 45, 48, source="confirmed")],
                                   expected_version=version, annotator="ann", mark_annotated=True)
    assert (commit.stored, commit.superseded) == (2, 1) and commit.version == project.labels_version("r1")
    assert [(b.behavior, b.start, b.source, b.annotator) for b in project.get_bouts("r1")] == [
        ("a", 20, "predicted", None), ("a", 30, "manual", "ann"), ("b", 45, "confirmed", "ann")]
    assert project.annotated_scopes("r1") == [(None, 0, 100)]
    before = testkit.project_snapshot(project)
    with pytest.raises(ConflictError, match="changed since you read them"):
        project.commit_labels("r1", [], expected_version=version)
    with pytest.raises(InputError, match="only manual or confirmed"):
        project.commit_labels("r1", [Bout("", "a", 0, 5, source="predicted")], expected_version="*")
    with pytest.raises(InputError, match="listed twice"):
        project.commit_labels("r1", [Bout("", "a", 0, 5), Bout("", "a", 0, 5)], expected_version="*")
    with pytest.raises(InputError, match="past the last pose frame"):
        project.commit_labels("r1", [Bout("", "a", 90, 101)], expected_version="*")
    assert testkit.project_snapshot(project) == before
    assert project.commit_labels("r1", [], expected_version="*").version == project.labels_version("r1")
    assert [b.source for b in project.get_bouts("r1")] == ["predicted"]


def test_replace_predicted_bouts_leaves_out_human_frames_and_other_behaviors(project):
    project.import_recording_object(make_recording("r1", n_frames=100))
    project.add_bouts("r1", [Bout("r1", "a", 10, 20)])
    project.replace_predicted_bouts("r1", [Bout("r1", "b", 0, 5, source="predicted")])
    stored = project.replace_predicted_bouts(
        "r1", [Bout("r1", "a", 0, 10), Bout("r1", "a", 19, 25), Bout("r1", "a", 20, 30, score=0.7)], behaviors=["a"])
    assert stored == 2  # [19, 25) shares frame 19 with the human bout; [0, 10) and [20, 30) only touch it
    predicted = project.get_bouts("r1", sources=["predicted"])
    assert [(b.behavior, b.start, b.stop, b.score) for b in predicted] == [
        ("a", 0, 10, None), ("b", 0, 5, None), ("a", 20, 30, 0.7)]
    assert project.replace_predicted_bouts("r1", [], behaviors=["a", "b"]) == 0
    assert project.get_bouts("r1", sources=["predicted"]) == []
    with pytest.raises(InputError, match="past the last pose frame"):
        project.replace_predicted_bouts("r1", [Bout("r1", "a", 95, 101)])


def test_label_counts_per_behavior_and_source(project):
    project.import_recording_object(make_recording("r1", n_frames=100))
    project.add_bouts("r1", [Bout("r1", "a", 0, 10), Bout("r1", "a", 20, 25)])
    project.replace_predicted_bouts("r1", [Bout("r1", "a", 50, 53)])
    assert project.label_counts("r1") == {"a": {"manual": {"bouts": 2, "frames": 15},
                                                "predicted": {"bouts": 1, "frames": 3}}}


def test_bouts_of_one_behavior_and_animal_may_not_overlap_in_a_commit(project):
    project.import_recording_object(make_recording("r1", n_frames=100))
    version = project.labels_version("r1")
    pair = [Bout("r1", "a", 10, 20, agent="resident"), Bout("r1", "a", 19, 30, agent="resident")]
    with pytest.raises(InputError, match="bout 2: 'a' \\[19, 30\\) overlaps 'a' \\[10, 20\\) \\(bout 1\\) of agent"):
        project.commit_labels("r1", pair, expected_version=version)
    assert project.labels_version("r1") == version and project.get_bouts("r1") == []
    side_by_side = [pair[0], pair[1].with_(start=20), pair[1].with_(agent="intruder")]  # touching, or another animal
    assert project.commit_labels("r1", side_by_side, expected_version=version).stored == 3


@pytest.mark.parametrize("names, message", [
    (["attack", "NONE"], "behavior 2: behavior name 'NONE' is reserved"),
    (["attack", ""], "behavior 2: behavior name '' is empty"),
    (["x" * 65], "has 65 characters; at most 64"),
])
def test_dataset_behavior_names_refused(project, names, message):
    with pytest.raises(InputError, match=message):
        project.create_dataset("ds", names)
    project.create_dataset("ds", ["attack"])
    with pytest.raises(InputError, match=message):
        project.update_dataset("ds", behaviors=names)
    assert project.get_dataset("ds").behaviors == ["attack"]


def test_dropping_a_behavior_still_used_by_stored_bouts_is_refused(project, testkit):
    for index, name in enumerate(["r1", "r2"]):
        project.import_recording_object(make_recording(name, seed=index))
    project.create_dataset("ds", "a;b", recordings=["r1", "r2"])
    project.add_bouts("r2", [Bout("r2", "b", 0, 10)])
    before = testkit.project_snapshot(project)
    with pytest.raises(ConflictError, match="cannot drop behavior\\(s\\) \\['b'\\]: recording 'r2' has 1 bout"):
        project.update_dataset("ds", behaviors="a")
    assert testkit.project_snapshot(project) == before
    project.create_dataset("also_b", "b", recordings=["r2"])  # another dataset of r2 still allows 'b'
    assert project.update_dataset("ds", behaviors="a").behaviors == ["a"]
    project.add_bouts("r2", [Bout("r2", "b", 20, 30)])  # so commits of r2 still work
    project.update_dataset("ds", behaviors="a;b")
    project.update_dataset("ds", behaviors="a;c", remove_recordings=["r2"])  # r2 leaves with its 'b' bouts


def test_update_and_delete_dataset(project, testkit):
    from ethoforge.store import jobs_repo

    for index, name in enumerate(["r1", "r2", "r3"]):
        project.import_recording_object(make_recording(name, seed=index))
    project.add_bouts("r3", [Bout("r3", "a", 0, 10), Bout("r3", "c", 5, 15)])
    project.create_dataset("ds", "a;b", recordings=["r1"])
    project.create_dataset("other", "a")
    info = project.update_dataset("ds", name="renamed", behaviors="a;b;d", add_recordings=["r2", "r3"],
                                  remove_recordings=["r1"])
    assert (info.name, info.behaviors, info.recordings) == ("renamed", ["a", "b", "d"], ["r2", "r3"])
    assert project.update_dataset("renamed", recordings=["r1"]).recordings == ["r1"]
    before = testkit.project_snapshot(project)
    with pytest.raises(ConflictError, match="already exists"):
        project.update_dataset("renamed", name="other")
    with pytest.raises(InputError, match="one word"):
        project.update_dataset("renamed", name="two words")
    with pytest.raises(InputError, match="overlaps"):
        project.update_dataset("renamed", behaviors="a;c", add_recordings=["r3"])
    with pytest.raises(NotFoundError, match="no recording 'r9'"):
        project.update_dataset("renamed", add_recordings=["r9"])
    assert testkit.project_snapshot(project) == before
    job = jobs_repo.insert_job(project, "train", {}, project.get_dataset("renamed").id)
    with pytest.raises(ConflictError, match="unfinished jobs"):
        project.delete_dataset("renamed")
    jobs_repo.request_cancel(project, job.id)
    project.delete_dataset("renamed")
    assert [d.name for d in project.datasets()] == ["other"] and len(project.recordings()) == 3
    with pytest.raises(NotFoundError, match="no dataset 'renamed'"):
        project.delete_dataset("renamed")


def test_two_editors_committing_against_one_version_conflict_and_never_hit_a_lock(project):
    import threading

    project.import_recording_object(make_recording("r1", n_frames=100))
    version = project.labels_version("r1")
    outcomes: list[str] = []
    ready = threading.Barrier(2)

    def edit(start: int) -> None:
        with Project.open(project.root) as mine:  # its own engine: its own connections
            ready.wait()
            try:
                mine.commit_labels("r1", [Bout("", "a", start, start + 5)], expected_version=version)
                outcomes.append("stored")
            except ConflictError:
                outcomes.append("conflict")
            except Exception as error:  # noqa: BLE001 - e.g. "database is locked": the bug this guards against
                outcomes.append(repr(error))

    threads = [threading.Thread(target=edit, args=(start,)) for start in (0, 50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["conflict", "stored"]
    assert len(project.get_bouts("r1")) == 1


BOUT_TABLE = """,file,Experimenter,from,to,type
1,s1.csv,Ann,0.0,1.0,Start/End
2,s1.csv,Ann,0.4,1.2,Supported
3,s1.csv,Ann,1.0,2.0,Unsupported
4,s1.csv,Bob,0.0,0.8,Unsupported
5,s1.csv,Ann,3.6,5.0,Supported
"""


def test_import_a_bout_table_through_columns_one_annotator_overlaps_resolved_and_clipped(project, tmp_path, testkit):
    project.import_recording_object(make_recording("s1", n_frames=40, fps=10))  # 4 s
    path = tmp_path / "s1.csv"
    path.write_text(BOUT_TABLE)
    options = {"columns": {"from": "start_s", "to": "stop_s", "type": "behavior", "Experimenter": "annotator"},
               "behaviors": ["Supported", "Unsupported"], "annotator": "Ann"}
    before = testkit.project_snapshot(project)
    with pytest.raises(InputError, match=r"stop frame 50 is past the last pose frame"):
        project.import_labels(path, "intervals", **options)
    project.create_dataset("rears", "Supported;Unsupported", recordings=["s1"])
    with pytest.raises(InputError, match=r"'Unsupported' \[10, 20\) overlaps 'Supported' \[4, 12\) but the "
                                         r"behaviors are mutually exclusive"):
        project.import_labels(path, "intervals", **options, clip=True)
    with pytest.raises(InputError, match=r"no bouts of annotator 'Cy' \(annotator=\); the file's annotators are "
                                         r"\['Ann', 'Bob'\]"):
        project.import_labels(path, "intervals", **{**options, "annotator": "Cy"}, clip=True)
    assert testkit.project_snapshot(project)[1] == before[1]
    done = project.import_labels(path, "intervals", **options, clip=True, overlap="priority:Supported,Unsupported")
    assert (done.bouts, done.clipped, done.dropped) == (3, 1, 0)
    assert (done.overlaps.overlaps, done.overlaps.frames, done.overlaps.trimmed) == (1, 2, 1)
    assert project.get_bouts("s1") == [Bout("s1", "Supported", 4, 12, annotator="Ann"),
                                       Bout("s1", "Unsupported", 12, 20, annotator="Ann"),
                                       Bout("s1", "Supported", 36, 40, annotator="Ann")]


def test_a_label_file_matching_no_recording_says_so_first(project, tmp_path):
    project.import_recording_object(make_recording("s1"))
    path = tmp_path / "other_session.csv"
    path.write_text("from,to\n1,2\n")
    with pytest.raises(NotFoundError, match=r"^\S*other_session\.csv: no recording in the project matches the "
                                            r"file name 'other_session' \(recordings: s1\); import its poses first "
                                            r"or pass recording='NAME'\. Reading the file for recording names "
                                            r"failed too \(line 1\): no start/stop columns"):
        project.import_labels(path, "intervals")


def test_a_label_file_naming_its_recordings_goes_to_them(project, tmp_path):
    project.import_recording_object(make_recording("s1"))
    project.import_recording_object(make_recording("s2", seed=1))
    path = tmp_path / "all_sessions.csv"
    path.write_text("recording,behavior,start,stop\ns1,rear,0,5\ns2,rear,3,9\ns2,groom,10,12\n")
    assert project.import_labels(path, "intervals").bouts == 3
    assert project.get_bouts("s2") == [Bout("s2", "rear", 3, 9), Bout("s2", "groom", 10, 12)]


CALMS21_SEQUENCES = {"task1/train/mouse001": 120, "task1/train/mouse002": 80, "task1/test/mouse003": 100}


def test_a_calms21_file_imports_one_recording_per_sequence(project, tmp_path, testkit):
    path = testkit.write_calms21_file(tmp_path / "calms21.json", CALMS21_SEQUENCES)
    with pytest.raises(InputError, match="'calms' is not one of them.*without name= to get one recording per seq"):
        project.import_recording(path, name="calms")
    one = project.import_recording(path, name="task1__train__mouse002")  # one sequence picked by name first
    summary = project.import_recordings([path])
    names = {"task1__train__mouse001": 120, "task1__test__mouse003": 100}
    assert {r.name: r.n_frames for r in summary.imported} == names
    assert list(summary.failed) == [f"{path} (task1__train__mouse002)"]  # that one was in already
    stored = {r.name: r for r in project.recordings()}
    assert {n: stored[n].n_frames for n in names} == names and stored[one.name].id == one.id
    assert len({r.content_hash for r in stored.values()}) == 3  # each sequence is its own content
    assert project.load_recording("task1__test__mouse003").individuals == ["resident", "intruder"]
    again = project.import_recordings([path], skip_existing=True)
    assert not again.imported and not again.failed and len(again.skipped) == 3
