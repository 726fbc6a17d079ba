"""Colour profile and EXIF: read them with Pillow (no pixel decoding), put them back into PNG.

The PNG encoder (restorer.io.png_encoder, which keeps 16-bit colour that Pillow cannot write)
knows pixels only; the metadata chunks it places after the header are made here.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

EXIF_HEADER = b"Exif\x00\x00"
ORIENTATION_TAG = 0x0112


@dataclass(frozen=True)
class RasterInfo:
    width: int
    height: int
    mode: str  # Pillow mode: L, LA, I;16, RGB, RGBA, P, ...
    icc_profile: bytes | None
    exif: bytes | None  # always with the "Exif\0\0" header
    orientation: int
    frames: int = 1  # animated PNG, WebP, GIF: only the first is read
    jpeg_luma_table: tuple[int, ...] | None = None  # JPEG: the first quantisation table


def read_raster_info(data: bytes | Path) -> RasterInfo:
    """Size, mode, ICC and EXIF of an encoded image (its bytes, or its file, which is then
    read only as far as the headers), without decoding its pixels."""
    from PIL import Image as PILImage

    # Our own size limit applies later; Pillow's decompression-bomb guard would refuse
    # legitimate large scans before we could say anything useful.
    PILImage.MAX_IMAGE_PIXELS = None
    with PILImage.open(io.BytesIO(data) if isinstance(data, bytes) else data) as im:
        icc = im.info.get("icc_profile") or None
        exif = im.info.get("exif") or None
        if exif is not None and not exif.startswith(EXIF_HEADER):
            exif = EXIF_HEADER + exif
        orientation = exif_orientation(exif)
        frames = int(getattr(im, "n_frames", 1) or 1)
        tables = getattr(im, "quantization", None) or {}
        luma = tuple(int(v) for v in tables[0]) if len(tables.get(0, ())) == 64 else None
        return RasterInfo(im.width, im.height, im.mode, icc, exif, orientation, frames, luma)


def exif_orientation(exif: bytes | None) -> int:
    """The orientation tag of an EXIF block (1 when absent or unreadable). Parsed from the
    block itself: Pillow's getexif() on a PNG without an eXIf chunk before its image data
    decodes the whole image to look for one after it (7 s and 1.7 GB on a 400 MP PNG)."""
    if not exif:
        return 1
    from PIL import Image as PILImage

    try:
        parsed = PILImage.Exif()
        parsed.load(exif)
        return int(parsed.get(ORIENTATION_TAG, 1))
    except Exception:  # a damaged EXIF block must not stop the image from opening
        return 1


def profile_matching(icc_profile: bytes | None, channels: int) -> bytes | None:
    """The profile if its colour space (ICC header bytes 16-19) fits decoded pixels of
    `channels` colour channels, else None: a CMYK file converted to RGB must not carry its
    CMYK profile into the output, where viewers would apply it to RGB values."""
    if not icc_profile or len(icc_profile) < 20:
        return None
    space = icc_profile[16:20]
    fits = {1: (b"GRAY",), 3: (b"RGB ",)}.get(channels, ())
    return icc_profile if space in fits else None


def chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def png_metadata_chunks(icc_profile: bytes | None, exif: bytes | None) -> list[bytes]:
    """iCCP and eXIf chunks for a PNG's header (both must precede the image data)."""
    chunks = []
    if icc_profile:
        chunks.append(chunk(b"iCCP", b"ICC profile\x00\x00" + zlib.compress(icc_profile)))
    if exif:
        body = exif[len(EXIF_HEADER) :] if exif.startswith(EXIF_HEADER) else exif
        chunks.append(chunk(b"eXIf", body))
    return chunks


def looks_truncated(data: bytes, fmt: str) -> bool:
    """Cheap end-of-stream checks; decoders often return a partly grey image instead of failing."""
    if fmt == "png":
        return b"IEND" not in data[-64:]
    if fmt == "jpeg":
        return b"\xff\xd9" not in data[-1024:]
    return False
