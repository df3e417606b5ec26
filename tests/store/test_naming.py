"""Recording names from pose files, and matching label files to recordings."""

from __future__ import annotations

import pytest

from ethoforge.errors import InputError
from ethoforge.store.naming import match_recording_name, recording_name_from_path


@pytest.mark.parametrize("filename, expected", [
    ("e3v813a-20210610T122332-122642DLC_dlcrnetms5_pilot_studySep24shuffle1_100000_el_filtered.csv",
     "e3v813a-20210610T122332-122642"),
    ("e3v813a-20210610T120637-121213_DERIVED_maDLC.csv", "e3v813a-20210610T120637-121213"),
    ("12_01_A_190507144429DeepCut_resnet50_Blockcourse1May9shuffle1_1030000.csv", "12_01_A_190507144429"),
    ("mouse1.predictions.slp", "mouse1"),
    ("plain.h5", "plain"),
    ("DLC_only.csv", "DLC_only.csv"[:-4]),  # nothing left after stripping: keep the stem
])
def test_recording_name_strips_tracker_suffixes(filename, expected):
    assert recording_name_from_path(f"/data/{filename}") == expected


@pytest.mark.parametrize("stem, expected", [
    ("rec1", "rec1"),                    # equal
    ("rec1_reencode", "rec1"),           # prefix at a word edge
    ("rec10_reencode", "rec10"),         # rec1 is a prefix but not at a word edge
    ("rec1-DERIVED_frame_labels", "rec1"),
    ("rec2", None),
    ("rec", None),                       # shorter than every name
])
def test_match_recording_name(stem, expected):
    assert match_recording_name(stem, ["rec1", "rec10", "other"]) == expected


def test_match_recording_name_refuses_ambiguity():
    with pytest.raises(InputError, match=r"several recordings \['a', 'a_b'\].*recording='NAME'"):
        match_recording_name("a_b_reencode", ["a", "a_b"], "a_b_reencode.csv")
