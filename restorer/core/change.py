"""What a result changed: the signed difference after − before, and its picture.

For CT the change is in Hounsfield units (what a reviewer reads: "the correction lowered this
streak by 180 HU"); for photographs in 8-bit levels (0-255), averaged over the channels. The
picture is the before image in gray with the change over it in a diverging colour map
(red: raised, blue: lowered), opaque at the map's scale and transparent where nothing
changed, so that untouched pixels look exactly like the gray image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from restorer.core.image import Image
from restorer.core.ops import to_gray

RAISED = np.array([220, 40, 30], np.float32)
LOWERED = np.array([40, 90, 230], np.float32)
SCALE_PERCENTILE = 99.5  # of the changed pixels' |change|: a few extreme pixels do not set it


@dataclass(frozen=True)
class ChangeMap:
    values: np.ndarray  # (H, W) float32, after - before
    unit: str  # "HU" or "levels"
    scale: float  # |change| shown at full colour
    signed: bool = True  # False: a spread or other non-negative map (legend 0 to scale)

    @property
    def changed(self) -> float:
        """The share of pixels that changed at all."""
        return float(np.count_nonzero(self.values)) / max(self.values.size, 1)


def change_between(before: Image, after: Image) -> ChangeMap:
    """after − before, of two images of one size (CT in HU, photos in 8-bit levels)."""
    if before.pixels.shape[:2] != after.pixels.shape[:2]:
        raise ValueError("the images differ in size")
    if after.is_ct:
        values = after.pixels.astype(np.float32) - before.pixels.astype(np.float32)
        unit = "HU"
    else:
        values = (to_gray(after.pixels) - to_gray(before.pixels)).astype(np.float32) * 255
        unit = "levels"
    magnitude = np.abs(values[values != 0])
    scale = float(np.percentile(magnitude, SCALE_PERCENTILE)) if magnitude.size else 0.0
    return ChangeMap(values, unit, _round_scale(scale))


def spread_map(values: np.ndarray, unit: str = "HU") -> ChangeMap:
    """A non-negative map (the spread of several runs) drawn like a change: red where high."""
    values = np.asarray(values, np.float32)
    positive = values[values > 0]
    scale = float(np.percentile(positive, SCALE_PERCENTILE)) if positive.size else 0.0
    return ChangeMap(values, unit, _round_scale(scale), signed=False)


def _round_scale(value: float) -> float:
    """Up to 1, 2 or 5 times a power of ten, so that the legend reads plainly."""
    if value <= 0:
        return 1.0
    power = 10.0 ** np.floor(np.log10(value))
    for step in (1.0, 2.0, 5.0, 10.0):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


def change_rgb(change: ChangeMap, base_rgb: np.ndarray) -> np.ndarray:
    """The change over the gray of base_rgb (H, W, 3 uint8): (H, W, 3) uint8."""
    gray = base_rgb.astype(np.float32).mean(axis=2, keepdims=True)
    strength = np.clip(change.values / np.float32(change.scale), -1.0, 1.0)[:, :, None]
    return _tinted(gray, strength)


def legend_colours(steps: int = 256) -> np.ndarray:
    """The colour bar from −scale to +scale over mid-gray: (steps, 3) uint8."""
    strength = np.linspace(-1.0, 1.0, steps, dtype=np.float32)[:, None]
    return _tinted(np.full((steps, 1), 128.0, np.float32), strength)


def _tinted(gray: np.ndarray, strength: np.ndarray) -> np.ndarray:
    """gray blended towards red (strength > 0) or blue (< 0) by |strength| in 0..1."""
    colour = np.where(strength > 0, RAISED, LOWERED)
    alpha = np.abs(strength)
    return np.clip(gray * (1 - alpha) + colour * alpha + 0.5, 0, 255).astype(np.uint8)
