"""TIFF through tifffile: 8-, 16-bit and float samples kept exactly, ICC profile kept."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from restorer.core.image import Image, ImageMeta
from restorer.core.threads import io_threads
from restorer.io.convert import float_to_integer, integer_to_float
from restorer.io.errors import FRAMES_IGNORED, HALF_FLOAT, ImageReadError, ImageWriteError
from restorer.io.exif_tiff import can_link, link_sub_ifds, parse_exif_block, placeholder
from restorer.io.limits import check_size
from restorer.io.metadata import profile_matching

# tifffile logs an error per damaged tag before failing; the reader's one-line error says it.
logging.getLogger("tifffile").setLevel(logging.CRITICAL)

ICC_TAG = 34675
ORIENTATION_TAG = 274
# Descriptive text tags kept from a TIFF source to a TIFF result: ImageDescription, Make,
# Model, DateTime, Artist, Copyright (Software is ours to set).
TEXT_TAGS = (270, 271, 272, 306, 315, 33432)
TEXT_TAGS_KEY = "tiff_text_tags"


def read_tiff(path: Path, data: bytes) -> Image:
    import tifffile

    try:
        with tifffile.TiffFile(io.BytesIO(data)) as tif:
            page = tif.pages.first
            check_size(path, int(page.imagewidth), int(page.imagelength))
            # A file cut short still decodes: its missing strips or tiles come out zero or
            # grey (a JPEG-compressed TIFF cut at 60 % had a third of its pixels wrong).
            ends = [o + c for o, c in zip(page.dataoffsets, page.databytecounts, strict=False)]
            if ends and max(ends) > len(data):
                raise ImageReadError(
                    f"{path.name}: the TIFF is truncated ({len(data)} of {max(ends)} bytes)"
                )
            arr = page.asarray()
            layout = _Layout(
                photometric=page.photometric,
                samples=int(page.samplesperpixel),
                separate=page.planarconfig == tifffile.PLANARCONFIG.SEPARATE,
                extrasamples=len(page.extrasamples),
                depth=int(page.imagedepth),
                colormap=page.colormap,
            )
            icc = page.tags.get(ICC_TAG)
            orientation = page.tags.get(ORIENTATION_TAG)
            text_tags = {
                code: str(page.tags[code].value)
                for code in TEXT_TAGS
                if code in page.tags
                and isinstance(page.tags[code].value, str)
                and not (code == 270 and page.tags[code].value.startswith('{"shape"'))
            }
            # Pages that are images of their own (not thumbnails or reduced resolutions).
            frames = sum(1 for p in tif.pages if not getattr(p, "is_reduced", False))
    except ImageReadError:
        raise
    except Exception as exc:
        raise ImageReadError(f"{path.name}: not a readable TIFF file ({exc})") from exc

    arr, alpha = _interpret(path, arr, layout)
    # Half floats (HDR editors' 16-bit float) become float32, which holds each exactly, and
    # are written back as 32-bit float.
    if arr.dtype not in (np.uint8, np.uint16, np.float16, np.float32, np.float64):
        raise ImageReadError(f"{path.name}: TIFF sample type {arr.dtype} is not supported")
    half_float = arr.dtype == np.float16
    pixels, depth = integer_to_float(np.ascontiguousarray(arr))
    alpha_f = integer_to_float(np.ascontiguousarray(alpha))[0] if alpha is not None else None
    meta = ImageMeta(
        source_path=path,
        format="tiff",
        bit_depth=depth,
        icc_profile=profile_matching(
            bytes(icc.value) if icc is not None else None, 1 if pixels.ndim == 2 else 3
        ),
        orientation=int(orientation.value) if orientation is not None else 1,
        exif=_exif_block(data),
        extra={
            **({FRAMES_IGNORED: frames} if frames > 1 else {}),
            **({HALF_FLOAT: True} if half_float else {}),
            **({TEXT_TAGS_KEY: text_tags} if text_tags else {}),
        },
    )
    return Image(pixels, meta, alpha_f)


def _exif_block(data: bytes) -> bytes | None:
    """The TIFF's EXIF data (camera, exposure, date) as an "Exif" block, so that a JPEG, PNG
    or WebP result carries it; None when there is none or Pillow cannot parse the header."""
    from PIL import Image as PILImage

    try:
        with PILImage.open(io.BytesIO(data)) as im:
            exif = im.getexif()
            if not exif.get_ifd(0x8769):
                return None
            block = exif.tobytes()
    except Exception:
        return None
    return block if block.startswith(b"Exif") else b"Exif\x00\x00" + block


@dataclass(frozen=True)
class _Layout:
    """What a TIFF page says about its samples; the array's shape alone is ambiguous (a 3-row
    gray + alpha image looks like planar RGB)."""

    photometric: int
    samples: int
    separate: bool
    extrasamples: int
    depth: int
    colormap: np.ndarray | None


def _interpret(
    path: Path, arr: np.ndarray, layout: _Layout
) -> tuple[np.ndarray, np.ndarray | None]:
    """(colour or gray samples (H, W[, 3]), alpha or None) from a page's array."""
    import tifffile

    kind = tifffile.PHOTOMETRIC
    if layout.depth > 1:
        raise ImageReadError(f"{path.name}: a 3-D TIFF volume is not supported")
    if layout.samples > 1 and layout.separate:
        arr = np.moveaxis(arr, 0, -1)  # planar configuration: samples first
    if layout.photometric == kind.PALETTE:
        if layout.colormap is None or arr.ndim != 2:
            raise ImageReadError(f"{path.name}: palette TIFF without a usable colour map")
        colours = np.asarray(layout.colormap).T.astype(np.uint16)  # (entries, 3), 16-bit
        if not (colours % 257).any():
            colours = (colours // 257).astype(np.uint8)  # an 8-bit palette written as 16
        return colours[np.clip(arr, 0, len(colours) - 1)], None
    if layout.photometric == kind.SEPARATED:
        raise ImageReadError(
            f"{path.name}: CMYK TIFF is not supported (it needs its printer's colour profile "
            "to become RGB); convert it to RGB first"
        )
    gray = layout.photometric in (kind.MINISBLACK, kind.MINISWHITE)
    colour = layout.photometric in (kind.RGB, kind.YCBCR)
    if not gray and not colour:
        name = getattr(layout.photometric, "name", str(layout.photometric))
        raise ImageReadError(f"{path.name}: TIFF photometric {name} is not supported")
    base = 1 if gray else 3
    if layout.samples not in (base, base + 1) or (
        layout.samples == base + 1 and layout.extrasamples != 1
    ):
        raise ImageReadError(
            f"{path.name}: a {layout.samples}-sample {'gray' if gray else 'RGB'} TIFF is not "
            "supported (1 or 3 samples, plus an optional alpha)"
        )
    alpha = None
    if layout.samples == base + 1:
        arr, alpha = arr[..., :base], arr[..., base]
    if gray and arr.ndim == 3:
        arr = arr[..., 0]
    if layout.photometric == kind.MINISWHITE:
        # 0 is white: turn it the usual way round.
        arr = (1.0 - arr) if arr.dtype.kind == "f" else np.iinfo(arr.dtype).max - arr
    return arr, alpha


def encode_tiff(image: Image, bit_depth: int) -> bytes:
    import tifffile

    if bit_depth not in (8, 16, 32, 64):
        raise ImageWriteError(f"TIFF output needs 8, 16, 32 or 64 bits, not {bit_depth}")
    arr = float_to_integer(image.pixels, bit_depth)
    extrasamples = None
    if image.alpha is not None:
        alpha = float_to_integer(image.alpha, bit_depth)
        if arr.ndim == 2:
            arr = np.stack([arr, alpha], axis=2)
            photometric = "minisblack"
        else:
            arr = np.concatenate([arr, alpha[:, :, None]], axis=2)
            photometric = "rgb"
        extrasamples = ("unassalpha",)
    else:
        photometric = "rgb" if arr.ndim == 3 else "minisblack"
    # A camera's Make, Model and date come from the source's EXIF block (a JPEG's, say) unless
    # a TIFF source had its own; the EXIF and GPS IFDs are linked in after writing.
    exif = parse_exif_block(image.meta.exif, TEXT_TAGS)
    text_tags = {**exif.text, **image.meta.extra.get(TEXT_TAGS_KEY, {})}
    sub_ifds = exif.sub_ifds if can_link(arr.nbytes) else {}
    extratags = [placeholder(pointer) for pointer in sub_ifds]
    if image.meta.orientation != 1:
        extratags.append((ORIENTATION_TAG, "H", 1, image.meta.orientation, True))
    for code, value in sorted(text_tags.items()):
        if code != 270:
            extratags.append((code, "s", 0, value, True))
    out = io.BytesIO()
    tifffile.imwrite(
        out,
        arr,
        description=text_tags.get(270),
        metadata=None,
        photometric=photometric,
        planarconfig="contig",
        extrasamples=extrasamples,
        compression="zlib",
        # Horizontal differencing before deflate (TIFF predictor 2, which libtiff and so the
        # usual viewers read): a denoised 2048² photo 7.1 -> 3.7 MB, its 16-bit version 9.2
        # -> 4.6 MB, for 0.03-0.06 s more on two threads. Integers only: the floating-point
        # predictor is read by fewer programs.
        predictor=arr.dtype.kind == "u",
        maxworkers=io_threads(),
        # The source's profile only if it fits what is written (see encode_raster).
        iccprofile=profile_matching(image.meta.icc_profile, 3 if photometric == "rgb" else 1),
        extratags=extratags,
        bigtiff=False if sub_ifds else None,
    )
    return link_sub_ifds(out.getvalue(), sub_ifds)
