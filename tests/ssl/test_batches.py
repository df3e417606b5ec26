"""Pretext batches: the same for every worker count, made ahead by forked workers, stoppable."""

from __future__ import annotations

import numpy as np
import pytest

from ethoforge.ssl.batches import epoch_batches, step_batches
from ethoforge.ssl.config import PretrainConfig
from ethoforge.ssl.train import _prepare, pretrain

TINY = {"emb_dim": 16, "heads": 2, "hidden": 32, "window": 24, "batch_size": 8, "max_shift": 8,
        "eval_samples": 16, "device": "cpu", "seed": 3}


@pytest.fixture
def prepared(circling_recordings):
    config = PretrainConfig(**TINY)
    featurizer, tracks, _ = _prepare(circling_recordings, config)
    return featurizer, tracks, ["cons", "shift", "mask"], config


def _flat(steps: list) -> list[np.ndarray]:
    return [array for batches in steps for batch in batches for array in batch if array is not None]


@pytest.mark.parametrize("workers", [1, 2])
def test_workers_make_the_same_batches_in_the_same_order_as_the_trainer_alone(prepared, workers):
    inline = list(epoch_batches(*prepared, epoch=1, steps=7, workers=0))
    forked = list(epoch_batches(*prepared, epoch=1, steps=7, workers=workers))
    assert len(forked) == 7
    for a, b in zip(_flat(inline), _flat(forked), strict=True):
        np.testing.assert_array_equal(a, b)


def test_each_step_and_epoch_draws_its_own_samples(prepared):
    first, again = step_batches(*prepared, epoch=0, step=0), step_batches(*prepared, epoch=0, step=0)
    np.testing.assert_array_equal(first[0][0], again[0][0])
    assert not np.array_equal(first[0][0], step_batches(*prepared, epoch=0, step=1)[0][0])
    assert not np.array_equal(first[0][0], step_batches(*prepared, epoch=1, step=0)[0][0])


def test_closing_a_cancelled_epoch_stops_its_workers(prepared):
    import multiprocessing

    batches = epoch_batches(*prepared, epoch=0, steps=50, workers=2)
    next(batches)
    batches.close()
    assert multiprocessing.active_children() == []


def test_pretraining_with_workers_equals_pretraining_without(circling_recordings, tmp_path):
    options = {**TINY, "tasks": "shift,warp", "epochs": 2, "train_sample": 0.02}
    alone = pretrain(circling_recordings, {**options, "workers": 0}, tmp_path / "alone")
    helped = pretrain(circling_recordings, {**options, "workers": 2}, tmp_path / "helped")
    for a, b in zip(alone.history, helped.history, strict=True):
        assert {k: v for k, v in a.items() if k not in ("seconds", "windows_per_s")} == pytest.approx(
            {k: v for k, v in b.items() if k not in ("seconds", "windows_per_s")})
