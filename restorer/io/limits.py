"""Size limits checked before decoding, so a huge file fails with a message, not an OOM."""

from __future__ import annotations

from pathlib import Path

from restorer.io.errors import ImageReadError

# 400 megapixels of float32 RGB is 4.8 GB: the most a desktop restoration can reasonably hold.
MAX_PIXELS = 400_000_000


def check_size(path: Path, width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise ImageReadError(f"{path.name}: the image has no pixels ({width}×{height})")
    if width * height > MAX_PIXELS:
        raise ImageReadError(
            f"{path.name}: {width}×{height} is {width * height / 1e6:.0f} megapixels; "
            f"Restorer opens images up to {MAX_PIXELS // 1_000_000} megapixels"
        )


# The fewest bytes per pixel a complete file can hold. JPEG codes every 8x8 block's DC term
# with at least one Huffman bit per component: 1/512 byte per pixel; 1/4096 leaves room for
# arithmetic coding. Deflate (PNG) cannot compress beyond about 1032:1.
_MIN_BYTES_PER_PIXEL = {"jpeg": 1 / 4096, "png": 1 / 1100}


def check_plausible_length(path: Path, fmt: str, width: int, height: int, length: int) -> None:
    """Refuse a file far too short for the size its header declares (a 335-byte JPEG that
    says 20000x20000) before a decoder allocates that size and fills it with grey."""
    per_pixel = _MIN_BYTES_PER_PIXEL.get(fmt)
    if per_pixel is None:
        return
    needed = width * height * per_pixel  # per pixel: the bounds hold for one component
    if length < needed:
        raise ImageReadError(
            f"{path.name}: the header says {width}×{height}, but {length} bytes cannot hold "
            f"that image; the file is truncated or damaged"
        )
