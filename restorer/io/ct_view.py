"""CT to a viewable picture: the window/level mapping used for PNG/TIFF export."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from restorer.core.image import Image, Modality


def apply_window(hu: np.ndarray, center: float, width: float) -> np.ndarray:
    """HU to [0, 1] with the radiology convention: center ± width / 2 maps to black..white."""
    lo = center - width / 2.0
    return np.clip((hu - lo) / max(width, 1e-6), 0.0, 1.0).astype(np.float32)


def windowed_view(image: Image, window: tuple[float, float] | None = None) -> Image:
    """An 8-bit-ready photo of a CT image under window (default: the file's, else 40/400)."""
    center, width = window or image.meta.extra.get("window", (40.0, 400.0))
    meta = replace(image.meta, modality=Modality.PHOTO, bit_depth=8, dicom_dataset=None)
    return Image(apply_window(image.pixels, center, width), meta)
