"""Binary-mask operations: connected components, the parts touching the border, hysteresis
thresholding, distance to the background, dilation.

numpy only, vectorised along rows; the definitions follow OpenCV's (8- or 4-connectivity;
the 3x3 chamfer approximation of the Euclidean distance, weights 0.955 and 1.3693, with
pixels outside the image not counting as background), and the tests compare against OpenCV.
These stand in for OpenCV in the application so that the installed bundle does without its
150 MB.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CHAMFER_AXIAL = 0.955
CHAMFER_DIAGONAL = 1.3693


@dataclass(frozen=True)
class Components:
    """Labels 1..count (0 = background) and per-label bounding boxes and areas; the arrays
    are indexed by label, entry 0 describing nothing."""

    count: int
    labels: np.ndarray  # int32 (H, W)
    x: np.ndarray
    y: np.ndarray
    width: np.ndarray
    height: np.ndarray
    area: np.ndarray

    def box(self, label: int) -> tuple[int, int, int, int, int]:
        """x, y, width, height and area of one component, as OpenCV's stats row."""
        return (
            int(self.x[label]),
            int(self.y[label]),
            int(self.width[label]),
            int(self.height[label]),
            int(self.area[label]),
        )


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Horizontal runs of True: row, first column, column after the last (row-major order)."""
    h, w = mask.shape
    edges = np.zeros((h, w + 2), np.int8)
    edges[:, 1:-1] = mask
    step = np.diff(edges, axis=1)
    rows, starts = np.nonzero(step == 1)
    _, stops = np.nonzero(step == -1)
    return rows, starts, stops


def _ragged_arange(counts: np.ndarray) -> np.ndarray:
    """0..c-1 for every c in counts, concatenated."""
    return np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def connected_components(mask: np.ndarray, connectivity: int = 8) -> Components:
    """Connected regions of a binary mask (runs joined across rows by union-find)."""
    if connectivity not in (4, 8):
        raise ValueError("connectivity is 4 or 8")
    mask = np.asarray(mask).astype(bool)
    h, w = mask.shape
    rows, starts, stops = _runs(mask)
    n = rows.size
    # Runs touch the run above when their column spans overlap (or meet diagonally at 8).
    reach = 1 if connectivity == 8 else 0
    stride = w + 4  # row-major keys: runs of different rows never compare equal
    start_key = rows * stride + starts
    stop_key = rows * stride + stops
    below = rows > 0
    lo = np.searchsorted(stop_key, (rows - 1) * stride + starts - reach, side="right")
    hi = np.searchsorted(start_key, (rows - 1) * stride + stops + reach, side="left")
    counts = np.where(below, np.maximum(hi - lo, 0), 0)
    current = np.repeat(np.arange(n), counts)
    above = np.repeat(lo, counts) + _ragged_arange(counts)

    links = list(range(n))  # a list: element access is several times faster than numpy's
    for a, b in zip(above.tolist(), current.tolist(), strict=True):
        ra, rb = _find(links, a), _find(links, b)
        if ra != rb:
            links[max(ra, rb)] = min(ra, rb)
    parent = np.array(links, np.int64)
    while True:  # point every run straight at its root (the component's first run)
        jumped = parent[parent]
        if np.array_equal(jumped, parent):
            break
        parent = jumped
    # Roots are first runs, so sorted roots number the components in raster order.
    roots, run_label = np.unique(parent, return_inverse=True)
    run_label = run_label.astype(np.int64) + 1
    count = roots.size

    lengths = stops - starts
    labels = np.zeros(h * w, np.int32)
    labels[np.repeat(rows * w + starts, lengths) + _ragged_arange(lengths)] = np.repeat(
        run_label, lengths
    )

    x0 = np.full(count + 1, w, np.int64)
    y0 = np.full(count + 1, h, np.int64)
    x1 = np.zeros(count + 1, np.int64)
    y1 = np.zeros(count + 1, np.int64)
    area = np.zeros(count + 1, np.int64)
    np.minimum.at(x0, run_label, starts)
    np.minimum.at(y0, run_label, rows)
    np.maximum.at(x1, run_label, stops)
    np.maximum.at(y1, run_label, rows + 1)
    np.add.at(area, run_label, lengths)
    x0[0] = y0[0] = 0
    return Components(
        count, labels.reshape(h, w), x0, y0, np.maximum(x1 - x0, 0), np.maximum(y1 - y0, 0), area
    )


def touching_border(mask: np.ndarray) -> np.ndarray:
    """The parts of `mask` (4-connected) that touch the image's border: of the background
    of a body, the air around it, without the holes inside it (lungs, bowel gas)."""
    labels = connected_components(mask, connectivity=4).labels
    border = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    touching = np.unique(border[border > 0])
    return np.isin(labels, touching)


def _sweep_rows(d: np.ndarray, order: range) -> None:
    """One pass of the chamfer distance in row order: from the previous row, then along the
    row in both directions (a running minimum of d - a*x does a whole row at once)."""
    w = d.shape[1]
    ramp = np.arange(w, dtype=np.float32) * np.float32(CHAMFER_AXIAL)
    previous = None
    for y in order:
        row = d[y]
        if previous is not None:
            cand = previous + np.float32(CHAMFER_AXIAL)
            cand[1:] = np.minimum(cand[1:], previous[:-1] + np.float32(CHAMFER_DIAGONAL))
            cand[:-1] = np.minimum(cand[:-1], previous[1:] + np.float32(CHAMFER_DIAGONAL))
            np.minimum(row, cand, out=row)
        row[:] = np.minimum.accumulate(row - ramp) + ramp
        row[:] = (np.minimum.accumulate((row + ramp)[::-1]) - ramp[::-1])[::-1]
        previous = row


def distance_inside(mask: np.ndarray) -> np.ndarray:
    """For every True pixel, the chamfer distance to the nearest False pixel (0 on False);
    float32. Pixels with no False pixel anywhere get float32's maximum, as in OpenCV."""
    big = np.float32(np.finfo(np.float32).max / 4)
    d = np.where(np.asarray(mask).astype(bool), big, np.float32(0)).astype(np.float32)
    _sweep_rows(d, range(d.shape[0]))
    _sweep_rows(d, range(d.shape[0] - 1, -1, -1))
    d[d >= big / 2] = np.finfo(np.float32).max
    return d


