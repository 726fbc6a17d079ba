"""PNG, JPEG, BMP and WebP, 8- and 16-bit, gray, RGB and RGBA."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from restorer.core.image import Image, ImageMeta
from restorer.io.convert import float_to_integer, integer_to_float
from restorer.io.errors import ImageReadError, ImageWriteError
from restorer.io.limits import check_size
from restorer.io.metadata import looks_truncated, png_with_metadata, read_raster_info
from restorer.io.png_gray_alpha import encode_gray_alpha

GRAY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "La"}
JPEG_QUALITY = 95


def read_raster(path: Path, data: bytes, fmt: str) -> Image:
    import cv2

    try:
        info = read_raster_info(data)
    except Exception as exc:
        raise ImageReadError(f"{path.name}: not a readable {fmt.upper()} file ({exc})") from exc
    check_size(path, info.width, info.height)
    if looks_truncated(data, fmt):
        raise ImageReadError(f"{path.name}: the file is truncated (incomplete {fmt.upper()} data)")
    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if arr is None:
        raise ImageReadError(
            f"{path.name}: the {fmt.upper()} data is corrupt and cannot be decoded"
        )

    alpha: np.ndarray | None = None
    if arr.ndim == 3 and arr.shape[2] == 4:
        alpha = arr[:, :, 3]
        arr = arr[:, :, :3]
    if arr.ndim == 3 and arr.shape[2] == 2:  # gray + alpha as some decoders give it
        alpha = arr[:, :, 1]
        arr = arr[:, :, 0]
    if arr.ndim == 3:
        arr = arr[:, :, ::-1]  # OpenCV's BGR to RGB
        if info.mode in GRAY_MODES or (fmt == "png" and png_is_gray(data)):
            arr = arr[:, :, 0]
    pixels, depth = integer_to_float(np.ascontiguousarray(arr))
    alpha_f = integer_to_float(alpha)[0] if alpha is not None else None
    meta = ImageMeta(
        source_path=path,
        format=fmt,
        bit_depth=depth,
        icc_profile=info.icc_profile,
        exif=info.exif,
        orientation=info.orientation,
    )
    return Image(pixels, meta, alpha_f)


def png_is_gray(data: bytes) -> bool:
    """Colour type 0 or 4 in the IHDR chunk. Decoders expand 16-bit gray + alpha to RGBA."""
    return len(data) > 25 and data[12:16] == b"IHDR" and data[25] in (0, 4)


def _bgr(arr: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    if arr.ndim == 3:
        arr = arr[:, :, ::-1]
    if alpha is not None:
        if arr.ndim == 2:
            arr = np.stack([arr, arr, arr], axis=2)
        arr = np.concatenate([arr, alpha[:, :, None]], axis=2)
    return np.ascontiguousarray(arr)


def encode_raster(image: Image, fmt: str, bit_depth: int) -> bytes:
    import cv2

    if fmt in ("jpeg", "webp", "bmp") and bit_depth != 8:
        bit_depth = 8  # these formats hold 8 bits per sample only
    if bit_depth not in (8, 16):
        raise ImageWriteError(f"{fmt.upper()} cannot hold {bit_depth}-bit samples; use TIFF")
    arr = float_to_integer(image.pixels, bit_depth)
    alpha = float_to_integer(image.alpha, bit_depth) if image.alpha is not None else None
    meta = image.meta

    if fmt == "png":
        if arr.ndim == 2 and alpha is not None:
            png = encode_gray_alpha(arr, alpha)
        else:
            ok, buf = cv2.imencode(".png", _bgr(arr, alpha), [cv2.IMWRITE_PNG_COMPRESSION, 3])
            if not ok:
                raise ImageWriteError("PNG encoding failed")
            png = buf.tobytes()
        return png_with_metadata(png, meta.icc_profile, meta.exif)
    if fmt == "bmp":
        ok, buf = cv2.imencode(".bmp", _bgr(arr, alpha))
        if not ok:
            raise ImageWriteError("BMP encoding failed")
        return buf.tobytes()
    if fmt in ("jpeg", "webp"):
        # Pillow writes the colour profile and EXIF natively for these 8-bit formats.
        from PIL import Image as PILImage

        if fmt == "jpeg":
            alpha = None  # JPEG has no alpha channel
        if alpha is not None:
            rgb = arr if arr.ndim == 3 else np.stack([arr] * 3, axis=2)
            pil = PILImage.fromarray(np.concatenate([rgb, alpha[:, :, None]], axis=2), "RGBA")
        else:
            pil = PILImage.fromarray(arr, "RGB" if arr.ndim == 3 else "L")
        kwargs: dict[str, object] = {"quality": JPEG_QUALITY}
        if fmt == "jpeg":
            kwargs["subsampling"] = 0
        if meta.icc_profile:
            kwargs["icc_profile"] = meta.icc_profile
        if meta.exif:
            kwargs["exif"] = meta.exif
        out = io.BytesIO()
        pil.save(out, format="JPEG" if fmt == "jpeg" else "WEBP", **kwargs)
        return out.getvalue()
    raise ImageWriteError(f"unsupported output format {fmt}")
