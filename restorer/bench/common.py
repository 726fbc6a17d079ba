"""Helpers shared by the benchmarks."""

from __future__ import annotations

import sys
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from restorer.io import list_images


def image_files(folder: Path) -> list[Path]:
    files = list_images(folder)
    if not files:
        raise SystemExit(f"no images in {folder}")
    return files


def require_data_layout(root: Path, subfolders: Iterable[str]) -> None:
    """Stop (exit 2, one line) when the data folder lacks what a benchmark reads: checked
    before minutes of work, not found missing after them."""
    missing = [s for s in subfolders if not (root / s).is_dir()]
    if missing:
        print(
            f"error: {root} has no {' or '.join(missing)}: give the data folder laid out as "
            "../shared/data",
            file=sys.stderr,
        )
        raise SystemExit(2)


def seed_for(name: str, *values: object) -> int:
    """A stable seed per image and setting, the same on every machine and run."""
    return zlib.crc32("|".join([name, *map(str, values)]).encode())


@dataclass
class Score:
    psnr: list[float] = field(default_factory=list)
    ssim: list[float] = field(default_factory=list)
    seconds: float = 0.0
    megapixels: float = 0.0

    def add(self, p: float, s: float, seconds: float, megapixels: float) -> None:
        self.psnr.append(p)
        self.ssim.append(s)
        self.seconds += seconds
        self.megapixels += megapixels

    @property
    def mp_per_s(self) -> float:
        return self.megapixels / self.seconds if self.seconds else float("nan")


def timed(fn: Callable[[], np.ndarray]) -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def markdown_table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        cells = [
            f"{c:.2f}"
            if isinstance(c, float) and abs(c) >= 1
            else f"{c:.4f}"
            if isinstance(c, float)
            else str(c)
            for c in row
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def nlmeans(noisy: np.ndarray, sigma: float) -> np.ndarray:
    """OpenCV's non-local means, the classical baseline of the denoising benchmarks (images
    in [0, 1], sigma on the 0-255 scale)."""
    import cv2

    u8 = np.clip(np.rint(noisy * 255), 0, 255).astype(np.uint8)
    h = 0.9 * sigma  # tuned on Set12: best PSNR between 0.7 and 1.1 sigma
    if noisy.ndim == 2:
        out = cv2.fastNlMeansDenoising(u8, None, h, 7, 21)
    else:
        bgr = np.ascontiguousarray(u8[:, :, ::-1])
        out = cv2.fastNlMeansDenoisingColored(bgr, None, h, h, 7, 21)[:, :, ::-1]
    return out.astype(np.float32) / 255
