"""Linear and rank filters on images, numpy only.

Gaussian blur is separable and runs on the whole image. The median is costly on a whole
image without a compiled histogram filter, and its users need it only at few pixels
(impulse candidates, defect candidates), so it is computed where asked: `median_at`.
Borders follow OpenCV's conventions for the same filters, which the tests compare against.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

MEDIAN_CHUNK = 1 << 20  # positions per gather: bounds the window copy to ~k*k MB


def gaussian_kernel(sigma: float, size: int | None = None) -> np.ndarray:
    """Normalised 1-D Gaussian of odd length (OpenCV's default length for float images)."""
    if size is None:
        size = round(sigma * 8 + 1) | 1
    x = np.arange(size) - (size - 1) / 2
    k = np.exp(-(x * x) / (2 * sigma * sigma))
    return k / k.sum()


def gaussian_blur(
    plane: np.ndarray, sigma: float, size: int | None = None, border: str = "reflect101"
) -> np.ndarray:
    """2-D Gaussian blur of an (H, W) plane; border "reflect101" (gfedcb|abcdefgh, OpenCV's
    default) or "symmetric" (fedcba|abcdef, OpenCV's BORDER_REFLECT). Keeps the dtype
    (float32 or float64)."""
    k = gaussian_kernel(sigma, size)
    r = k.size // 2
    if border not in ("reflect101", "symmetric"):
        raise ValueError(f"unknown border {border!r}")
    mode: Literal["reflect", "symmetric"] = "reflect" if border == "reflect101" else "symmetric"
    x = np.asarray(plane)
    padded = np.pad(x, r, mode=mode)
    h, w = x.shape
    rows = np.zeros((h, w + 2 * r), x.dtype)
    for i, weight in enumerate(k.astype(x.dtype)):
        rows += weight * padded[i : i + h]
    out = np.zeros((h, w), x.dtype)
    for i, weight in enumerate(k.astype(x.dtype)):
        out += weight * rows[:, i : i + w]
    return out


def median_at(plane: np.ndarray, size: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """The size x size median of an (H, W) plane at the given positions (edge pixels
    replicated beyond the border, as OpenCV's medianBlur does); plane's dtype."""
    r = size // 2
    windows = np.lib.stride_tricks.sliding_window_view(np.pad(plane, r, mode="edge"), (size, size))
    middle = size * size // 2
    out = np.empty(rows.size, plane.dtype)
    for s in range(0, rows.size, MEDIAN_CHUNK):
        chunk = windows[rows[s : s + MEDIAN_CHUNK], cols[s : s + MEDIAN_CHUNK]]
        flat = chunk.reshape(chunk.shape[0], -1)
        out[s : s + MEDIAN_CHUNK] = np.partition(flat, middle, axis=1)[:, middle]
    return out


def median_at_samples(image: np.ndarray, size: int, index: tuple[np.ndarray, ...]) -> np.ndarray:
    """The size x size median (within each channel) of an (H, W) or (H, W, C) image at the
    samples `index` (as np.nonzero gives them: rows, columns[, channels]); edge pixels
    replicated beyond the border, as median_at does. Gathered at those samples alone, from the
    image as it is: median_at pads a whole contiguous plane first, which for a few thousand
    samples of a 24 MP photo cost a copy of every channel plane (0.78 s of impulse detection).
    Suits small windows; median_at's window view suits large ones."""
    rows, cols, *channels = index
    height, width = image.shape[:2]
    offsets = np.arange(size) - size // 2
    middle = size * size // 2
    out = np.empty(rows.size, image.dtype)
    for s in range(0, rows.size, MEDIAN_CHUNK // size):
        stop = s + MEDIAN_CHUNK // size
        near_rows = np.clip(rows[s:stop, None, None] + offsets[:, None], 0, height - 1)
        near_cols = np.clip(cols[s:stop, None, None] + offsets[None, :], 0, width - 1)
        where = (near_rows, near_cols, *(c[s:stop, None, None] for c in channels))
        flat = image[where].reshape(len(near_rows), -1)
        out[s:stop] = np.partition(flat, middle, axis=1)[:, middle]
    return out


def _running(op: np.ufunc, x: np.ndarray, size: int, axis: int) -> np.ndarray:
    """op (minimum or maximum) over `size` consecutive elements along an axis of a padded
    array: the result is size - 1 shorter along that axis."""
    length = x.shape[axis] - size + 1

    def window(i: int) -> np.ndarray:  # a view, not a copy
        index = [slice(None)] * x.ndim
        index[axis] = slice(i, i + length)
        return x[tuple(index)]

    out = window(0).copy()
    for i in range(1, size):
        op(out, window(i), out=out)
    return out


def box_extremes(plane: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Minimum and maximum over size x size windows (edges replicated)."""
    padded = np.pad(plane, size // 2, mode="edge")
    lo = _running(np.minimum, _running(np.minimum, padded, size, 0), size, 1)
    hi = _running(np.maximum, _running(np.maximum, padded, size, 0), size, 1)
    return lo, hi


# Devillard's 19-exchange network that leaves the median of 9 values in position 4.
_MEDIAN9_NETWORK = (
    (1, 2),
    (4, 5),
    (7, 8),
    (0, 1),
    (3, 4),
    (6, 7),
    (1, 2),
    (4, 5),
    (7, 8),
    (0, 3),
    (5, 8),
    (4, 7),
    (3, 6),
    (1, 4),
    (2, 5),
    (4, 7),
    (4, 2),
    (6, 4),
    (4, 2),
)


def _row_medians(padded: np.ndarray, size: int, width: int) -> np.ndarray:
    """Median of `size` horizontal neighbours for every position of padded rows."""
    values = [padded[:, i : i + width].copy() for i in range(size)]
    if size == 9:
        for a, b in _MEDIAN9_NETWORK:
            low = np.minimum(values[a], values[b])
            np.maximum(values[a], values[b], out=values[b])
            values[a] = low
        return values[4]
    return np.median(np.stack(values), axis=0).astype(padded.dtype)


def median_bounds(plane: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of the size x size median at every pixel (edges replicated),
    far tighter than the window's minimum and maximum on texture: if every row of the window
    has its median at or above t, more than half the window is at or above t, so the lowest
    row median bounds the window's median from below (and the highest from above)."""
    padded = np.pad(plane, size // 2, mode="edge")
    rows = _row_medians(padded, size, plane.shape[1])
    return _running(np.minimum, rows, size, 0), _running(np.maximum, rows, size, 0)


def median_filter(plane: np.ndarray, size: int) -> np.ndarray:
    """The size x size median of every pixel of an (H, W) plane (edges replicated)."""
    rows, cols = np.indices(plane.shape).reshape(2, -1)
    return median_at(plane, size, rows, cols).reshape(plane.shape)
