"""benchmarks/bench_accuracy.py folds: the held-out recording never trains or validates."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from ethoforge.labels import Bout
from ethoforge.recording import Recording, empty_poses

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_accuracy.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_accuracy", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _recordings(n: int) -> tuple[list[Recording], dict[str, list[Bout]]]:
    recordings = [Recording(name=f"r{i}", poses=empty_poses(1000), fps=25.0) for i in range(n)]
    return recordings, {r.name: [Bout(r.name, "Supported", 100, 200), Bout(r.name, "Supported", 790, 900)]
                        for r in recordings}


@pytest.mark.parametrize("n", [2, 5])
def test_the_held_out_recording_is_never_trained_or_validated_on(bench, n):
    recordings, bouts = _recordings(n)
    for k, test in enumerate(recordings):
        for rotation in range(max(1, n - 1)):
            chosen, fold_bouts, train, val = bench.fold(recordings, bouts, k, rotation)
            assert train and val and not set(train) & set(val)
            assert all(not name.startswith(test.name) for name in train + val + [r.name for r in chosen])


def test_with_two_recordings_the_other_one_is_cut_in_time_with_a_gap(bench):
    recordings, bouts = _recordings(2)
    chosen, fold_bouts, train, val = bench.fold(recordings, bouts, 0, 0, gap=50)
    head, tail = chosen
    assert (train, val) == (["r1_head"], ["r1_tail"]) and (head.n_frames, tail.n_frames) == (800, 150)
    assert [(b.start, b.stop) for b in fold_bouts["r1_head"]] == [(100, 200), (790, 800)]
    assert [(b.recording, b.start, b.stop) for b in fold_bouts["r1_tail"]] == [("r1_tail", 0, 50)]  # 850-900
