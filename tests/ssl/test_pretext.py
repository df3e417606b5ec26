"""Each pretext generator's labels are right by construction (hand-checkable arrays)."""

from __future__ import annotations

import numpy as np
import pytest

from ethoforge.ssl.pretext import draw_sample, mask_cells, shift_group, splice, swap_group, warp


def ramp_track(n_frames: int = 300, n_individuals: int = 2, offset: float = 0.0) -> np.ndarray:
    """``(N, I, 2, 2)`` whose every value is ``frame index + offset + 1000 * individual``: the source is readable."""
    frames = np.arange(n_frames, dtype=np.float32)[:, None, None, None] + offset
    individual = 1000.0 * np.arange(n_individuals, dtype=np.float32)[None, :, None, None]
    return np.broadcast_to(frames + individual, (n_frames, n_individuals, 2, 2)).copy()


def frame_of(window: np.ndarray, individual: int) -> np.ndarray:
    return window[:, individual, 0, 0] - 1000.0 * individual


def test_shift_group_by_plus_k_puts_the_partner_k_frames_ahead():
    window = shift_group(ramp_track(), start=50, length=20, split=1, lag=7)
    np.testing.assert_array_equal(frame_of(window, 0), np.arange(50, 70))
    np.testing.assert_array_equal(frame_of(window, 1), np.arange(57, 77))


def test_shift_samples_are_labelled_positive_exactly_when_the_partner_is_ahead():
    rng = np.random.default_rng(0)
    labels = []
    for _ in range(200):
        sample = draw_sample("shift", [ramp_track()], 20, rng, max_shift=10)
        lag = frame_of(sample.window, 1)[0] - frame_of(sample.window, 0)[0]
        assert lag != 0 and abs(lag) <= 10
        assert sample.label == int(lag > 0)
        labels.append(sample.label)
    assert 0.35 < np.mean(labels) < 0.65


def test_warp_at_1_5_reads_one_and_a_half_frames_per_frame_and_is_faster():
    window = warp(ramp_track(), start=10.0, length=11, speed=1.5)
    np.testing.assert_allclose(frame_of(window, 0), 10 + 1.5 * np.arange(11), atol=1e-4)
    rng = np.random.default_rng(1)
    for _ in range(200):
        sample = draw_sample("warp", [ramp_track()], 20, rng)
        speed = np.diff(frame_of(sample.window, 0)).mean()
        assert 0.5 - 1e-4 <= speed <= 1.5 + 1e-4 and abs(speed - 1) >= 0.1 - 1e-4
        assert sample.label == int(speed > 1)


def test_cons_swapped_individuals_come_from_the_other_recording():
    own, other = ramp_track(offset=0.0), ramp_track(offset=0.25)  # the fraction says which source a value is from
    rng = np.random.default_rng(2)
    labels = []
    for _ in range(200):
        sample = draw_sample("cons", [own, other], 20, rng)
        source = np.round((sample.window[0, :, 0, 0] % 1.0) * 4)  # 0 = own, 1 = other, per individual
        swapped = source[0] != source[1]
        assert sample.label == int(swapped)
        if swapped:  # individuals after the split index are the ones replaced
            assert source[1] != source[0]
        labels.append(sample.label)
    assert 0.35 < np.mean(labels) < 0.65
    np.testing.assert_array_equal(swap_group(own[:5], other[:5], 1)[:, 1], other[:5, 1])
    np.testing.assert_array_equal(swap_group(own[:5], other[:5], 1)[:, 0], own[:5, 0])


def test_cons_on_one_recording_takes_the_partner_from_a_distant_time():
    rng = np.random.default_rng(3)
    for _ in range(50):
        sample = draw_sample("cons", [ramp_track(400)], 20, rng)
        gap = abs(frame_of(sample.window, 1)[0] - frame_of(sample.window, 0)[0])
        assert (gap >= 20) == bool(sample.label)


def test_order_positive_continues_later_and_negative_earlier_or_elsewhere_within_the_gap():
    own, other = ramp_track(offset=0.0), ramp_track(offset=0.5)
    rng = np.random.default_rng(4)
    seen = set()
    for _ in range(300):
        sample = draw_sample("order", [own, other], 20, rng, order_gap=10)
        frames = sample.window[:, 0, 0, 0]
        jumps = np.flatnonzero(np.diff(frames) != 1.0)
        assert len(jumps) <= 1
        if not jumps.size:  # spliced exactly where the pre window went on: in order
            assert sample.label == 1
            continue
        at = jumps[0] + 1
        pre_start, pre_end, post_start = frames[0], frames[at - 1], frames[at]
        elsewhere = (pre_end % 1.0) != (post_start % 1.0)
        later = post_start > pre_end and not elsewhere
        assert sample.label == int(later)
        if later:  # at most 10 frames skipped between the parts
            assert post_start - pre_end - 1 <= 10
        elif not elsewhere:  # the post part ends at most 10 frames before the pre part starts
            post_end = frames[-1]
            assert 0 <= pre_start - post_end - 1 <= 10
        seen.add("elsewhere" if elsewhere else "later" if later else "earlier")
    assert seen == {"elsewhere", "later", "earlier"}
    np.testing.assert_array_equal(splice(np.arange(6), np.arange(100, 106), 2, 6), [0, 1, 100, 101, 102, 103])


def test_mask_hides_cells_and_blocks_as_nan():
    window = ramp_track(40)
    masked, mask = mask_cells(window, np.random.default_rng(5), ratio=0.2, block_ratio=0.25, block_length=5)
    assert mask.shape == window.shape[:3]
    assert np.isnan(masked[mask]).all() and not np.isnan(masked[~mask]).any()
    assert mask.all(axis=(1, 2)).sum() >= 5  # at least one whole block of frames
    assert 0.2 < mask.mean() < 0.7


def test_mask_hides_one_individual_in_blocks_only_when_there_are_two():
    mask = mask_cells(ramp_track(60), np.random.default_rng(1), ratio=0.0, block_ratio=0.0, animal_ratio=0.5,
                      animal_block_length=15)[1]
    one_animal = mask.all(axis=2).sum(axis=1) == 1  # frames where exactly one individual is wholly hidden
    assert one_animal.sum() >= 15 and not mask.all(axis=(1, 2)).any()
    alone = mask_cells(ramp_track(60, n_individuals=1), np.random.default_rng(1), ratio=0.0, block_ratio=0.0,
                       animal_ratio=0.5)[1]
    assert alone.sum() == 1  # no individual blocks for one animal: only the one cell always hidden


def test_unknown_task_is_refused():
    with pytest.raises(ValueError, match="unknown pretext task"):
        draw_sample("jump", [ramp_track()], 20, np.random.default_rng(0))
