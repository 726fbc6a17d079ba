"""A smooth fill of holes from their surroundings (push-pull, Gortler et al. 1996).

Known pixels are averaged down a pyramid until every hole is covered, then each level's holes
take the enlarged estimate of the level below. The fill continues the colours at a hole's edge
and is smooth inside; the inpainting task uses it only for a few pixels along the edge of a
large hole, where the network's fill, computed at reduced size, is softer than its
surroundings.
"""

from __future__ import annotations

import numpy as np

from restorer.core.resample import enlarge_linear


def _sum2x2(x: np.ndarray) -> np.ndarray:
    """2x2 block sums (odd sizes padded with zeros)."""
    h, w = x.shape[:2]
    x = np.pad(x, ((0, h % 2), (0, w % 2), (0, 0)))
    return x[0::2, 0::2] + x[1::2, 0::2] + x[0::2, 1::2] + x[1::2, 1::2]


def smooth_fill(pixels: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """pixels (H, W, C) float32 with hole (H, W, True = unknown) filled; known pixels kept."""
    hole = np.asarray(hole, bool)
    pixels = np.asarray(pixels, np.float32)
    known = (~hole).astype(np.float32)[:, :, None]
    if not known.any():
        return pixels.copy()
    # Sums, not means, so that a coarse pixel weighs by how many known pixels it holds.
    values, weights = [pixels * known], [known]
    while min(values[-1].shape[:2]) > 1 and (weights[-1] == 0).any():
        values.append(_sum2x2(values[-1]))
        weights.append(_sum2x2(weights[-1]))
    estimate = values[-1] / np.maximum(weights[-1], 1e-6)
    for v, w in zip(reversed(values[:-1]), reversed(weights[:-1]), strict=True):
        coarse = enlarge_linear(estimate, (v.shape[1], v.shape[0]))
        confidence = np.minimum(w, 1.0)
        estimate = v / np.maximum(w, 1e-6) * confidence + coarse * (1 - confidence)
    return np.where(hole[:, :, None], estimate, pixels).astype(np.float32)
