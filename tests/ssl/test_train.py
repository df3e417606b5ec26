"""Pretraining: a small encoder learns clean synthetic pretexts; bad configs fail before work."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from ethoforge.errors import Cancelled, ConfigError
from ethoforge.ssl.train import pretrain

TINY = {"emb_dim": 16, "heads": 2, "hidden": 32, "window": 24, "batch_size": 32, "max_shift": 8,
        "eval_samples": 64, "device": "cpu", "lr": 3e-3}


def test_small_encoder_learns_shift_and_warp_on_circling_animals(circling_recordings, tmp_path):
    result = pretrain(circling_recordings, {**TINY, "tasks": "shift,warp", "epochs": 1, "train_sample": 0.25},
                      tmp_path / "emb")
    assert result.metrics["val_shift_accuracy"] > 0.9
    assert result.metrics["val_warp_accuracy"] > 0.9
    # fresh samples (another seed) through the best network
    from ethoforge.ssl.data import WindowFeaturizer  # noqa: F401  (the featurizer the run used)
    from ethoforge.ssl.model import PretextNet
    from ethoforge.ssl.batches import draw_batch
    from ethoforge.ssl.train import _prepare, _to_tensors

    state = torch.load(tmp_path / "emb" / "checkpoints" / "best.pt", weights_only=False)
    featurizer, tracks, _ = _prepare(circling_recordings, result.config)
    net = PretextNet(len(featurizer.names), result.tasks, result.config.transformer_config())
    net.load_state_dict(state["model"])
    net.eval()
    rng = np.random.default_rng(99)
    for task in ("shift", "warp"):
        features, labels, _ = _to_tensors(featurizer.batch(draw_batch(task, tracks, result.config, rng, 64)))
        with torch.no_grad():
            accuracy = float((net(features, task).argmax(1) == labels).float().mean())
        assert accuracy > 0.9, task


def test_bundle_is_a_self_describing_embedder_with_history_plot_and_checkpoints(circling_recordings, tmp_path):
    result = pretrain(circling_recordings, {**TINY, "epochs": 2, "train_sample": 0.02, "eval_samples": 8},
                      tmp_path / "emb")
    assert result.tasks == ["cons", "order", "shift", "warp", "mask"]
    meta = json.loads((result.path / "bundle.json").read_text())
    assert meta["kind"] == "embedder" and meta["tasks"] == result.tasks
    assert meta["individuals"] == ["m0", "m1"] and meta["keypoints"] == ["nose", "neck", "tail"]
    assert meta["model_config"]["embed_dim"] == 16 and meta["window"] == 24 and meta["fps"] == 30.0
    assert len(meta["normalisation"]["mean"]) == len(meta["feature_names"])
    history = json.loads((result.path / "history.json").read_text())
    assert [row["epoch"] for row in history] == [0, 1]
    assert {f"{t}_{m}" for t in result.tasks for m in ("loss", "accuracy")} <= set(history[0])
    assert (result.path / "plots" / "pretrain_history.png").stat().st_size > 1000
    assert {p.name for p in (result.path / "checkpoints").iterdir()} == {"best.pt", "latest.pt"}
    assert not list(tmp_path.glob(".*partial"))


def test_cancel_leaves_no_bundle_and_resume_finishes(circling_recordings, tmp_path):
    options = {**TINY, "tasks": "warp", "epochs": 2, "train_sample": 0.02, "eval_samples": 8}
    with pytest.raises(Cancelled, match="resume from"):
        pretrain(circling_recordings, options, tmp_path / "emb", progress=lambda step, total, row: False)
    assert not (tmp_path / "emb").exists()
    latest = tmp_path / ".emb.partial" / "checkpoints" / "latest.pt"
    epochs_seen = []
    result = pretrain(circling_recordings, {**options, "resume": str(latest)}, tmp_path / "emb",
                      progress=lambda step, total, row: epochs_seen.append(row["epoch"]))
    assert epochs_seen == [1] and [row["epoch"] for row in result.history] == [0, 1]


@pytest.mark.parametrize(
    ("options", "which", "message"),
    [
        ({"tasks": "cons,warp,mask"}, "alone", r"cons need at least two individuals.*remain: warp,mask"),
        ({"window": 500}, "alone", r"window=500 is longer than every recording.*400 frames"),
        ({"tasks": "cons,jump"}, "pair", r"unknown task\(s\) \['jump'\]; known: cons,order,shift,warp,mask"),
        ({"emb_dim": 30, "heads": 4}, "pair", r"emb_dim \(30\) must be divisible by heads \(4\)"),
        ({"augment": "perm_id:p=1,flip"}, "pair", r"unknown augmentation 'flip'"),
        ({"augment": "blk_perm_id:frac=2"}, "pair", r"frac must be in \[0, 1\], got 2.0"),
    ],
)
def test_bad_configs_fail_before_any_work(options, which, message, circling_recordings, one_animal_recording,
                                          tmp_path, monkeypatch):
    import ethoforge.ssl.train as train_module

    monkeypatch.setattr(train_module, "_prepare", lambda *a: pytest.fail("work started"))
    recordings = [one_animal_recording] if which == "alone" else circling_recordings
    with pytest.raises(ConfigError, match=message):
        pretrain(recordings, {**TINY, **options}, tmp_path / "emb")
    assert not any(tmp_path.iterdir())


def test_one_animal_data_gets_the_tasks_it_allows(one_animal_recording, tmp_path):
    result = pretrain([one_animal_recording], {**TINY, "epochs": 1, "train_sample": 0.05, "eval_samples": 8},
                      tmp_path / "emb")
    assert result.tasks == ["order", "warp", "mask"]
    assert result.metrics["val_mask_accuracy"] <= 1.0 and np.isfinite(result.metrics["val_mask_loss"])


def test_each_epochs_tracks_carry_the_augmentations_with_known_effects(circling_recordings):
    """What pretraining feeds the pretext generators after ``--augment``: whole animals swapped, rigid
    turns, dropped cells marked unobserved (the third channel of a track), and nothing without augment."""
    from ethoforge.ssl.config import PretrainConfig
    from ethoforge.ssl.train import _augmented_tracks, _prepare
    from ethoforge.training.augment import parse_augment

    featurizer, tracks, poses = _prepare(circling_recordings, PretrainConfig(**TINY))
    window = TINY["window"]

    def augmented(text: str) -> list[np.ndarray]:
        return _augmented_tracks(poses, featurizer.spec, parse_augment(text), window, np.random.default_rng(0))

    assert _augmented_tracks(poses, featurizer.spec, [], window, np.random.default_rng(0)) is None
    for base, swapped in zip(tracks, augmented("perm_id:p=1")):  # two animals: every segment swaps them
        np.testing.assert_array_equal(swapped, base[:, ::-1])
    for base, turned in zip(tracks, augmented("rotate:p=1")):
        def pairwise(track):
            points = track[..., :2].reshape(len(track), -1, 2).astype(np.float64)
            return np.linalg.norm(points[:, :, None] - points[:, None], axis=-1)
        np.testing.assert_allclose(pairwise(turned), pairwise(base), atol=1e-3)
        assert np.abs(turned[..., :2] - base[..., :2]).max() > 1.0
    for base, dropped in zip(tracks, augmented("kp_drop:p=1:rate=0.3")):
        observed = dropped[..., 2] == 1
        assert observed.mean() == pytest.approx(0.7, abs=0.02) and base[..., 2].all()
        np.testing.assert_array_equal(dropped[observed][:, :2], base[observed][:, :2])


def test_pretraining_gives_the_caller_its_torch_thread_count_back(circling_recordings, tmp_path):
    caller = torch.get_num_threads()
    pretrain(circling_recordings, {**TINY, "tasks": "warp", "epochs": 1, "train_sample": 0.02, "eval_samples": 8,
                                   "num_threads": caller + 1}, tmp_path / "emb")
    assert torch.get_num_threads() == caller
