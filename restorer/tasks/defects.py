"""Automatic defect masks for scanned photographs: thin scratches and dust specks.

Both are small structures much brighter or darker than their surroundings. The residual
against a 9x9 median keeps exactly those (a median removes structures narrower than half its
window and keeps edges). A pixel is a candidate when its residual is strong in absolute terms
and against the typical residual of its 15x15 neighbourhood (a median again, so that a
scratch does not raise its own threshold); this keeps fine texture such as foliage or fabric
out. Connected candidates are kept by shape: small and compact (dust), or thin (at most a
few pixels across, by the distance transform) and long (scratches).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from restorer.core.ops import to_gray
from restorer.io.convert import float_to_integer


@dataclass(frozen=True)
class DefectSettings:
    sensitivity: float = 1.0  # > 1 finds fainter defects, and more false ones
    min_contrast: float = 0.25  # residual on the 0..1 scale, at sensitivity 1
    texture_ratio: float = 6.0  # residual / neighbourhood residual, at sensitivity 1
    max_speck_area: int = 80  # pixels; larger compact spots are image content
    max_scratch_width: float = 2.5  # half-width in pixels (distance transform maximum)
    min_scratch_length: int = 30  # pixels
    grow: int = 1  # pixels added around every detection (defect edges are soft)


def _median(plane: np.ndarray, size: int) -> np.ndarray:
    # OpenCV's large-window median runs on 8-bit data; 1/255 is ample for detection.
    return cv2.medianBlur(float_to_integer(plane, 8), size).astype(np.float32) / 255.0


def detect_defects(pixels: np.ndarray, settings: DefectSettings | None = None) -> np.ndarray:
    """A float32 mask (H, W), 1.0 over detected scratches and dust."""
    settings = settings or DefectSettings()
    gray = np.ascontiguousarray(np.clip(to_gray(pixels), 0, 1), dtype=np.float32)
    residual = np.abs(gray - _median(gray, 9))
    typical = _median(residual, 15)
    s = settings.sensitivity
    candidates = (
        (residual > settings.min_contrast / s) & (residual > settings.texture_ratio / s * typical)
    ).astype(np.uint8)

    count, labels, stats, _ = cv2.connectedComponentsWithStats(candidates, connectivity=8)
    keep = np.zeros(count, bool)
    for i in range(1, count):
        x, y, w, h, area = stats[i]
        if area <= settings.max_speck_area and max(w, h) <= 3 * min(w, h) + 2:
            keep[i] = True
        elif max(w, h) >= settings.min_scratch_length:
            component = np.pad((labels[y : y + h, x : x + w] == i).astype(np.uint8), 1)
            half_width = float(cv2.distanceTransform(component, cv2.DIST_L2, 3).max())
            length = area / max(half_width, 1.0)
            keep[i] = (
                half_width <= settings.max_scratch_width and length >= settings.min_scratch_length
            )
    mask = keep[labels].astype(np.uint8)
    if settings.grow > 0:
        size = 2 * settings.grow + 1
        mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
    return mask.astype(np.float32)
