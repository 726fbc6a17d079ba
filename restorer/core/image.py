"""The image type every layer shares.

Photos hold float32 RGB or gray in [0, 1]; CT holds float32 Hounsfield units. Alpha is kept
apart from the colour channels so that no task ever touches it by accident.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np


class Modality(StrEnum):
    PHOTO = "photo"
    CT = "CT"


# ImageMeta.extra key: the IJG quality (1-100) a JPEG source was compressed at, estimated from
# its quantisation table (restorer.core.jpeg_quality).
JPEG_QUALITY_KEY = "jpeg_quality"


@dataclass(frozen=True)
class ImageMeta:
    """What was read besides pixels, kept so that a write can give it back."""

    source_path: Path | None = None
    format: str = ""  # lower-case suffix family: png, jpeg, bmp, webp, tiff, dicom
    bit_depth: int = 8  # 8, 16, or 32 and 64 (float TIFF); CT keeps its stored bits here
    icc_profile: bytes | None = None
    exif: bytes | None = None
    orientation: int = 1  # EXIF orientation tag, 1 = as stored
    modality: Modality = Modality.PHOTO
    dicom_dataset: Any = None  # pydicom Dataset, kept for writing a derived file
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Image:
    """float32 pixels (H, W) or (H, W, 3) plus metadata; alpha (H, W) in [0, 1] or None."""

    pixels: np.ndarray
    meta: ImageMeta = field(default_factory=ImageMeta)
    alpha: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.pixels.dtype != np.float32:
            raise TypeError(f"Image pixels must be float32, got {self.pixels.dtype}")
        if self.pixels.ndim not in (2, 3) or (self.pixels.ndim == 3 and self.pixels.shape[2] != 3):
            raise ValueError(f"Image pixels must be (H, W) or (H, W, 3), got {self.pixels.shape}")
        if self.alpha is not None and self.alpha.shape != self.pixels.shape[:2]:
            raise ValueError("alpha must match the image's height and width")

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def channels(self) -> int:
        return 1 if self.pixels.ndim == 2 else int(self.pixels.shape[2])

    @property
    def is_ct(self) -> bool:
        return self.meta.modality is Modality.CT

    def with_pixels(self, pixels: np.ndarray, alpha: np.ndarray | None = None) -> Image:
        """A new image with other pixels (and alpha, when the size changed) and the same meta."""
        new_alpha = alpha if alpha is not None else self.alpha
        if new_alpha is not None and new_alpha.shape != pixels.shape[:2]:
            raise ValueError("pixels changed size: pass a resized alpha too")
        return replace(self, pixels=np.ascontiguousarray(pixels, dtype=np.float32), alpha=new_alpha)
