"""PNG encoding: libpng's filtering, with libdeflate in place of zlib.

libpng (through imagecodecs) compresses with zlib 1.2 on one thread: 0.33-0.46 s for a
2048² RGB result, a tenth of a whole `restorer denoise`. Here the rows are filtered as libpng
does by default (each row with whichever of the five PNG filters leaves bytes with the
smallest absolute sum, read as signed), in bands on the CPU's cores (numpy releases the
GIL), and compressed by libdeflate (imagecodecs.deflate_encode), whose level 2 makes photos
a little smaller than zlib's level 3 in a third of the time. The container is the four
chunk types every PNG has, plus the caller's metadata chunks; decoders see an ordinary PNG
(8 or 16 bits; gray, gray + alpha, RGB, RGBA).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import numpy as np

from restorer.core.threads import io_threads
from restorer.io.metadata import chunk

SIGNATURE = b"\x89PNG\r\n\x1a\n"
COLOUR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> PNG colour type
# libdeflate's level 2: on 84 photos of the test sets and the Canon pairs 0.99x the size of
# libpng at zlib level 3 (the encoder before), on the README's images 0.98x; level 1 was
# 1.01x and 1.10x, up to 1.18x on one file.
DEFLATE_LEVEL = 2
BAND_ROWS = 64  # rows filtered at a time: each filter's band stays in the CPU's caches
IDAT_BYTES = 1 << 20  # image data chunk size (any size is valid; some readers dislike huge)


class SampleRows(Protocol):
    """Samples that can be read a band of rows at a time: an array, or an image converted to
    integers band by band as the encoder asks (a whole integer copy of a 96 MP result is
    0.27 GiB beside its float32 pixels)."""

    @property
    def shape(self) -> tuple[int, ...]: ...  # (H, W) or (H, W, C)

    @property
    def dtype(self) -> np.dtype[Any]: ...  # uint8 or uint16

    def __getitem__(self, rows: slice) -> np.ndarray: ...


def encode_png(
    samples: SampleRows, level: int = DEFLATE_LEVEL, extra_chunks: Sequence[bytes] = ()
) -> bytes:
    """samples: (H, W) or (H, W, C) uint8 or uint16, C = 1-4 (gray, gray + alpha, RGB,
    RGBA) -> a complete PNG file; extra_chunks (whole chunks: colour profile, EXIF) go
    right after the header, where PNG wants them."""
    import imagecodecs

    if samples.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"PNG holds 8- or 16-bit samples, not {samples.dtype}")
    height, width, *rest = samples.shape
    channels = rest[0] if rest else 1
    if channels not in COLOUR_TYPES:
        raise ValueError(f"PNG holds 1 to 4 channels, not {channels}")
    if not height or not width:
        raise ValueError("an empty image cannot be written")
    filtered = filter_rows(samples)
    # Any buffer will do; the stubs name bytes only.
    stream = memoryview(imagecodecs.deflate_encode(filtered, level=level))  # type: ignore[arg-type]
    del filtered
    bits = 8 * samples.dtype.itemsize
    header = struct.pack(">IIBBBBB", width, height, bits, COLOUR_TYPES[channels], 0, 0, 0)
    parts: list[bytes | memoryview] = [SIGNATURE, chunk(b"IHDR", header), *extra_chunks]
    # The image data as slices of the compressed stream, joined once: the file is the one
    # copy of it made here (a 96 MP result's is about 0.2 GB).
    for start in range(0, len(stream), IDAT_BYTES):
        data = stream[start : start + IDAT_BYTES]
        crc = zlib.crc32(data, zlib.crc32(b"IDAT")) & 0xFFFFFFFF
        parts += [struct.pack(">I", len(data)) + b"IDAT", data, struct.pack(">I", crc)]
    parts.append(chunk(b"IEND", b""))
    return b"".join(parts)


def filter_rows(samples: SampleRows) -> np.ndarray:
    """(H, W[, C]) samples -> (H, 1 + row bytes): each row's filter type, then the row's
    bytes (16-bit samples big-endian, as PNG stores them) filtered with it."""
    height, width, *rest = samples.shape
    bpp = (rest[0] if rest else 1) * samples.dtype.itemsize  # the filters' distance
    out = np.empty((height, 1 + width * bpp), np.uint8)
    starts = range(0, height, BAND_ROWS)

    def band(top: int) -> None:
        # Each band reads the row above it again (filters look one row up); bands are
        # filtered independently, so threads need nothing from each other.
        first = max(top - 1, 0)
        rows = _row_bytes(samples[first : top + BAND_ROWS])
        above = rows[0] if top else np.zeros(rows.shape[1], np.uint8)
        _filter_band(rows[top - first :], above, bpp, out[top : top + BAND_ROWS])

    workers = min(io_threads(), len(starts))
    if workers > 1:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(band, starts))
    else:
        for top in starts:
            band(top)
    return out


def _row_bytes(samples: np.ndarray) -> np.ndarray:
    """(n, W[, C]) samples -> (n, row bytes) uint8, 16-bit ones big-endian."""
    if samples.dtype == np.uint16:
        samples = samples.astype(">u2")
    return np.ascontiguousarray(samples).view(np.uint8).reshape(len(samples), -1)


def _filter_band(raw: np.ndarray, above: np.ndarray, bpp: int, out: np.ndarray) -> None:
    """The five filters of each row of raw (n, L), given the row above the band; the one
    with the smallest sum of absolute signed bytes is written into out (n, 1 + L)."""
    n = len(raw)
    up = np.empty_like(raw)  # b: the byte above
    up[0] = above
    up[1:] = raw[:-1]
    left = np.zeros_like(raw)  # a: the byte bpp to the left
    left[:, bpp:] = raw[:, :-bpp]
    upper_left = np.zeros_like(raw)  # c
    upper_left[:, bpp:] = up[:, :-bpp]
    candidates = np.empty((5, *raw.shape), np.uint8)
    candidates[0] = raw
    np.subtract(raw, left, out=candidates[1])
    np.subtract(raw, up, out=candidates[2])
    # floor((a + b) / 2) without leaving uint8
    average = (left & up) + ((left ^ up) >> 1)
    np.subtract(raw, average, out=candidates[3])
    np.subtract(raw, _paeth(left, up, upper_left), out=candidates[4])
    # abs of the signed byte: -128 comes out as -128 in int8, which is 128 read as uint8
    cost = np.abs(candidates.view(np.int8)).view(np.uint8).sum(axis=2, dtype=np.uint32)
    choice = np.argmin(cost, axis=0)  # the first filter on ties, as libpng
    out[:, 0] = choice
    out[:, 1:] = candidates[choice, np.arange(n)]


def _paeth(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The Paeth predictor: whichever of a, b, c is nearest a + b - c (a, then b on ties)."""
    a16, b16, c16 = (x.astype(np.int16) for x in (a, b, c))
    near_a = np.abs(b16 - c16)  # |p - a| with p = a + b - c
    near_b = np.abs(a16 - c16)
    near_c = np.abs(a16 + b16 - 2 * c16)
    return np.where((near_a <= near_b) & (near_a <= near_c), a, np.where(near_b <= near_c, b, c))
