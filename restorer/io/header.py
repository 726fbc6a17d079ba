"""What a file's headers say about its image, without decoding the pixels.

`restorer info` reads this first: a 400-megapixel PNG that compresses to a few hundred
kilobytes would otherwise be decoded (gigabytes) only to print its size.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from restorer.io.errors import ImageReadError, decoder_reason

SNIFF_BYTES = 4096
PNG_COLOUR_TYPES = {0: "gray", 2: "RGB", 3: "palette", 4: "gray + alpha", 6: "RGB + alpha"}
PILLOW_MODES = {
    "1": ("gray", 1),
    "L": ("gray", 8),
    "LA": ("gray + alpha", 8),
    "I;16": ("gray", 16),
    "I;16L": ("gray", 16),
    "I;16B": ("gray", 16),
    "P": ("palette", 8),
    "PA": ("palette + alpha", 8),
    "RGB": ("RGB", 8),
    "RGBA": ("RGB + alpha", 8),
    "CMYK": ("CMYK", 8),
    "YCbCr": ("RGB", 8),
}


@dataclass(frozen=True)
class Header:
    format: str
    width: int
    height: int
    samples: str  # "gray", "RGB + alpha", "palette", "CMYK", ...
    bit_depth: int
    floating: bool = False
    icc_profile: bytes | None = None
    exif: bytes | None = None
    orientation: int = 1
    frames: int = 1

    @property
    def megapixels(self) -> float:
        return self.width * self.height / 1e6


def read_header(path: Path, fmt: str) -> Header:
    """The header of an image file of format fmt (png, jpeg, webp, bmp, tiff)."""
    try:
        if fmt == "tiff":
            return _tiff_header(path)
        return _raster_header(path, fmt)
    except ImageReadError:
        raise
    except Exception as exc:
        reason = decoder_reason(exc)
        raise ImageReadError(f"{path.name}: not a readable {fmt.upper()} file ({reason})") from exc


def _raster_header(path: Path, fmt: str) -> Header:
    from restorer.io.metadata import read_raster_info

    info = read_raster_info(path)
    samples, depth = PILLOW_MODES.get(info.mode, (info.mode, 8))
    if fmt == "png":  # Pillow reports 16-bit colour PNGs as 8-bit RGB: IHDR says what it is
        with open(path, "rb") as f:
            ihdr = f.read(26)
        depth, samples = ihdr[24], PNG_COLOUR_TYPES.get(ihdr[25], samples)
    return Header(
        format=fmt,
        width=info.width,
        height=info.height,
        samples=samples,
        bit_depth=depth,
        icc_profile=info.icc_profile,
        exif=info.exif,
        orientation=info.orientation,
        frames=info.frames,
    )


def _tiff_header(path: Path) -> Header:
    import tifffile

    from restorer.io.tiff import ICC_TAG, ORIENTATION_TAG

    with tifffile.TiffFile(path) as tif:
        page = tif.pages.first
        kind = page.photometric
        photometric = getattr(kind, "name", str(kind)) if kind is not None else "?"
        samples = {
            "MINISBLACK": "gray",
            "MINISWHITE": "gray (white is zero)",
            "RGB": "RGB",
            "PALETTE": "palette",
            "SEPARATED": "CMYK",
            "YCBCR": "RGB",
        }.get(photometric, photometric)
        if page.extrasamples:
            samples += " + alpha" if len(page.extrasamples) == 1 else " + extra samples"
        icc = page.tags.get(ICC_TAG)
        orientation = page.tags.get(ORIENTATION_TAG)
        return Header(
            format="tiff",
            width=int(page.imagewidth),
            height=int(page.imagelength),
            samples=samples,
            bit_depth=int(page.bitspersample),
            floating=page.dtype is not None and page.dtype.kind == "f",
            icc_profile=bytes(icc.value) if icc is not None else None,
            orientation=int(orientation.value) if orientation is not None else 1,
            frames=sum(1 for p in tif.pages if not getattr(p, "is_reduced", False)),
        )
