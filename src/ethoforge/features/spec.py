"""`FeatureSpec` (which features, for which layout) and `FeatureMatrix` (the result)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from ethoforge.errors import ConfigError

if TYPE_CHECKING:
    import xarray as xr

    from ethoforge.recording import Recording

FeatureGroup = Literal[
    "position_egocentric", "velocity", "speed", "acceleration", "body", "social", "partner_egocentric",
    "visibility",
]
FEATURE_GROUPS: tuple[str, ...] = get_args(FeatureGroup)
WindowStat = Literal["mean", "std", "min", "max"]
GBDT_WINDOW_SIZES: tuple[int, ...] = (5, 11, 31)

# Names looked for (case-insensitive, in order) to pick the body axis and social keypoints.
_TAIL_NAMES = ("tail_base", "tailbase", "tail-base", "base_of_tail", "tail", "tail1", "tail_1")
_FRONT_NAMES = ("neck", "nose", "head", "headcentre", "head_center", "snout")
_NOSE_NAMES = ("nose", "snout", "head", "headcentre", "head_center")


@dataclass
class FeatureMatrix:
    """Per-frame features: ``values`` ``(T, F)`` float32 and one name per column."""

    values: np.ndarray
    names: list[str]

    def __post_init__(self) -> None:
        if self.values.ndim != 2 or self.values.shape[1] != len(self.names):
            raise ValueError(f"values {self.values.shape} do not match {len(self.names)} names")

    @property
    def n_frames(self) -> int:
        return int(self.values.shape[0])


class FeatureSpec(BaseModel):
    """Which features to compute, for which individuals and keypoints (matched by name).

    Attributes
    ----------
    individuals, keypoints
        Names in column order. Poses with the same names in another order give the same
        columns; poses lacking a name raise `InputError`.
    fps
        Frames per second for rates (px/s, rad/s); None = the poses' ``attrs["fps"]``, else
        per-frame units.
    confidence_threshold
        Keypoints with confidence below it are treated as missing (default 0.5: DeepLabCut
        likelihoods are bimodal, almost all near 0 or 1). NaN confidence keeps the keypoint.
        Positions far outside the image are left alone.
    max_gap
        Longest run of missing frames filled by linear interpolation (None: any). Leading
        and trailing gaps take the nearest value. What stays missing becomes 0 in the output
        (the ``visibility`` group tells the model).
    groups
        Feature groups (see `FEATURE_GROUPS`).
    centre
        Keypoint used as the body centre; None = mean of all keypoints.
    body_axis
        ``(back, front)`` keypoints; the body frame's +x points from back to front. None
        picks from names (``tail_base``/``tail`` → ``neck``/``nose``), else last → first.
    social_keypoints
        Keypoints whose distances between every pair of animals are features (all
        combinations); None picks nose and tail by name. Centroid distance is always there.
    velocity_frame
        Velocities in the animal's body frame (``"egocentric"``) or the image frame.
    window_sizes, window_stats
        Centred rolling statistics (odd sizes) over every per-frame feature (for ``gbdt``);
        empty = none.
    pose
        Compute pose features (False: video features only, and no keypoints are needed).
    video_encoder, video_encoder_hash, video_dim, video_crop
        Append the per-frame features of this frame encoder (on whole frames or crops) (`ethoforge.video.encoders`),
        read from the poses' ``video_features`` variable, which must come from an encoder
        with this weights hash (`ethoforge.video.features.with_video_features` adds it).
    """

    model_config = ConfigDict(extra="forbid")

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as error:
            raise ConfigError(f"invalid feature spec: {_describe(error)}") from None

    individuals: list[str] = Field(default_factory=list)
    keypoints: list[str] = Field(default_factory=list)
    fps: float | None = Field(None, gt=0)
    confidence_threshold: float = Field(0.5, ge=0.0, le=1.0)
    max_gap: int | None = Field(30, ge=0)
    groups: list[FeatureGroup] = Field(default_factory=lambda: list(FEATURE_GROUPS))  # type: ignore[arg-type]
    centre: str | None = None
    body_axis: tuple[str, str] | None = None
    social_keypoints: list[str] | None = None
    velocity_frame: Literal["egocentric", "allocentric"] = "egocentric"
    window_sizes: list[int] = Field(default_factory=list)
    window_stats: list[WindowStat] = Field(default_factory=lambda: ["mean", "std", "min", "max"])  # type: ignore[arg-type]
    pose: bool = True
    video_encoder: str | None = None
    video_encoder_hash: str | None = None
    video_dim: int = Field(0, ge=0)
    video_crop: Literal["none", "pose", "auto"] = "none"

    @field_validator("individuals", "keypoints")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        value = [str(v) for v in value]
        if len(set(value)) != len(value):
            raise ValueError(f"names must be unique, got {value}")
        return value

    @field_validator("window_sizes")
    @classmethod
    def _odd_windows(cls, value: list[int]) -> list[int]:
        bad = [w for w in value if w < 3 or w % 2 == 0]
        if bad:
            raise ValueError(f"window sizes must be odd and >= 3 (centred windows), got {bad}")
        return sorted(set(value))

    @model_validator(mode="after")
    def _resolve_names(self) -> FeatureSpec:
        if not self.pose:
            if not self.video_encoder:
                raise ValueError("pose=False needs a video_encoder: there would be no features")
            object.__setattr__(self, "individuals", [])
            object.__setattr__(self, "keypoints", [])
            object.__setattr__(self, "social_keypoints", [])
            return self
        if not self.individuals or not self.keypoints:
            raise ValueError("pose features need at least one individual and one keypoint (a recording "
                             "without poses takes video features only: --features video:ENCODER)")
        known = set(self.keypoints)
        axis = self.body_axis if self.body_axis is not None else _default_axis(self.keypoints)
        social = self.social_keypoints if self.social_keypoints is not None else _default_social(self.keypoints, axis)
        object.__setattr__(self, "body_axis", axis)
        object.__setattr__(self, "social_keypoints", social)
        named = [self.centre] if self.centre is not None else []
        unknown = [k for k in [*named, *axis, *social] if k not in known]
        if unknown:
            raise ValueError(f"keypoint(s) {unknown} are not among the spec's keypoints {self.keypoints}")
        if axis[0] == axis[1] and len(self.keypoints) > 1:
            raise ValueError(f"body_axis needs two different keypoints, got {list(axis)}")
        return self

    @property
    def axis(self) -> tuple[str, str]:
        """The resolved ``(back, front)`` body-axis keypoints."""
        assert self.body_axis is not None  # set by validation
        return self.body_axis

    @property
    def social(self) -> list[str]:
        """The resolved social keypoints."""
        assert self.social_keypoints is not None  # set by validation
        return self.social_keypoints

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_recording(cls, poses: xr.Dataset | Recording, fps: float | None = None, **options: Any) -> FeatureSpec:
        """The default spec for the individuals and keypoints of ``poses`` (a dataset or `Recording`)."""
        dataset: Any = getattr(poses, "poses", poses)
        fps = fps if fps is not None else getattr(poses, "fps", None)
        return cls(
            individuals=[str(v) for v in dataset["individual"].values],
            keypoints=[str(v) for v in dataset["keypoint"].values],
            fps=fps,
            **options,
        )

    @classmethod
    def for_gbdt(cls, **options: Any) -> FeatureSpec:
        """A spec with the tree model's window statistics (sizes `GBDT_WINDOW_SIZES`) unless given."""
        options.setdefault("window_sizes", list(GBDT_WINDOW_SIZES))
        return cls(**options)

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> FeatureSpec:
        """Rebuild from `to_dict` output."""
        return cls(**value)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``model_dump(mode="json")``)."""
        return self.model_dump(mode="json")

    @property
    def context_frames(self) -> int:
        """Frames on each side a frame's features depend on (finite differences, windows)."""
        return max(self.window_sizes, default=1) // 2 + 4


def _find(names: list[str], candidates: tuple[str, ...]) -> str | None:
    lower = {n.lower(): n for n in names}
    for candidate in candidates:
        if candidate in lower:
            return lower[candidate]
    return None


def _default_axis(keypoints: list[str]) -> tuple[str, str]:
    back = _find(keypoints, _TAIL_NAMES) or keypoints[-1]
    front = _find([k for k in keypoints if k != back], _FRONT_NAMES) or keypoints[0]
    return back, front


def _default_social(keypoints: list[str], axis: tuple[str, str]) -> list[str]:
    nose = _find(keypoints, _NOSE_NAMES) or axis[1]
    return [nose] if nose == axis[0] else [nose, axis[0]]


def _describe(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'spec'}: {e['msg'].removeprefix('Value error, ')}"
        for e in error.errors()
    )
