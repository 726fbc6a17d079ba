"""PNG, JPEG, BMP and WebP, 8- and 16-bit, gray, RGB and RGBA.

PNG is read by imagecodecs (libpng) and written by restorer.io.png_encoder: every PNG colour
type at 8 and 16 bits, gray + alpha and 16-bit colour included, which Pillow cannot write.
JPEG, WebP and BMP hold 8 bits per sample and go through Pillow, which also writes their
colour profile and EXIF natively.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from restorer.core.image import JPEG_QUALITY_KEY, Image, ImageMeta
from restorer.core.jpeg_quality import estimate_quality
from restorer.io.convert import float_to_integer, integer_to_float
from restorer.io.errors import FRAMES_IGNORED, ImageReadError, ImageWriteError, decoder_reason
from restorer.io.limits import check_plausible_length, check_size
from restorer.io.metadata import (
    looks_truncated,
    png_metadata_chunks,
    profile_matching,
    read_raster_info,
)
from restorer.io.png_encoder import encode_png

JPEG_QUALITY = 95  # the default for JPEG and WebP output
PILLOW_FORMATS = {"jpeg": "JPEG", "webp": "WEBP", "bmp": "BMP"}


def read_raster(path: Path, data: bytes, fmt: str) -> Image:
    try:
        info = read_raster_info(data)
    except Exception as exc:
        reason = decoder_reason(exc)
        raise ImageReadError(f"{path.name}: not a readable {fmt.upper()} file ({reason})") from exc
    check_size(path, info.width, info.height)
    check_plausible_length(path, fmt, info.width, info.height, len(data))
    if looks_truncated(data, fmt):
        raise ImageReadError(f"{path.name}: the file is truncated (incomplete {fmt.upper()} data)")
    try:
        if fmt == "png":
            arr = _decode_png(data)
        elif fmt == "jpeg":
            arr = _decode_jpeg(data)
        else:
            arr = _decode_with_pillow(data)
    except TruncatedJpegError as exc:
        raise ImageReadError(
            f"{path.name}: the JPEG data is damaged or cut short ({exc}); a decoder would fill "
            "the missing part with grey"
        ) from exc
    except Exception as exc:
        raise ImageReadError(
            f"{path.name}: the {fmt.upper()} data is corrupt and cannot be decoded ({exc})"
        ) from exc

    alpha: np.ndarray | None = None
    if arr.ndim == 3 and arr.shape[2] in (2, 4):
        alpha = arr[:, :, -1]
        arr = arr[:, :, :-1]
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    pixels, depth = integer_to_float(np.ascontiguousarray(arr))
    alpha_f = integer_to_float(np.ascontiguousarray(alpha))[0] if alpha is not None else None
    extra: dict[str, object] = {FRAMES_IGNORED: info.frames} if info.frames > 1 else {}
    if info.jpeg_luma_table is not None:
        extra[JPEG_QUALITY_KEY] = estimate_quality(info.jpeg_luma_table)
    meta = ImageMeta(
        source_path=path,
        format=fmt,
        bit_depth=depth,
        icc_profile=profile_matching(info.icc_profile, 1 if pixels.ndim == 2 else 3),
        exif=info.exif,
        orientation=info.orientation,
        extra=extra,
    )
    return Image(pixels, meta, alpha_f)


def _decode_png(data: bytes) -> np.ndarray:
    """(H, W), (H, W, 2), (H, W, 3) or (H, W, 4), uint8 or uint16; palettes and 1-, 2- and
    4-bit gray are expanded by libpng."""
    import imagecodecs

    return imagecodecs.png_decode(data)


class TruncatedJpegError(ValueError):
    """libjpeg warned while decoding: premature end of data, corrupt entropy data."""


def _decode_jpeg(data: bytes) -> np.ndarray:
    """libjpeg-turbo through simplejpeg in strict mode: the warnings that Pillow and OpenCV
    pass over (a file cut short and closed with an end marker decodes with its missing part
    grey) raise instead. CMYK and YCCK files are checked the same way, then converted by
    Pillow, which knows Adobe's inverted CMYK."""
    import simplejpeg  # type: ignore[import-untyped]

    try:
        _h, _w, colourspace, _subsampling = simplejpeg.decode_jpeg_header(data, strict=True)
        if colourspace in ("CMYK", "YCCK"):
            simplejpeg.decode_jpeg(data, colorspace="CMYK", strict=True)
            return _decode_with_pillow(data)
        gray = colourspace == "Gray"
        arr = simplejpeg.decode_jpeg(data, colorspace="GRAY" if gray else "RGB", strict=True)
    except ValueError as exc:
        raise TruncatedJpegError(str(exc)) from exc
    return arr[:, :, 0] if gray and arr.ndim == 3 else arr


