"""What the README figure scripts share: a caption bar over a panel, and the atomic write."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from restorer.io.atomic import atomic_write_bytes


def labelled(bgr: np.ndarray, text: str) -> np.ndarray:
    """The panel with `text` in white on a black bar across its top."""
    out = bgr.copy()
    cv2.rectangle(out, (0, 0), (out.shape[1], 26), (0, 0, 0), -1)
    cv2.putText(out, text, (8, 19), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def write_figure(path: Path, bgr: np.ndarray, jpeg_quality: int = 92) -> None:
    """Encode by the file's suffix (JPEG at `jpeg_quality`) and replace `path` atomically."""
    ok, encoded = cv2.imencode(path.suffix, bgr, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
    if not ok:
        raise SystemExit(f"could not encode {path.suffix}")
    atomic_write_bytes(path, encoded.tobytes(), overwrite=True)
    print(f"wrote {path}")
