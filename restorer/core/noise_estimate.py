"""Blind noise-level estimation and impulse detection."""

from __future__ import annotations

import numpy as np

from restorer.core.filters import median_at_samples

# A Gaussian sample lies this many standard deviations from its neighbourhood about once in
# 30,000 (one-sided).
IMPULSE_SIGMAS = 4.0


def _patches(
    plane: np.ndarray, size: int, stride: int, limit: int, rng: np.random.Generator
) -> np.ndarray:
    """(size*size, N) matrix of patches taken on a grid, at most `limit` of them."""
    view = np.lib.stride_tricks.sliding_window_view(plane, (size, size))[::stride, ::stride]
    flat = view.reshape(-1, size * size)
    if flat.shape[0] > limit:
        flat = flat[rng.choice(flat.shape[0], limit, replace=False)]
    return flat.T.astype(np.float64)


def estimate_noise_sigma(pixels: np.ndarray, patch: int = 8, max_patches: int = 60_000) -> float:
    """Standard deviation of additive white noise, on the pixels' own scale.

    Chen, Zhu and Heng, "An efficient statistical method for image noise level estimation"
    (ICCV 2015): the smallest eigenvalues of the patch covariance belong to noise alone; the
    noise variance is the mean of the largest set of small eigenvalues whose mean equals their
    median. Deterministic (fixed sampling seed).
    """
    rng = np.random.default_rng(0)
    planes = [pixels] if pixels.ndim == 2 else [pixels[:, :, c] for c in range(pixels.shape[2])]
    if min(pixels.shape[:2]) < patch * 2:
        return 0.0
    stride = max(1, int(np.sqrt(pixels.shape[0] * pixels.shape[1] / max_patches)))
    columns = np.concatenate(
        [_patches(p, patch, stride, max_patches // len(planes), rng) for p in planes], axis=0
    )
    centred = columns - columns.mean(axis=1, keepdims=True)
    cov = centred @ centred.T / centred.shape[1]
    eig = np.sort(np.linalg.eigvalsh(cov))
    for count in range(eig.size, 0, -1):
        subset = eig[:count]
        tau = subset.mean()
        if np.sum(subset > tau) == np.sum(subset < tau):
            return float(np.sqrt(max(tau, 0.0)))
    return float(np.sqrt(max(eig[0], 0.0)))


def _median5_where(pixels: np.ndarray, where: np.ndarray) -> np.ndarray:
    """5x5 medians (per channel) at the True samples of `where`, in the order pixels[where]
    lists them; computed only there, since impulses are a small part of an image (edge pixels
    replicated beyond the image's border, as in a whole-image median)."""
    return median_at_samples(pixels, 5, np.nonzero(where)).astype(np.float32, copy=False)


def impulse_mask(pixels: np.ndarray, threshold: float = 0.25) -> np.ndarray:
    """True where a sample is stuck at an end of the range (exactly 0 or 1) and far from its
    5x5 median: the signature of salt-and-pepper noise, which Gaussian denoisers cannot remove.
    (Samples beyond the range exist only in unclipped float data, where additive noise put
    them; they are left to the denoiser.)

    Gaussian noise reaches the extremes too (clipped or not): at σ 25 about one sample in two
    hundred lands there more than 0.25 from its median, and replacing those by medians cost
    0.2 dB on Set12. So "far" also means beyond IMPULSE_SIGMAS times the Gaussian noise level,
    estimated with the candidates replaced (impulses would inflate it).
    """
    extreme = pixels == 0.0
    extreme |= pixels == 1.0
    medians = _median5_where(pixels, extreme)
    deviation = np.abs(pixels[extreme] - medians)
    far = deviation > threshold
    candidates = np.zeros(pixels.shape, bool)
    candidates[extreme] = far
    del extreme
    if not far.any():
        return candidates
    replaced = pixels.copy()
    replaced[candidates] = medians[far]
    sigma = estimate_noise_sigma(replaced)
    del replaced
    candidates[candidates] = deviation[far] > IMPULSE_SIGMAS * sigma
    return candidates


def isolated_fraction(pixels: np.ndarray, impulses: np.ndarray, tolerance: float = 0.25) -> float:
    """The fraction of samples that are impulses with no 3x3 neighbour (same channel) within
    `tolerance` of their value: the evidence that an image carries salt-and-pepper noise.

    Dark or bright pixels along a high-contrast edge or a thin line are far from their median
    too, but have neighbours like them. (Dense impulse noise has neighbouring impulses, so the
    replacement itself uses every impulse, isolated or not.)
    """
    height, width = pixels.shape[:2]
    index = np.nonzero(impulses)
    rows, cols, channel = index[0], index[1], index[2:]  # channel: empty for a gray image
    value = pixels[index]
    similar = np.zeros(rows.size, np.int8)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy or dx:
                r = np.clip(rows + dy, 0, height - 1)
                c = np.clip(cols + dx, 0, width - 1)
                similar += np.abs(pixels[(r, c, *channel)] - value) <= tolerance
    return np.count_nonzero(similar == 0) / impulses.size


def replace_by_median(pixels: np.ndarray, where: np.ndarray) -> np.ndarray:
    """A float32 copy of pixels with the samples in `where` replaced by their 5x5 median."""
    out = np.array(pixels, np.float32)
    out[where] = _median5_where(pixels, where)
    return out
