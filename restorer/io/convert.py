"""Integer <-> float32 conversions. The only place where pixel value scaling happens.

Conversions through float64 (exact for 16-bit codes) run over bands of rows, so that a
100-megapixel image never has a whole-image float64 copy (1.2 GB per channel-plane set).
"""

from __future__ import annotations

import numpy as np

BAND_ROWS = 256


def integer_to_float(arr: np.ndarray) -> tuple[np.ndarray, int]:
    """uint8/uint16 to float32 in [0, 1] (exactly invertible); float arrays pass as 32-bit."""
    if arr.dtype == np.uint8:
        out = arr.astype(np.float32)
        out /= np.float32(255.0)  # in place: the same float32 division, no second copy
        return out, 8
    if arr.dtype == np.uint16:
        # Divide in float64 so that float_to_integer(.., 16) gives every code back exactly.
        out = np.empty(arr.shape, np.float32)
        for top in range(0, arr.shape[0], BAND_ROWS):
            out[top : top + BAND_ROWS] = arr[top : top + BAND_ROWS].astype(np.float64) / 65535.0
        return out, 16
    if arr.dtype == np.float64:
        return arr.astype(np.float32), 64  # written back as float64
    if np.issubdtype(arr.dtype, np.floating):
        return arr.astype(np.float32), 32
    raise TypeError(f"unsupported sample type {arr.dtype}")


def float_to_integer(arr: np.ndarray, bit_depth: int) -> np.ndarray:
    """float32 in [0, 1] to uint8/uint16 with rounding and clipping; 32 and 64 keep float
    (float32, float64) and the values as they are."""
    if bit_depth in (8, 16):
        top_code = 255.0 if bit_depth == 8 else 65535.0
        out = np.empty(arr.shape, np.uint8 if bit_depth == 8 else np.uint16)
        # One float64 band reused, every step in place: rint(float64(x) * top) clipped, as
        # before, without four fresh temporaries a band (each mapped and faulted in anew
        # above the allocator's mmap threshold, then 8 MB: 0.15-0.24 s for a 2048² RGB result).
        buffer = np.empty((min(BAND_ROWS, arr.shape[0]), *arr.shape[1:]), np.float64)
        for top in range(0, arr.shape[0], BAND_ROWS):
            source = arr[top : top + BAND_ROWS]
            band = buffer[: len(source)]
            # dtype: without it numpy multiplies in float32 and only then widens, and
            # products within an ulp of a half code round the other way.
            np.multiply(source, top_code, out=band, dtype=np.float64)
            np.rint(band, out=band)
            np.clip(band, 0.0, top_code, out=band)
            out[top : top + BAND_ROWS] = band
        return out
    if bit_depth == 32:
        return arr.astype(np.float32)
    if bit_depth == 64:
        return arr.astype(np.float64)
    raise ValueError(f"unsupported bit depth {bit_depth}")
