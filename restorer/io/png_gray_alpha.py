"""PNG encoding for gray + alpha (colour type 4), which OpenCV cannot write: it would turn the
image into RGBA. Filter type 0 rows, zlib-compressed; 8 or 16 bits per sample."""

from __future__ import annotations

import struct
import zlib

import numpy as np

from restorer.io.metadata import chunk

SIGNATURE = b"\x89PNG\r\n\x1a\n"
GRAY_ALPHA = 4


def encode_gray_alpha(gray: np.ndarray, alpha: np.ndarray) -> bytes:
    """gray, alpha: (H, W) uint8 or uint16 of the same type."""
    h, w = gray.shape
    depth = 16 if gray.dtype == np.uint16 else 8
    interleaved = np.stack([gray, alpha], axis=2).astype(">u2" if depth == 16 else np.uint8)
    rows = interleaved.reshape(h, -1).view(np.uint8).reshape(h, -1)
    raw = np.concatenate([np.zeros((h, 1), np.uint8), rows], axis=1).tobytes()
    header = struct.pack(">IIBBBBB", w, h, depth, GRAY_ALPHA, 0, 0, 0)
    return (
        SIGNATURE
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )
