"""Float images whose values are not all in [0, 1]: HDR or linear scans, scientific TIFFs, and
files with NaN or infinite samples.

The networks work on [0, 1]. Such an image is mapped linearly onto [0, 1] from its finite
range for the task and back afterwards, so that values above 1 or below 0 keep their meaning
instead of being clipped; non-finite samples are replaced by the mean of the finite ones
(a NaN would otherwise spread through every convolution: 102 became 23,716 after a 4x
upscale) and put back where they were, at the output's size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from restorer.core.image import Image


@dataclass(frozen=True)
class FloatRange:
    low: float
    high: float
    nonfinite: np.ndarray | None  # where the input held NaN or infinity (H, W[, C])
    values: np.ndarray | None  # those samples, to put back


def needs_mapping(image: Image) -> bool:
    """Only photos read from float files; integer files are in [0, 1] by construction and CT
    is in Hounsfield units."""
    if image.is_ct or image.meta.bit_depth < 32:
        return False
    px = image.pixels
    return bool(not np.isfinite(px).all() or px.min() < 0.0 or px.max() > 1.0)


def to_unit_range(image: Image) -> tuple[Image, FloatRange]:
    px = image.pixels
    finite = np.isfinite(px)
    nonfinite = None if finite.all() else ~finite
    values = px[nonfinite] if nonfinite is not None else None
    if finite.any():
        low, high = float(px[finite].min()), float(px[finite].max())
        fill = float(px[finite].mean())
    else:
        low, high, fill = 0.0, 1.0, 0.0
    low, high = min(low, 0.0), max(high, 1.0)  # [0, 1] data inside a wider range stays put
    clean = np.where(finite, px, fill) if nonfinite is not None else px
    unit = ((clean - low) / (high - low)).astype(np.float32)
    return image.with_pixels(unit), FloatRange(low, high, nonfinite, values)


def from_unit_range(result: Image, mapping: FloatRange) -> Image:
    px = result.pixels.astype(np.float64) * (mapping.high - mapping.low) + mapping.low
    if mapping.nonfinite is not None and mapping.values is not None:
        where = _resized(mapping.nonfinite, px.shape)
        restored = np.zeros(mapping.nonfinite.shape, np.float64)
        restored[mapping.nonfinite] = mapping.values
        px = np.where(where, _resized(restored, px.shape), px)
    return result.with_pixels(px.astype(np.float32))


def _resized(array: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Nearest-neighbour to an integer multiple of the size (super-resolution), or as is."""
    if array.shape == shape:
        return array
    sy, sx = shape[0] // array.shape[0], shape[1] // array.shape[1]
    return np.repeat(np.repeat(array, sy, axis=0), sx, axis=1)[: shape[0], : shape[1]]
