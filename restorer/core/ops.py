"""Pure numpy image operations shared by tasks, benchmarks and front ends."""

from __future__ import annotations

import numpy as np

# ITU-R BT.601 luma weights, the convention of denoising and super-resolution benchmarks.
_BT601 = np.array([65.481, 128.553, 24.966], np.float64) / 255.0


def to_gray(pixels: np.ndarray) -> np.ndarray:
    """Perceptual gray (BT.601) of an RGB image; a gray image is returned as is."""
    if pixels.ndim == 2:
        return pixels
    return (pixels @ np.array([0.299, 0.587, 0.114], np.float32)).astype(np.float32)


def rgb_to_y(pixels: np.ndarray) -> np.ndarray:
    """Y channel of YCbCr (BT.601, studio range) in [0, 1] scale, as SR papers measure it.

    A gray image counts as R = G = B, as the usual evaluation scripts treat it.
    """
    if pixels.ndim == 2:
        return pixels.astype(np.float64) * _BT601.sum() + 16.0 / 255.0
    return (pixels.astype(np.float64) @ _BT601) + 16.0 / 255.0


def psnr(
    reference: np.ndarray, test: np.ndarray, data_range: float = 1.0, mask: np.ndarray | None = None
) -> float:
    """Peak signal-to-noise ratio in dB, optionally only where mask is true."""
    diff = reference.astype(np.float64) - test.astype(np.float64)
    if mask is not None:
        m = mask.astype(bool)
        diff = diff[m] if diff.ndim == m.ndim else diff[m, ...]
    mse = float(np.mean(diff * diff))
    if mse == 0.0:
        return float("inf")
    return 10.0 * np.log10(data_range * data_range / mse)


def ssim(
    reference: np.ndarray, test: np.ndarray, data_range: float = 1.0, mask: np.ndarray | None = None
) -> float:
    """Structural similarity (Wang et al. 2004, 11x11 Gaussian window, sigma 1.5).

    Colour images average the per-channel SSIM maps; mask restricts the mean to a region.
    """
    from restorer.core.filters import gaussian_blur

    a = reference.astype(np.float64)
    b = test.astype(np.float64)
    if a.ndim == 2:
        a, b = a[:, :, None], b[:, :, None]
    c1 = (0.01 * data_range) ** 2
    c2 = (0.03 * data_range) ** 2

    def blur(x: np.ndarray) -> np.ndarray:
        return gaussian_blur(x, 1.5, 11, border="symmetric")

    maps = []
    for c in range(a.shape[2]):
        x, y = a[:, :, c], b[:, :, c]
        mx, my = blur(x), blur(y)
        sxx = blur(x * x) - mx * mx
        syy = blur(y * y) - my * my
        sxy = blur(x * y) - mx * my
        maps.append(
            ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
        )
    smap = np.mean(maps, axis=0)
    # Ignore the 5-pixel border where the window leaves the image, as the reference code does.
    valid = np.zeros(smap.shape, bool)
    valid[5:-5, 5:-5] = True
    if mask is not None:
        valid &= mask.astype(bool)
    return float(smap[valid].mean()) if valid.any() else float(smap.mean())
