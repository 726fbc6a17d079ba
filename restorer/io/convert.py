"""Integer <-> float32 conversions. The only place where pixel value scaling happens."""

from __future__ import annotations

import numpy as np


def integer_to_float(arr: np.ndarray) -> tuple[np.ndarray, int]:
    """uint8/uint16 to float32 in [0, 1] (exactly invertible); float arrays pass as 32-bit."""
    if arr.dtype == np.uint8:
        return (arr.astype(np.float32) / np.float32(255.0)), 8
    if arr.dtype == np.uint16:
        # Divide in float64 so that float_to_integer(.., 16) gives every code back exactly.
        return (arr.astype(np.float64) / 65535.0).astype(np.float32), 16
    if arr.dtype == np.float64:
        return arr.astype(np.float32), 64  # written back as float64
    if np.issubdtype(arr.dtype, np.floating):
        return arr.astype(np.float32), 32
    raise TypeError(f"unsupported sample type {arr.dtype}")


def float_to_integer(arr: np.ndarray, bit_depth: int) -> np.ndarray:
    """float32 in [0, 1] to uint8/uint16 with rounding and clipping; 32 and 64 keep float
    (float32, float64) and the values as they are."""
    if bit_depth == 8:
        return np.clip(np.rint(arr.astype(np.float64) * 255.0), 0, 255).astype(np.uint8)
    if bit_depth == 16:
        return np.clip(np.rint(arr.astype(np.float64) * 65535.0), 0, 65535).astype(np.uint16)
    if bit_depth == 32:
        return arr.astype(np.float32)
    if bit_depth == 64:
        return arr.astype(np.float64)
    raise ValueError(f"unsupported bit depth {bit_depth}")
