"""Resizing float images: area averaging to reduce, bicubic to enlarge.

The same definitions as OpenCV's INTER_AREA (every output pixel is the mean of the input area
it covers, partial pixels weighted by their covered fraction) and INTER_CUBIC (Keys' kernel
with a = -0.75, pixel centres aligned), so results match the OpenCV-based code this replaced
to float rounding; tests compare the two. numpy only: separable, a few weighted row gathers.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def resize(pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(H, W) or (H, W, C) float to (width, height) = size: area when both sides shrink or
    stay, bicubic otherwise."""
    w, h = size
    if w <= pixels.shape[1] and h <= pixels.shape[0]:
        return reduce_area(pixels, size)
    return enlarge_cubic(pixels, size)


def resize_mask(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A bool mask at (width, height): reduced, True wherever an output pixel covers any True
    input pixel; enlarged, each output pixel takes the input pixel under its centre."""
    w, h = size
    if w <= mask.shape[1] and h <= mask.shape[0]:
        return reduce_area(np.asarray(mask, np.float32), size) > 0
    rows = np.minimum(
        ((np.arange(h) + 0.5) * mask.shape[0] / h).astype(np.int64), mask.shape[0] - 1
    )
    cols = np.minimum(
        ((np.arange(w) + 0.5) * mask.shape[1] / w).astype(np.int64), mask.shape[1] - 1
    )
    return np.asarray(mask, bool)[rows[:, None], cols[None, :]]


def _area_weights(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """For each output index: the input indices it overlaps (K of them) and the fraction of
    the output pixel each one covers; indices past the end carry weight 0."""
    scale = n_in / n_out
    start = np.arange(n_out) * scale
    stop = start + scale
    first = np.floor(start).astype(np.int64)
    span = int(np.ceil(scale)) + 1
    index = first[:, None] + np.arange(span)[None, :]
    overlap = np.minimum(stop[:, None], index + 1) - np.maximum(start[:, None], index)
    weight = np.clip(overlap, 0.0, None) / scale
    weight[index >= n_in] = 0.0
    return np.minimum(index, n_in - 1), weight


def _reduce_axis0(x: np.ndarray, n_out: int) -> np.ndarray:
    index, weight = _area_weights(x.shape[0], n_out)
    out = np.zeros((n_out, *x.shape[1:]), np.float64)
    shape = (n_out,) + (1,) * (x.ndim - 1)
    for k in range(index.shape[1]):
        out += weight[:, k].reshape(shape) * x[index[:, k]]
    return out


def reduce_area(pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Area-average reduction to (width, height); float32 out."""
    w, h = size
    if w > pixels.shape[1] or h > pixels.shape[0]:
        raise ValueError("reduce_area only reduces; use enlarge_cubic to enlarge")
    x = pixels if h == pixels.shape[0] else _reduce_axis0(pixels, h)
    if w != pixels.shape[1]:
        x = np.swapaxes(_reduce_axis0(np.swapaxes(x, 0, 1), w), 0, 1)
    return np.ascontiguousarray(x, np.float32)


def _cubic(t: np.ndarray) -> np.ndarray:
    """Keys' cubic convolution kernel with a = -0.75 (OpenCV's and torch's)."""
    a = -0.75
    t = np.abs(t)
    near = ((a + 2) * t - (a + 3)) * t * t + 1
    far = ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
    return np.where(t <= 1, near, np.where(t < 2, far, 0.0))


def _linear(t: np.ndarray) -> np.ndarray:
    return np.clip(1 - np.abs(t), 0.0, None)


def _interpolation_weights(
    n_in: int, n_out: int, kernel: Callable[[np.ndarray], np.ndarray], taps: int
) -> tuple[np.ndarray, np.ndarray]:
    """Input indices (clamped at the edges, which replicates the border) and kernel weights
    for every output index; pixel centres aligned (x_in = (x_out + 0.5) * scale - 0.5)."""
    centre = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
    first = np.floor(centre).astype(np.int64) - (taps // 2 - 1)
    index = first[:, None] + np.arange(taps)[None, :]
    weight = kernel(centre[:, None] - index)
    return np.clip(index, 0, n_in - 1), weight


def _interpolate_axis0(
    x: np.ndarray, n_out: int, kernel: Callable[[np.ndarray], np.ndarray], taps: int
) -> np.ndarray:
    index, weight = _interpolation_weights(x.shape[0], n_out, kernel, taps)
    out = np.zeros((n_out, *x.shape[1:]), np.float32)
    shape = (n_out,) + (1,) * (x.ndim - 1)
    for k in range(taps):
        out += weight[:, k].reshape(shape).astype(np.float32) * x[index[:, k]]
    return out


def _interpolate(
    pixels: np.ndarray,
    size: tuple[int, int],
    kernel: Callable[[np.ndarray], np.ndarray],
    taps: int,
) -> np.ndarray:
    w, h = size
    x = np.asarray(pixels, np.float32)
    if h != x.shape[0]:
        x = _interpolate_axis0(x, h, kernel, taps)
    if w != x.shape[1]:
        x = np.swapaxes(_interpolate_axis0(np.swapaxes(x, 0, 1), w, kernel, taps), 0, 1)
    return np.ascontiguousarray(x, np.float32)


def enlarge_cubic(pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bicubic resize to (width, height); float32."""
    return _interpolate(pixels, size, _cubic, 4)


def enlarge_linear(pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize to (width, height); float32."""
    return _interpolate(pixels, size, _linear, 2)
