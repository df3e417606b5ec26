"""Behavior discovery on embeddings: k-means motifs, motif bouts, a 2-D map, motifs vs labels.

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


@dataclass
class Motifs:
    """Fitted motifs: centres ``(K, E)`` and each recording's per-frame motif ``(T,)`` int64."""

    centres: np.ndarray
    per_recording: dict[str, np.ndarray]

    @property
    def names(self) -> list[str]:
        return [f"motif_{k}" for k in range(len(self.centres))]


def fit_motifs(embeddings: dict[str, np.ndarray], clusters: int, *, seed: int = 0,
               fit_frames: int = FIT_FRAMES) -> Motifs:
    """k-means with ``clusters`` centres on (a sample of) every frame, then each frame's nearest centre.

    Raises
    ------
    ConfigError
        ``clusters`` < 2 or more than the frames.
    """
    from sklearn.cluster import KMeans

    total = sum(len(e) for e in embeddings.values())
    if clusters < 2 or clusters > total:
        raise ConfigError(f"--clusters must be between 2 and the number of frames ({total}), got {clusters}")
    sample = _sample(embeddings, fit_frames, seed)
    model = KMeans(n_clusters=clusters, n_init=3, random_state=seed).fit(sample)
    return Motifs(model.cluster_centers_.astype(np.float32),
                  {name: model.predict(values).astype(np.int64) for name, values in embeddings.items()})


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
