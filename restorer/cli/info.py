"""`restorer info FILE`: what was read from a file."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np

from restorer.core.image import Image
from restorer.io import ImageReadError, probe_format, read_image
from restorer.io.errors import FRAMES_IGNORED, HALF_FLOAT
from restorer.io.header import Header, read_header

# Above this size `info` reads headers only: the value range is all that decoding would add,
# at 12 bytes or more per pixel.
DECODE_LIMIT_MP = 24


def _profile_name(icc: bytes) -> str:
    try:
        from PIL import ImageCms

        name = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc))).strip()
        return f"{name} ({len(icc)} bytes)"
    except Exception:
        return f"embedded, unreadable description ({len(icc)} bytes)"


def _bit_depth(depth: int, half_float: bool) -> str:
    if half_float:
        return "16 (float; results are written as 32-bit float)"
    return f"{depth}" + (" (float)" if depth in (32, 64) else "")


def describe(image: Image) -> list[tuple[str, str]]:
    meta = image.meta
    rows = [
        ("file", str(meta.source_path)),
        ("format", meta.format.upper()),
        ("size", f"{image.width} × {image.height} ({image.width * image.height / 1e6:.2f} MP)"),
        ("bit depth", _bit_depth(meta.bit_depth, bool(meta.extra.get(HALF_FLOAT)))),
        (
            "channels",
            {1: "gray", 3: "RGB"}[image.channels] + (" + alpha" if image.alpha is not None else ""),
        ),
        ("modality", meta.modality.value),
    ]
    if meta.extra.get(FRAMES_IGNORED):
        rows.append(("frames", f"{meta.extra[FRAMES_IGNORED]} (the first is read)"))
    if image.is_ct:
        ds = meta.dicom_dataset
        rows.append(
            ("HU range", f"{float(np.min(image.pixels)):.0f} … {float(np.max(image.pixels)):.0f}")
        )
        center, width = meta.extra.get("window", (40.0, 400.0))
        rows.append(("window", f"center {center:g}, width {width:g}"))
        if meta.extra.get("frames", 1) > 1:
            rows.append(("frames", f"{meta.extra['frames']} (showing the first)"))
        if ds is not None:
            for tag in (
                "Manufacturer",
                "StudyDescription",
                "SeriesDescription",
                "BodyPartExamined",
                "KVP",
                "SliceThickness",
                "PixelSpacing",
                "RescaleSlope",
                "RescaleIntercept",
            ):
                value = getattr(ds, tag, None)
                if value not in (None, ""):
                    rows.append((tag, str(value)))
            rows.append(("transfer syntax", ds.file_meta.TransferSyntaxUID.name))
    else:
        rows.append(
            ("colour profile", _profile_name(meta.icc_profile) if meta.icc_profile else "none")
        )
        rows.append(
            (
                "EXIF",
                f"{len(meta.exif)} bytes, orientation {meta.orientation}" if meta.exif else "none",
            )
        )
        rows.append(("value range", _value_range(image)))
    return rows


def _value_range(image: Image) -> str:
    """In the file's own units: 0 … 255 for 8-bit, 0 … 65535 for 16-bit, as stored for
    float; with a count of NaN and infinite samples."""
    px = image.pixels
    finite = np.isfinite(px)
    if not finite.any():
        return "no finite samples"
    lo, hi = float(px[finite].min()), float(px[finite].max())
    depth = image.meta.bit_depth
    if depth in (8, 16):
        top = 2**depth - 1
        text = f"{round(lo * top)} … {round(hi * top)} (of 0 … {top})"
    else:
        text = f"{lo:.6g} … {hi:.6g}"
    bad = int(px.size - np.count_nonzero(finite))
    return text + (f"; {bad} NaN or infinite samples" if bad else "")


def describe_header(path: Path, header: Header) -> list[tuple[str, str]]:
    """The rows of a file too large to decode only for a look at it."""
    depth = f"{header.bit_depth}" + (" (float)" if header.floating else "")
    rows = [
        ("file", str(path)),
        ("format", header.format.upper()),
        ("size", f"{header.width} × {header.height} ({header.megapixels:.2f} MP)"),
        ("bit depth", depth),
        ("channels", header.samples),
        ("modality", "photo"),
    ]
    if header.frames > 1:
        rows.append(("frames", f"{header.frames} (the first is read)"))
    icc = header.icc_profile
    rows.append(("colour profile", _profile_name(icc) if icc else "none"))
    exif = header.exif
    exif_text = f"{len(exif)} bytes, orientation {header.orientation}" if exif else "none"
    rows.append(("EXIF", exif_text))
    rows.append(
        (
            "value range",
            f"not read (headers only above {DECODE_LIMIT_MP} MP; the pixels are checked "
            "when a task opens the file)",
        )
    )
    return rows


def run(path: Path) -> int:
    try:
        fmt = probe_format(path)
        header = None if fmt == "dicom" else read_header(path, fmt)
        if header is not None and header.megapixels > DECODE_LIMIT_MP:
            rows = describe_header(path, header)
        else:
            rows = describe(read_image(path))
    except ImageReadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    return 0
