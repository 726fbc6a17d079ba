"""`restorer info FILE`: what was read from a file."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from restorer.core.image import Image
from restorer.io import ImageReadError, read_image


def _profile_name(icc: bytes) -> str:
    try:
        from PIL import ImageCms

        name = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc))).strip()
        return f"{name} ({len(icc)} bytes)"
    except Exception:
        return f"embedded, unreadable description ({len(icc)} bytes)"


def describe(image: Image) -> list[tuple[str, str]]:
    meta = image.meta
    rows = [
        ("file", str(meta.source_path)),
        ("format", meta.format.upper()),
        ("size", f"{image.width} × {image.height} ({image.width * image.height / 1e6:.2f} MP)"),
        ("bit depth", f"{meta.bit_depth}" + (" (float)" if meta.bit_depth == 32 else "")),
        (
            "channels",
            {1: "gray", 3: "RGB"}[image.channels] + (" + alpha" if image.alpha is not None else ""),
        ),
        ("modality", meta.modality.value),
    ]
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
        lo, hi = float(np.min(image.pixels)), float(np.max(image.pixels))
        rows.append(("value range", f"{lo:.4f} … {hi:.4f} (of 0 … 1)"))
    return rows


def run(path: Path) -> int:
    try:
        image = read_image(path)
    except ImageReadError as exc:
        print(f"error: {exc}", file=__import__("sys").stderr)
        return 1
    rows = describe(image)
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    return 0
