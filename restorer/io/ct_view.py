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
    import cv2

    canvas = np.clip(np.rint(view * 255.0), 0, 255).astype(np.uint8)  # OpenCV draws on 8 bits
    h, w = canvas.shape[:2]
    scale = max(0.3, w / 1400)
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    band = th + base + 6
    canvas[h - band :, :] = (canvas[h - band :, :] * 0.3).astype(np.uint8)
    cv2.putText(
        canvas,
        text,
        (max(2, (w - tw) // 2), h - base - 3),
        cv2.FONT_HERSHEY_SIMPLEX,
        scale,
        255,
        1,
        cv2.LINE_AA,
    )
    return canvas.astype(np.float32) / 255.0


def windowed_view(image: Image, window: tuple[float, float] | None = None) -> Image:
    """An 8-bit-ready photo of a CT image under window (default: the file's, else 40/400).
    A processed slice carries the "not for diagnostic use" notice in its pixels."""
    center, width = window or image.meta.extra.get("window", (40.0, 400.0))
    meta = replace(image.meta, modality=Modality.PHOTO, bit_depth=8, dicom_dataset=None)
    view = apply_window(image.pixels, center, width)
    if image.meta.extra.get("processed"):
        view = burn_notice(view)
    return Image(view, meta)
