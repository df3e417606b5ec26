"""The ``motion`` encoder: no weights, only what moves where.

Per frame, on a grey copy downscaled to ``width`` pixels wide:

- a background model (the median of frames sampled over the whole video) and the animal
  mask (the largest blob differing from it): centroid, area, ellipse axes and angle (as
  ``cos 2θ``, ``sin 2θ``), and the rates of change of each per second;
- motion energy (mean absolute frame difference) on a ``grid × grid`` coarse grid;
- dense optical flow (OpenCV DIS, ultrafast preset) statistics, over the mask and the whole frame;
- a low-dimensional projection of a downsampled crop around the animal: the lowest
  ``crop_coefficients²`` 2-D DCT coefficients of a 16 × 16 crop (a fixed basis; nothing fitted).

Lengths are in frame widths, areas in frame areas, so videos of any size give comparable
features.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ethoforge.video.encoders import (
    EncoderInfo,
    VideoSource,
    register_encoder,
    settings_hash,
)

if TYPE_CHECKING:
    import cv2

_VERSION = 1
_BLOB = ("present", "cx", "cy", "area", "major", "minor", "cos2a", "sin2a")
_RATES = ("speed", "vx", "vy", "d_area", "d_major", "d_minor", "d_angle")
_FLOW = ("flow_mask_mag", "flow_mask_dx", "flow_mask_dy", "flow_mag", "flow_mag_std", "flow_mag_max")
_CROP_SIZE = 16
_KERNEL = np.ones((3, 3), np.uint8)


@register_encoder("motion")
class MotionEncoder:
    """See the module docstring. ``width``: processing width (px); ``grid``: motion-energy
    cells per side; ``crop_coefficients``: DCT coefficients per side; ``threshold``: the
    least grey-level difference from the background that counts as animal."""

    def __init__(self, width: int = 160, grid: int = 4, crop_coefficients: int = 4, threshold: float = 18.0,
                 background_frames: int = 48):
        self.width, self.grid, self.k, self.threshold = int(width), int(grid), int(crop_coefficients), float(threshold)
        self.background_frames = int(background_frames)
        self.background: np.ndarray | None = None
        self.fps = 30.0
        self._flow: cv2.DISOpticalFlow | None = None
        names = (*_BLOB, *_RATES, *(f"energy_{i}" for i in range(self.grid**2)), "energy", *_FLOW,
                 *(f"crop_dct_{i}" for i in range(self.k**2)))
        settings = {"version": _VERSION, "flow": "dis-ultrafast", "moments": "cv2", "width": self.width, "grid": self.grid, "k": self.k,
                    "threshold": self.threshold, "background_frames": self.background_frames}
        self.info = EncoderInfo(name="motion", dim=len(names), input_size=None, colour="grey",
                                weights_hash=settings_hash(settings), feature_names=tuple(f"motion:{n}" for n in names))

    def frame_size(self, width: int, height: int) -> tuple[int, int]:
        """``(width, height)`` frames are decoded at (the aspect ratio kept, even sizes)."""
        scaled = max(16, min(self.width, width))
        return scaled - scaled % 2, max(2, round(height * scaled / width / 2) * 2)

    def prepare(self, video: VideoSource) -> None:
        """Fit the background model: the median of frames sampled over the whole video."""
        frames = video.sample(min(self.background_frames, video.n_frames))
        self.background = np.median(_grey(frames), axis=0).astype(np.float32)
        self.fps = float(video.fps)

    def encode(self, frames: np.ndarray, previous: np.ndarray | None) -> np.ndarray:
        """Features ``(N, dim)`` of grey frames ``(N, H, W[, 1])`` (see module docstring)."""
        import cv2

        self._fitted_background()
        if self._flow is None:
            self._flow = cv2.DISOpticalFlow.create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
        flow_model = self._flow
        grey = _grey(frames)
        before = _grey(previous[None])[0] if previous is not None else grey[0]
        out = np.zeros((len(grey), self.info.dim), dtype=np.float32)
        height, width = grey.shape[1:]
        last_blob = self._blob(before)
        previous_u8 = before.astype(np.uint8)
        for row, image in enumerate(grey):
            blob, mask = self._blob(image, with_mask=True)
            rates = _rates(blob, last_blob, self.fps)
            energy = np.abs(image - before)
            cells = energy[: height - height % self.grid, : width - width % self.grid]
            cells = cells.reshape(self.grid, cells.shape[0] // self.grid, self.grid, -1).mean(axis=(1, 3)) / 255.0
            current = image.astype(np.uint8)
            # flow is an output array that OpenCV allocates when None; its stub requires one
            flow = flow_model.calc(previous_u8, current, None)  # type: ignore[call-overload]
            previous_u8 = current
            out[row] = np.concatenate([blob, rates, cells.ravel(), [energy.mean() / 255.0],
                                       _flow_stats(flow, mask, width, self.fps), self._crop(image, blob)])
            before, last_blob = image, blob
        return out

    def animal_mask(self, image: np.ndarray) -> np.ndarray:
        """Binary mask (uint8) of pixels differing from the background model by more than the threshold."""
        import cv2

        diff = np.abs(image.astype(np.float32) - self._fitted_background())
        return cv2.morphologyEx((diff > self.threshold).astype(np.uint8), cv2.MORPH_OPEN, _KERNEL)

    def _fitted_background(self) -> np.ndarray:
        """The background model; `prepare` must have fitted it."""
        if self.background is None:
            raise RuntimeError("call prepare() before encode()")
        return self.background

    def _blob(self, image: np.ndarray, with_mask: bool = False):
        import cv2

        height, width = image.shape
        mask = self.animal_mask(image)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        blob = np.zeros(len(_BLOB), dtype=np.float32)
        largest = None
        if count > 1:
            index = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
            largest = labels == index
            m = cv2.moments(largest.view(np.uint8), binaryImage=True)
            area = m["m00"]
            cx, cy = m["m10"] / area, m["m01"] / area
            a, b, c = m["mu20"] / area, m["mu11"] / area, m["mu02"] / area  # covariance of the blob's pixels
            spread = np.sqrt(((a - c) / 2) ** 2 + b * b)
            major, minor = (a + c) / 2 + spread, (a + c) / 2 - spread
            angle = 0.5 * np.arctan2(2 * b, a - c)
            blob[:] = (1.0, cx / width, cy / width, area / (width * height),
                       4 * np.sqrt(max(major, 0)) / width, 4 * np.sqrt(max(minor, 0)) / width,
                       np.cos(2 * angle), np.sin(2 * angle))
        return (blob, largest) if with_mask else blob

    def _crop(self, image: np.ndarray, blob: np.ndarray) -> np.ndarray:
        import cv2

        height, width = image.shape
        half = max(4, int(width / 8))
        cx, cy = (int(blob[1] * width), int(blob[2] * width)) if blob[0] else (width // 2, height // 2)
        padded = cv2.copyMakeBorder(image - self._fitted_background(), half, half, half, half, cv2.BORDER_CONSTANT, value=0)
        crop = padded[cy : cy + 2 * half, cx : cx + 2 * half]
        small = cv2.resize(crop, (_CROP_SIZE, _CROP_SIZE), interpolation=cv2.INTER_AREA).astype(np.float32)
        return cv2.dct(small)[: self.k, : self.k].ravel() / (255.0 * _CROP_SIZE)


def _grey(frames: np.ndarray) -> np.ndarray:
    frames = np.asarray(frames)
    if frames.ndim == 4 and frames.shape[-1] == 3:
        return frames.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    if frames.ndim == 4:
        frames = frames[..., 0]
    return frames.astype(np.float32)


def _rates(blob: np.ndarray, last: np.ndarray, fps: float) -> np.ndarray:
    if not (blob[0] and last[0]):
        return np.zeros(len(_RATES), dtype=np.float32)
    d = (blob - last) * fps
    vx, vy = d[1], d[2]
    angle = np.angle(np.exp(1j * (np.arctan2(blob[7], blob[6]) - np.arctan2(last[7], last[6])))) / 2 * fps
    return np.array([np.hypot(vx, vy), vx, vy, d[3], d[4], d[5], angle], dtype=np.float32)


def _flow_stats(flow: np.ndarray, mask: np.ndarray | None, width: int, fps: float) -> np.ndarray:
    """Flow over the animal mask and the whole frame, in frame widths per second."""
    flow = flow * (fps / width)
    magnitude = np.hypot(flow[..., 0], flow[..., 1])
    if mask is not None and mask.any():
        inside = flow[mask]
        mask_stats = [float(np.hypot(inside[:, 0], inside[:, 1]).mean()), float(inside[:, 0].mean()),
                      float(inside[:, 1].mean())]
    else:
        mask_stats = [0.0, 0.0, 0.0]
    return np.array([*mask_stats, magnitude.mean(), magnitude.std(), magnitude.max()], dtype=np.float32)
