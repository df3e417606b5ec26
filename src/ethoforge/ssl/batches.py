"""The pretext batches of a pretraining epoch, made inline or by worker processes.

Each step's samples come from their own random generator, seeded by ``(seed, epoch, step)``,
so a step's batches are the same whichever process makes them and however many workers
there are. Workers are forked once per epoch (they inherit the featurizer and the tracks
without copying them); at most ``2 × workers`` steps are made ahead of the training loop,
so memory stays bounded however long the epoch is.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ethoforge.ssl.pretext import draw_sample

if TYPE_CHECKING:
    from ethoforge.ssl.config import PretrainConfig
    from ethoforge.ssl.data import WindowFeaturizer

Batch = tuple[np.ndarray, np.ndarray, "np.ndarray | None"]

_SEED_STREAM = 2  # the step generators' stream; 0 and 1 are the trainer's augmentations and held-out samples


def auto_workers() -> int:
    """Worker processes when the config says ``None``: one per spare CPU core, at most 4, none on 1 core."""
    return max(0, min(4, (os.cpu_count() or 1) - 1))


def draw_batch(task: str, tracks: Sequence[np.ndarray], config: PretrainConfig, rng: np.random.Generator,
               n: int) -> list:
    """``n`` samples of ``task`` drawn from ``tracks`` with the config's window and task options."""
    return [draw_sample(task, tracks, config.window, rng, max_shift=config.max_shift, order_gap=config.order_gap,
                        speed_margin=config.speed_margin, mask_ratio=config.mask_ratio) for _ in range(n)]


def step_batches(featurizer: WindowFeaturizer, tracks: Sequence[np.ndarray], tasks: Sequence[str],
                 config: PretrainConfig, epoch: int, step: int) -> list[Batch]:
    """One `WindowFeaturizer.batch` per task for ``step`` of ``epoch`` (deterministic)."""
    rng = np.random.default_rng([config.seed, _SEED_STREAM, epoch, step])
    return [featurizer.batch(draw_batch(task, tracks, config, rng, config.batch_size)) for task in tasks]


def epoch_batches(featurizer: WindowFeaturizer, tracks: Sequence[np.ndarray], tasks: Sequence[str],
                  config: PretrainConfig, epoch: int, steps: int, workers: int) -> Generator[list[Batch], None, None]:
    """`step_batches` of steps ``0 … steps - 1`` in order; ``workers`` > 0 makes them in forked processes.

    Closing the iterator early (a cancelled epoch) waits for the at most ``2 × workers + 1`` steps
    under way, then stops the workers.
    """
    if workers <= 0 or "fork" not in multiprocessing.get_all_start_methods():
        for step in range(steps):
            yield step_batches(featurizer, tracks, tasks, config, epoch, step)
        return
    context = multiprocessing.get_context("fork")
    pool = context.Pool(workers, initializer=_remember, initargs=(featurizer, tracks, tasks, config, epoch))
    pending: deque = deque()
    try:
        for step in range(steps):
            pending.append(pool.apply_async(_worker_step, (step,)))
            if len(pending) > 2 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
    finally:
        # A cancelled epoch lets the few steps already asked for finish, then closes the pool:
        # Pool.terminate() can deadlock while its task thread is handing a step to a worker.
        for result in pending:
            result.wait()
        pool.close()
        pool.join()


_job: list[Any] = []  # a worker's (featurizer, tracks, tasks, config, epoch)


def _remember(*job: Any) -> None:
    _job[:] = job


def _worker_step(step: int) -> list[Batch]:
    featurizer, tracks, tasks, config, epoch = _job
    return step_batches(featurizer, tracks, tasks, config, epoch, step)
