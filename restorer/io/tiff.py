"""TIFF through tifffile: 8-, 16-bit and float samples kept exactly, ICC profile kept."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import numpy as np

from restorer.core.image import Image, ImageMeta
from restorer.io.convert import float_to_integer, integer_to_float
from restorer.io.errors import ImageReadError, ImageWriteError
from restorer.io.limits import check_size

# tifffile logs an error per damaged tag before failing; the reader's one-line error says it.
logging.getLogger("tifffile").setLevel(logging.CRITICAL)

ICC_TAG = 34675
ORIENTATION_TAG = 274


def read_tiff(path: Path, data: bytes) -> Image:
    import tifffile

    try:
        with tifffile.TiffFile(io.BytesIO(data)) as tif:
            page = tif.pages.first
            shape = page.shape
            check_size(path, int(page.imagewidth), int(page.imagelength))
            arr = page.asarray()
            icc = page.tags.get(ICC_TAG)
            orientation = page.tags.get(ORIENTATION_TAG)
            photometric = page.photometric
            extrasamples = page.extrasamples
    except ImageReadError:
        raise
    except Exception as exc:
        raise ImageReadError(f"{path.name}: not a readable TIFF file ({exc})") from exc

    if arr.ndim == 3 and photometric == tifffile.PHOTOMETRIC.MINISBLACK and shape[-1] > 4:
        arr = arr[0]  # a stack of gray planes: take the first page's first plane
    if arr.ndim == 3 and arr.shape[0] in (3, 4) and arr.shape[2] not in (3, 4):
        arr = np.moveaxis(arr, 0, 2)  # planar configuration
    alpha = None
    if arr.ndim == 3:
        if arr.shape[2] == 2:
            arr, alpha = arr[:, :, 0], arr[:, :, 1]
        elif arr.shape[2] == 4 or (arr.shape[2] > 3 and len(extrasamples)):
            arr, alpha = arr[:, :, :3], arr[:, :, 3]
        elif arr.shape[2] != 3:
            raise ImageReadError(f"{path.name}: {arr.shape[2]}-channel TIFF is not supported")
    if arr.dtype not in (np.uint8, np.uint16, np.float32, np.float64):
        raise ImageReadError(f"{path.name}: TIFF sample type {arr.dtype} is not supported")
    pixels, depth = integer_to_float(np.ascontiguousarray(arr))
    alpha_f = integer_to_float(np.ascontiguousarray(alpha))[0] if alpha is not None else None
    meta = ImageMeta(
        source_path=path,
        format="tiff",
        bit_depth=depth,
        icc_profile=bytes(icc.value) if icc is not None else None,
        orientation=int(orientation.value) if orientation is not None else 1,
    )
    return Image(pixels, meta, alpha_f)


def encode_tiff(image: Image, bit_depth: int) -> bytes:
    import tifffile

    if bit_depth not in (8, 16, 32):
        raise ImageWriteError(f"TIFF output needs 8, 16 or 32 bits, not {bit_depth}")
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
    extratags = []
    if image.meta.orientation != 1:
        extratags.append((ORIENTATION_TAG, "H", 1, image.meta.orientation, True))
    out = io.BytesIO()
    tifffile.imwrite(
        out,
        arr,
        photometric=photometric,
        planarconfig="contig",
        extrasamples=extrasamples,
        compression="zlib",
        iccprofile=image.meta.icc_profile,
        extratags=extratags,
    )
    return out.getvalue()