def disc(diameter: int) -> np.ndarray:
    """OpenCV's elliptic structuring element of that odd diameter (bool)."""
    r = diameter // 2
    out = np.zeros((diameter, diameter), bool)
    for i in range(diameter):
        half = int(np.rint(np.sqrt(r * r - (i - r) ** 2)))
        out[i, r - half : r + half + 1] = True
    return out


def dilate(mask: np.ndarray, footprint: np.ndarray) -> np.ndarray:
    """Binary dilation by a small footprint centred on its middle element (bool out)."""
    mask = np.asarray(mask).astype(bool)
    fh, fw = footprint.shape
    cy, cx = fh // 2, fw // 2
    padded = np.pad(mask, ((cy, fh - 1 - cy), (cx, fw - 1 - cx)))
    h, w = mask.shape
    out = np.zeros_like(mask)
    for dy, dx in zip(*np.nonzero(footprint), strict=True):
        out |= padded[dy : dy + h, dx : dx + w]
    return out


def hysteresis(strength: np.ndarray, low: float, high: float, join: int = 0) -> np.ndarray:
    """The pixels above `low` that are connected (8-connectivity, across gaps of up to
    2 * `join` pixels) to a pixel above `high`: a group of weak responses is kept only when
    some part of it is strong."""
    candidates = strength > low
    grouped = dilate(candidates, disc(2 * join + 1)) if join > 0 else candidates
    parts = connected_components(grouped, connectivity=8)
    peak = np.zeros(parts.count + 1, np.float32)
    np.maximum.at(peak, parts.labels[candidates], strength[candidates])
    keep = peak > high
    keep[0] = False
    return keep[parts.labels] & candidates