def _decode_with_pillow(data: bytes) -> np.ndarray:
    from PIL import Image as PILImage

    with PILImage.open(io.BytesIO(data)) as im:
        converted: PILImage.Image
        if im.mode in ("L", "LA", "RGB", "RGBA", "I;16", "I;16L", "I;16B"):
            converted = im
        elif im.mode == "1":
            converted = im.convert("L")
        elif im.mode in ("P", "PA"):
            has_alpha = im.mode == "PA" or "transparency" in im.info
            converted = im.convert("RGBA" if has_alpha else "RGB")
        else:  # CMYK and YCbCr JPEG, and the rest
            converted = im.convert("RGB")
        arr = np.asarray(converted)
    if arr.dtype.byteorder == ">":  # big-endian 16-bit gray (I;16B)
        arr = arr.astype(np.uint16)
    return arr


class IntegerRows:
    """An image's samples (and alpha) as 8- or 16-bit integers, converted a band of rows at a
    time as the PNG encoder reads them: no whole integer copy beside the float32 pixels."""

    def __init__(self, image: Image, bit_depth: int) -> None:
        self.pixels, self.alpha, self.bit_depth = image.pixels, image.alpha, bit_depth
        channels = 1 if self.pixels.ndim == 2 else self.pixels.shape[2]
        channels += self.alpha is not None
        self.shape = (*self.pixels.shape[:2], channels)
        self.dtype = np.dtype(np.uint8 if bit_depth == 8 else np.uint16)

    def __getitem__(self, rows: slice) -> np.ndarray:
        samples = float_to_integer(self.pixels[rows], self.bit_depth)
        if self.alpha is None:
            return samples
        return np.dstack([samples, float_to_integer(self.alpha[rows], self.bit_depth)])


def encode_raster(image: Image, fmt: str, bit_depth: int, quality: int = JPEG_QUALITY) -> bytes:
    if fmt in PILLOW_FORMATS and bit_depth != 8:
        bit_depth = 8  # these formats hold 8 bits per sample only
    if bit_depth not in (8, 16):
        raise ImageWriteError(f"{fmt.upper()} cannot hold {bit_depth}-bit samples; use TIFF")
    meta = image.meta
    # The source's profile only if it fits what is written: a gray map made from a colour
    # photo (a mask, an uncertainty map) must not carry its RGB profile, which makes the PNG
    # invalid ("RGB color space not permitted on grayscale PNG") and misleads colour
    # management elsewhere.
    # (WebP has no gray: it stores gray as RGB. JPEG drops the alpha.)
    colour = image.pixels.ndim == 3 or fmt == "webp"
    icc_profile = profile_matching(meta.icc_profile, 3 if colour else 1)
    if fmt == "png":
        chunks = png_metadata_chunks(icc_profile, meta.exif)
        try:
            return encode_png(IntegerRows(image, bit_depth), extra_chunks=chunks)
        except Exception as exc:
            raise ImageWriteError(f"PNG encoding failed ({exc})") from exc
    arr = float_to_integer(image.pixels, bit_depth)
    alpha = float_to_integer(image.alpha, bit_depth) if image.alpha is not None else None
    if fmt in PILLOW_FORMATS:
        from PIL import Image as PILImage

        if fmt == "jpeg":
            alpha = None  # JPEG has no alpha channel
        if alpha is not None:
            rgb = arr if arr.ndim == 3 else np.stack([arr] * 3, axis=2)
            pil = PILImage.fromarray(np.ascontiguousarray(np.dstack([rgb, alpha])), "RGBA")
        else:
            pil = PILImage.fromarray(arr, "RGB" if arr.ndim == 3 else "L")
        kwargs: dict[str, object] = {}
        if fmt in ("jpeg", "webp"):
            kwargs["quality"] = quality
            if icc_profile:
                kwargs["icc_profile"] = icc_profile
            if meta.exif:
                kwargs["exif"] = meta.exif
        if fmt == "jpeg":
            kwargs["subsampling"] = 0
        out = io.BytesIO()
        pil.save(out, format=PILLOW_FORMATS[fmt], **kwargs)
        return out.getvalue()
    raise ImageWriteError(f"unsupported output format {fmt}")
