"""Frame encoders behind one registry: a name gives an encoder that describes itself.

An encoder turns a chunk of decoded frames into one feature row per frame. Each chunk is
encoded on its own (the frame before it comes along for anything that needs a previous
frame), so encoding can stop after any chunk and resume there. Weights, fitted state and
settings all go into `EncoderInfo.weights_hash`, which keys the feature cache.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Literal, Protocol

import numpy as np

from ethoforge.errors import ConfigError

ColourHandling = Literal["grey", "rgb"]
DEFAULT_ENCODER = "motion"


@dataclass(frozen=True)
class EncoderInfo:
    """What an encoder is: its ``name``, ``dim`` features per frame, the ``input_size``
    ``(width, height)`` frames are resized to (None: kept), ``colour`` handling and the
    SHA-256 ``weights_hash`` of its weights and settings (what the cache and bundles check)."""

    name: str
    dim: int
    input_size: tuple[int, int] | None
    colour: ColourHandling
    weights_hash: str
    feature_names: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """``name-<first 12 hex of weights_hash>``: the cache folder of this encoder."""
        return f"{self.name}-{self.weights_hash[:12]}"

    def to_dict(self) -> dict:
        data = asdict(self)
        data["input_size"] = list(self.input_size) if self.input_size else None
        data["feature_names"] = list(self.feature_names)
        return data


class FrameEncoder(Protocol):
    """One frame encoder (see module docstring)."""

    info: EncoderInfo

    def prepare(self, video: VideoSource) -> None:
        """Look at the whole video once before encoding (e.g. a background model)."""

    def encode(self, frames: np.ndarray, previous: np.ndarray | None) -> np.ndarray:
        """``(N, dim)`` float32 features of ``frames`` ``(N, H, W, C)`` uint8 in the encoder's
        colour handling and input size; ``previous`` is the frame before the first (or None)."""


class VideoSource(Protocol):
    """What `FrameEncoder.prepare` may read: frame count, rate, size and sampled frames."""

    n_frames: int
    fps: float

    def sample(self, count: int) -> np.ndarray:
        """``count`` frames spread evenly over the video, ``(count, H, W, C)`` uint8."""


_REGISTRY: dict[str, Callable[..., FrameEncoder]] = {}


def register_encoder(name: str) -> Callable:
    """Class decorator: make an encoder available under ``name`` (`get_encoder`)."""

    def decorate(factory: Callable[..., FrameEncoder]) -> Callable[..., FrameEncoder]:
        _REGISTRY[name] = factory
        return factory

    return decorate


def encoder_names() -> list[str]:
    """Every registered encoder name."""
    _load_builtin()
    return sorted(_REGISTRY)


def get_encoder(name: str, **options) -> FrameEncoder:
    """The encoder registered as ``name``, built with ``options``.

    Raises
    ------
    ConfigError
        No encoder of that name (the message lists them and names ``--encoder``).
    """
    _load_builtin()
    if name not in _REGISTRY:
        raise ConfigError(f"unknown encoder {name!r} (--encoder); encoders: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name](**options)


def settings_hash(*parts: object) -> str:
    """SHA-256 over JSON-able settings and raw ``bytes`` (weights), in order."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else json.dumps(part, sort_keys=True).encode())
    return digest.hexdigest()


def _load_builtin() -> None:
    from ethoforge.video import dinov2, efficientnet, motion  # noqa: F401  (each registers its encoders)
