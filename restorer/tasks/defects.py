"""Automatic defect masks for scanned photographs: scratches, dust specks and hairs.

`find_defects` is the application's detector: the network restorer.models.defect_net, run in
tiles by the engine, marks pixels whose defect probability passes a threshold set by the
sensitivity. `contrast_defects` is the rule it replaced, kept as the benchmark's baseline:

Scratches and dust are small structures much brighter or darker than their surroundings. The
residual against a 9x9 median keeps exactly those (a median removes structures narrower than
half its window and keeps edges). A pixel is a candidate when its residual is strong in
absolute terms and against the typical residual of its 15x15 neighbourhood (a median again,
so that a scratch does not raise its own threshold); this keeps fine texture such as foliage
or fabric out. Connected candidates are kept by shape: small and compact (dust), or thin (at
most a few pixels across, by the distance transform) and long (scratches). It cannot tell a
scratch from a wire or a twig, and misses scratches wider than ~4 pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from restorer.core.filters import box_extremes, median_at, median_bounds
from restorer.core.morphology import (
    connected_components,
    dilate,
    disc,
    distance_inside,
    hysteresis,
)
from restorer.core.ops import to_gray
from restorer.io.convert import float_to_integer
from restorer.tasks.base import RunContext

MODEL = "defects"

BACKGROUND_WINDOW = 9  # the median that removes scratches and specks
TEXTURE_WINDOW = 15  # the median of residuals that measures local texture


@dataclass(frozen=True)
class DefectSettings:
    sensitivity: float = 1.0  # > 1 finds fainter defects, and more false ones
    min_contrast: float = 0.25  # residual on the 0..1 scale, at sensitivity 1
    texture_ratio: float = 6.0  # residual / neighbourhood residual, at sensitivity 1
    max_speck_area: int = 80  # pixels; larger compact spots are image content
    max_scratch_width: float = 2.5  # half-width in pixels (distance transform maximum)
    min_scratch_length: int = 30  # pixels
    grow: int = 1  # pixels added around every detection (defect edges are soft)


def _residual_where_needed(gray: np.ndarray, floor: float) -> np.ndarray:
    """|gray - its 9x9 median| (median on 8 bits; 1/255 is ample for detection), exact where
    it can exceed `floor` and over the 15x15 surroundings of those pixels; 0 elsewhere.

    Medians are computed pixel by pixel, so only where the answer matters: a residual can
    exceed `floor` only where a bound of the median (the lowest or highest median of the
    window's rows) is that far from the pixel.
    """
    g8 = float_to_integer(gray, 8)
    lo, hi = median_bounds(g8, BACKGROUND_WINDOW)
    reach = np.maximum(gray - lo / np.float32(255), hi / np.float32(255) - gray)
    residual = np.zeros_like(gray)

    def fill(where: np.ndarray) -> None:
        rows, cols = np.nonzero(where)
        med = median_at(g8, BACKGROUND_WINDOW, rows, cols).astype(np.float32) / np.float32(255)
        residual[rows, cols] = np.abs(gray[rows, cols] - med)

    possible = reach > floor
    fill(possible)
    strong = (residual > floor).astype(np.uint8)
    surroundings = box_extremes(strong, TEXTURE_WINDOW)[1].astype(bool)
    fill(surroundings & ~possible)
    return residual


def contrast_defects(pixels: np.ndarray, settings: DefectSettings | None = None) -> np.ndarray:
    """The rule-based baseline: a float32 mask (H, W), 1.0 over detected scratches and dust."""
    settings = settings or DefectSettings()
    gray = np.ascontiguousarray(np.clip(to_gray(pixels), 0, 1), dtype=np.float32)
    s = settings.sensitivity
    floor = settings.min_contrast / s
    residual = _residual_where_needed(gray, floor)
    rows, cols = np.nonzero(residual > floor)
    typical = median_at(float_to_integer(residual, 8), TEXTURE_WINDOW, rows, cols)
    typical = typical.astype(np.float32) / np.float32(255)
    texture_ok = residual[rows, cols] > settings.texture_ratio / s * typical
    candidates = np.zeros(gray.shape, bool)
    candidates[rows[texture_ok], cols[texture_ok]] = True

    parts = connected_components(candidates, connectivity=8)
    keep = np.zeros(parts.count + 1, bool)
    for i in range(1, parts.count + 1):
        x, y, w, h, area = parts.box(i)
        if area <= settings.max_speck_area and max(w, h) <= 3 * min(w, h) + 2:
            keep[i] = True
        elif max(w, h) >= settings.min_scratch_length:
            component = np.pad(parts.labels[y : y + h, x : x + w] == i, 1)
            half_width = float(distance_inside(component).max())
            length = area / max(half_width, 1.0)
            keep[i] = (
                half_width <= settings.max_scratch_width and length >= settings.min_scratch_length
            )
    mask = keep[parts.labels]
    if settings.grow > 0:
        mask = dilate(mask, disc(2 * settings.grow + 1))
    return mask.astype(np.float32)


def threshold(sensitivity: float) -> float:
    """The defect probability above which a pixel is marked when it is part of a detection:
    0.5 at sensitivity 1, 0.2 at 2 (fainter defects, more false ones), 0.8 at 0.5."""
    return 1.0 / (1.0 + sensitivity**2)


def seed_threshold(sensitivity: float) -> float:
    """The probability some pixel of a detection must reach: odds 9 times those of
    `threshold` (0.9 at sensitivity 1, 0.69 at 2, 0.97 at 0.5)."""
    return 1.0 / (1.0 + sensitivity**2 / HYSTERESIS_ODDS)


# The probability is averaged over four views of each tile (flips and a rotation), and a
# detection is kept only where it is strong somewhere (hysteresis, with parts up to 4 px
# apart counted as one: a crack is broken wherever it crosses something as light as itself).
# Measured on the bundled network, float32, over 94 clean photos (Set12, Set14, CBSD68) and
# 24 CBSD68 photos damaged as old prints: the area flagged on the clean ones went 0.71 % ->
# 0.32 % (Set12 1.06 -> 0.49 %), the recall of visible old-print damage 0.82 -> 0.80, of
# scratches and dust 0.98 -> 0.98. The cost: four times the work of one view (eight views
# gained little more), and 2-px white lines, which the network finds well only at one
# alignment to its downsampling grid, are found less (0.86 -> 0.75 on the test photo).
PASSES = 4
HYSTERESIS_ODDS = 9.0
HYSTERESIS_JOIN = 2


def find_defects(
    ctx: RunContext, pixels: np.ndarray, sensitivity: float = 1.0, grow: int = 1
) -> np.ndarray:
    """A float32 mask (H, W), 1.0 over the scratches, dust and hairs the network finds in
    `pixels` (H, W) or (H, W, 3) on the 0..1 scale, grown by `grow` pixels: defect edges are
    soft, and a fill that leaves a faint rim behind shows."""
    x = np.clip(pixels, 0, 1).astype(np.float32)
    if x.ndim == 2:
        x = np.repeat(x[:, :, None], 3, axis=2)
    probability = ctx.run_model(MODEL, np.ascontiguousarray(x), passes=PASSES)
    low, high = threshold(sensitivity), seed_threshold(sensitivity)
    mask = hysteresis(probability[:, :, 0], low, high, join=HYSTERESIS_JOIN)
    if grow > 0:
        mask = dilate(mask, disc(2 * grow + 1))
    return mask.astype(np.float32)
