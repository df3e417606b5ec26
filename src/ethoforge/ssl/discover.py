"""Behavior discovery on embeddings: k-means or HMM motifs, motif bouts, a 2-D map, motifs vs labels.

Pure compute on arrays: ``(T, E)`` embeddings per recording in, per-frame motif indices,
bouts, map coordinates and a motif × behavior table out. `ethoforge.ssl.project.discover_many`
does the I/O around it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ethoforge.errors import ConfigError

FIT_FRAMES = 200_000  # frames drawn (evenly over all recordings) to fit k-means and the map
DISCOVERY_METHODS: tuple[str, ...] = ("kmeans", "hmm")
HMM_DIMENSIONS = 10  # PCA components the HMM sees (diagonal covariance fits decorrelated axes)
HMM_STAY = 0.9  # starting self-transition probability of every HMM state
HMM_BLOCK = 2_000  # contiguous frames per fitting sequence when the recordings hold more than fit_frames


@dataclass
class Motifs:
    """Fitted motifs: centres ``(K, E)`` and each recording's per-frame motif ``(T,)`` int64."""

    centres: np.ndarray
    per_recording: dict[str, np.ndarray]

    @property
    def names(self) -> list[str]:
        return [f"motif_{k}" for k in range(len(self.centres))]


def fit_motifs(embeddings: dict[str, np.ndarray], clusters: int, *, seed: int = 0,
               fit_frames: int = FIT_FRAMES, method: str = "kmeans") -> Motifs:
    """Motifs with ``clusters`` states fitted on (a sample of) every frame; each frame's motif.

    ``kmeans``: k-means centres, each frame's nearest centre. ``hmm``: a Gaussian HMM (diagonal
    covariance, hmmlearn) on the embeddings reduced by PCA to `HMM_DIMENSIONS`, fitted on
    contiguous stretches (``fit_frames`` in all) and decoded per recording by Viterbi, so a
    motif also depends on its neighbours in time; its centres are the state means mapped back
    to the embedding space.

    Raises
    ------
    ConfigError
        ``clusters`` < 2 or more than the frames, or an unknown ``method``.
    """
    if method not in DISCOVERY_METHODS:
        raise ConfigError(f"--method {method!r} is not available; expected one of {', '.join(DISCOVERY_METHODS)}")
    total = sum(len(e) for e in embeddings.values())
    if clusters < 2 or clusters > total:
        raise ConfigError(f"--clusters must be between 2 and the number of frames ({total}), got {clusters}")
    if method == "hmm":
        return _fit_hmm(embeddings, clusters, seed, fit_frames)
    from sklearn.cluster import KMeans

    sample = _sample(embeddings, fit_frames, seed)
    model = KMeans(n_clusters=clusters, n_init=3, random_state=seed).fit(sample)
    return Motifs(model.cluster_centers_.astype(np.float32),
                  {name: model.predict(values).astype(np.int64) for name, values in embeddings.items()})


def _fit_hmm(embeddings: dict[str, np.ndarray], clusters: int, seed: int, fit_frames: int) -> Motifs:
    """EM started from k-means states with sticky transitions (`HMM_STAY`): from hmmlearn's uniform
    start EM often settles on states that flicker every frame (AMI 0.6 where this start gives 0.99)."""
    from hmmlearn.hmm import GaussianHMM
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA

    sample = _sample(embeddings, fit_frames, seed).astype(np.float64)
    pca = PCA(n_components=min(HMM_DIMENSIONS, sample.shape[1], len(sample)), random_state=seed).fit(sample)
    reduced = {name: pca.transform(values.astype(np.float64)) for name, values in embeddings.items()}
    sequences = _stretches(reduced, fit_frames)
    stacked = np.concatenate(sequences)
    start = KMeans(n_clusters=clusters, n_init=3, random_state=seed).fit(stacked)
    model = GaussianHMM(n_components=clusters, covariance_type="diag", n_iter=100, tol=1e-3, random_state=seed,
                        init_params="")
    model.startprob_ = np.full(clusters, 1.0 / clusters)
    model.transmat_ = np.full((clusters, clusters), (1.0 - HMM_STAY) / (clusters - 1))
    np.fill_diagonal(model.transmat_, HMM_STAY)
    model.means_ = start.cluster_centers_
    model.covars_ = np.stack([stacked[start.labels_ == k].var(axis=0) if (start.labels_ == k).sum() > 1
                              else stacked.var(axis=0) for k in range(clusters)]) + 1e-6
    model.fit(stacked, [len(s) for s in sequences])
    return Motifs(pca.inverse_transform(model.means_).astype(np.float32),
                  {name: model.predict(values).astype(np.int64) for name, values in reduced.items()})


def _stretches(sequences: dict[str, np.ndarray], frames: int) -> list[np.ndarray]:
    """Each sequence whole, or, past ``frames`` frames in all, evenly spaced `HMM_BLOCK`-frame stretches of each."""
    total = sum(len(s) for s in sequences.values())
    if total <= frames:
        return [s for s in sequences.values() if len(s)]
    out = []
    for values in sequences.values():
        blocks = max(1, round(len(values) * frames / total / HMM_BLOCK))
        starts = np.linspace(0, max(0, len(values) - HMM_BLOCK), blocks).astype(int)
        out += [values[start:start + HMM_BLOCK] for start in np.unique(starts)]
    return [s for s in out if len(s)]


def pca_map(embeddings: dict[str, np.ndarray], *, seed: int = 0, fit_frames: int = FIT_FRAMES,
            method: str = "auto"):
    """A 2-D projection fitted on a sample: UMAP when ``umap-learn`` is installed (``auto``), else PCA.

    Returns ``(transform, name)``: ``transform((T, E)) -> (T, 2)`` and ``"umap"`` or ``"pca"``.
    """
    sample = _sample(embeddings, min(fit_frames, 20_000 if method != "pca" else fit_frames), seed)
    if method in ("auto", "umap"):
        try:
            import umap  # type: ignore[import-not-found]

            reducer = umap.UMAP(n_components=2, random_state=seed).fit(sample)
            return reducer.transform, "umap"
        except ImportError:
            if method == "umap":
                raise ConfigError("--map umap needs umap-learn (pip install umap-learn)") from None
    from sklearn.decomposition import PCA

    pca = PCA(n_components=2, random_state=seed).fit(sample)
    return pca.transform, "pca"


def motif_behavior_table(motifs: np.ndarray, targets: np.ndarray, classes: Sequence[str]
                         ) -> tuple[np.ndarray, float]:
    """Frame counts ``(K, C)`` of motif × labelled class and the adjusted mutual information.

    Frames with target ``-1`` (not annotated) are left out. AMI is 1 when motifs and labels
    split the frames the same way, about 0 when they are unrelated.
    """
    from sklearn.metrics import adjusted_mutual_info_score

    keep = targets >= 0
    k = int(motifs.max(initial=-1)) + 1
    counts = np.zeros((k, len(classes)), dtype=np.int64)
    np.add.at(counts, (motifs[keep], targets[keep]), 1)
    ami = float(adjusted_mutual_info_score(targets[keep], motifs[keep])) if keep.any() else float("nan")
    return counts, ami


def _sample(embeddings: dict[str, np.ndarray], frames: int, seed: int) -> np.ndarray:
    stacked = np.concatenate(list(embeddings.values()), axis=0)
    if len(stacked) <= frames:
        return stacked
    rng = np.random.default_rng(seed)
    return stacked[np.sort(rng.choice(len(stacked), frames, replace=False))]
