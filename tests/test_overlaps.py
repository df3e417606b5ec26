"""Overlapping bouts of different behaviors resolved by a stated rule (answers worked out by hand)."""

from __future__ import annotations

import pytest

from ethoforge.errors import InputError
from ethoforge.labels import Bout, validate_bouts
from ethoforge.overlaps import OverlapRule, parse_overlap_rule, resolve_overlaps


def test_priority_trims_splits_and_drops():
    bouts = [Bout("r", "sup", 0, 10), Bout("r", "unsup", 8, 20),   # unsup loses 8, 9: trimmed to [10, 20)
             Bout("r", "unsup", 30, 40), Bout("r", "sup", 33, 35),  # unsup loses 33, 34: split in two
             Bout("r", "unsup", 50, 52), Bout("r", "sup", 49, 53)]  # unsup covered whole: dropped
    resolved, report = resolve_overlaps(bouts, parse_overlap_rule("priority:sup,unsup"))
    assert resolved == [Bout("r", "sup", 0, 10), Bout("r", "unsup", 10, 20), Bout("r", "unsup", 30, 33),
                        Bout("r", "sup", 33, 35), Bout("r", "unsup", 35, 40), Bout("r", "sup", 49, 53)]
    assert (report.overlaps, report.frames, report.trimmed, report.split, report.dropped) == (3, 6, 1, 1, 1)
    assert report.kept == {"sup": 6}
    assert str(report) == ("3 overlaps (6 frames) resolved by priority:sup,unsup: frames kept by sup 6; "
                           "1 bouts trimmed, 1 split, 1 dropped")
    validate_bouts(resolved, exclusive=True)


def test_later_wins_gives_the_frames_to_the_bout_that_starts_later():
    bouts = [Bout("r", "groom", 0, 10), Bout("r", "rear", 6, 12), Bout("r", "groom", 11, 15)]
    resolved, report = resolve_overlaps(bouts, OverlapRule("later-wins"))
    assert resolved == [Bout("r", "groom", 0, 6), Bout("r", "rear", 6, 11), Bout("r", "groom", 11, 15)]
    assert (report.overlaps, report.frames, report.trimmed) == (2, 5, 2) and report.kept == {"rear": 4, "groom": 1}


def test_only_different_behaviors_of_one_agent_change_hands():
    bouts = [Bout("r", "a", 0, 10), Bout("r", "a", 5, 15),                # same behavior: kept as is
             Bout("r", "b", 0, 10, agent="m1"), Bout("r", "a", 0, 10, agent="m2"),  # other agents
             Bout("s", "b", 3, 6)]                                      # another recording
    resolved, report = resolve_overlaps(bouts, parse_overlap_rule("priority:b,a"))
    assert sorted(resolved, key=repr) == sorted(bouts, key=repr) and report.overlaps == 0
    assert str(report) == "no overlapping bouts (--overlap priority:b,a)"


def test_a_priority_must_name_every_behavior_that_overlaps():
    with pytest.raises(InputError, match=r"'groom' overlaps \['sup'\] at frame 5 of recording 'r' but the rule "
                                         r"priority:sup does not list 'groom'; add it to overlap='priority:sup,groom'"):
        resolve_overlaps([Bout("r", "sup", 0, 10), Bout("r", "groom", 5, 8)], parse_overlap_rule("priority:sup"))


@pytest.mark.parametrize("text", ["priority", "priority:", "first-wins", "priority:a,a"])
def test_bad_rules_say_what_is_expected(text):
    with pytest.raises(InputError, match="expects 'priority:A,B'.*or 'later-wins'"):
        parse_overlap_rule(text)
