"""Brush strokes on a mask: a round brush dragged from one point to the next paints every
pixel whose centre lies within its radius of the segment between them (a capsule)."""

from __future__ import annotations

import numpy as np


def paint_segment(
    mask: np.ndarray, a: tuple[int, int], b: tuple[int, int], radius: int, value: int
) -> None:
    """Set mask pixels within `radius` of the segment a-b (points as (x, y)) to value."""
    h, w = mask.shape
    x0, x1 = max(0, min(a[0], b[0]) - radius), min(w, max(a[0], b[0]) + radius + 1)
    y0, y1 = max(0, min(a[1], b[1]) - radius), min(h, max(a[1], b[1]) + radius + 1)
    if x0 >= x1 or y0 >= y1:
        return
    ys, xs = np.mgrid[y0:y1, x0:x1]
    ax, ay = float(a[0]), float(a[1])
    dx, dy = float(b[0]) - ax, float(b[1]) - ay
    length2 = dx * dx + dy * dy
    t = np.zeros(xs.shape) if length2 == 0 else ((xs - ax) * dx + (ys - ay) * dy) / length2
    t = np.clip(t, 0.0, 1.0)
    distance2 = (xs - ax - t * dx) ** 2 + (ys - ay - t * dy) ** 2
    # +0.5: a radius-0 brush still paints the pixel under the cursor, and edges are not ragged
    region = mask[y0:y1, x0:x1]
    region[distance2 <= (radius + 0.5) ** 2] = value
