"""JPEG quality in the IJG sense (libjpeg's 1-100 scale): estimated from a file's luminance
quantisation table, and turned into the level the JPEG-artifact network is conditioned on.

The IJG encoder scales its standard table by 5000/q % below quality 50 and by (200 - 2q) %
above; a file's table divided by the standard one gives that scale back (the median over
the entries not clamped to 1 or 255). Encoders with their own tables
(Photoshop, cameras) get the IJG quality whose step sizes are closest on average.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# The IJG standard luminance table (ITU T.81 Annex K), natural (row-major) order.
STANDARD_LUMA = np.array(
    [
        [16, 11, 10, 16, 24, 40, 51, 61],
        [12, 12, 14, 19, 26, 58, 60, 55],
        [14, 13, 16, 24, 40, 57, 69, 56],
        [14, 17, 22, 29, 51, 87, 80, 62],
        [18, 22, 37, 56, 68, 109, 103, 77],
        [24, 35, 55, 64, 81, 104, 113, 92],
        [49, 64, 78, 87, 103, 121, 120, 101],
        [72, 92, 95, 98, 112, 100, 103, 99],
    ],
    np.float64,
)
# The DC step of the standard table: the conditioning level is that step's quantisation
# error, as a noise-like standard deviation on the [0, 1] scale.
_DC_STEP = 16.0


def ijg_scale(quality: float) -> float:
    """Percent by which the IJG encoder scales its standard tables at this quality."""
    q = min(max(float(quality), 1.0), 100.0)
    return 5000.0 / q if q < 50 else 200.0 - 2.0 * q


def estimate_quality(luma_table: np.ndarray | Sequence[int]) -> int:
    """The IJG quality (1-100) whose luminance table this is, or is closest to."""
    table = np.asarray(luma_table, np.float64).reshape(8, 8)
    # Entries clamped at 1 or 255 (qualities above ~95 and below ~15) say nothing of the scale.
    free = (table > 1) & (table < 255)
    ratios = (table / STANDARD_LUMA)[free] if free.any() else (table / STANDARD_LUMA).ravel()
    scale = float(np.median(ratios)) * 100.0
    quality = (200.0 - scale) / 2.0 if scale <= 100.0 else 5000.0 / scale
    return int(np.clip(round(quality), 1, 100))


def artifact_level(quality: float) -> float:
    """The network's conditioning level for this quality: the standard deviation of a uniform
    error over the scaled DC step, on the [0, 1] scale (quality 10: 0.092, 50: 0.018, 90:
    0.0037)."""
    step = max(1.0, _DC_STEP * ijg_scale(quality) / 100.0)
    return step / 255.0 / np.sqrt(12.0)
