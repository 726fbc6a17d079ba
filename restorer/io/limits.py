"""Size limits checked before decoding, so a huge file fails with a message, not an OOM."""

from __future__ import annotations

from pathlib import Path

from restorer.io.errors import ImageReadError

# 400 megapixels of float32 RGB is 4.8 GB: the most a desktop restoration can reasonably hold.
MAX_PIXELS = 400_000_000


def check_size(path: Path, width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise ImageReadError(f"{path.name}: the image has no pixels ({width}×{height})")
    if width * height > MAX_PIXELS:
        raise ImageReadError(
            f"{path.name}: {width}×{height} is {width * height / 1e6:.0f} megapixels; "
            f"Restorer opens images up to {MAX_PIXELS // 1_000_000} megapixels"
        )
