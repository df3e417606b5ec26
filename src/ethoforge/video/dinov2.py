"""DINOv2 encoders (what CBAS uses): ``dinov2_small``, ``dinov2_base`` and their
``_reg`` variants with registers; the CLS embedding of 224 × 224 RGB frames.

Weights are never downloaded at run time. They are looked for, in order, in
``weights=FOLDER`` (a saved Hugging Face model folder), ``$ETHOFORGE_DINOV2_DIR/<name>``,
the Hugging Face cache (``$HF_HUB_CACHE`` or ``$HF_HOME/hub``) and the torch.hub cache;
when none has them, one `ConfigError` says where to put them.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from ethoforge.errors import ConfigError
from ethoforge.video.encoders import (
    EncoderInfo,
    VideoSource,
    register_encoder,
    settings_hash,
)

INPUT_SIZE = 224
_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32) * 255
_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32) * 255
VARIANTS: dict[str, tuple[str, str]] = {  # name → (Hugging Face repository, torch.hub entry)
    "dinov2_small": ("facebook/dinov2-small", "dinov2_vits14"),
    "dinov2_base": ("facebook/dinov2-base", "dinov2_vitb14"),
    "dinov2_small_reg": ("facebook/dinov2-with-registers-small", "dinov2_vits14_reg"),
    "dinov2_base_reg": ("facebook/dinov2-with-registers-base", "dinov2_vitb14_reg"),
}


def hf_cache_dir() -> Path:
    """The Hugging Face hub cache folder as the environment says now."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    return Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface")) / "hub"


def load_dinov2(name: str, weights: str | Path | None = None):
    """The DINOv2 model ``name`` (a Hugging Face ``PreTrainedModel`` or a torch.hub module) and
    the files its weights came from, from local storage only (see module docstring).

    Raises
    ------
    ConfigError
        Unknown variant, ``transformers`` missing, or the weights are nowhere on this machine.
    """
    if name not in VARIANTS:
        raise ConfigError(f"unknown DINOv2 variant {name!r}; expected one of {list(VARIANTS)}")
    repo, hub_entry = VARIANTS[name]
    looked: list[str] = []
    folders = [Path(weights)] if weights is not None else []
    if os.environ.get("ETHOFORGE_DINOV2_DIR"):
        folders.append(Path(os.environ["ETHOFORGE_DINOV2_DIR"]) / name)
    for folder in folders:
        looked.append(str(folder))
        if (folder / "config.json").is_file():
            return _from_pretrained(str(folder), None, name), _weight_files(folder)
    cache = hf_cache_dir()
    looked.append(f"the Hugging Face cache {cache} ({repo})")
    snapshot = cache / f"models--{repo.replace('/', '--')}"
    if snapshot.is_dir():
        return _from_pretrained(repo, str(cache), name), _weight_files(snapshot)
    hub = _torch_hub_dir()
    looked.append(f"torch.hub {hub}")
    code, checkpoint = hub / "facebookresearch_dinov2_main", hub / "checkpoints"
    found = sorted(checkpoint.glob(f"{hub_entry}_pretrain.pth")) if checkpoint.is_dir() else []
    if code.is_dir() and found:
        import torch

        return torch.hub.load(str(code), hub_entry, source="local", pretrained=True), found
    raise ConfigError(
        f"the weights of encoder {name!r} are not on this machine (looked in: {'; '.join(looked)}) and EthoForge "
        f"does not download at run time. On a machine with internet run `huggingface-cli download {repo}` and copy "
        f"the cache to {cache}, or save the model folder (config.json + weights) as "
        f"$ETHOFORGE_DINOV2_DIR/{name}")


@lru_cache(maxsize=4)
def _from_pretrained(source: str, cache_dir: str | None, name: str):
    """The model at ``source`` (kept: several encoders of one process share it read-only)."""
    try:
        from transformers import AutoModel
    except ImportError:
        raise ConfigError(f"encoder {name!r} needs the transformers package: pip install transformers") from None
    try:
        return AutoModel.from_pretrained(source, cache_dir=cache_dir, local_files_only=True)
    except OSError as error:
        raise ConfigError(f"cannot load encoder {name!r} from {source}: {error}") from None


def _torch_hub_dir() -> Path:
    import torch

    return Path(torch.hub.get_dir())


def _weight_files(folder: Path) -> list[Path]:
    return sorted(p for pattern in ("*.safetensors", "*.bin", "*.pth")
                  for p in folder.rglob(pattern) if p.is_file())


class Dinov2Encoder:
    """The CLS embedding of a DINOv2 variant (see module docstring); ``device`` as elsewhere."""

    def __init__(self, name: str, weights: str | Path | None = None, device: str = "auto", batch: int = 32):
        from ethoforge.models.chunked import resolve_device

        model, files = load_dinov2(name, weights)
        self.device = resolve_device(device)
        self.model = model.eval().to(self.device)
        self.batch = int(batch)
        dim = int(getattr(getattr(model, "config", None), "hidden_size", 0) or model.embed_dim)
        blobs = [f.read_bytes() for f in files]
        self.info = EncoderInfo(name=name, dim=dim, input_size=(INPUT_SIZE, INPUT_SIZE), colour="rgb",
                                weights_hash=settings_hash({"name": name, "token": "cls"}, *blobs),
                                feature_names=tuple(f"{name}:{i}" for i in range(dim)))

    def frame_size(self, width: int, height: int) -> tuple[int, int]:
        return INPUT_SIZE, INPUT_SIZE

    def prepare(self, video: VideoSource) -> None:
        """Nothing to fit."""

    def encode(self, frames: np.ndarray, previous: np.ndarray | None) -> np.ndarray:
        """``(N, dim)`` CLS embeddings of RGB frames ``(N, 224, 224, 3)``."""
        import torch

        out = np.empty((len(frames), self.info.dim), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(frames), self.batch):
                batch = (frames[start : start + self.batch].astype(np.float32) - _MEAN) / _STD
                x = torch.from_numpy(np.ascontiguousarray(batch)).permute(0, 3, 1, 2).to(self.device)
                answer = self.model(pixel_values=x) if hasattr(self.model, "config") else self.model(x)
                cls = answer.pooler_output if hasattr(answer, "pooler_output") else answer
                out[start : start + self.batch] = cls.float().cpu().numpy()
        return out


for _name in VARIANTS:
    register_encoder(_name)(lambda _n=_name, **options: Dinov2Encoder(_n, **options))
