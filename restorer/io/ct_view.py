"""CT to a viewable picture: the window/level mapping used for PNG/TIFF export."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from restorer.core.image import Image, Modality


def apply_window(hu: np.ndarray, center: float, width: float) -> np.ndarray:
    """HU to [0, 1] with the radiology convention: center ± width / 2 maps to black..white."""
    lo = center - width / 2.0
    return np.clip((hu - lo) / max(width, 1e-6), 0.0, 1.0).astype(np.float32)


NOTICE = "Processed by Restorer - not for diagnostic use"


def burn_notice(view: np.ndarray, text: str = NOTICE) -> np.ndarray:
    """Write the notice into the bottom of a [0, 1] gray view, on a dark band."""
    from PIL import Image as PILImage
    from PIL import ImageDraw, ImageFont

    canvas = np.clip(np.rint(view * 255.0), 0, 255).astype(np.uint8)  # drawn on 8 bits
    h, w = canvas.shape[:2]
    # Pillow's built-in font (no font file to ship), sized to span about half the width.
    font = ImageFont.load_default(size=max(9, round(w / 45)))
    picture = PILImage.fromarray(canvas)
    draw = ImageDraw.Draw(picture)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    band = bottom - top + 8
    dark = (np.asarray(picture)[h - band :, :] * 0.3).astype(np.uint8)
    picture.paste(PILImage.fromarray(dark), (0, h - band))
    draw = ImageDraw.Draw(picture)
    draw.text((max(2, (w - (right - left)) // 2), h - band + 4 - top), text, fill=255, font=font)
    return np.asarray(picture).astype(np.float32) / 255.0


def windowed_view(image: Image, window: tuple[float, float] | None = None) -> Image:
    """An 8-bit-ready photo of a CT image under window (default: the file's, else 40/400).
    A processed slice carries the "not for diagnostic use" notice in its pixels."""
    center, width = window or image.meta.extra.get("window", (40.0, 400.0))
    meta = replace(image.meta, modality=Modality.PHOTO, bit_depth=8, dicom_dataset=None)
    view = apply_window(image.pixels, center, width)
    if image.meta.extra.get("processed"):
        view = burn_notice(view)
    return Image(view, meta)
