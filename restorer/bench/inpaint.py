"""`restorer bench inpaint` and `restorer bench automask`.

inpaint: a fixed, seeded set of masks per image in three sizes (small: scratches and dust,
medium: brush strokes, large: blobs and rectangles); PSNR and SSIM inside the hole for our
network, OpenCV Telea and OpenCV Navier-Stokes; seconds per image.

automask: synthetic scratches and dust drawn on test images, then detected; pixel precision
and recall with one pixel of tolerance (defect edges are soft).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

from restorer.bench.common import Score, image_files, markdown_table, seed_for, timed
from restorer.core.image import Image
from restorer.core.ops import psnr, ssim
from restorer.engine.engine import Engine
from restorer.io import read_image
from restorer.io.convert import float_to_integer
from restorer.physics.masks import benchmark_mask, scan_defects
from restorer.tasks.defects import DefectSettings, detect_defects
from restorer.tasks.inpaint import TASK, InpaintParams

Method = Callable[[np.ndarray, np.ndarray], np.ndarray]
SIZES = ("small", "medium", "large")


def _opencv(flag: int) -> Method:
    import cv2  # a benchmark and training dependency, not the application's

    def run(pixels: np.ndarray, mask: np.ndarray) -> np.ndarray:
        u8 = float_to_integer(pixels, 8)
        if u8.ndim == 3:
            u8 = np.ascontiguousarray(u8[:, :, ::-1])
        out = cv2.inpaint(u8, (mask > 0.5).astype(np.uint8), 5, flag)
        if out.ndim == 3:
            out = out[:, :, ::-1]
        # Only the hole is the method's work; the rest stays as it was.
        filled = out.astype(np.float32) / 255.0
        return np.where((mask > 0.5)[..., None] if pixels.ndim == 3 else mask > 0.5, filled, pixels)

    return run


def ours(engine: Engine) -> Method:
    def run(pixels: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return engine.run_task(TASK, Image(pixels), InpaintParams(mask=mask)).pixels

    return run


def evaluate(
    folder: Path, methods: dict[str, Method], limit: int | None = None
) -> dict[tuple[str, str], Score]:
    scores: dict[tuple[str, str], Score] = {}
    for path in image_files(folder)[:limit]:
        clean = read_image(path).pixels
        for size in SIZES:
            rng = np.random.default_rng(seed_for(path.name, size))
            mask = benchmark_mask(clean.shape[0], clean.shape[1], size, rng)
            hole = mask > 0.5
            damaged = np.where(hole[..., None] if clean.ndim == 3 else hole, 0.0, clean)
            for name, method in methods.items():
                out, seconds = timed(partial(method, damaged.astype(np.float32), mask))
                scores.setdefault((size, name), Score()).add(
                    psnr(clean, out, mask=hole),
                    ssim(clean, out, mask=hole),
                    seconds,
                    float(mask.mean()),
                )
    return scores


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        nargs="+",
        required=True,
        help="test folders, e.g. ../shared/data/test/cbsd68",
    )
    parser.add_argument("--limit", type=int, default=None, help="first N images per folder")


def run(args: argparse.Namespace, engine: Engine) -> int:
    import cv2  # a benchmark and training dependency, not the application's

    methods: dict[str, Method] = {
        "ours": ours(engine),
        "OpenCV Telea": _opencv(cv2.INPAINT_TELEA),
        "OpenCV Navier-Stokes": _opencv(cv2.INPAINT_NS),
    }
    rows = []
    for folder in args.data:
        for (size, name), score in evaluate(folder, methods, args.limit).items():
            n = len(score.psnr)
            rows.append(
                (
                    folder.name,
                    size,
                    f"{score.megapixels / n:.1%}",
                    name,
                    float(np.mean(score.psnr)),
                    float(np.mean(score.ssim)),
                    score.seconds / n,
                )
            )
    print(
        markdown_table(
            ["set", "masks", "hole area", "method", "PSNR in hole dB", "SSIM in hole", "s / image"],
            rows,
        )
    )
    return 0


def add_automask_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, nargs="+", required=True)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--sensitivity", type=float, default=1.0)


def _dilate(mask: np.ndarray, px: int = 1) -> np.ndarray:
    import cv2  # a benchmark and training dependency, not the application's

    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * px + 1, 2 * px + 1))
    return cv2.dilate(mask.astype(np.uint8), kernel).astype(bool)


def automask_scores(
    folder: Path, sensitivity: float, limit: int | None
) -> tuple[float, float, float]:
    """(precision, recall, false-positive area fraction on the clean images)."""
    hits_det = total_det = hits_true = total_true = 0
    false_area = []
    settings = DefectSettings(sensitivity=sensitivity)
    for path in image_files(folder)[:limit]:
        clean = read_image(path).pixels
        rng = np.random.default_rng(seed_for(path.name, "defects"))
        damaged, truth = scan_defects(clean, rng)
        found = detect_defects(damaged, settings) > 0.5
        # Grown detections count as right when they touch a defect within their growth.
        near_truth = _dilate(truth, settings.grow + 1)
        true = truth > 0.5
        hits_det += int((found & near_truth).sum())
        total_det += int(found.sum())
        hits_true += int((true & _dilate(found, 1)).sum())
        total_true += int(true.sum())
        false_area.append(float((detect_defects(clean, settings) > 0.5).mean()))
    return (
        hits_det / max(total_det, 1),
        hits_true / max(total_true, 1),
        float(np.mean(false_area)),
    )


def run_automask(args: argparse.Namespace, engine: Engine) -> int:
    rows = []
    for folder in args.data:
        precision, recall, false_area = automask_scores(folder, args.sensitivity, args.limit)
        rows.append((folder.name, args.sensitivity, precision, recall, f"{false_area:.2%}"))
    print(
        markdown_table(
            ["set", "sensitivity", "precision", "recall", "area flagged on clean images"], rows
        )
    )
    return 0
